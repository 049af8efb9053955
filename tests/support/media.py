"""Short test videos made by the same ffmpeg tidecast encodes with (lavfi sources), and ways
to look inside what it produced (PyAV, m3u8), as ffprobe would.

Inputs are a few seconds at 320x240 (or 360x640 portrait) so a whole ladder encodes in about a
second on this machine. Each maker writes once into the directory it is given and returns the
path; session fixtures share them.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tidecast.media.ffmpeg import ffmpeg_path

FFMPEG = ffmpeg_path(None)
FAST = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
AUDIO = ["-c:a", "aac", "-b:a", "64k"]


def ffmpeg(*args: str, timeout: float = 60) -> None:
    subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
        check=True,
        timeout=timeout,
        capture_output=True,
    )


def testsrc(
    out: Path, *, size: str = "320x240", seconds: float = 4, rate: int = 25, audio: bool = True
) -> Path:
    """testsrc2 (moving colour bars and a counter) with a 440 Hz sine when `audio`."""
    args = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}", *AUDIO]
    ffmpeg(*args, *FAST, "-shortest", str(out))
    return out


def scene_cuts(out: Path, *, seconds: float = 4, every: float = 0.7) -> Path:
    """Hard cuts every `every` seconds: testsrc2 alternating with its negative turned upside
    down, so every pixel changes at each cut (x264 would put a keyframe there by default)."""
    graph = (
        f"testsrc2=size=320x240:rate=25:duration={seconds},split[a][b];"
        f"[b]negate,hflip,vflip[c];[a][c]overlay=enable='lt(mod(t,{2 * every}),{every})'"
    )
    ffmpeg(
        "-filter_complex", graph,
        "-f", "lavfi", "-i", f"sine=frequency=220:sample_rate=48000:duration={seconds}",
        *FAST, *AUDIO, "-shortest", str(out),
    )  # fmt: skip
    return out


def variable_rate(out: Path, *, seconds: float = 4) -> Path:
    """30 fps for the first half, then every third frame only (10 fps), timestamps kept."""
    graph = f"testsrc2=size=320x240:rate=30:duration={seconds},select='lt(t,{seconds / 2})+not(mod(n,3))'"
    ffmpeg(
        "-filter_complex", graph,
        "-f", "lavfi", "-i", f"sine=sample_rate=48000:duration={seconds}",
        *FAST, *AUDIO, "-fps_mode", "passthrough", "-shortest", str(out),
    )  # fmt: skip
    return out


def rotated(source: Path, out: Path, degrees: int = 90) -> Path:
    """`source` with a display matrix turning it by `degrees` (as phones record portrait)."""
    ffmpeg("-display_rotation", str(degrees), "-i", str(source), "-c", "copy", str(out))
    return out


def anamorphic(out: Path) -> Path:
    """320x240 coded pixels shown as 16:9 (sample aspect ratio 4:3), like DVD widescreen."""
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2",
        "-vf", "setsar=4/3", *FAST, "-an", str(out),
    )  # fmt: skip
    return out


def truncated(out: Path, *, keep: float = 0.4) -> Path:
    """A 4 s Matroska file cut after `keep` of its bytes: its header still says 4 s."""
    whole = out.with_suffix(".whole.mkv")
    testsrc(whole, seconds=4)
    data = whole.read_bytes()
    out.write_bytes(data[: int(len(data) * keep)])
    whole.unlink()
    return out


@dataclass(frozen=True)
class Packet:
    pts: float
    keyframe: bool


def video_packets(segment: Path) -> list[Packet]:
    """The video packets of a segment, in decode order, with their times."""
    import av

    with av.open(str(segment)) as container:
        stream = container.streams.video[0]
        return [
            Packet(float(p.pts * p.time_base), bool(p.is_keyframe))
            for p in container.demux(stream)
            if p.pts is not None
        ]


def stream_size(path: Path) -> tuple[int, int, int, str]:
    """(width, height, SAR as numerator*1000/denominator, codec) of a file's video stream."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        sar = stream.sample_aspect_ratio
        return ctx.width, ctx.height, round(float(sar or 1) * 1000), ctx.name


def has_audio(path: Path) -> bool:
    import av

    with av.open(str(path)) as container:
        return bool(container.streams.audio)


def gray_rows(image: Path) -> list[bytes]:
    """The first picture of `image` as rows of 8-bit luma (no numpy needed)."""
    import av

    with av.open(str(image)) as container:
        frame = next(container.decode(video=0)).reformat(format="gray")
    plane = frame.planes[0]
    data = bytes(plane)
    return [data[y * plane.line_size : y * plane.line_size + frame.width] for y in range(frame.height)]


def decoded_frames(data: bytes) -> int:
    """The video frames PyAV decodes from one MPEG-TS segment's bytes, as a player's demuxer
    would read them; 0 when it finds no video in them at all (ciphertext)."""
    import io

    import av

    try:
        with av.open(io.BytesIO(data), format="mpegts") as container:
            if not container.streams.video:
                return 0
            return sum(1 for _ in container.decode(video=0))
    except av.FFmpegError:
        return 0


def key_tags(playlist: Path | str) -> list[tuple[str, str, str, bytes]]:
    """(segment URI, METHOD, key URI, IV) of each segment of a variant playlist (path or text)."""
    import m3u8

    loaded = m3u8.load(str(playlist)) if isinstance(playlist, Path) else m3u8.loads(playlist)
    out = []
    for seg in loaded.segments:
        key = seg.key
        assert key is not None, f"{seg.uri}: no EXT-X-KEY applies"
        iv = str(key.iv or "")
        assert iv.lower().startswith("0x") and len(iv) == 34, f"{seg.uri}: IV {iv!r}"
        out.append((str(seg.uri), str(key.method), str(key.uri), bytes.fromhex(iv[2:])))
    return out


def looks_like_plain_ts(path: Path) -> bool:
    """MPEG-TS has its sync byte every 188 bytes; ciphertext has it by chance (1 in 2**32 here)."""
    with path.open("rb") as f:
        head = f.read(188 * 4)
    return len(head) == 188 * 4 and all(head[i] == 0x47 for i in range(0, len(head), 188))
