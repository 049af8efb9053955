"""HLSService: a video file in, an adaptive HLS stream (and its thumbnail) out.

The reference's names and shapes: `create_hls_stream(video_path, output_name)` answers
`{masterPlaylist, variants: [{quality, playlist}]}` with URLs under `/streams/<name>/`, and
`generate_thumbnail` answers the thumbnail's URL. Unlike the reference, the whole ladder is one
ffmpeg process (tidecast/media/ffmpeg.py), the master playlist is measured, not guessed
(tidecast/media/playlists.py), and without `live` a stream appears at `<output_dir>/<name>/`
only complete: it is built in a hidden temporary directory beside it and renamed into place, so
the dev server, the IPFS publisher or a CDN never sees half a stream; a failed or cancelled
encode kills ffmpeg and removes its temporary directory, and whatever was at the destination
before stays untouched. With `live` (the upload pipeline's), it is built in place and plays as
it grows (tidecast/media/live.py); a failure removes all of it.

Encryption (pay-per-second playback) is the caller's choice, a `KeyRing` passed in: the video
pipeline always passes one, so every published stream is HLS AES-128 with a key per key period;
`tidecast transcode` and the HLS playback tests do not. ffmpeg hands every segment to a
loopback receiver (tidecast/media/receiver.py) that encrypts it before it is written, so no
plaintext segment is ever on disk, not even in the hidden build directory of a worker that was
killed. A disk that is full or read-only is an operational error (`Unavailable`, retried),
never the input's fault.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tidecast.errors import Cancelled, InvalidInput, NotFound
from tidecast.media import ffmpeg as ff
from tidecast.media.encrypt import KeyRing
from tidecast.media.ffmpeg import Encoding
from tidecast.media.ladder import DEFAULT_LADDER, Rendition, Rung, plan
from tidecast.media.live import LiveRendition, LiveSink, LiveWriter
from tidecast.media.picture import BLANK, detail, fitted_box
from tidecast.media.playlists import master_playlist, read_variant
from tidecast.media.probe import MediaInfo, MediaLimits, probe
from tidecast.media.progress import Progress, ProgressParser
from tidecast.media.receiver import SegmentReceiver, codec_of, storage_error

__all__ = ["DEFAULT_LADDER", "HLSService", "KeyRing", "Progress", "Rung", "check_name"]

#: A stream's name is one path segment: letters, digits, `_` and `-`, not starting with `-`.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,127}")
#: The slowest encode the run-time limit allows for, in pixels a second (each source frame
#: decoded plus each rung's frame scaled and encoded): 20-30x under what the 720p ladder
#: measured at x264's medium preset on a busy 2-core machine (bench/probe.py: 46-60 MP/s), so
#: only a hung or starved ffmpeg, or a far slower preset, reaches it.
MIN_PIXEL_RATE = 2_000_000.0
THUMBNAIL_SIZE = (320, 180)
THUMBNAIL_FILE = "thumbnail.jpg"
#: Where in the video the other thumbnails a creator may choose from are taken (shares of its
#: duration): a quarter, the middle, three quarters. Three small JPEGs, one input seek each.
THUMBNAIL_CHOICES = (0.25, 0.5, 0.75)
#: The default thumbnail's moment (the middle of a shorter video).
THUMBNAIL_AT = 5.0


def thumbnail_times(duration: float) -> list[float]:
    """The moments of the other thumbnails: THUMBNAIL_CHOICES of the duration, less any next to
    the default's (a short video's default is its middle: no twin pictures). "Next to": within
    half a second, or a tenth of a video shorter than five seconds."""
    default = THUMBNAIL_AT if THUMBNAIL_AT < duration else duration / 2
    near = min(0.5, duration / 10)
    return [duration * share for share in THUMBNAIL_CHOICES if abs(duration * share - default) > near]


MASTER_FILE = "master.m3u8"


def check_name(output_name: str) -> str:
    """A safe directory name (no separators, no `..`, no leading `-`, 1-128 characters)."""
    if not isinstance(output_name, str) or not _NAME.fullmatch(output_name):
        raise InvalidInput(
            "output_name must be 1-128 letters, digits, '_' or '-', not starting with '-' "
            f"(got {str(output_name)[:40]!r})"
        )
    return output_name


def parse_time(value: str | float) -> float:
    """`"00:00:05"`, `"1:02.5"` or `5.5` seconds -> seconds."""
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        try:
            seconds = 0.0
            for part in value.strip().split(":"):
                seconds = seconds * 60 + float(part)
        except ValueError:
            raise InvalidInput(f"time must be HH:MM:SS or seconds (got {value[:20]!r})") from None
        if value.count(":") > 2:
            raise InvalidInput(f"time must be HH:MM:SS or seconds (got {value[:20]!r})")
    if not 0 <= seconds < 10 * 24 * 3600:
        raise InvalidInput("time must be 0 or more seconds")
    return seconds


class HLSService:
    """Transcodes into `output_dir/<name>/` (master.m3u8, `<quality>/playlist.m3u8`, segments,
    thumbnail.jpg); URLs answered are `url_prefix/<name>/...`."""

    def __init__(
        self,
        output_dir: Path,
        *,
        ffmpeg: str,
        segment_length: int = 10,
        ladder: Sequence[Rung] = DEFAULT_LADDER,
        url_prefix: str = "/streams",
        preset: str = "medium",
        threads: int = 0,
        min_timeout: float = 300.0,
        min_pixel_rate: float = MIN_PIXEL_RATE,
        limits: MediaLimits | None = None,
    ) -> None:
        if not ladder:
            raise InvalidInput("ladder: no rungs")
        if not 1 <= segment_length <= 60:
            raise InvalidInput("segment_length must be 1 to 60 seconds")
        self.output_dir = Path(output_dir)
        self.ffmpeg = ffmpeg
        self.segment_length = segment_length
        self.ladder = tuple(ladder)
        self.url_prefix = url_prefix.rstrip("/")
        self.encoding = Encoding(preset=preset, threads=threads)
        #: ffmpeg is stopped after min_timeout + the pixels it has to make at min_pixel_rate
        #: (from the frames the source really holds, not the duration its header claims).
        self.min_timeout = min_timeout
        self.min_pixel_rate = min_pixel_rate
        #: What is refused before any encode (TIDECAST_MEDIA_MAX_*).
        self.limits = limits or MediaLimits()

    # -- public API ------------------------------------------------------------------------

    def create_hls_stream(
        self,
        video_path: Path,
        output_name: str,
        *,
        on_progress: Callable[[Progress], None] | None = None,
        cancel: threading.Event | None = None,
        keys: KeyRing | None = None,
        live: LiveSink | None = None,
    ) -> dict[str, Any]:
        """Encode the ladder and its thumbnail; answers the reference's shape plus measurements.

        With `keys`, every rendition is published HLS AES-128 encrypted, a key per key period
        from the ring (tidecast/media/encrypt.py); the caller stores `keys.keys()` afterwards.
        Segments are encrypted as ffmpeg hands them over, so no plaintext segment is ever
        written. Without, the segments are plain (`tidecast transcode`, and tools).

        With `live`, the stream plays while it is made: it is built in place (not in a hidden
        directory), each rendition's playlist grows as its segments are stored, and `live`
        hears of keys, files and the master as they come (tidecast/media/live.py). A failure
        removes everything it published.

        Raises InvalidInput (not a video, a bad name, a truncated input), Unavailable (ffmpeg
        missing, killed or too slow) or Cancelled. On any failure nothing at the destination
        changes.
        """
        name = check_name(output_name)
        info = probe(Path(video_path), limits=self.limits, count_frames=True)
        renditions = plan(self.ladder, info.width, info.height)
        fps = ff.output_fps(info.fps, info.base_fps, info.variable_frame_rate)
        frames, keep_frames = ff.frames_to_encode(info.duration, fps, info.frames)
        parser = ProgressParser(info.duration, on_progress, frames=frames)
        what = f"transcoding {Path(video_path).name!r}"
        stop = cancel or threading.Event()
        with self._building(name, in_place=live is not None) as work:
            writer = None
            if live is not None:
                writer = LiveWriter(
                    work,
                    [self._nominal(r, info.has_audio) for r in renditions],
                    fps=float(fps),
                    duration=info.duration,
                    has_audio=info.has_audio,
                    keys=keys,
                    sink=live,
                    url_prefix=f"{self.url_prefix}/{name}",
                    codec_of=codec_of,
                    target_duration=self.segment_length,
                )
            receiver = SegmentReceiver(
                work, [r.name for r in renditions], keys=keys, on_error=stop.set, listener=writer
            )
            with receiver:
                args = ff.ladder_command(
                    self.ffmpeg,
                    Path(video_path),
                    receiver.segment_url,
                    receiver.playlist_url,
                    renditions,
                    fps=fps,
                    has_audio=info.has_audio,
                    segment_length=self.segment_length,
                    encoding=self.encoding,
                    keep_frames=keep_frames,
                    max_pixels=self.limits.max_pixels,
                )
                timeout = self._timeout(info, frames, renditions)
                try:
                    ff.run(args, progress=parser, cancel=stop, timeout=timeout, what=what)
                    receiver.settle()
                except Cancelled:
                    if receiver.error is not None:
                        raise receiver.error from None
                    raise
            if receiver.error is not None:
                raise receiver.error
            variants = []
            for r in renditions:
                playlist = work / r.name / "playlist.m3u8"
                if writer is None:  # a growing stream's writer has published the final one
                    _write(playlist, receiver.playlist(r.name))
                elif not writer.closed(r.name):
                    raise InvalidInput(f"rendition {r.name}: ffmpeg's last playlist never arrived whole")
                # Read from the plaintext start the receiver kept: the segments are ciphertext.
                codec = codec_of(receiver.codec_prefix(r.name))
                variants.append(
                    read_variant(
                        work / r.name,
                        r.name,
                        r.width,
                        r.height,
                        float(fps),
                        info.has_audio,
                        video_codec=codec,
                    )
                )
            produced = min(v.duration for v in variants)
            if produced < info.duration * 0.9 - 0.5:
                raise InvalidInput(
                    f"{what}: the video ends after {produced:.1f} s of the {info.duration:.1f} s its "
                    "header declares; the file looks truncated or damaged"
                )
            _write(work / MASTER_FILE, master_playlist(variants))
            self._thumbnail_into(Path(video_path), work / THUMBNAIL_FILE, info.duration, THUMBNAIL_AT, cancel)
            choices = thumbnail_times(info.duration)
            for n, at in enumerate(choices, start=1):
                self._thumbnail_into(Path(video_path), work / f"thumbnail-{n}.jpg", info.duration, at, cancel)
            _best_first(work, len(choices), fitted_box(info.width, info.height, THUMBNAIL_SIZE))
        parser.done()
        base = f"{self.url_prefix}/{name}"
        return {
            "masterPlaylist": f"{base}/{MASTER_FILE}",
            "variants": [
                {
                    "quality": v.name,
                    "playlist": f"{base}/{v.name}/playlist.m3u8",
                    "width": v.width,
                    "height": v.height,
                    "bandwidth": v.peak_bandwidth,
                    "averageBandwidth": v.average_bandwidth,
                    "codecs": v.codecs,
                }
                for v in variants
            ],
            "thumbnail": f"{base}/{THUMBNAIL_FILE}",
            # The creator may pick another (PATCH /api/streams/:id {"thumbnail": ...}).
            "thumbnails": [f"{base}/{THUMBNAIL_FILE}"]
            + [f"{base}/thumbnail-{n}.jpg" for n in range(1, len(choices) + 1)],
            "duration": round(min(v.duration for v in variants), 3),
            "segmentLength": self.segment_length,
            # Seconds of video under one key (nominal: N segments of the configured length).
            "keyPeriodSeconds": None if keys is None else float(keys.period_segments * self.segment_length),
            "keyPeriods": None if keys is None else len(keys.keys()),
        }

    def generate_thumbnail(self, video_path: Path, output_name: str, time: str = "00:00:05") -> str:
        """A 320x180 letterboxed JPEG at `time` (the middle when the video is shorter); its URL.

        Written beside the stream (its directory is made when there is none yet) and replaced
        atomically.
        """
        name = check_name(output_name)
        at = parse_time(time)
        info = probe(Path(video_path), limits=self.limits)
        target_dir = self.output_dir / name
        target_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{THUMBNAIL_FILE}.", suffix=".jpg", dir=target_dir)
        os.close(fd)
        try:
            self._thumbnail_into(Path(video_path), Path(tmp), info.duration, at, None)
            os.chmod(tmp, 0o644)  # mkstemp makes it 0600; the thumbnail is public
            os.replace(tmp, target_dir / THUMBNAIL_FILE)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        return f"{self.url_prefix}/{name}/{THUMBNAIL_FILE}"

    def remove(self, output_name: str) -> None:
        """Delete a stream's files; NotFound when there are none."""
        target = self.output_dir / check_name(output_name)
        if not target.is_dir():
            raise NotFound(f"no stream files for {output_name!r}")
        doomed = target.with_name(f".{target.name}.removing-{os.urandom(4).hex()}")
        os.rename(target, doomed)  # gone from view at once, even if deleting takes a while
        shutil.rmtree(doomed, ignore_errors=True)

    def stream_dir(self, output_name: str) -> Path:
        return self.output_dir / check_name(output_name)

    # -- internals ---------------------------------------------------------------------------

    def _nominal(self, rendition: Rendition, has_audio: bool) -> LiveRendition:
        """What a growing stream's master declares before anything is measured: the peak x264
        may reach (the VBV cap) and the average it aims at, with the audio's bitrate."""
        audio = rendition.rung.audio_bitrate if has_audio else 0
        peak = round(rendition.rung.bitrate * self.encoding.maxrate_factor) + audio
        return LiveRendition(rendition, peak=peak, average=rendition.rung.bitrate + audio)

    def _timeout(self, info: MediaInfo, frames: int, renditions: Sequence[Rendition]) -> float:
        """Seconds the ladder's ffmpeg may run: the pixels it decodes and makes, at the slowest
        rate allowed. `frames` is what each rung encodes (frames_to_encode), so a still held for
        two hours gets minutes, not the 40 hours its declared duration would have given."""
        decoded = (info.frames or frames) * info.coded_width * info.coded_height
        made = frames * sum(r.width * r.height for r in renditions)
        return self.min_timeout + (decoded + made) / self.min_pixel_rate

    def _thumbnail_into(
        self, video: Path, target: Path, duration: float, at: float, cancel: threading.Event | None
    ) -> None:
        if at >= duration:
            at = duration / 2
        args = ff.thumbnail_command(self.ffmpeg, video, target, at, *THUMBNAIL_SIZE)
        ff.run(args, cancel=cancel, timeout=self.min_timeout, what=f"thumbnail of {video.name!r}")
        if not target.is_file() or target.stat().st_size == 0:
            raise InvalidInput(f"thumbnail of {video.name!r}: no picture at {at:.1f} s")

    @contextlib.contextmanager
    def _building(self, name: str, *, in_place: bool = False) -> Any:
        """A temporary directory beside the destination, renamed into place if the block ends
        well and removed if not. An older stream of the same name is replaced. The file
        system's own failures (full, read-only) are operational errors, named with the place.
        `in_place` (a growing stream, served as it is built): the destination itself, emptied
        first and removed if the block fails."""
        if in_place:
            with self._in_place(name) as work:
                yield work
            return
        try:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=self.output_dir))
        except OSError as exc:
            raise storage_error(exc, self.output_dir) from exc
        try:
            yield work
            try:
                _readable_by_all(work)
                target = self.output_dir / name
                old: Path | None = None
                if target.exists():
                    old = target.with_name(f".{name}.old-{os.urandom(4).hex()}")
                    os.rename(target, old)
                os.rename(work, target)
            except OSError as exc:
                raise storage_error(exc, self.output_dir) from exc
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)

    @contextlib.contextmanager
    def _in_place(self, name: str) -> Any:
        target = self.output_dir / name
        try:
            if target.exists():
                self.remove(name)
            target.mkdir(parents=True)
            os.chmod(target, 0o755)  # noqa: S103 - published on purpose, as it grows
        except OSError as exc:
            raise storage_error(exc, self.output_dir) from exc
        ok = False
        try:
            yield target
            ok = True
            try:
                _readable_by_all(target)
            except OSError as exc:
                raise storage_error(exc, self.output_dir) from exc
        finally:
            if not ok:
                shutil.rmtree(target, ignore_errors=True)


def _best_first(work: Path, choices: int, box: tuple[int, int, int, int]) -> None:
    """The default thumbnail is never blank when another is not: if the one at THUMBNAIL_AT is
    (a fade, a title card of one colour), it changes places with the choice that shows the
    most. The creator may still pick any of them."""
    default = work / THUMBNAIL_FILE
    if detail(default, box) >= BLANK:
        return
    others = [work / f"thumbnail-{n}.jpg" for n in range(1, choices + 1)]
    scored = [(detail(path, box), path) for path in others]
    best = max(scored, default=None, key=lambda item: item[0])
    if best is None or best[0] < BLANK:
        return  # all blank: the default stays where it is
    swap = work / ".thumbnail.swap"
    try:
        os.replace(default, swap)
        os.replace(best[1], default)
        os.replace(swap, best[1])
    except OSError as exc:
        raise storage_error(exc, work) from exc


def _write(path: Path, text: str) -> None:
    """A small file of the build, written beside and renamed (a growing stream's directory is
    served as it is built); a full or read-only disk is the operational error it is."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        raise storage_error(exc, path.parent) from exc


def _readable_by_all(root: Path) -> None:
    """A published stream is public: any web server (another user than the worker's) must read
    it, but mkdtemp makes its directory 0700. Directories 0755, files 0644."""
    os.chmod(root, 0o755)  # noqa: S103 - published on purpose
    for path in root.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
