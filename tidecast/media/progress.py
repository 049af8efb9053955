"""ffmpeg's `-progress` output, turned into percent, ETA and speed.

ffmpeg writes blocks of `key=value` lines, each block ending with `progress=continue` (or
`progress=end`). `out_time_us` is how far into the output it is; `speed` is `1.5x` (or `N/A`
at the start). The percent never goes backwards and reaches 100 only when the caller says the
work is done (after the playlists are written and moved into place), not at `progress=end`.

Given the frames the encode makes (`frames`), progress and ETA count `frame=` against them
instead of time against the duration: a still held for two hours is 32 frames of work, and the
output time's jump to 2:00:00 at its last frame must not read as hours still to go.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """How far a transcode is: percent 0-100, seconds left (None until known), speed (x realtime)."""

    percent: float
    eta_seconds: float | None
    speed: float | None


class ProgressParser:
    """Feed it ffmpeg's progress lines; it calls `on_progress` once per block, monotonic."""

    #: The share of the bar the encode gets; the rest is measuring and moving the output.
    ENCODE_SHARE = 99.0

    def __init__(
        self,
        duration: float,
        on_progress: Callable[[Progress], None] | None,
        clock: Callable[[], float] = time.monotonic,
        *,
        frames: int | None = None,
    ) -> None:
        self.duration = max(duration, 1e-3)
        self.frames = frames if frames and frames > 0 else None
        self.frame = 0
        self.on_progress = on_progress
        self.clock = clock
        self.started = clock()
        self.percent = 0.0
        self.out_time = 0.0
        self.speed: float | None = None
        self.ended = False

    def feed(self, line: str) -> None:
        key, sep, value = line.strip().partition("=")
        if not sep:
            return
        if key == "out_time_us":
            try:
                self.out_time = max(self.out_time, int(value) / 1_000_000)
            except ValueError:
                pass  # "N/A" before the first frame
        elif key == "frame":
            try:
                self.frame = max(self.frame, int(value))
            except ValueError:
                pass
        elif key == "speed":
            try:
                self.speed = float(value.rstrip("x").strip()) or None
            except ValueError:
                self.speed = None
        elif key == "progress":
            self.ended = value == "end"
            self.report(self._done() * self.ENCODE_SHARE)

    def _done(self) -> float:
        if self.frames is not None:
            return min(self.frame / self.frames, 1.0)
        return min(self.out_time / self.duration, 1.0)

    def report(self, percent: float) -> None:
        """Tell the listener, never going backwards."""
        self.percent = max(self.percent, min(percent, 100.0))
        if self.on_progress is not None:
            self.on_progress(Progress(round(self.percent, 2), self.eta(), self.speed))

    def eta(self) -> float | None:
        if self.percent >= 100.0:
            return 0.0
        elapsed = self.clock() - self.started
        if self.frames is not None:
            if self.frame <= 0 or elapsed <= 0:
                return None
            return round(max(self.frames - self.frame, 0) * elapsed / self.frame, 1)
        remaining = max(self.duration - self.out_time, 0.0)
        if self.speed:
            return round(remaining / self.speed, 1)
        if self.out_time > 0 and elapsed > 0:
            return round(remaining * elapsed / self.out_time, 1)
        return None

    def done(self) -> None:
        self.report(100.0)
