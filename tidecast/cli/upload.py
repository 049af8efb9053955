"""`tidecast upload FILE`: a video of any size into a running platform, through tidecast.client.

The client speaks tus 1.0 (core and creation): POST declares the length and metadata, then
PATCH sends the file in chunks of at most 4 MiB (what one Lambda payload holds: one PATCH of
the whole file is a 413 past 6 MB), each at the offset the server last acknowledged; a chunk
whose connection drops is resumed from the offset a HEAD reports.

stdout gets the stream's id alone, so `STREAM=$(tidecast upload clip.mp4 --wait)` works;
progress goes to stderr. `--wait` follows the stream until it is `ready` (exit 0) or
`failed` (exit 1, with the reason).

Its commands import their domain when they run (`# lazy`), so `tidecast --help`
loads none of it.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tidecast.cli import common, remote

if TYPE_CHECKING:
    from tidecast.client import Stream


def _filetype(path: Path, given: str | None) -> str:
    from tidecast.client import VIDEO_TYPES  # lazy

    filetype = given or VIDEO_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or ""
    if not filetype.startswith("video/"):
        raise common.fail(
            f"tidecast: cannot tell {path.name}'s video type from its name; say it with --type video/…"
        )
    return filetype


def _sent(offset: int, size: int) -> None:
    typer.echo(f"\rsent {offset * 100 // size}% ({offset} of {size} bytes)", err=True, nl=offset >= size)


class _Said:
    """Each state of the stream while it is waited for, said once."""

    def __init__(self) -> None:
        self.last = ""

    def __call__(self, stream: Stream) -> None:
        eta = stream.eta_seconds
        now = f"stream {stream.id}: {stream.status} {stream.progress or 0:g}%" + (
            f", about {eta:.0f} s left" if eta is not None else ""
        )
        if now != self.last and stream.status not in ("ready", "failed"):
            typer.echo(now, err=True)
            self.last = now


def upload(
    file: Annotated[Path, typer.Argument(help="The video.", exists=True, dir_okay=False, readable=True)],
    title: Annotated[str | None, typer.Option(help="The stream's title (default: the file's name).")] = None,
    type_: Annotated[
        str | None, typer.Option("--type", help="Its media type (default: from its name).")
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the stream is ready or failed.")] = False,
    chunk_mib: Annotated[int, typer.Option("--chunk-mib", min=1, max=4, help="MiB a request.")] = 4,
    url: remote.Url = remote.DEFAULT_URL,
    token: remote.Token = "",
) -> None:
    """Upload a video to a running platform (tus, in chunks: any size) as the account whose
    login token is given; print the stream's id."""
    if not token:
        raise common.fail("tidecast: uploading needs a login token: --token or TIDECAST_TOKEN")
    if file.stat().st_size == 0:
        raise common.fail(f"tidecast: {file} is empty")
    filetype = _filetype(file, type_)
    with remote.platform(url, token) as platform:
        stream_id = platform.upload(
            file, title or file.stem, filetype=filetype, chunk=chunk_mib * 1024 * 1024, progress=_sent
        )
        typer.echo(stream_id)
        if wait:
            stream = platform.wait_ready(stream_id, seen=_Said())
            typer.echo(f"stream {stream_id} is ready ({stream.duration} s)", err=True)
