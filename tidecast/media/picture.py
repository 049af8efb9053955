"""How much a thumbnail shows: the spread of its luma inside the picture (not the letterbox).

A thumbnail taken at a fixed moment can be a black fade, a title card of one colour or a blank
frame; the pipeline takes several and shows the one with the most detail as the default
(tidecast/media/hls.py). "Detail" is the standard deviation of the luma over the area the video
fills, a number in 0-255: a black or single-colour frame is near 0, a picture of anything is
well above BLANK. Computed in Python over a 320x180 JPEG (about 58k samples, a few tens of
milliseconds): PyAV decodes it, and numpy is not otherwise a dependency.
"""

from __future__ import annotations

import math
from pathlib import Path

#: Below this spread of luma (0-255) a picture is blank: black, or one flat colour.
BLANK = 6.0


def fitted_box(width: int, height: int, canvas: tuple[int, int]) -> tuple[int, int, int, int]:
    """Where a `width`x`height` picture lands, fitted and centred, in `canvas`: x, y, w, h."""
    cw, ch = canvas
    scale = min(cw / max(width, 1), ch / max(height, 1))
    w, h = max(1, min(cw, round(width * scale))), max(1, min(ch, round(height * scale)))
    return (cw - w) // 2, (ch - h) // 2, w, h


def detail(jpeg: Path, box: tuple[int, int, int, int]) -> float:
    """The luma's standard deviation inside `box` (x, y, w, h) of the picture in `jpeg`."""
    import av  # lazy: PyAV (~160 ms) only when thumbnails are made

    with av.open(str(jpeg)) as container:
        frame = next(container.decode(video=0)).reformat(format="gray")
    plane = frame.planes[0]
    data, stride = bytes(plane), plane.line_size
    x, y, w, h = box
    x, y = max(0, x), max(0, y)
    w, h = min(w, frame.width - x), min(h, frame.height - y)
    if w <= 0 or h <= 0:
        return 0.0
    total = squares = 0
    for row in range(y, y + h):
        line = data[row * stride + x : row * stride + x + w]
        total += sum(line)
        squares += sum(v * v for v in line)
    count = w * h
    mean = total / count
    return math.sqrt(max(0.0, squares / count - mean * mean))
