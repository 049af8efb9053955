"""The ffmpeg binary, the one command that encodes a whole ladder, and running it.

One process decodes the source once, normalises it to a constant frame rate, `split`s it and
scales one copy per rung; each copy gets its own libx264 encode with a capped bitrate
(`-b:v`/`-maxrate`/`-bufsize`), a fixed GOP of one segment, keyframes forced at every segment
boundary and scene-cut keyframes off, so every rendition is cut at the same instants and
hls.js can switch between them at any segment. The first segment is shorter (FIRST_SEGMENT, with
`-hls_init_time`): a stream plays while it transcodes (tidecast/media/live.py), and its first
segment is what a viewer waits for after the upload; every later one has the configured length. The
source's audio is encoded once per rung (AAC-LC, stereo) and muxed into that rung's segments:
each variant playlist is then complete on its own, which is what every HLS client plays.

Arguments are a list, never a shell string; file names never reach a position where ffmpeg
would read them as options (they are absolute paths).
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from tidecast.errors import Cancelled, InvalidInput, Unavailable
from tidecast.lib.processes import die_with_parent
from tidecast.media.ladder import Rendition
from tidecast.media.progress import ProgressParser

#: The frame rate streams are encoded at when the source's cannot be read, and the highest kept.
#: Seconds of the first segment when segments are longer: it is what makes a stream playable
#: (bench/live.py: with 10 s segments the first came 18 s after the encode began, 12 s of it
#: encoding that segment at 0.8x realtime on two cores; 2 s cut that to a few seconds).
FIRST_SEGMENT = 2
DEFAULT_FPS = Fraction(30)
MAX_FPS = Fraction(60)
#: A constant-rate output repeats a frame held longer than a frame's time. That is kept (as
#: smooth as before) while it at most doubles the frames the source holds; beyond that the
#: output keeps the source's own frames and timestamps instead (see frames_to_encode).
MAX_DUPLICATION = 2


@dataclass(frozen=True)
class Encoding:
    """x264 speed/quality knobs. `preset` is x264's (medium is its default and the reference's);
    `threads` 0 lets ffmpeg choose."""

    preset: str = "medium"
    threads: int = 0
    #: The peak rate x264 may reach, as a multiple of the rung's bitrate, and the VBV window
    #: (bufsize, 2 s of peak at 6.0 and 3.0). The average stays the rung's bitrate (`-b:v`).
    #: bench/hls.py: a cap at 1x (maxrate = bitrate) cost 720p 5 VMAF points against the
    #: reference's uncapped encode; 3x/6x is within about 1 point at equal bytes, and the
    #: master playlist declares the measured peak whatever it comes to.
    maxrate_factor: float = 3.0
    bufsize_factor: float = 6.0


def ffmpeg_path(settings_value: str | None) -> str:
    """FFMPEG_PATH when set, else the binary in the imageio-ffmpeg wheel."""
    if settings_value:
        return settings_value
    try:
        import imageio_ffmpeg  # lazy: imageio-ffmpeg only when FFMPEG_PATH is unset
    except ImportError as exc:  # pragma: no cover - a broken install
        raise Unavailable("ffmpeg: imageio-ffmpeg is not installed and FFMPEG_PATH is unset") from exc
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:
        raise Unavailable(f"ffmpeg: {exc}") from exc


def output_fps(fps: float | None, base_fps: float | None = None, variable: bool = False) -> Fraction:
    """The constant frame rate a source is encoded at.

    Its average rate snapped to the usual rates (29.97 is 30000/1001); for a variable-rate
    source its base rate (which every timestamp fits, so motion stays as smooth as the fastest
    part), when that is a usual one. At most 60.
    """
    for candidate in ([base_fps] if variable else []) + [fps]:
        if candidate:
            snapped = _snap(candidate)
            if snapped is not None:
                return min(snapped, MAX_FPS)
    if not fps:
        return DEFAULT_FPS
    return min(max(Fraction(round(fps)), Fraction(1)), MAX_FPS)


_USUAL_RATES = tuple(
    Fraction(n, d) for n, d in ((24000, 1001), (24, 1), (25, 1), (30000, 1001), (30, 1), (48, 1), (50, 1),
                                (60000, 1001), (60, 1), (15, 1), (12, 1), (10, 1), (120, 1))
)  # fmt: skip


def _snap(rate: float) -> Fraction | None:
    """The usual rate nearest `rate`, if one is within 0.5 % of it."""
    nearest = min(_USUAL_RATES, key=lambda usual: abs(rate - float(usual)))
    return nearest if abs(rate - float(nearest)) <= 0.005 * float(nearest) else None


def frames_to_encode(duration: float, fps: Fraction, real_frames: int | None) -> tuple[int, bool]:
    """(frames each rung encodes, whether the source's own frames are kept).

    A constant `fps` makes duration x fps frames, however few the source holds: 32 frames
    whose last is stamped at two hours become 216,000. Up to MAX_DUPLICATION x the frames the
    source really holds (`real_frames`, counted by the probe) that is what an ordinary video
    costs anyway, and the output stays constant-rate; beyond, the source's frames are kept
    with their timestamps (at most `fps`, never repeated), so the work is its real frames.
    """
    nominal = max(1, math.ceil(duration * float(fps)))
    if real_frames is None or nominal <= MAX_DUPLICATION * real_frames:
        return nominal, False
    return max(1, real_frames), True


def ladder_command(
    ffmpeg: str,
    source: Path,
    segment_url: str,
    playlist_url: str,
    renditions: Sequence[Rendition],
    *,
    fps: Fraction,
    has_audio: bool,
    segment_length: int,
    encoding: Encoding,
    keep_frames: bool = False,
    max_pixels: int = 0,
) -> list[str]:
    """The argument list that PUTs each rung's segments and playlist to `segment_url` and
    `playlist_url` (`%v` the rung's name, `%d` the segment's number): a SegmentReceiver
    (tidecast/media/receiver.py), which encrypts each segment before it touches the disk.

    `keep_frames` (frames_to_encode): no constant rate; frames closer than about 1/fps to the
    last kept one are dropped, the rest keep their timestamps (`-fps_mode vfr`; ffmpeg refuses
    `-r` with it, hence the `select`). `max_pixels`: the decoder refuses a bigger picture (a
    source whose size changes mid-stream past the probe's check).
    """
    count = len(renditions)
    gop = max(1, round(fps * segment_length))
    labels = [f"[s{i}]" for i in range(count)]
    if keep_frames:
        spacing = 0.9 / float(fps)  # a little under a frame's time: timestamp jitter keeps frames
        first = f"select='isnan(prev_selected_t)+gte(t-prev_selected_t,{spacing:.6f})'"
    else:
        first = f"fps={fps.numerator}/{fps.denominator}"
    graph = [f"[0:v:0]{first},split={count}{''.join(labels)}"]
    for i, r in enumerate(renditions):
        graph.append(f"[s{i}]scale={r.width}:{r.height}:flags=bicubic,setsar=1,format=yuv420p[v{i}]")
    args = [
        ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
        "-progress", "pipe:1", "-nostats",
        *(["-max_pixels", str(max_pixels)] if max_pixels else []),
        "-i", str(source.resolve()),
        "-filter_complex", ";".join(graph),
    ]  # fmt: skip
    for i, r in enumerate(renditions):
        bitrate = r.rung.bitrate
        args += ["-map", f"[v{i}]"]
        args += [
            f"-c:v:{i}", "libx264",
            f"-b:v:{i}", str(bitrate),
            f"-maxrate:v:{i}", str(round(bitrate * encoding.maxrate_factor)),
            f"-bufsize:v:{i}", str(round(bitrate * encoding.bufsize_factor)),
        ]  # fmt: skip
        if has_audio:
            args += ["-map", "0:a:0", f"-c:a:{i}", "aac", f"-b:a:{i}", str(r.rung.audio_bitrate)]
    args += [
        "-preset", encoding.preset,
        "-profile:v", "high",
        "-g", str(gop), "-keyint_min", str(gop),
        "-sc_threshold", "0",
        "-force_key_frames", f"expr:{_keyframe_times(segment_length)}",
        "-threads", str(encoding.threads),
    ]  # fmt: skip
    if keep_frames:
        args += ["-fps_mode", "vfr"]
    if has_audio:
        args += ["-ac", "2"]
    stream_map = " ".join(
        f"v:{i},a:{i},name:{r.name}" if has_audio else f"v:{i},name:{r.name}"
        for i, r in enumerate(renditions)
    )
    args += [
        "-f", "hls",
        "-hls_time", str(segment_length),
        *(["-hls_init_time", str(FIRST_SEGMENT)] if FIRST_SEGMENT < segment_length else []),
        # EVENT: the playlist is PUT after every segment, so a stream plays while it is made
        # (tidecast/media/live.py); the last one ends with #EXT-X-ENDLIST, as a VOD's does.
        "-hls_playlist_type", "event",
        "-hls_flags", "independent_segments",
        "-hls_segment_type", "mpegts",
        *(["-method", "PUT"] if segment_url.startswith("http") else []),  # files: bench, tools
        "-hls_segment_filename", segment_url,
        "-var_stream_map", stream_map,
        playlist_url,
    ]  # fmt: skip
    return args


def _keyframe_times(segment_length: int) -> str:
    """x264's forced keyframes: one at each segment's start (0, FIRST_SEGMENT, then every
    `segment_length` after it), as an ffmpeg expression over `t` and `n_forced` (how many have
    been forced so far)."""
    if FIRST_SEGMENT >= segment_length:
        return f"gte(t,n_forced*{segment_length})"
    return f"gte(t,if(eq(n_forced,0),0,{FIRST_SEGMENT}+(n_forced-1)*{segment_length}))"


def thumbnail_command(
    ffmpeg: str, source: Path, target: Path, at: float, width: int, height: int
) -> list[str]:
    """One JPEG frame at `at` seconds, fitted into `width`x`height` and padded (letterboxed)."""
    fit = (
        f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1"
    )
    return [
        ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
        "-ss", f"{at:.3f}", "-i", str(source.resolve()),
        "-frames:v", "1", "-vf", fit, "-q:v", "3", "-f", "image2", "-c:v", "mjpeg",
        str(target.resolve()),
    ]  # fmt: skip


def run(
    args: Sequence[str],
    *,
    progress: ProgressParser | None = None,
    cancel: threading.Event | None = None,
    timeout: float,
    what: str,
) -> None:
    """Run ffmpeg to the end, feeding its `-progress` lines to `progress`.

    A set `cancel` or the `timeout` kills ffmpeg (its whole process group) at once. Raises
    Cancelled, Unavailable (no binary, killed, timed out) or InvalidInput (ffmpeg refused the
    input; the message carries its last error line).
    """
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(  # noqa: S603 - an argument list, no shell
                list(args),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                start_new_session=True,  # its own group, so a kill takes every thread and child
                preexec_fn=die_with_parent(),
            )
        except OSError as exc:
            raise Unavailable(f"ffmpeg cannot be started ({args[0]!r}): {exc.strerror}") from exc
        stopped = _Watchdog(proc, cancel, timeout)
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if progress is not None:
                    progress.feed(line)
            code = proc.wait()
        finally:
            stopped.finish()
        if stopped.reason == "cancel":
            raise Cancelled(f"{what}: cancelled")
        if stopped.reason == "timeout":
            raise Unavailable(f"{what}: ffmpeg took longer than {timeout:.0f} s and was stopped")
        if code != 0:
            errors.seek(0)
            tail = errors.read()[-4000:].decode("utf-8", "replace").strip().splitlines()
            last = tail[-1] if tail else "no message"
            if code < 0:
                raise Unavailable(f"{what}: ffmpeg was killed by signal {-code} ({last})")
            machine = _machine_fault(tail)
            if machine is not None:
                # The disk or memory failed, not the input: an operational error, retried.
                raise Unavailable(f"{what}: {machine} ({last})", retry_after=60)
            raise InvalidInput(f"{what}: ffmpeg failed: {last}")


#: What ffmpeg prints (strerror) when the machine fails it rather than the input.
_MACHINE_FAULTS = {
    "No space left on device": "disk full",
    "Disk quota exceeded": "disk quota exceeded",
    "Read-only file system": "read-only file system",
    "Input/output error": "disk I/O error",
    "Cannot allocate memory": "out of memory",
}


def _machine_fault(lines: Sequence[str]) -> str | None:
    for line in reversed(lines):
        for text, fault in _MACHINE_FAULTS.items():
            if text in line:
                return fault
    return None


class _Watchdog:
    """Kills ffmpeg when `cancel` is set or `timeout` passes; `finish` kills it if still running
    (an exception in the caller) and stops the watching thread."""

    def __init__(self, proc: subprocess.Popen[str], cancel: threading.Event | None, timeout: float) -> None:
        self.proc = proc
        self.cancel = cancel or threading.Event()
        self.deadline = time.monotonic() + timeout
        self.reason: str | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="ffmpeg-watchdog", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.is_set():
            if self.cancel.is_set():
                self._kill("cancel")
                return
            if time.monotonic() >= self.deadline:
                self._kill("timeout")
                return
            self._done.wait(0.1)

    def _kill(self, reason: str) -> None:
        if self.proc.poll() is None:
            self.reason = reason
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def finish(self) -> None:
        self._done.set()
        if self.proc.poll() is None:
            self._kill(self.reason or "abandoned")
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self._thread.join(timeout=1)
