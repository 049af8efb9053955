"""HLSService against real ffmpeg (the imageio-ffmpeg wheel) on short generated inputs; what it
writes is read back with m3u8 and PyAV, as a player or ffprobe would see it.

A small ladder (240p/180p/120p) keeps 320x240 inputs from being cut to one rung, so alignment
across renditions is checked on three. Encodes are shared per input (module fixtures).
"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from typing import Any

import m3u8
import pytest

from tests.support import media
from tidecast.errors import Cancelled, InvalidInput
from tidecast.media.ffmpeg import ffmpeg_path
from tidecast.media.hls import HLSService, Progress
from tidecast.media.ladder import parse_ladder
from tidecast.media.playlists import Segment, peak_bit_rate

SMALL = parse_ladder("240p:400k,180p:250k,120p:150k")
SEG = 1


def service(out: Path, **kw: Any) -> HLSService:
    kw.setdefault("ladder", SMALL)
    kw.setdefault("preset", "veryfast")
    return HLSService(out, ffmpeg=ffmpeg_path(None), segment_length=kw.pop("segment_length", SEG), **kw)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("inputs")
    basic = media.testsrc(d / "basic.mp4", seconds=3)
    return {
        "basic": basic,
        "portrait": media.testsrc(d / "portrait.mp4", size="360x640", seconds=2),
        "silent": media.testsrc(d / "silent.mp4", seconds=2, audio=False),
        "cuts": media.scene_cuts(d / "cuts.mp4", seconds=4),
        "vfr": media.variable_rate(d / "vfr.mp4", seconds=3),
        "rotated": media.rotated(basic, d / "rotated.mp4"),
        "anamorphic": media.anamorphic(d / "anamorphic.mp4"),
    }


@pytest.fixture(scope="module")
def made(inputs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict]]:
    """Each input encoded once: (its stream directory, the service's answer)."""
    out = tmp_path_factory.mktemp("streams")
    hls = service(out)
    return {name: (out / name, hls.create_hls_stream(path, name)) for name, path in inputs.items()}


def variants(stream: Path) -> list[tuple[Any, m3u8.M3U8]]:
    master = m3u8.load(str(stream / "master.m3u8"))
    return [(p, m3u8.load(str(stream / p.uri))) for p in master.playlists]


def test_answer_has_the_reference_shape_and_the_files_are_where_it_says(made: dict) -> None:
    stream, answer = made["basic"]
    assert answer["masterPlaylist"] == "/streams/basic/master.m3u8"
    assert [v["quality"] for v in answer["variants"]] == ["240p", "180p", "120p"]
    for v in answer["variants"]:
        assert v["playlist"] == f"/streams/basic/{v['quality']}/playlist.m3u8"
        assert (stream.parent / v["playlist"].removeprefix("/streams/")).is_file()
    assert answer["thumbnail"] == "/streams/basic/thumbnail.jpg"
    assert abs(answer["duration"] - 3.0) < 0.2 and answer["segmentLength"] == SEG
    assert not [p for p in stream.parent.iterdir() if p.name.startswith(".")]  # no temp dirs left
    # public content: a web server running as another user must read it (mkdtemp made it 0700)
    modes = {p.relative_to(stream).as_posix(): p.stat().st_mode & 0o777 for p in [stream, *stream.rglob("*")]}
    assert {m for p, m in modes.items() if (stream / p).is_dir()} == {0o755}
    assert {m for p, m in modes.items() if (stream / p).is_file()} == {0o644}


def test_master_declares_measured_peak_codecs_and_resolution(made: dict) -> None:
    stream, answer = made["basic"]
    text = (stream / "master.m3u8").read_text()
    assert "#EXT-X-INDEPENDENT-SEGMENTS" in text
    for (entry, playlist), declared in zip(variants(stream), answer["variants"], strict=True):
        info = entry.stream_info
        # EVENT, closed: it grew while it was made (a VOD would have had to be whole first)
        assert playlist.playlist_type == "event" and playlist.is_endlist and playlist.is_independent_segments
        sizes = [(stream / entry.uri).parent / s.uri for s in playlist.segments]
        rates = [p.stat().st_size * 8 / s.duration for p, s in zip(sizes, playlist.segments, strict=True)]
        whole = [r for r, s in zip(rates, playlist.segments, strict=True) if s.duration >= 0.5 * SEG]
        assert info.bandwidth >= max(whole) and info.bandwidth == declared["bandwidth"]
        total = sum(p.stat().st_size for p in sizes) * 8 / sum(s.duration for s in playlist.segments)
        assert abs(info.average_bandwidth - total) <= 1
        width, height, sar, codec = media.stream_size(sizes[0])
        assert (width, height, sar, codec) == (*info.resolution, 1000, "h264")
        assert info.codecs.startswith("avc1.64") and info.codecs.endswith(",mp4a.40.2")
        assert abs(info.frame_rate - 25) < 0.01
    # The master's protocol version is its variants' (it said 3 while they said 6).
    master = m3u8.loads(text)
    assert master.version == max(p.version for _, p in variants(stream)) >= 3


def test_scene_cuts_do_not_break_alignment_across_renditions(made: dict) -> None:
    stream, _ = made["cuts"]
    found = variants(stream)
    assert len(found) == 3
    durations = {tuple(round(s.duration, 3) for s in p.segments) for _, p in found}
    assert len(durations) == 1, durations  # same count, same lengths, in every rendition
    assert len(next(iter(durations))) == 4
    starts: set[tuple[float, ...]] = set()
    for entry, playlist in found:
        first_times = []
        for seg in playlist.segments:
            packets = media.video_packets((stream / entry.uri).parent / seg.uri)
            assert packets[0].keyframe, f"{entry.uri} {seg.uri} does not start with a keyframe"
            assert sum(p.keyframe for p in packets) == 1, "a scene cut made an extra keyframe"
            first_times.append(round(min(p.pts for p in packets), 3))
        starts.add(tuple(first_times))
    assert len(starts) == 1  # every rendition's segments start at the same instants


def test_longer_segments_start_with_a_short_first_one(inputs: dict, tmp_path: Path) -> None:
    """With segments longer than FIRST_SEGMENT, the first is that long (it is what a viewer of a
    stream still transcoding waits for) and the rest have the configured length; every one
    starts with the keyframe forced there, at the same instants in every rendition."""
    from tidecast.media.ffmpeg import FIRST_SEGMENT

    source = media.scene_cuts(tmp_path / "cuts.mp4", seconds=9)
    stream = tmp_path / "out" / "long"
    service(tmp_path / "out", segment_length=3).create_hls_stream(source, "long")
    found = variants(stream)
    durations = {tuple(round(s.duration, 2) for s in p.segments) for _, p in found}
    assert durations == {(FIRST_SEGMENT, 3.0, 3.0, 1.0)}, durations  # 2 + 3 + 3 + the last 1
    for entry, playlist in found:
        assert playlist.target_duration == 3
        starts = []
        for seg in playlist.segments:
            packets = media.video_packets((stream / entry.uri).parent / seg.uri)
            assert packets[0].keyframe and sum(p.keyframe for p in packets) == 1, (entry.uri, seg.uri)
            starts.append(min(p.pts for p in packets))
        at = [round(t - starts[0], 2) for t in starts]  # from the first (MPEG-TS starts at an offset)
        assert at == [0.0, FIRST_SEGMENT, FIRST_SEGMENT + 3.0, FIRST_SEGMENT + 6.0], at


def test_a_blank_default_thumbnail_gives_way_to_one_that_shows_something(tmp_path: Path) -> None:
    """6 s of black, then pictures: the frame at 5 s (the default's moment) is black, so the
    default thumbnail is the choice that shows the most; the black one stays a choice."""
    from tidecast.media.hls import THUMBNAIL_SIZE
    from tidecast.media.picture import BLANK, detail, fitted_box

    source = tmp_path / "fade.mp4"
    media.ffmpeg(
        *["-f", "lavfi", "-i", "color=black:size=320x240:rate=25:duration=6"],
        *["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=6"],
        *["-filter_complex", "[0][1]concat=n=2:v=1:a=0", "-c:v", "libx264", "-preset", "ultrafast"],
        str(source),
    )
    answer = service(tmp_path / "out").create_hls_stream(source, "fade")
    stream = tmp_path / "out" / "fade"
    pictures = [stream / url.rsplit("/", 1)[1] for url in answer["thumbnails"]]
    assert pictures[0].name == "thumbnail.jpg" and len(pictures) == 4
    box = fitted_box(320, 240, THUMBNAIL_SIZE)
    scores = [detail(p, box) for p in pictures]
    assert scores[0] >= BLANK and scores[0] == max(scores), scores
    assert min(scores) < BLANK, scores  # the black frame is still offered


def test_variable_frame_rate_input_becomes_constant_and_aligned(made: dict) -> None:
    stream, _ = made["vfr"]
    found = variants(stream)
    assert len({tuple(round(s.duration, 3) for s in p.segments) for _, p in found}) == 1
    for entry, _ in found:
        assert abs(entry.stream_info.frame_rate - 30) < 0.01
    packets = media.video_packets(stream / "240p" / "segment2.ts")
    times = sorted(p.pts for p in packets)
    gaps = {round(b - a, 3) for a, b in itertools.pairwise(times)}
    assert gaps == {round(1 / 30, 3)}


def test_portrait_is_not_upscaled_and_keeps_its_aspect(made: dict) -> None:
    _, answer = made["portrait"]  # 360x640: every rung fits; boxes are turned for portrait
    sizes = [(v["width"], v["height"]) for v in answer["variants"]]
    assert sizes == [(240, 426), (180, 320), (120, 214)]
    for w, h in sizes:
        assert w % 2 == 0 and h % 2 == 0 and abs(w / h - 360 / 640) < 0.01


def test_rotation_metadata_is_honoured(made: dict) -> None:
    stream, answer = made["rotated"]  # 320x240 coded, turned 90 degrees: a 240x320 picture
    assert [(v["width"], v["height"]) for v in answer["variants"]] == [(240, 320), (180, 240), (120, 160)]
    width, height, _, _ = media.stream_size(stream / "180p" / "segment0.ts")
    assert (width, height) == (180, 240)


def test_anamorphic_source_gets_square_pixels_at_its_display_aspect(made: dict) -> None:
    stream, answer = made["anamorphic"]  # 320x240 coded with SAR 4:3: shown as 427x240
    first = answer["variants"][0]
    assert (first["width"], first["height"]) == (426, 240)
    assert media.stream_size(stream / "240p" / "segment0.ts")[2] == 1000  # SAR 1:1


def test_input_without_audio_makes_video_only_renditions(made: dict) -> None:
    stream, answer = made["silent"]
    for v in answer["variants"]:
        assert v["codecs"].startswith("avc1.") and "mp4a" not in v["codecs"]
    assert not media.has_audio(stream / "240p" / "segment0.ts")
    assert media.has_audio(made["basic"][0] / "240p" / "segment0.ts")


def test_default_ladder_drops_rungs_taller_than_the_source(inputs: dict, tmp_path: Path) -> None:
    answer = service(tmp_path, ladder=parse_ladder("720p:2500k,480p:1000k,360p:500k")).create_hls_stream(
        inputs["silent"], "small"
    )
    # 320x240 is under every rung: one rendition, at the source's own size
    assert [(v["quality"], v["width"], v["height"]) for v in answer["variants"]] == [("240p", 320, 240)]


def test_progress_is_monotonic_and_reaches_100(inputs: dict, tmp_path: Path) -> None:
    seen: list[Progress] = []
    service(tmp_path).create_hls_stream(inputs["basic"], "p", on_progress=seen.append)
    percents = [p.percent for p in seen]
    assert percents == sorted(percents) and percents[-1] == 100.0 and len(percents) >= 2
    assert all(0 <= p <= 100 for p in percents) and seen[-1].eta_seconds == 0.0


def test_cancel_kills_ffmpeg_and_leaves_nothing(inputs: dict, tmp_path: Path) -> None:
    cancel = threading.Event()
    old = tmp_path / "x"
    old.mkdir()
    (old / "master.m3u8").write_text("#EXTM3U\n")  # a stream already there stays as it was

    def stop_at_first(progress: Progress) -> None:
        cancel.set()

    with pytest.raises(Cancelled):
        service(tmp_path, preset="medium").create_hls_stream(
            inputs["cuts"], "x", on_progress=stop_at_first, cancel=cancel
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x"]
    assert [p.name for p in old.iterdir()] == ["master.m3u8"]


def test_truncated_input_fails_and_leaves_nothing(tmp_path: Path) -> None:
    broken = media.truncated(tmp_path / "cut.mkv")
    out = tmp_path / "out"
    with pytest.raises(InvalidInput, match="truncated"):
        service(out).create_hls_stream(broken, "cut")
    assert list(out.iterdir()) == []


def test_a_stream_is_replaced_whole(inputs: dict, tmp_path: Path) -> None:
    hls = service(tmp_path)
    hls.create_hls_stream(inputs["silent"], "again")
    (tmp_path / "again" / "stale.txt").write_text("old")
    hls.create_hls_stream(inputs["silent"], "again")
    assert not (tmp_path / "again" / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again"]
    hls.remove("again")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "name", ["../evil", "a/b", "..", ".", "-rf", "", "a" * 129, "a b", "a\\b", "é", "a\n", "x/../y"]
)
def test_bad_names_are_refused_before_anything_runs(name: str, inputs: dict, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="output_name"):
        service(tmp_path).create_hls_stream(inputs["basic"], name)
    with pytest.raises(InvalidInput, match="output_name"):
        service(tmp_path).generate_thumbnail(inputs["basic"], name)
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


def test_non_videos_are_refused_clearly(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all\n" * 50)
    empty = tmp_path / "empty.mp4"
    empty.touch()
    audio = tmp_path / "tone.m4a"
    media.ffmpeg("-f", "lavfi", "-i", "sine=duration=1", str(audio))
    image = tmp_path / "still.png"
    media.ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1", str(image))
    out = tmp_path / "out"
    hls = service(out)
    for path, why in [
        (text, "not a media file"),
        (empty, "empty"),
        (audio, "audio only"),
        (image, "still image"),
    ]:
        with pytest.raises(InvalidInput, match=rf"not a video: .*{why}"):
            hls.create_hls_stream(path, "n")
    with pytest.raises(InvalidInput, match=r"not a video: .*not a file"):
        hls.create_hls_stream(tmp_path / "missing.mp4", "n")
    assert not out.exists() or list(out.iterdir()) == []


def test_thumbnail_is_320x180_letterboxed_and_from_the_middle_of_short_videos(
    inputs: dict, made: dict, tmp_path: Path
) -> None:
    hls = service(tmp_path)
    url = hls.generate_thumbnail(inputs["portrait"], "thumb")  # 2 s long: taken at 1 s
    assert url == "/streams/thumb/thumbnail.jpg"
    jpeg = tmp_path / "thumb" / "thumbnail.jpg"
    assert media.stream_size(jpeg)[:2] == (320, 180)
    assert jpeg.read_bytes()[:3] == b"\xff\xd8\xff"
    rows = media.gray_rows(jpeg)
    left = [v for row in rows for v in row[:40]]
    right = [v for row in rows for v in row[-40:]]
    middle = [v for row in rows for v in row[140:180]]
    assert max(left) < 30 and max(right) < 30  # black bars beside a portrait picture
    assert sum(middle) / len(middle) > 40
    assert sorted(p.name for p in (tmp_path / "thumb").iterdir()) == ["thumbnail.jpg"]
    assert jpeg.stat().st_mode & 0o777 == 0o644
    stream, _ = made["basic"]
    assert media.stream_size(stream / "thumbnail.jpg")[:2] == (320, 180)


def test_peak_bit_rate_follows_apples_definition() -> None:
    segs = [Segment("a", 1.0, 1000), Segment("b", 1.0, 3000), Segment("c", 0.1, 500)]
    # the 0.1 s tail alone is too short to count; with "b" it is 3500 B over 1.1 s
    assert peak_bit_rate(segs, 1.0) == max(3000 * 8, round(3500 * 8 / 1.1 + 0.5))
    assert peak_bit_rate([Segment("x", 0.2, 100)], 1.0) == 4000
