"""`tidecast transcode FILE [--name NAME]`: make the HLS ladder and thumbnail of a video under
HLS_OUTPUT_DIR, with a progress bar, through the same HLSService the transcode job uses.

Exit codes: 0 done (prints the master playlist's path); 1 ffmpeg could not run or was stopped
(interrupted, killed, too slow); 2 bad input (no such file, not a video, a bad name, a truncated
video). Messages go to stderr.

Its commands import their domain when they run (`# lazy`), so `tidecast --help`
loads none of it.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tidecast.cli import common
from tidecast.errors import Cancelled, DomainError, InvalidInput

if TYPE_CHECKING:
    from tidecast.media.progress import Progress


def transcode(
    file: Annotated[Path, typer.Argument(help="The video to transcode.")],
    name: Annotated[
        str | None,
        typer.Option(
            "--name", help="The stream's directory under HLS_OUTPUT_DIR (default: from FILE's name)."
        ),
    ] = None,
    progress: Annotated[bool, typer.Option("--progress", help="A progress bar even off a terminal.")] = False,
) -> None:
    """Transcode FILE to adaptive HLS (the ladder in one ffmpeg process) and a thumbnail."""
    if not file.is_file():
        raise common.fail(f"tidecast: no such file: {str(file)!r}", code=2)
    settings = common.settings()
    output_name = name if name is not None else _name_from(file)
    try:
        hls = common.services(settings).hls
    except DomainError as exc:
        raise common.fail(f"tidecast: {exc.message}", code=1) from None
    cancel = threading.Event()
    try:
        with _progress_bar(progress) as on_progress:
            try:
                result = hls.create_hls_stream(file, output_name, on_progress=on_progress, cancel=cancel)
            except KeyboardInterrupt:
                cancel.set()
                raise
    except KeyboardInterrupt:
        raise common.fail("tidecast: interrupted; nothing was written", code=1) from None
    except InvalidInput as exc:
        raise common.fail(f"tidecast: {exc.message}", code=2) from None
    except (DomainError, Cancelled) as exc:
        raise common.fail(f"tidecast: {exc}", code=1) from None
    master = hls.stream_dir(output_name) / "master.m3u8"
    for v in result["variants"]:
        typer.echo(
            f"{v['quality']:>6} {v['width']}x{v['height']} {v['bandwidth'] / 1000:.0f} kb/s peak "
            f"{v['averageBandwidth'] / 1000:.0f} kb/s average {v['codecs']}",
            err=True,
        )
    typer.echo(f"duration {result['duration']:.1f} s, url {result['masterPlaylist']}", err=True)
    typer.echo(str(master))


def _name_from(file: Path) -> str:
    """A safe stream name from a file name: `My Clip (1).mov` -> `My-Clip-1`."""
    slug = re.sub(r"[^A-Za-z0-9_]+", "-", file.stem).strip("-")[:128]
    return slug or "video"


@contextlib.contextmanager
def _progress_bar(forced: bool) -> Iterator[Callable[[Progress], None] | None]:
    """A rich bar with percent, speed and ffmpeg's ETA on stderr (on a terminal, or forced)."""
    from rich.console import Console  # lazy

    console = Console(stderr=True, force_terminal=forced or None)
    if not (forced or console.is_terminal):
        yield None
        return
    from rich.progress import BarColumn, TaskProgressColumn, TextColumn  # lazy
    from rich.progress import Progress as Bar  # lazy

    columns = (
        TextColumn("transcoding"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[detail]}"),
    )
    with Bar(*columns, console=console, transient=not forced) as bar:
        task = bar.add_task("transcode", total=100.0, detail="")

        def update(p: Progress) -> None:
            speed = f"{p.speed:.2f}x" if p.speed else ""
            eta = (
                f"ETA {int(p.eta_seconds) // 60}:{int(p.eta_seconds) % 60:02d}"
                if p.eta_seconds is not None
                else ""
            )
            bar.update(task, completed=p.percent, detail=f"{speed} {eta}".strip())

        yield update
