"""The rendition ladder: which sizes and bitrates a source is encoded to.

A rung names a box (`720p`: 1280x720, turned to 720x1280 for a portrait source), a video
bitrate and an audio bitrate. A rendition is named by what was made (its short side), not by
the rung: a 640x272 source is `272p`, not `360p`. Each rendition fits inside its box keeping the
source's display aspect ratio, with even dimensions (x264's 4:2:0) and square pixels. Nothing
is upscaled: a rung whose short side is larger than the source's is dropped, and at least one
rendition is kept (the smallest rung, shrunk to the source's own size when the source is
smaller still).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from tidecast.errors import InvalidInput

_RUNG = re.compile(
    r"(?P<height>\d{2,4})p:(?P<video>\d+(?:\.\d+)?)(?P<vu>[kKmM]?)(?::(?P<audio>\d+)(?P<au>[kK]?))?"
)


@dataclass(frozen=True)
class Rung:
    """One step of the ladder; bitrates in bits a second (video, then audio)."""

    name: str
    height: int
    bitrate: int
    audio_bitrate: int


@dataclass(frozen=True)
class Rendition:
    """A rung as applied to one source: the exact size it is encoded at."""

    rung: Rung
    width: int
    height: int

    @property
    def name(self) -> str:
        """What was made, by its short side (`720p` for 1280x720, `272p` for a 640x272 source
        kept at its size, `534p` for 2.39:1 fitted into the 720p box): the quality a player
        lists and the rendition's directory. The rung it came from is `rung.name`."""
        return f"{min(self.width, self.height)}p"


def default_audio_bitrate(height: int) -> int:
    """AAC-LC bitrates that keep stereo clean at each size; audio is a small share of each rung."""
    if height >= 720:
        return 128_000
    if height >= 480:
        return 96_000
    return 64_000


def rung(height: int, bitrate: int, audio_bitrate: int | None = None) -> Rung:
    return Rung(f"{height}p", height, bitrate, audio_bitrate or default_audio_bitrate(height))


#: The reference's qualities (720p/2500k, 480p/1000k, 360p/500k), with audio.
DEFAULT_LADDER: tuple[Rung, ...] = (rung(720, 2_500_000), rung(480, 1_000_000), rung(360, 500_000))


def parse_ladder(text: str) -> tuple[Rung, ...]:
    """`"720p:2500k,480p:1000k:96k,360p:500k"` (video, then optional audio bitrate) -> rungs.

    Rungs are sorted tallest first; names must be distinct. Errors name the item at fault.
    """
    rungs: list[Rung] = []
    for item in (part.strip() for part in text.split(",")):
        found = _RUNG.fullmatch(item)
        if found is None:
            raise InvalidInput(
                f"ladder: {item!r} is not HEIGHTp:BITRATE[:AUDIO] (e.g. 720p:2500k or 480p:1000k:96k)"
            )
        height = int(found["height"])
        video = _bits(found["video"], found["vu"])
        audio = _bits(found["audio"], found["au"]) if found["audio"] else None
        if not 16 <= height <= 4320 or height % 2:
            raise InvalidInput(f"ladder: {item!r}: the height must be even, 16 to 4320")
        if not 50_000 <= video <= 100_000_000:
            raise InvalidInput(f"ladder: {item!r}: the video bitrate must be 50k to 100M")
        if audio is not None and not 16_000 <= audio <= 512_000:
            raise InvalidInput(f"ladder: {item!r}: the audio bitrate must be 16k to 512k")
        rungs.append(rung(height, video, audio))
    if len({r.name for r in rungs}) != len(rungs):
        raise InvalidInput("ladder: two rungs have the same height")
    return tuple(sorted(rungs, key=lambda r: r.height, reverse=True))


def format_ladder(rungs: Sequence[Rung]) -> str:
    return ",".join(f"{r.height}p:{r.bitrate // 1000}k:{r.audio_bitrate // 1000}k" for r in rungs)


def _bits(number: str, unit: str) -> int:
    scale = {"": 1, "k": 1000, "m": 1_000_000}[unit.lower()]
    return round(float(number) * scale)


def box(height: int, portrait: bool) -> tuple[int, int]:
    """The rung's box, 16:9 (854 for 480p, as the reference), turned for portrait sources."""
    long_side = 2 * math.ceil(height * 8 / 9)  # 16:9, up to even: 720p 1280, 480p 854, 240p 428
    return (height, long_side) if portrait else (long_side, height)


def plan(rungs: Sequence[Rung], width: int, height: int) -> list[Rendition]:
    """The renditions of a `width`x`height` (display) source: fitted, even, never upscaled."""
    if not rungs:
        raise InvalidInput("ladder: no rungs")
    portrait = height > width
    short = min(width, height)
    ordered = sorted(rungs, key=lambda r: r.height, reverse=True)
    kept = [r for r in ordered if r.height <= short] or [ordered[-1]]
    renditions: list[Rendition] = []
    for r in kept:
        box_w, box_h = box(r.height, portrait)
        scale = min(box_w / width, box_h / height, 1.0)
        size = (_fit(width * scale, min(box_w, width)), _fit(height * scale, min(box_h, height)))
        if any((x.width, x.height) == size or min(x.width, x.height) == min(size) for x in renditions):
            continue  # two rungs that come out the same size (or label) would waste an encode
        renditions.append(Rendition(r, *size))
    return renditions


def _fit(value: float, limit: int) -> int:
    """The even integer nearest `value` that is not over `limit` (odd limits round down)."""
    even = 2 * round(value / 2)
    return max(2, min(even, limit - limit % 2))
