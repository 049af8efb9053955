"""`tidecast config`, `tidecast db …` and `tidecast streams …`: settings and stored data.

Its commands import their domain when they run (`# lazy`), so `tidecast --help`
loads none of it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tidecast.cli import common
from tidecast.errors import DomainError, InvalidInput

db_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Database migrations and retention.")
streams_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Streams: listing them, and re-running a failed one (a stream comes from `tidecast upload`).",
)


def show_config() -> None:
    """Print the effective settings: secrets and the credentials inside URLs masked, and where
    a value comes from when it is derived from another."""
    for name, value in common.settings().masked().items():
        typer.echo(f"{name}={value}")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database to REVISION (default: the newest)."""
    from tidecast.db.migrate import current, upgrade  # lazy

    svc = common.services()
    upgrade(svc.engine, revision)
    typer.echo(f"database at revision {current(svc.engine)}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ('base' empties it)."""
    from tidecast.db.migrate import current, downgrade  # lazy

    svc = common.services()
    downgrade(svc.engine, revision)
    typer.echo(f"database at revision {current(svc.engine)}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision."""
    from tidecast.db.migrate import current  # lazy

    typer.echo(current(common.services().engine) or "(empty: run `tidecast db upgrade`)")


@db_app.command("prune")
def db_prune(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would be deleted.")] = False,
) -> None:
    """Delete finished records older than TIDECAST_RETENTION_DAYS (sent mail, done deliveries and
    jobs, used or expired links, old nonces); a worker also does this every hour."""
    svc = common.migrated(common.services())
    retention = svc.retention
    counts = retention.plan() if dry_run else retention.prune()
    verb = "would delete" if dry_run else "deleted"
    typer.echo(f"older than {retention.cutoff:%Y-%m-%d %H:%M} UTC ({retention.keep_days:g} days):")
    for table, count in counts.items():
        typer.echo(f"  {table:<34} {verb} {count}")


@db_app.command("reseal-keys")
def db_reseal_keys() -> None:
    """Re-seal the streams' content keys under TIDECAST_MEDIA_KEY_SECRET, opening those still
    sealed under TIDECAST_MEDIA_KEY_PREVIOUS_SECRETS (rotating the secret: docs/video.md). Idempotent."""
    svc = common.migrated(common.services())
    counts = svc.media_keys.reseal()
    typer.echo(
        f"resealed {counts['resealed']}, already under the current secret {counts['current']}, "
        f"opened by no secret given {counts['unopenable']}"
    )
    if counts["unopenable"]:
        raise common.fail(
            "tidecast: some keys open under none of the secrets given: add the secret they were "
            "sealed under to TIDECAST_MEDIA_KEY_PREVIOUS_SECRETS and run this again",
            code=1,
        )


@streams_app.command("list")
def streams_list(limit: Annotated[int, typer.Option(min=1, max=100)] = 20) -> None:
    """The newest streams."""
    try:
        page = common.services().streams.list(limit=limit)
    except DomainError as exc:
        raise common.fail(f"tidecast: {exc.message}") from None
    from tidecast.db.times import iso  # lazy

    for item in page.items:
        typer.echo(f"{item.id}  {item.status:<10}  {iso(item.created_at)}  {item.title}")


@streams_app.command("retry")
def streams_retry(stream_id: str) -> None:
    """Run a failed stream's transcode again; it resumes where it stopped (a finished encode is
    only published) and needs the upload, which a failed stream keeps."""
    svc = common.services()
    try:
        job_id = svc.pipeline.rerun(stream_id, svc.jobs)
    except DomainError as exc:
        raise common.fail(
            f"tidecast: {exc.message}", code=2 if isinstance(exc, InvalidInput) else 1
        ) from None
    typer.echo(f"stream {stream_id} is processing again (job {job_id})")
