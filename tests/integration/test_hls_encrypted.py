"""HLSService with a KeyRing: every rendition HLS AES-128 encrypted per key period, against real
ffmpeg (the imageio-ffmpeg wheel); what it writes is read back with m3u8 and PyAV as a player
would, before and after AES-128-CBC decryption with the ring's keys.

One 3 s input, two rungs, 1 s segments, 2 segments a key period: periods 0 (segments 0-1) and
1 (segment 2) in each rendition.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import m3u8
import pytest

from tests.support import media
from tidecast.media.encrypt import KeyRing, decrypt
from tidecast.media.ffmpeg import ffmpeg_path
from tidecast.media.hls import HLSService
from tidecast.media.ladder import parse_ladder

LADDER = parse_ladder("180p:250k,120p:150k")
PERIOD_SEGMENTS = 2


def service(out: Path) -> HLSService:
    return HLSService(out, ffmpeg=ffmpeg_path(None), segment_length=1, ladder=LADDER, preset="ultrafast")


def uri(period: int) -> str:
    return f"/api/keys/s1/{period}"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.testsrc(tmp_path_factory.mktemp("in") / "in.mp4", seconds=3)


@pytest.fixture(scope="module")
def made(source: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], KeyRing]:
    out = tmp_path_factory.mktemp("streams")
    ring = KeyRing(PERIOD_SEGMENTS, uri)
    answer = service(out).create_hls_stream(source, "s1", keys=ring)
    return out / "s1", answer, ring


def test_every_segment_names_its_period_key_with_its_own_iv(made: tuple[Path, dict, KeyRing]) -> None:
    stream, answer, ring = made
    tags = {v["quality"]: media.key_tags(stream / v["quality"] / "playlist.m3u8") for v in answer["variants"]}
    assert set(tags) == {"180p", "120p"}
    counts = {len(t) for t in tags.values()}
    assert counts == {3}, counts  # renditions cut at the same instants
    for quality, segments in tags.items():
        for index, (_, method, key_uri, _) in enumerate(segments):
            assert method == "AES-128" and key_uri == uri(index // PERIOD_SEGMENTS), (quality, index)
    ivs = [iv for segments in tags.values() for *_, iv in segments]
    assert len(set(ivs)) == len(ivs)  # never a repeated (key, IV) pair, across renditions too
    periods = math.ceil(3 / PERIOD_SEGMENTS)
    assert answer["keyPeriods"] == periods == len(ring.keys())
    assert answer["keyPeriodSeconds"] == PERIOD_SEGMENTS * 1.0
    assert len(set(ring.keys())) == periods and all(len(k) == 16 for k in ring.keys())
    text = (stream / "180p" / "playlist.m3u8").read_text()
    assert m3u8.loads(text).version >= 2  # IV needs protocol version 2


def test_segments_do_not_decode_as_published_and_do_with_their_key(made: tuple[Path, dict, KeyRing]) -> None:
    stream, answer, ring = made
    for v in answer["variants"]:
        directory = stream / v["quality"]
        for index, (segment, _, _, iv) in enumerate(media.key_tags(directory / "playlist.m3u8")):
            data = (directory / segment).read_bytes()
            assert len(data) % 16 == 0 and data[:1] != b"\x47"  # no TS sync byte: not plaintext
            assert media.decoded_frames(data) == 0, (v["quality"], segment)
            period = index // PERIOD_SEGMENTS
            plain = decrypt(data, ring.key(period), iv)
            assert plain[:1] == b"\x47" and media.decoded_frames(plain) >= 20, (v["quality"], segment)
            # Another period's key does not open it (bad padding, or garbage that is no video).
            other = ring.key((period + 1) % len(ring.keys()))
            try:
                wrong = decrypt(data, other, iv)
            except ValueError:
                continue
            assert media.decoded_frames(wrong) == 0


def test_bandwidth_is_measured_on_what_clients_download(made: tuple[Path, dict, KeyRing]) -> None:
    stream, answer, _ = made
    for v in answer["variants"]:
        directory = stream / v["quality"]
        playlist = m3u8.load(str(directory / "playlist.m3u8"))
        size = sum((directory / s.uri).stat().st_size for s in playlist.segments)
        seconds = sum(float(s.duration) for s in playlist.segments)
        assert v["averageBandwidth"] == math.ceil(size * 8 / seconds)


def test_nothing_hidden_or_plain_is_left_beside_the_stream(made: tuple[Path, dict, KeyRing]) -> None:
    stream, _, _ = made
    assert [p.name for p in stream.parent.iterdir()] == ["s1"]
    assert not [p for p in stream.rglob(".*")]  # no work files (.segment0.ts.enc, .playlist.m3u8.tmp)
    modes = {p.stat().st_mode & 0o777 for p in stream.rglob("*") if p.is_file()}
    assert modes == {0o644}


def test_a_failed_encryption_publishes_nothing(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "streams"
    hls = service(out)
    hls.create_hls_stream(source, "kept")  # an earlier stream of the name stays as it was
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    ring = KeyRing(PERIOD_SEGMENTS, uri, new_key=lambda: os.urandom(15))
    with pytest.raises(ValueError, match="16 bytes"):
        hls.create_hls_stream(source, "kept", keys=ring)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in out.iterdir()) == ["kept"]  # the build directory is gone


def test_key_ring_rules() -> None:
    with pytest.raises(Exception, match="1 or more"):
        KeyRing(0, uri)
    ring = KeyRing(3, uri)
    assert [ring.period_of(i) for i in range(7)] == [0, 0, 0, 1, 1, 1, 2]
    third = ring.key(2)
    assert len(ring.keys()) == 3 and ring.key(2) == third and ring.keys()[2] == third
