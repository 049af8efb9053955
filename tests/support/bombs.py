"""Small files that claim to be a lot of work (the uploads of issue 18), made cheaply.

- `still_bomb`: 32 black 720p frames, the last stamped at `hold` seconds: probed as a `hold` s,
  30 fps video (4.5 KB for two hours);
- `huge_mjpeg`: Motion JPEG whose pictures are `size`x`size` (16000: 256 MP each), written
  without ever holding one in memory: a mid-grey picture's blocks all encode to the same bits,
  so the entropy-coded data is one repeated byte;
- `many_tracks`: a short video with `tracks` tracks in all.
"""

from __future__ import annotations

import struct
from pathlib import Path

from tests.support.media import ffmpeg


def still_bomb(out: Path, *, hold: float = 7200) -> Path:
    """The issue's reproduction: `-fps_mode passthrough` keeps the two-hour timestamp."""
    ffmpeg(
        "-f", "lavfi", "-i", "color=c=black:s=1280x720:r=30", "-frames:v", "32",
        "-vf", f"setpts='if(eq(N,31),{hold}/TB,PTS)'", "-fps_mode", "passthrough",
        "-c:v", "libx264", "-preset", "ultrafast", str(out),
    )  # fmt: skip
    return out


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def grey_jpeg(size: int) -> bytes:
    """A baseline greyscale JPEG of `size`x`size` pixels, all mid-grey.

    Mid-grey is 0 after the level shift, so every 8x8 block is DC difference 0 and no AC
    coefficient. With one-code Huffman tables (DC category 0 and end-of-block, each the 1-bit
    code `0`) a block is two zero bits: the scan is size*size/256 zero bytes."""
    quant = _segment(0xDB, bytes([0]) + bytes([1] * 64))
    frame = _segment(0xC0, struct.pack(">BHHB", 8, size, size, 1) + bytes([1, 0x11, 0]))
    one_code = bytes([1] + [0] * 15) + bytes([0])  # one code of length 1, for symbol 0
    huffman = _segment(0xC4, bytes([0x00]) + one_code + bytes([0x10]) + one_code)  # DC 0, AC 0
    scan = _segment(0xDA, bytes([1, 1, 0x00, 0, 63, 0]))
    blocks = (size // 8) * (size // 8)
    return b"\xff\xd8" + quant + frame + huffman + scan + bytes(blocks // 4) + b"\xff\xd9"


def huge_mjpeg(out: Path, *, size: int = 16000, frames: int = 2) -> Path:
    """`frames` such pictures, one a second, in Matroska (stream copy: nothing is decoded)."""
    pictures = out.with_suffix(".jpg")
    pictures.write_bytes(grey_jpeg(size) * frames)
    ffmpeg("-f", "jpeg_pipe", "-framerate", "1", "-i", str(pictures), "-c", "copy", str(out))
    pictures.unlink()
    return out


def many_tracks(out: Path, *, tracks: int = 999) -> Path:
    """A 1 s video with `tracks - 1` short silent PCM audio tracks beside it."""
    maps = ["-map", "0:v"] + ["-map", "1:a"] * (tracks - 1)
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=1",
        "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "1", *maps,
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "pcm_u8", str(out),
        timeout=120,
    )  # fmt: skip
    return out
