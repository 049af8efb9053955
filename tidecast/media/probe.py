"""What a video is, before anything is encoded: display size, duration, frame rate, audio.

PyAV opens the file with the same libraries ffmpeg uses (the imageio-ffmpeg wheel has no ffprobe)
and decodes the first picture, which proves the video stream can be decoded and gives its
rotation (the display matrix phones write). Width and height are the *display* size: the coded
size stretched by the sample aspect ratio, then turned by the rotation, so a phone's portrait
video is portrait here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from tidecast.errors import InvalidInput

#: Demuxers that read single pictures: a file they open is an image, not a video.
_IMAGE_FORMATS = ("image2", "_pipe", "gif", "webp")
#: Shorter than this is not a video anyone can watch (and no HLS segment can hold it).
MIN_DURATION = 0.1


@dataclass(frozen=True)
class MediaInfo:
    """A probed input. `width`/`height` are the display size (after SAR and rotation)."""

    duration: float
    width: int
    height: int
    fps: float | None
    has_audio: bool
    video_codec: str
    audio_codec: str | None = None
    rotation: int = 0
    coded_width: int = 0
    coded_height: int = 0
    #: The frame rate varies (average and base rates differ): ffmpeg is told a constant one.
    variable_frame_rate: bool = False
    #: The lowest rate that represents every timestamp (ffprobe's r_frame_rate).
    base_fps: float | None = None
    format_name: str = ""

    @property
    def portrait(self) -> bool:
        return self.height > self.width


def probe(path: Path) -> MediaInfo:
    """Probe `path`; InvalidInput("not a video: …") for anything without a decodable video."""
    import av

    if not path.is_file():
        raise InvalidInput(f"not a video: {path.name!r} is not a file")
    if path.stat().st_size == 0:
        raise InvalidInput(f"not a video: {path.name!r} is empty")
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise InvalidInput(f"not a video: {path.name!r} is not a media file ffmpeg can read") from exc
    try:
        return _describe(container, path.name)
    except av.FFmpegError as exc:
        raise InvalidInput(f"not a video: {path.name!r} cannot be decoded ({exc.strerror})") from exc
    finally:
        container.close()


def _describe(container: Any, name: str) -> MediaInfo:
    import av

    videos = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
    audios = list(container.streams.audio)
    if not videos:
        what = "audio only" if audios else "no video stream"
        raise InvalidInput(f"not a video: {name!r} has {what}")
    video = videos[0]
    fmt = container.format.name
    if any(marker in fmt for marker in _IMAGE_FORMATS):
        raise InvalidInput(f"not a video: {name!r} is a still image ({fmt})")
    frame = _first_frame(container, video, name)
    duration = _duration(container, video)
    if duration is None or duration < MIN_DURATION:
        raise InvalidInput(f"not a video: {name!r} has no duration (a still image or an empty stream)")
    coded_w, coded_h = frame.width, frame.height
    sar = video.sample_aspect_ratio or frame.sample_aspect_ratio
    sar = Fraction(sar) if sar and sar > 0 else Fraction(1)
    width, height = max(1, round(coded_w * sar)), coded_h
    rotation = _rotation(frame)
    if rotation % 180 == 90:
        width, height = height, width
    fps = _rate(video.average_rate) or _rate(video.guessed_rate)
    base = _rate(video.base_rate)
    vfr = fps is not None and base is not None and abs(base - fps) > 0.01 * fps
    return MediaInfo(
        duration=duration,
        width=width,
        height=height,
        fps=fps,
        has_audio=bool(audios),
        video_codec=video.codec_context.name,
        audio_codec=audios[0].codec_context.name if audios else None,
        rotation=rotation,
        coded_width=coded_w,
        coded_height=coded_h,
        variable_frame_rate=vfr,
        base_fps=base,
        format_name=fmt,
    )


def _first_frame(container: Any, video: Any, name: str) -> Any:
    for frame in container.decode(video):
        return frame
    raise InvalidInput(f"not a video: {name!r} has a video stream without a single picture")


def _duration(container: Any, video: Any) -> float | None:
    if container.duration is not None and container.duration > 0:
        return float(container.duration) / 1_000_000  # AV_TIME_BASE
    if video.duration is not None and video.time_base is not None:
        return float(video.duration * video.time_base)
    return None


def _rotation(frame: Any) -> int:
    """Clockwise degrees the picture is turned for display, normalised to 0, 90, 180 or 270."""
    try:
        degrees = float(frame.rotation)
    except (AttributeError, TypeError, ValueError):
        return 0
    return round(degrees / 90) % 4 * 90


def _rate(rate: Any) -> float | None:
    if not rate:
        return None
    value = float(rate)
    return value if math.isfinite(value) and value > 0 else None
