"""`tidecast worker`, `tidecast events …`, `tidecast mail …` and `tidecast jobs …`: running and
operating the durable work (event deliveries, the mail outbox, long jobs).

Its commands import their domain when they run (`# lazy`), so `tidecast --help`
loads none of it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tidecast.cli import common
from tidecast.errors import DomainError

if TYPE_CHECKING:
    from tidecast.jobs import Job

events_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="The durable event bus: inspect and replay."
)
mail_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="The mail outbox: inspect and retry."
)
jobs_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Long jobs: inspect and retry.")

MAIL_FILTERS = ("queued", "deferred", "sending", "sent", "failed")
POOL_CHOICES = ("all", "general", "media")


def worker(
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Threads of the general pool (mail, events, chain, chores).")
    ] = 2,
    media_workers: Annotated[
        int, typer.Option(min=1, max=64, help="Threads of the media pool (transcodes; each uses the cores).")
    ] = 1,
    pool: Annotated[
        str, typer.Option(help="Run both pools (all), or only the general or the media pool.")
    ] = "all",
) -> None:
    """Run job workers until interrupted: the general pool (mail and event delivery, the chain
    watcher, retention) and the media pool (transcodes), each with threads of its own, so mail
    never waits behind a transcode. SIGINT lets running tasks finish; SIGTERM stops at once."""
    from tidecast.container import build_workers, queue_of  # lazy

    if pool not in POOL_CHOICES:
        raise common.fail(f"tidecast: --pool must be one of {', '.join(POOL_CHOICES)}, got {pool!r}")
    common.log_to_stderr()
    svc = common.migrated(common.services())
    queue = svc.settings.masked()["TIDECAST_QUEUE_URL"]
    sizes = {"general": workers if pool in ("all", "general") else 0}
    sizes["media"] = media_workers if pool in ("all", "media") else 0
    running = build_workers(svc, **sizes)
    typer.echo(f"tidecast worker on {queue}")
    for name, threads in sizes.items():
        if threads:
            tasks = ", ".join(queue_of(svc, name).names)
            typer.echo(f"  {name} pool: {threads} thread{'s' if threads > 1 else ''}; tasks: {tasks}")
    running.run()


@events_app.command("list")
def events_list(
    failed: Annotated[
        bool, typer.Option("--failed", help="Only events with a dead or retrying delivery.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Newest events first, with each subscriber's delivery."""
    found = common.services().events.list(failed=failed, limit=limit)
    if as_json:
        typer.echo(common.as_json(found))
        return
    if not found:
        typer.echo("no events" + (" with failed deliveries" if failed else ""))
    for event in found:
        typer.echo(f"{event['id']}  {event['createdAt']}  {event['name']}")
        for d in event["deliveries"]:
            line = f"    {d['subscriber']:<28} {d['status']:<8} attempts={d['attempts']}"
            if d["status"] == "pending" and d["attempts"]:
                line += f" next={d['nextAttemptAt']}"
            typer.echo(line)
            if d["lastError"]:
                typer.echo(f"      last error: {d['lastError']}")


@events_app.command("retry")
def events_retry(event_id: str) -> None:
    """Replay an event's dead-lettered deliveries."""
    try:
        count = common.services().events.retry(event_id)
    except DomainError as exc:
        raise common.fail(f"tidecast: {exc.message}") from None
    if count == 0:
        raise common.fail(f"tidecast: event {event_id} has no dead deliveries to retry", code=1)
    typer.echo(f"requeued {count} deliver{'y' if count == 1 else 'ies'} of event {event_id}")


@mail_app.command("list")
def mail_list(
    status: Annotated[
        str | None, typer.Option(help="queued, deferred (waiting to retry), sending, sent or failed.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The outbox, newest first; deferred mail shows its next attempt and when it gives up."""
    if status is not None and status not in MAIL_FILTERS:
        raise common.fail(f"tidecast: --status must be one of {', '.join(MAIL_FILTERS)}, got {status!r}")
    found = common.services().outbox.list(status=status, limit=limit)
    if as_json:
        typer.echo(common.as_json(found))
        return
    for mail in found:
        shown = "deferred" if mail["deferred"] else mail["status"]
        typer.echo(f"{mail['id']}  {shown:<8}  {', '.join(mail['to'])}  {mail['subject']}")
        if mail["deferred"]:
            typer.echo(f"    next attempt {mail['nextAttemptAt']}; gives up {mail['giveUpAt']}")
        if mail["lastError"]:
            typer.echo(f"    last error: {mail['lastError']}")


@mail_app.command("retry")
def mail_retry(mail_id: str) -> None:
    """Queue a failed mail again."""
    _requeue("mail", common.services().outbox.retry, mail_id)


def _requeue(what: str, retry: Callable[[str], object], item_id: str) -> None:
    try:
        retry(item_id)
    except DomainError as exc:
        raise common.fail(f"tidecast: {exc.message}") from None
    typer.echo(f"{what} {item_id} queued again")


@jobs_app.command("list")
def jobs_list(
    status: Annotated[str | None, typer.Option(help="queued, running, done or failed.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Long jobs, newest first, with progress."""
    from tidecast.db.schema import JOB_STATUSES  # lazy

    if status is not None and status not in JOB_STATUSES:
        raise common.fail(f"tidecast: --status must be one of {', '.join(JOB_STATUSES)}, got {status!r}")
    found = common.services().jobs.list(status=status, limit=limit)
    if as_json:
        typer.echo(common.as_json([job_json(job) for job in found]))
        return
    if not found:
        typer.echo("no jobs")
    for job in found:
        typer.echo(
            f"{job.id}  {job.status:<8} {job.kind:<12} {job.subject or '-':<18} "
            f"{job.progress:5.1f}%  attempts={job.attempts}"
        )
        if job.last_error:
            typer.echo(f"    last error: {job.last_error}")


def job_json(job: Job) -> dict[str, Any]:
    """`tidecast jobs list --json`'s shape of a job (camelCase, as the events' and mail's are)."""
    from tidecast.db.times import iso  # lazy

    def at(value: datetime | None) -> str | None:
        return None if value is None else iso(value)

    return {
        "id": job.id,
        "kind": job.kind,
        "subject": job.subject,
        "status": job.status,
        "attempts": job.attempts,
        "progress": job.progress,
        "etaSeconds": job.eta_seconds,
        "lastError": job.last_error,
        "giveUpAt": at(job.give_up_at),
        "createdAt": iso(job.created_at),
        "updatedAt": iso(job.updated_at),
        "finishedAt": at(job.finished_at),
        "nextAttemptAt": at(job.next_attempt_at),
    }


@jobs_app.command("retry")
def jobs_retry(job_id: str) -> None:
    """Queue a failed job again."""
    _requeue("job", common.services().jobs.retry, job_id)
