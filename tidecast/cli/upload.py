"""`tidecast upload FILE`: a video of any size into a running platform, as a tus client.

tus 1.0 (core and creation) in a few requests: POST declares the length and metadata, then
PATCH sends the file in chunks of at most 4 MiB (what one Lambda payload holds: one PATCH of
the whole file is a 413 past 6 MB), each at the offset the server last acknowledged. A chunk
whose connection drops is resumed from the offset a HEAD reports. It is hand-written rather
than tuspy because tuspy is a test tool here (requirements-dev.lock), not a runtime
dependency, and these ~100 lines of httpx are all `make dev`'s users need.

stdout gets the stream's id alone, so `STREAM=$(tidecast upload clip.mp4 --wait)` works;
progress goes to stderr. `--wait` follows the stream until it is `ready` (exit 0) or
`failed` (exit 1, with the reason).
"""

from __future__ import annotations

import base64
import mimetypes
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from tidecast.cli import common, remote

if TYPE_CHECKING:
    import httpx

TUS = {"Tus-Resumable": "1.0.0"}
CHUNK_BYTES = 4 * 1024 * 1024
RESUME_ATTEMPTS = 5
#: Containers mimetypes may not know on a machine without /etc/mime.types.
VIDEO_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".mkv": "video/x-matroska",
    ".webm": "video/webm",
    ".avi": "video/x-msvideo",
    ".ts": "video/mp2t",
    ".ogv": "video/ogg",
    ".flv": "video/x-flv",
    ".3gp": "video/3gpp",
}


def _metadata(pairs: dict[str, str]) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in pairs.items())


def _filetype(path: Path, given: str | None) -> str:
    filetype = given or VIDEO_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or ""
    if not filetype.startswith("video/"):
        raise common.fail(
            f"tidecast: cannot tell {path.name}'s video type from its name; say it with --type video/…"
        )
    return filetype


def _send(
    http: httpx.Client, location: str, source: BinaryIO, offset: int, size: int, chunk: int
) -> str | None:
    """PATCH from `offset` to the end; the stream id the last chunk answers."""
    import httpx

    attempts = 0
    while True:
        source.seek(offset)
        body = source.read(chunk)
        headers = {**TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}
        try:
            reply = http.patch(location, content=body, headers=headers)
        except httpx.TransportError as exc:
            attempts += 1
            if attempts > RESUME_ATTEMPTS:
                raise common.fail(
                    f"tidecast: the upload stopped at byte {offset} of {size}: {exc}", code=1
                ) from None
            time.sleep(min(2**attempts, 30))
            head = remote.request(http, "HEAD", location, expect=(200,), headers=TUS)
            offset = int(head.headers["Upload-Offset"])  # what the server kept of the lost chunk
            continue
        if reply.status_code != 204:
            raise common.fail(
                f"tidecast: PATCH {location} at byte {offset}: {remote.describe(reply)}", code=1
            )
        attempts = 0
        offset = int(reply.headers["Upload-Offset"])
        typer.echo(f"\rsent {offset * 100 // size}% ({offset} of {size} bytes)", err=True, nl=offset >= size)
        if offset >= size:
            stream_id: str | None = reply.headers.get("Tidecast-Stream-Id")
            return stream_id


def _wait(http: httpx.Client, stream_id: str, poll: float) -> None:
    """Follow the stream until it is ready (return) or failed (exit 1 with its reason)."""
    said = ""
    while True:
        stream = remote.data(remote.request(http, "GET", f"/api/streams/{stream_id}", expect=(200,)))
        status = stream["status"]
        if status == "ready":
            typer.echo(f"stream {stream_id} is ready ({stream.get('duration')} s)", err=True)
            return
        if status == "failed":
            raise common.fail(f"tidecast: stream {stream_id} failed: {stream.get('error')}", code=1)
        eta = stream.get("etaSeconds")
        now = f"stream {stream_id}: {status} {stream.get('progress') or 0}%" + (
            f", about {eta} s left" if eta is not None else ""
        )
        if now != said:
            typer.echo(now, err=True)
            said = now
        time.sleep(poll)


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
    size = file.stat().st_size
    if size == 0:
        raise common.fail(f"tidecast: {file} is empty")
    metadata = {"filename": file.name, "filetype": _filetype(file, type_), "title": title or file.stem}
    with remote.client(url, token) as http:
        created = remote.request(
            http,
            "POST",
            "/api/uploads",
            expect=(201,),
            headers={**TUS, "Upload-Length": str(size), "Upload-Metadata": _metadata(metadata)},
        )
        with file.open("rb") as source:
            stream_id = _send(http, created.headers["Location"], source, 0, size, chunk_mib * 1024 * 1024)
        if not stream_id:
            raise common.fail("tidecast: the upload completed but the server named no stream", code=1)
        typer.echo(stream_id)
        if wait:
            _wait(http, stream_id, poll=1.0)
