"""Measuring what ffmpeg wrote, and the master playlist that describes it truthfully.

ffmpeg's own master playlist guesses BANDWIDTH from the requested bitrates; HLS clients pick
renditions by it, so a value under the real peak makes them stall. Here each variant's
segments are measured after encoding: BANDWIDTH is the peak segment bit rate as Apple's HLS
authoring specification defines it (the largest rate of any run of contiguous segments lasting
0.5 to 1.5 target durations, which includes every whole segment), AVERAGE-BANDWIDTH the whole
variant's bytes over its duration. CODECS comes from the H.264 sequence parameter set actually
produced (profile, constraints, level), not from what was asked for. The master is written by
hand because m3u8 can read but not compose one from measured figures without the same code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tidecast.errors import InvalidInput

AAC_LC = "mp4a.40.2"


@dataclass(frozen=True)
class Segment:
    uri: str
    duration: float
    size: int


@dataclass(frozen=True)
class Variant:
    """One rendition as written: measured figures and what the master says of it."""

    name: str
    width: int
    height: int
    fps: float
    segments: tuple[Segment, ...]
    codecs: str
    target_duration: float
    #: The playlist's EXT-X-VERSION (ffmpeg's, raised to 2 by key lines with an IV).
    version: int = 3

    @property
    def duration(self) -> float:
        return sum(s.duration for s in self.segments)

    @property
    def average_bandwidth(self) -> int:
        return math.ceil(sum(s.size for s in self.segments) * 8 / max(self.duration, 1e-6))

    @property
    def peak_bandwidth(self) -> int:
        return peak_bit_rate(self.segments, self.target_duration)


def peak_bit_rate(segments: Sequence[Segment], target: float) -> int:
    """Apple's peak segment bit rate: max over contiguous runs lasting 0.5-1.5 x target."""
    best = 0.0
    for start in range(len(segments)):
        bits = 0
        seconds = 0.0
        for seg in segments[start:]:
            bits += seg.size * 8
            seconds += seg.duration
            if seconds > 1.5 * target:
                break
            if seconds >= 0.5 * target:
                best = max(best, bits / seconds)
    if best == 0.0 and segments:  # everything together is shorter than half a target
        total = sum(s.duration for s in segments)
        best = sum(s.size for s in segments) * 8 / max(total, 1e-6)
    return math.ceil(best)


def read_variant(
    directory: Path,
    name: str,
    width: int,
    height: int,
    fps: float,
    has_audio: bool,
    *,
    video_codec: str | None = None,
) -> Variant:
    """Measure `directory/playlist.m3u8` and its segments (as clients download them). The video
    codec is read from the first segment unless given (an encrypted one cannot be read)."""
    import m3u8  # lazy: m3u8 (~50 ms) only to measure a playlist

    playlist = m3u8.load(str(directory / "playlist.m3u8"))
    segments = tuple(
        Segment(seg.uri, float(seg.duration), (directory / seg.uri).stat().st_size)
        for seg in playlist.segments
    )
    if not segments:
        raise InvalidInput(f"rendition {name}: ffmpeg wrote no segments")
    video = video_codec or avc1_codec(directory / segments[0].uri)
    codecs = f"{video},{AAC_LC}" if has_audio else video
    version = int(playlist.version or 1)
    return Variant(name, width, height, fps, segments, codecs, float(playlist.target_duration or 0), version)


def avc1_codec(segment: Path | IO[bytes]) -> str:
    """`avc1.PPCCLL` from the first sequence parameter set in a segment (RFC 6381): a file, or
    the start of one in memory (a truncated last packet is still read)."""
    import av  # lazy: PyAV (~160 ms) only to read a segment

    what = segment.name if isinstance(segment, Path) else "the first segment"
    source = str(segment) if isinstance(segment, Path) else segment
    with av.open(source, "r", format=None if isinstance(segment, Path) else "mpegts") as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            data = bytes(packet)
            sps = _find_sps(data)
            if sps is not None:
                return f"avc1.{sps[0]:02x}{sps[1]:02x}{sps[2]:02x}"
    raise InvalidInput(f"{what}: no H.264 sequence parameter set")


def _find_sps(data: bytes) -> bytes | None:
    """The three bytes after an SPS NAL header (nal_unit_type 7) in an Annex B packet."""
    at = 0
    while True:
        at = data.find(b"\x00\x00\x01", at)
        if at < 0 or at + 6 > len(data):
            return None
        if data[at + 3] & 0x1F == 7:
            return data[at + 4 : at + 7]
        at += 3


def master_playlist(variants: Sequence[Variant]) -> str:
    """The master: the variants, tallest first, each with measured BANDWIDTH and its CODECS, at
    the protocol version its variants declare (a player checks each file's against what it
    supports; the master claiming less than its variants was a contradiction)."""
    versions = [v.version for v in variants]
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{master_version(versions)}", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for v in sorted(variants, key=lambda v: v.peak_bandwidth, reverse=True):
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={v.peak_bandwidth},AVERAGE-BANDWIDTH={v.average_bandwidth},"
            f'CODECS="{v.codecs}",RESOLUTION={v.width}x{v.height},FRAME-RATE={v.fps:.3f}'
        )
        lines.append(f"{v.name}/playlist.m3u8")
    return "\n".join(lines) + "\n"


def master_version(versions: Iterable[int]) -> int:
    """The master's EXT-X-VERSION: its variants' highest, and at least 3 (what it uses itself)."""
    return max([3, *versions])
