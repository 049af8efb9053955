"""`tidecast worker`, `tidecast events …` and `tidecast mail …`: running and operating the queues.

Kept apart from cli.py so each stays a readable size; cli.py mounts these commands.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

import typer

events_app = typer.Typer(no_args_is_help=True, help="The durable event bus: inspect and replay.")
mail_app = typer.Typer(no_args_is_help=True, help="The mail outbox: inspect and retry.")


def _services() -> Any:
    from tidecast.cli import _services as build

    return build()


def _fail(message: str, code: int = 2) -> typer.Exit:
    from tidecast.cli import _fail as fail  # cli.py imports this module: reach back lazily

    return fail(message, code)


def worker(
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker threads.")] = 2,
) -> None:
    """Run job workers (mail delivery, event delivery) until interrupted."""
    from tidecast.container import set_services
    from tidecast.db.migrate import current

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("huey").setLevel(logging.WARNING)  # a line per task run is noise here
    logging.getLogger("huey.consumer").setLevel(logging.INFO)  # start, stop, signals
    services = _services()
    if current(services.engine) is None:
        raise _fail("tidecast: the database is empty; run `tidecast db upgrade` first")
    set_services(services)
    queue = services.settings.masked()["TIDECAST_QUEUE_URL"]
    typer.echo(f"tidecast worker: {workers} threads on {queue}; tasks: {', '.join(services.jobs.names)}")
    services.jobs.consumer(workers=workers).run()


@events_app.command("list")
def events_list(
    failed: Annotated[
        bool, typer.Option("--failed", help="Only events with a dead or retrying delivery.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Newest events first, with each subscriber's delivery."""
    found = _services().events.list(failed=failed, limit=limit)
    if as_json:
        typer.echo(json.dumps(found, indent=2))
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
    from tidecast.errors import NotFound

    try:
        count = _services().events.retry(event_id)
    except NotFound as exc:
        raise _fail(f"tidecast: {exc.message}") from None
    if count == 0:
        raise _fail(f"tidecast: event {event_id} has no dead deliveries to retry", code=1)
    typer.echo(f"requeued {count} deliver{'y' if count == 1 else 'ies'} of event {event_id}")


@mail_app.command("list")
def mail_list(
    status: Annotated[str | None, typer.Option(help="queued, sending, sent or failed.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The outbox, newest first."""
    from tidecast.db.schema import MAIL_STATUSES

    if status is not None and status not in MAIL_STATUSES:
        raise _fail(f"tidecast: --status must be one of {', '.join(MAIL_STATUSES)}, got {status!r}")
    found = _services().outbox.list(status=status, limit=limit)
    if as_json:
        typer.echo(json.dumps(found, indent=2))
        return
    for mail in found:
        typer.echo(f"{mail['id']}  {mail['status']:<7}  {', '.join(mail['to'])}  {mail['subject']}")
        if mail["lastError"]:
            typer.echo(f"    last error: {mail['lastError']}")


@mail_app.command("retry")
def mail_retry(mail_id: str) -> None:
    """Queue a failed mail again."""
    from tidecast.errors import ApiError

    try:
        _services().outbox.retry(mail_id)
    except ApiError as exc:
        raise _fail(f"tidecast: {exc.message}") from None
    typer.echo(f"mail {mail_id} queued again")
