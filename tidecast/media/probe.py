"""What a video is, before anything is encoded: display size, duration, frame rate, audio, and
(for the transcode) how many frames it really holds; and whether it is within the platform's
limits.

PyAV opens the file with the same libraries ffmpeg uses (the imageio-ffmpeg wheel has no ffprobe)
and decodes the first picture, which proves the video stream can be decoded and gives its
rotation (the display matrix phones write). Width and height are the *display* size: the coded
size stretched by the sample aspect ratio, then turned by the rotation, so a phone's portrait
video is portrait here.

Limits (`MediaLimits`, from TIDECAST_MEDIA_MAX_*) are checked from the headers, before the first
picture is decoded: a 16000x16000 MJPEG is refused from the size its header declares, never
decoded (and the decoder is opened with `max_pixels`, so a header that lies fails to decode
rather than allocating). Opening reads headers only: for the formats ffmpeg accepts as video,
avformat_find_stream_info has the size without decoding (bench/probe.py measures it).

A container's duration is a claim: 32 frames with the last one stamped at two hours is "a
7,200 s, 30 fps video" to its header. `count_frames=True` counts the packets the video stream
really holds (demuxing, no decoding: ~0.3-0.6 s for 18,000 packets of a 10-minute 1080p file,
bench/probe.py), so the transcode's work is bounded by real frames, not by the claim.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from tidecast.errors import InvalidInput

#: Demuxers that read single pictures: a file they open is an image, not a video.
_IMAGE_FORMATS = ("image2", "_pipe", "gif", "webp")
#: Shorter than this is not a video anyone can watch (and no HLS segment can hold it).
MIN_DURATION = 0.1
#: Counting packets stops after this long (a huge file on a slow disk): the count is then
#: unknown and the work is bounded by the (limited) duration and rate instead.
COUNT_SECONDS_MAX = 60.0


@dataclass(frozen=True)
class MediaLimits:
    """What the platform accepts (TIDECAST_MEDIA_MAX_*); 0 turns a limit off."""

    max_duration: float = 0.0
    max_pixels: int = 0
    max_fps: float = 0.0
    max_streams: int = 0


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
    #: Video packets the file really holds (probe(count_frames=True)); None: not counted.
    frames: int | None = None
    #: Tracks in the container (video, audio, subtitles, attachments).
    streams: int = 0

    @property
    def portrait(self) -> bool:
        return self.height > self.width


def probe(path: Path, *, limits: MediaLimits | None = None, count_frames: bool = False) -> MediaInfo:
    """Probe `path`; InvalidInput("not a video: …") for anything without a decodable video, and
    InvalidInput naming the limit (and its setting) for a video over `limits`."""
    import av  # lazy: PyAV (~160 ms) only to probe a file

    if not path.is_file():
        raise InvalidInput(f"not a video: {path.name!r} is not a file")
    if path.stat().st_size == 0:
        raise InvalidInput(f"not a video: {path.name!r} is empty")
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise InvalidInput(f"not a video: {path.name!r} is not a media file ffmpeg can read") from exc
    limits = limits or MediaLimits()
    try:
        info = _describe(container, path.name, limits)
    except av.FFmpegError as exc:
        raise InvalidInput(f"not a video: {path.name!r} cannot be decoded ({exc.strerror})") from exc
    finally:
        container.close()
    if not count_frames:
        return info
    try:
        with av.open(str(path), metadata_errors="ignore") as again:  # from the start, no seeking
            frames = _count_packets(again, info.duration, limits)
    except av.FFmpegError as exc:
        raise InvalidInput(f"not a video: {path.name!r} cannot be read to its end ({exc.strerror})") from exc
    return replace(info, frames=frames)


def _describe(container: Any, name: str, limits: MediaLimits) -> MediaInfo:
    import av  # lazy: PyAV (~160 ms) only to probe a file

    streams = len(container.streams)
    if limits.max_streams and streams > limits.max_streams:
        raise InvalidInput(
            f"video has {streams} tracks; the limit is {limits.max_streams} (TIDECAST_MEDIA_MAX_STREAMS)"
        )
    videos = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
    audios = list(container.streams.audio)
    if not videos:
        what = "audio only" if audios else "no video stream"
        raise InvalidInput(f"not a video: {name!r} has {what}")
    video = videos[0]
    fmt = container.format.name
    if any(marker in fmt for marker in _IMAGE_FORMATS):
        raise InvalidInput(f"not a video: {name!r} is a still image ({fmt})")
    duration = _duration(container, video)
    fps = _rate(video.average_rate) or _rate(video.guessed_rate)
    _check_headers(video, duration, fps, limits)
    frame = _first_frame(container, video, name, limits)
    if duration is None or duration < MIN_DURATION:
        raise InvalidInput(f"not a video: {name!r} has no duration (a still image or an empty stream)")
    coded_w, coded_h = frame.width, frame.height
    sar = video.sample_aspect_ratio or video.codec_context.sample_aspect_ratio  # PyAV frames have none
    sar = Fraction(sar) if sar and sar > 0 else Fraction(1)
    width, height = max(1, round(coded_w * sar)), coded_h
    rotation = _rotation(frame)
    if rotation % 180 == 90:
        width, height = height, width
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
        streams=streams,
    )


def _check_headers(video: Any, duration: float | None, fps: float | None, limits: MediaLimits) -> None:
    """The limits the headers answer, before a single picture is decoded."""
    width, height = video.codec_context.width, video.codec_context.height
    if limits.max_pixels and width * height > limits.max_pixels:
        raise InvalidInput(
            f"video is {width}x{height} ({width * height / 1e6:.1f} MP); the limit is "
            f"{limits.max_pixels / 1e6:.1f} MP (TIDECAST_MEDIA_MAX_PIXELS)"
        )
    if limits.max_duration and duration is not None and duration > limits.max_duration:
        raise InvalidInput(
            f"video is {_clock(duration)} long; the limit is {_clock(limits.max_duration)} "
            "(TIDECAST_MEDIA_MAX_DURATION_SECONDS)"
        )
    if limits.max_fps and fps is not None and fps > limits.max_fps * 1.01:
        raise InvalidInput(
            f"video is {fps:.2f} frames a second; the limit is {limits.max_fps:g} (TIDECAST_MEDIA_MAX_FPS)"
        )


def _first_frame(container: Any, video: Any, name: str, limits: MediaLimits) -> Any:
    if limits.max_pixels:
        # A header that understated the size: the decoder refuses the frame instead of
        # allocating it (an FFmpegError: "cannot be decoded").
        video.codec_context.options = {"max_pixels": str(limits.max_pixels)}
    for frame in container.decode(video):
        return frame
    raise InvalidInput(f"not a video: {name!r} has a video stream without a single picture")


def _count_packets(container: Any, duration: float, limits: MediaLimits) -> int | None:
    """The first video stream's packets (a packet is a frame), read without decoding; None when
    counting took longer than COUNT_SECONDS_MAX. More than the frame-rate limit allows over the
    duration is refused as soon as the count passes it, so counting is bounded by the limits."""
    import av  # lazy: PyAV (~160 ms) only to probe a file

    cap = math.ceil(duration * limits.max_fps * 1.01) + 1 if limits.max_fps else None
    video = next(s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic)
    for other in container.streams:
        if other.index != video.index:
            other.discard = av.stream.Discard.all  # the demuxer may skip their data
    deadline = time.monotonic() + COUNT_SECONDS_MAX
    count = 0
    for packet in container.demux(video):
        if packet.size:
            count += 1
            if cap is not None and count > cap:
                raise InvalidInput(
                    f"video holds more than {cap - 1} frames in {duration:.1f} s, over "
                    f"{limits.max_fps:g} frames a second (TIDECAST_MEDIA_MAX_FPS)"
                )
            if count % 4096 == 0 and time.monotonic() > deadline:
                return None
    return count


def _clock(seconds: float) -> str:
    """`7200.0` -> "2:00:00"."""
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


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
