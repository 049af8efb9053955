"""The pure parts of the video pipeline: the ladder, frame rates, progress lines, names."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tidecast.errors import InvalidInput
from tidecast.media.ffmpeg import output_fps
from tidecast.media.hls import check_name, parse_time
from tidecast.media.ladder import DEFAULT_LADDER, parse_ladder, plan
from tidecast.media.progress import Progress, ProgressParser


def sizes(width: int, height: int) -> list[tuple[str, int, int]]:
    return [(r.name, r.width, r.height) for r in plan(DEFAULT_LADDER, width, height)]


def test_default_ladder_is_the_references_with_audio() -> None:
    assert [(r.name, r.bitrate, r.audio_bitrate) for r in DEFAULT_LADDER] == [
        ("720p", 2_500_000, 128_000),
        ("480p", 1_000_000, 96_000),
        ("360p", 500_000, 64_000),
    ]
    assert parse_ladder("720p:2500k,480p:1000k,360p:500k") == DEFAULT_LADDER


def test_plan_fits_boxes_keeps_aspect_and_never_upscales() -> None:
    assert sizes(1920, 1080) == [("720p", 1280, 720), ("480p", 854, 480), ("360p", 640, 360)]
    assert sizes(1080, 1920) == [("720p", 720, 1280), ("480p", 480, 854), ("360p", 360, 640)]
    assert sizes(1440, 1080) == [("720p", 960, 720), ("480p", 640, 480), ("360p", 480, 360)]
    assert sizes(640, 480) == [("480p", 640, 480), ("360p", 480, 360)]
    assert sizes(320, 240) == [("240p", 320, 240)]  # smaller than every rung: its own size
    assert sizes(321, 241) == [("240p", 320, 240)]  # odd sizes become even
    # Named by what was made (its short side), not by the rung's box.
    assert sizes(3840, 1600) == [("534p", 1280, 534), ("356p", 854, 356), ("266p", 640, 266)]
    assert sizes(640, 272) == [("272p", 640, 272)]


@given(st.integers(16, 4000), st.integers(16, 4000))
def test_plan_properties(width: int, height: int) -> None:
    planned = plan(DEFAULT_LADDER, width, height)
    assert planned
    for r in planned:
        assert r.width % 2 == 0 and r.height % 2 == 0
        assert r.width <= max(width, 2) and r.height <= max(height, 2)  # never upscaled
        assert (
            abs(r.width / r.height - width / height) <= 2.5 / min(r.width, r.height) * (width / height) + 0.02
        )
    assert len({(r.width, r.height) for r in planned}) == len(planned)
    assert [r.name for r in planned] == [f"{min(r.width, r.height)}p" for r in planned]
    assert len({r.name for r in planned}) == len(planned)  # a label names one rendition


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("720:2500k", "not HEIGHTp:BITRATE"),
        ("720p", "not HEIGHTp:BITRATE"),
        ("721p:2500k", "even"),
        ("720p:10k", "video bitrate"),
        ("720p:2500k:2000k", "audio bitrate"),
        ("720p:1M,720p:2M", "same height"),
        ("720p:2500k;480p:1000k", "not HEIGHTp"),
    ],
)
def test_bad_ladders_are_refused_naming_the_item(text: str, why: str) -> None:
    with pytest.raises(InvalidInput, match=why):
        parse_ladder(text)


def test_output_frame_rate() -> None:
    assert output_fps(25.0) == 25
    assert output_fps(29.97002997) == Fraction(30000, 1001)
    assert output_fps(20.34, 30.0, variable=True) == 30  # a VFR source keeps its fastest rate
    assert output_fps(240.0) == 60 and output_fps(None) == 30


def test_progress_parser_is_monotonic_and_estimates() -> None:
    seen: list[Progress] = []
    clock = iter([0.0, 1.0, 2.0, 3.0, 4.0]).__next__
    parser = ProgressParser(10.0, seen.append, clock=clock)
    for block in (
        ["out_time_us=N/A", "speed=N/A", "progress=continue"],
        ["out_time_us=2000000", "speed=2.0x", "progress=continue"],
        ["out_time_us=1000000", "speed=2.0x", "progress=continue"],  # never backwards
        ["out_time_us=10000000", "speed=2.5x", "progress=end"],
    ):
        for line in block:
            parser.feed(line + "\n")
    parser.done()
    assert [p.percent for p in seen] == [0.0, 19.8, 19.8, 99.0, 100.0]
    assert seen[1].eta_seconds == 4.0 and seen[1].speed == 2.0
    assert seen[-1] == Progress(100.0, 0.0, 2.5)


@pytest.mark.parametrize(
    "name", ["abc", "A_b-9", "x" * 128, "_hidden", "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"]
)
def test_good_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "-x", ".", "..", "../a", "a/b", "a\\b", "a b", "x" * 129, "é", "a\x00"])
def test_bad_names(name: str) -> None:
    with pytest.raises(InvalidInput, match="output_name"):
        check_name(name)


def test_thumbnail_times() -> None:
    assert parse_time("00:00:05") == 5.0 and parse_time("1:02.5") == 62.5 and parse_time(3) == 3.0
    for bad in ("soon", "1:2:3:4", "-5"):
        with pytest.raises(InvalidInput, match="time"):
            parse_time(bad)


def test_a_flat_picture_has_no_detail_and_a_test_pattern_has_much(tmp_path: Path) -> None:
    from tests.support import media
    from tidecast.media.picture import BLANK, detail, fitted_box

    assert fitted_box(320, 240, (320, 180)) == (40, 0, 240, 180)  # pillarboxed 4:3
    assert fitted_box(1920, 800, (320, 180)) == (0, 23, 320, 133)  # letterboxed 2.4:1
    flat, busy = tmp_path / "flat.jpg", tmp_path / "busy.jpg"
    media.ffmpeg("-f", "lavfi", "-i", "color=0x336699:size=320x180", "-frames:v", "1", str(flat))
    media.ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x180", "-frames:v", "1", str(busy))
    whole = (0, 0, 320, 180)
    assert detail(flat, whole) < 1.0 < BLANK < detail(busy, whole)
    assert detail(busy, (400, 0, 10, 10)) == 0.0  # a box outside the picture holds nothing
