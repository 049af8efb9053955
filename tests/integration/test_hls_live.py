"""HLSService with a LiveSink: a stream that plays while it transcodes, against real ffmpeg.

A recording sink looks at the stream's directory each time it is told of something, as a player
or an object store would at that moment: every playlist then lists only segments that are on
disk whole, whose keys the sink was given first; each version of a playlist is the one before it
with lines appended (RFC 8216 §6.2.1, EVENT); `#EXT-X-ENDLIST` comes only with the last; the
master appears once, after every rendition has a segment, and before the sink hears "playable".
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import m3u8
import pytest

from tests.support import media
from tidecast.errors import InvalidInput
from tidecast.media.encrypt import KeyRing, decrypt
from tidecast.media.ffmpeg import ffmpeg_path
from tidecast.media.hls import HLSService
from tidecast.media.ladder import parse_ladder

LADDER = parse_ladder("180p:250k,120p:150k")
SECONDS = 6


def service(out: Path) -> HLSService:
    return HLSService(out, ffmpeg=ffmpeg_path(None), segment_length=1, ladder=LADDER, preset="ultrafast")


class Recorder:
    """A sink that checks the directory as a viewer would find it at each call."""

    def __init__(self, root: Path, ring: KeyRing | None, seconds: float = SECONDS) -> None:
        self.root = root
        self.seconds = seconds
        self.ring = ring
        self.kept: list[bytes] = []
        self.calls: list[tuple[str, Any]] = []
        self.versions: dict[str, list[str]] = {}
        self.problems: list[str] = []
        self.lock = threading.Lock()

    def keys(self, keys: Sequence[bytes]) -> None:
        with self.lock:
            if list(keys[: len(self.kept)]) != self.kept:
                self.problems.append("a kept key changed")
            self.kept = list(keys)
            self.calls.append(("keys", len(keys)))

    def files(self, paths: Sequence[str]) -> None:
        with self.lock:
            self.calls.append(("files", list(paths)))
            for path in paths:
                if not (self.root / path).is_file():
                    self.problems.append(f"told of {path}, which is not there")
                if path.endswith("playlist.m3u8"):
                    self._check_playlist(path)

    def playable(self, variants: Sequence[dict[str, object]], duration: float) -> None:
        with self.lock:
            master = m3u8.load(str(self.root / "master.m3u8"))
            first = m3u8.load(str(self.root / str(master.playlists[0].uri)))
            if master.version != first.version:
                self.problems.append(f"master version {master.version}, variant {first.version}")
            if not 0 < duration <= self.seconds + 0.5:
                self.problems.append(f"duration {duration}")
            self.calls.append(("playable", [v["quality"] for v in variants]))
            if not (self.root / "master.m3u8").is_file():
                self.problems.append("playable before the master")

    def _check_playlist(self, path: str) -> None:
        text = (self.root / path).read_text()
        before = self.versions.setdefault(path, [])
        if before and not text.startswith(before[-1].removesuffix("#EXT-X-ENDLIST\n")):
            self.problems.append(f"{path} changed instead of growing")
        if before and "#EXT-X-ENDLIST" in before[-1]:
            self.problems.append(f"{path} written again after its end")
        before.append(text)
        if "#EXT-X-PLAYLIST-TYPE:EVENT" not in text:
            self.problems.append(f"{path} is not an EVENT playlist")
        playlist = m3u8.loads(text)
        for segment in playlist.segments:
            if not (self.root / Path(path).parent / segment.uri).is_file():
                self.problems.append(f"{path} lists {segment.uri}, not on disk")
            if self.ring is not None:
                period = int(segment.key.uri.rsplit("/", 1)[1])
                if period >= len(self.kept):
                    self.problems.append(f"{path} names key {period} before it was kept")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.testsrc(tmp_path_factory.mktemp("in") / "in.mp4", seconds=SECONDS)


@pytest.fixture(scope="module")
def grown(
    source: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any], Recorder, KeyRing]:
    out = tmp_path_factory.mktemp("streams")
    ring = KeyRing(2, lambda period: f"/api/keys/s1/{period}")
    recorder = Recorder(out / "s1", ring)
    answer = service(out).create_hls_stream(source, "s1", keys=ring, live=recorder)
    return out / "s1", answer, recorder, ring


def test_the_stream_grows_in_place_and_is_playable_before_it_ends(grown: Any) -> None:
    stream, answer, recorder, ring = grown
    assert recorder.problems == []
    kinds = [kind for kind, _ in recorder.calls]
    assert kinds.count("playable") == 1
    # Playable early: well before the last segment of either rendition was told of.
    playable_at = kinds.index("playable")
    told = [p for kind, paths in recorder.calls[:playable_at] if kind == "files" for p in paths]
    assert "master.m3u8" in told
    assert sum(p.endswith(".ts") for p in told) <= 4, told
    # Every playlist grew, version by version, and only the last one ends.
    for path, versions in recorder.versions.items():
        assert len(versions) >= SECONDS // 2, (path, len(versions))
        assert all("#EXT-X-ENDLIST" not in v for v in versions[:-1]), path
        assert versions[-1].rstrip().endswith("#EXT-X-ENDLIST"), path
        assert (stream / path).read_text() == versions[-1]  # the published one is the last
    # The master that remains is the measured one (AVERAGE-BANDWIDTH from the real bytes).
    master = m3u8.load(str(stream / "master.m3u8"))
    assert {p.uri for p in master.playlists} == {"180p/playlist.m3u8", "120p/playlist.m3u8"}
    assert [v["quality"] for v in answer["variants"]] and answer["keyPeriods"] == len(ring.keys())
    assert recorder.kept == ring.keys()


def test_every_segment_decrypts_with_the_key_it_names(grown: Any) -> None:
    stream, _, _, ring = grown
    for quality in ("180p", "120p"):
        for index, (_, _, uri, iv) in enumerate(media.key_tags(stream / quality / "playlist.m3u8")):
            period = int(uri.rsplit("/", 1)[1])
            plain = decrypt((stream / quality / f"segment{index}.ts").read_bytes(), ring.keys()[period], iv)
            assert plain[:1] == b"G"  # an MPEG-TS sync byte: the right key and IV
    assert not list(stream.rglob(".*")), "no partial or temporary file is left"


def test_a_plain_growing_stream_has_no_key_lines(source: Path, tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "p1", None)
    service(tmp_path).create_hls_stream(source, "p1", live=recorder)
    assert recorder.problems == []
    assert "#EXT-X-KEY" not in (tmp_path / "p1" / "180p" / "playlist.m3u8").read_text()
    assert [kind for kind, _ in recorder.calls].count("playable") == 1


def test_a_failed_growing_stream_withdraws_what_it_published(tmp_path: Path) -> None:
    """A truncated file is encoded as far as it goes (it was playable meanwhile), then refused:
    the directory viewers were served goes with it."""
    cut = media.truncated(tmp_path / "cut.mkv", keep=0.7)
    out = tmp_path / "out"
    recorder = Recorder(out / "t1", KeyRing(1, lambda period: f"/api/keys/t1/{period}"))
    with pytest.raises(InvalidInput, match="truncated"):
        service(out).create_hls_stream(cut, "t1", keys=recorder.ring, live=recorder)
    assert [kind for kind, _ in recorder.calls].count("playable") == 1
    assert recorder.problems == []
    assert not (out / "t1").exists()


def test_with_a_short_first_segment_every_version_declares_the_same_target(tmp_path: Path) -> None:
    """The first segment is shorter than the rest (FIRST_SEGMENT): ffmpeg's first playlist says
    a target of 2 s and later ones 3, but a published EVENT playlist may only grow (RFC 8216
    §6.2.1: EXT-X-TARGETDURATION must not change), so every version says the configured 3."""
    source = media.testsrc(tmp_path / "nine.mp4", seconds=9)
    recorder = Recorder(tmp_path / "out" / "n1", KeyRing(1, lambda period: f"/api/keys/n1/{period}"), 9)
    hls = HLSService(
        tmp_path / "out", ffmpeg=ffmpeg_path(None), segment_length=3, ladder=LADDER, preset="ultrafast"
    )
    hls.create_hls_stream(source, "n1", keys=recorder.ring, live=recorder)
    assert recorder.problems == []
    for path, versions in recorder.versions.items():
        targets = {m3u8.loads(v).target_duration for v in versions}
        assert targets == {3}, (path, targets)
        assert round(m3u8.loads(versions[-1]).segments[0].duration, 1) == 2.0  # the short first one
