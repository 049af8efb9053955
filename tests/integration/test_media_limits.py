"""Uploads that would cost the platform hours, against real ffmpeg and PyAV: the media limits
(checked from headers, before any picture is decoded, each named in its refusal), and the
work of a transcode bounded by the frames a file really holds, not by the duration its
container claims (a still held for two hours is 32 frames of work, with a run-time limit and an
ETA to match)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import m3u8
import pytest

from tests.support import bombs, media
from tidecast.config import Settings
from tidecast.container import media_limits
from tidecast.errors import InvalidInput
from tidecast.media.ffmpeg import ffmpeg_path, frames_to_encode
from tidecast.media.hls import HLSService, Progress
from tidecast.media.ladder import parse_ladder, plan
from tidecast.media.probe import MediaLimits, probe

ROOT = Path(__file__).resolve().parents[2]
LIMITS = media_limits(Settings())  # the defaults


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bombs.still_bomb(tmp_path_factory.mktemp("bomb") / "bomb.mkv", hold=7200)


def test_the_defaults_are_a_serious_platforms() -> None:
    assert LIMITS == MediaLimits(max_duration=4 * 3600, max_pixels=4096 * 2160, max_fps=240, max_streams=64)


def test_probe_counts_the_frames_a_file_really_holds(bomb: Path) -> None:
    assert bomb.stat().st_size < 8000
    claimed = probe(bomb, limits=LIMITS)
    assert abs(claimed.duration - 7200) < 1 and claimed.fps == 30 and claimed.frames is None
    counted = probe(bomb, limits=LIMITS, count_frames=True)
    assert counted.frames == 32 and counted.streams == 1


def test_frames_to_encode_never_multiplies_a_held_frame() -> None:
    rate = Fraction(30)
    assert frames_to_encode(10.0, rate, 300) == (300, False)  # an ordinary video: constant rate
    assert frames_to_encode(3.0, rate, 60) == (90, False)  # half the frames held twice: as before
    assert frames_to_encode(7200.033, rate, 32) == (32, True)  # the bomb: its own 32 frames
    assert frames_to_encode(10.0, rate, None) == (300, False)  # not counted: the nominal count


@pytest.mark.timeout(180)
def test_a_still_held_for_two_hours_transcodes_in_seconds(bomb: Path, tmp_path: Path) -> None:
    hls = HLSService(
        tmp_path / "out",
        ffmpeg=ffmpeg_path(None),
        ladder=parse_ladder("720p:2500k:128k,480p:1000k:96k,360p:500k:64k"),  # the default ladder
        preset="ultrafast",
        limits=LIMITS,
    )
    info = probe(bomb, limits=LIMITS, count_frames=True)
    frames, _ = frames_to_encode(info.duration, Fraction(30), info.frames)
    limit = hls._timeout(info, frames, plan(hls.ladder, info.width, info.height))
    assert limit < 400, limit  # was 300 + 20 x 7200 = 144,300 s

    seen: list[Progress] = []
    cancel = threading.Event()
    watchdog = threading.Timer(90, cancel.set)  # bounded: before the fix this ran for hours
    watchdog.start()
    started = time.monotonic()
    try:
        result = hls.create_hls_stream(bomb, "bomb", on_progress=seen.append, cancel=cancel)
    finally:
        watchdog.cancel()
    took = time.monotonic() - started
    etas = [p.eta_seconds for p in seen]
    print(f"\n2 h still (32 frames) transcoded in {took:.1f} s; ETAs reported: {etas}")
    assert took < 30
    assert abs(result["duration"] - 7200) < 1  # still the video its creator made
    stream = tmp_path / "out" / "bomb"
    durations = {
        tuple(round(seg.duration, 3) for seg in m3u8.load(str(stream / v / "playlist.m3u8")).segments)
        for v in ("720p", "480p", "360p")
    }
    assert len(durations) == 1, durations  # the renditions stay aligned
    for variant in ("720p", "480p", "360p"):
        segments = sorted((stream / variant).glob("segment*.ts"))
        packets = [p for s in segments for p in media.video_packets(s)]
        assert len(packets) <= 32, (variant, len(packets))  # not 216,000
        assert packets[0].keyframe
    assert seen and all(p.eta_seconds is None or p.eta_seconds < 60 for p in seen), seen
    assert [p.percent for p in seen] == sorted(p.percent for p in seen) and seen[-1].percent == 100


def peak_memory_of_probe(path: Path, limits: MediaLimits) -> tuple[str, float]:
    """Probe in a fresh interpreter: (its outcome, its peak resident memory in MB)."""
    # VmHWM, not getrusage's ru_maxrss: Linux carries the latter over exec from the forking
    # parent (this test process).
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tidecast.media.probe import MediaLimits, probe\n"
        f"limits = MediaLimits({limits.max_duration}, {limits.max_pixels}, {limits.max_fps}, "
        f"{limits.max_streams})\n"
        "try:\n"
        "    outcome = 'accepted ' + repr(probe(Path(sys.argv[1]), limits=limits))\n"
        "except Exception as exc:\n"
        "    outcome = f'{type(exc).__name__}: {exc}'\n"
        "print(outcome)\n"
        "hwm = next(line for line in open('/proc/self/status') if line.startswith('VmHWM:'))\n"
        "print(int(hwm.split()[1]) / 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=ROOT,
    )
    outcome, peak = done.stdout.strip().rsplit("\n", 1)
    return outcome, float(peak)


def test_a_16000_pixel_square_mjpeg_is_refused_from_its_header_never_decoded(tmp_path: Path) -> None:
    huge = bombs.huge_mjpeg(tmp_path / "huge.mkv", size=16000)
    assert huge.stat().st_size < 3_000_000
    outcome, peak = peak_memory_of_probe(huge, LIMITS)
    print(f"\n16000x16000 MJPEG: {outcome}; peak memory {peak:.0f} MB")
    assert outcome == (
        "InvalidInput: video is 16000x16000 (256.0 MP); the limit is 8.8 MP (TIDECAST_MEDIA_MAX_PIXELS)"
    )
    # One decoded picture is 384 MB (4:2:0) and PyAV reached 282 MB decoding it; headers only:
    assert peak < 100, peak


def test_a_picture_without_an_aspect_ratio_is_probed(tmp_path: Path) -> None:
    small = bombs.huge_mjpeg(tmp_path / "small.mkv", size=64)  # no JFIF header: no SAR
    info = probe(small, limits=LIMITS)
    assert (info.width, info.height, info.video_codec) == (64, 64, "mjpeg")


@pytest.mark.slow  # builds a 999-track file
def test_999_tracks_are_refused_naming_the_limit(tmp_path: Path) -> None:
    tracks = bombs.many_tracks(tmp_path / "tracks.mkv", tracks=999)
    with pytest.raises(InvalidInput) as refused:
        probe(tracks, limits=LIMITS)
    assert refused.value.message == "video has 999 tracks; the limit is 64 (TIDECAST_MEDIA_MAX_STREAMS)"


def test_duration_and_frame_rate_limits_are_named(tmp_path: Path) -> None:
    day = bombs.still_bomb(tmp_path / "day.mkv", hold=86400)
    with pytest.raises(InvalidInput) as refused:
        probe(day, limits=LIMITS)
    assert refused.value.message == (
        "video is 24:00:00 long; the limit is 4:00:00 (TIDECAST_MEDIA_MAX_DURATION_SECONDS)"
    )
    fast = media.testsrc(tmp_path / "fast.mkv", size="64x48", seconds=0.5, rate=300, audio=False)
    with pytest.raises(InvalidInput) as refused:
        probe(fast, limits=LIMITS)
    assert refused.value.message == (
        "video is 300.00 frames a second; the limit is 240 (TIDECAST_MEDIA_MAX_FPS)"
    )
    # Counting frames bounds itself by the limit: more packets than the rate allows over the
    # duration are refused as soon as the count passes it.
    slow_limit = MediaLimits(max_fps=310)
    assert probe(fast, limits=slow_limit, count_frames=True).frames == 150
    assert probe(fast, limits=MediaLimits(), count_frames=True).frames == 150  # 0: no limit
