"""`tidecast ipfs …`: add, cat, list pins and collect garbage on the node at IPFS_API_URL,
through the IPFSService (the Kubo RPC API), so the commands work the same against Kubo,
js-ipfs and the embedded node.

When IPFS_API_URL is a loopback address where nothing answers, the embedded node
(tidecast/ipfs/embedded.py) runs for the command's duration on the same block store
`tidecast dev` uses, so `tidecast ipfs add` works without a daemon and what it adds is there
when the dev server starts.

Exit codes: 0 done; 1 the node refused or could not be reached (or the content is not there);
2 bad input (a malformed CID, a path that does not exist). Messages go to stderr; `cat`
writes only the content to stdout.

Its commands import their domain when they run (`# lazy`), so `tidecast --help`
loads none of it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tidecast.cli import common
from tidecast.errors import DomainError, InvalidInput, NotFound, TooLarge

if TYPE_CHECKING:
    from tidecast.config import Settings
    from tidecast.ipfs.service import IPFSService

ipfs_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Content on the IPFS node at IPFS_API_URL (the embedded node when none answers there).",
)

#: Inputs at least this large get a progress bar (on a terminal, or with --progress).
PROGRESS_BYTES = 8 * 1024 * 1024


@contextlib.contextmanager
def _service(settings: Settings) -> Iterator[IPFSService]:
    """The service on IPFS_API_URL, or on the embedded node started for this command."""
    from tidecast.ipfs.embedded import command_gateway, running_node  # lazy
    from tidecast.ipfs.service import IPFSService  # lazy

    try:
        with running_node(settings) as url:
            service = IPFSService(
                url,
                gateway=command_gateway(settings, url),
                cid_version=settings.tidecast_ipfs_cid_version,
                timeout=settings.tidecast_ipfs_timeout,
            )
            try:
                yield service
            finally:
                service.close()
    except DomainError as exc:
        raise _failed(exc) from None


def _failed(exc: DomainError) -> typer.Exit:
    code = 2 if isinstance(exc, InvalidInput | TooLarge) else 1
    return common.fail(f"tidecast: {exc.message}", code=code)


def _check_cid(cid: str) -> str:
    from tidecast.ipfs.service import check_path  # lazy

    try:
        return check_path(cid, "CID")
    except InvalidInput as exc:
        raise _failed(exc) from None


@ipfs_app.command("add")
def add(
    path: Annotated[Path, typer.Argument(help="A file or a directory (added recursively).")],
    cid_version: Annotated[
        int | None,
        typer.Option("--cid-version", min=0, max=1, help="0 or 1 (default TIDECAST_IPFS_CID_VERSION)."),
    ] = None,
    wrap: Annotated[bool, typer.Option("--wrap", "-w", help="Wrap it in a directory (ipfs add -w).")] = False,
    hidden: Annotated[bool, typer.Option("--hidden", help="Include names starting with '.'.")] = False,
    progress: Annotated[bool, typer.Option("--progress", help="A progress bar even off a terminal.")] = False,
) -> None:
    """Add PATH (pinned); prints `added <cid> <name>` and the gateway URL."""
    from tidecast.lib.multipart import list_path  # lazy

    settings = common.settings()
    if not path.exists() and not path.is_symlink():
        raise common.fail(f"tidecast: no such file or directory: {str(path)!r}", code=2)
    try:
        total = sum(e.size for e in list_path(path, hidden=hidden) if e.kind == "file")
    except (InvalidInput, NotFound) as exc:
        raise common.fail(f"tidecast: {exc.message}", code=2) from None
    with _service(settings) as service, _progress_bar(total, progress) as on_progress:
        try:
            added = service.add_path(
                path, wrap=wrap, cid_version=cid_version, hidden=hidden, on_progress=on_progress
            )
        except DomainError as exc:
            raise _failed(exc) from None
    typer.echo(f"added {added['cid']} {added['name']}".rstrip())
    typer.echo(f"size  {added['size']}", err=True)
    typer.echo(f"url   {added['url']}", err=True)


@contextlib.contextmanager
def _progress_bar(total: int, forced: bool) -> Iterator[Callable[[int], None] | None]:
    """A rich bar by bytes streamed to the node, on stderr, for large inputs."""
    from rich.console import Console  # lazy

    console = Console(stderr=True, force_terminal=forced or None)
    if total < PROGRESS_BYTES or not (forced or console.is_terminal):
        yield None
        return
    from rich.progress import (  # lazy
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("adding"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=not forced) as bar:
        task = bar.add_task("add", total=total)
        yield lambda sent: bar.update(task, completed=sent)


@ipfs_app.command("cat")
def cat(cid: Annotated[str, typer.Argument(help="A CID, or <cid>/<path> inside a directory.")]) -> None:
    """Write the content of CID to stdout, byte for byte."""
    path = _check_cid(cid)
    out = sys.stdout.buffer
    with _service(common.settings()) as service:
        try:
            for chunk in service.cat(path):
                out.write(chunk)
        except DomainError as exc:
            out.flush()
            raise _failed(exc) from None
    out.flush()


@ipfs_app.command("pins")
def pins() -> None:
    """The node's recursive pins, one CID a line."""
    with _service(common.settings()) as service:
        try:
            listed = service.pins()
        except DomainError as exc:
            raise _failed(exc) from None
    for pin in listed:
        typer.echo(pin["cid"])
    typer.echo(f"{len(listed)} pinned", err=True)


@ipfs_app.command("gc")
def gc() -> None:
    """Remove the blocks no pin holds (Kubo's repo/gc); says how many went."""
    with _service(common.settings()) as service:
        try:
            result = service.gc()
        except DomainError as exc:
            raise _failed(exc) from None
    for error in result["errors"]:
        typer.secho(f"gc: {error}", err=True, fg=typer.colors.YELLOW)
    typer.echo(f"removed {result['removed']} blocks")
    if result["errors"]:
        raise typer.Exit(1)
