"""A stream that plays while it transcodes: each rendition's playlist grows as segments are made.

ffmpeg writes HLS as an EVENT playlist (`-hls_playlist_type event`) and PUTs it to the segment
receiver after every segment; the receiver tells a `LiveWriter` each time a segment is stored
(encrypted) or a playlist arrives. The writer then publishes, into the stream's directory, the
longest run of the playlist whose segments are all stored, with an `#EXT-X-KEY` line before each
(its key period's URI and the segment's IV), and without `#EXT-X-ENDLIST` until ffmpeg's final
playlist, which has it. RFC 8216 §6.2.1: an EVENT playlist only ever grows, so each version the
writer publishes is the previous one with lines appended. Once every rendition has a first
segment, it writes a master that lists them, with the figures the encoder was asked for (the
peak it may reach, the average it aims at) and the codec read from each first segment: the
measured master (tidecast/media/playlists.py) replaces it when the encode ends.

Order is what keeps a viewer from ever being sent to something that is not there:
1. the keys of every period a new playlist lists are handed to the sink (stored) first;
2. then the segment files, then the playlist that lists them, then (once) the master are
   written, and handed to the sink in that order (an object store copies them in that order);
3. then the sink hears that the stream is playable.
The sink is the caller's (tidecast/media/pipeline.py): it stores keys, mirrors files to the
object store and marks the stream. A sink's failure stops the encode (the receiver keeps it as
the build's error), as a full disk does.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tidecast.media.encrypt import KeyRing, keyed_playlist
from tidecast.media.ladder import Rendition
from tidecast.media.playlists import AAC_LC, master_version
from tidecast.media.receiver import PLAYLIST, newer_playlist, storage_error

_SEGMENT = re.compile(r"segment([0-9]{1,9})\.ts", re.ASCII)
_VERSION = re.compile(r"^#EXT-X-VERSION:([0-9]{1,2})$", re.MULTILINE)
LIVE_MASTER = "master.m3u8"


class LiveSink(Protocol):
    """What the stream's owner does as it grows (tidecast/media/pipeline.py)."""

    def keys(self, keys: Sequence[bytes]) -> None:
        """Keep `keys` (every period so far, in order) before any playlist names them."""

    def files(self, paths: Sequence[str]) -> None:
        """New or rewritten files, relative to the stream's directory, in the order written."""

    def playable(self, variants: Sequence[dict[str, object]], duration: float) -> None:
        """The master is in place: a player can start. `variants` as the HLS service answers
        them (quality, playlist, size, the requested bandwidths, codecs); `duration` the
        source's (what the stream will hold when it is done)."""


@dataclass(frozen=True)
class LiveRendition:
    rendition: Rendition
    #: The bits a second the master declares before anything is measured.
    peak: int
    average: int


class LiveWriter:
    """Publishes the growing playlists of one build into `root` (the stream's directory)."""

    def __init__(
        self,
        root: Path,
        renditions: Sequence[LiveRendition],
        *,
        fps: float,
        duration: float,
        has_audio: bool,
        keys: KeyRing | None,
        sink: LiveSink,
        url_prefix: str,
        codec_of: Callable[[bytes], str],
        target_duration: int | None = None,
    ) -> None:
        self.root = root
        #: What every version says as EXT-X-TARGETDURATION (the configured segment length):
        #: ffmpeg's grows after a short first segment, and an EVENT playlist's must not change.
        self.target_duration = target_duration
        self.renditions = {r.rendition.name: r for r in renditions}
        self.order = [r.rendition.name for r in renditions]
        self.fps = fps
        self.duration = duration
        self.has_audio = has_audio
        self.keys = keys
        self.sink = sink
        self.url_prefix = url_prefix.rstrip("/")
        #: A codec string from the plaintext start of a rendition's first segment.
        self.codec_of = codec_of
        self._ivs: dict[tuple[str, int], bytes] = {}
        self._codecs: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stored: dict[str, set[int]] = {name: set() for name in self.order}
        self._latest: dict[str, str] = {}
        self._listed: dict[str, int] = dict.fromkeys(self.order, 0)
        self._closed: set[str] = set()
        self._master = False
        self._keys_kept = 0

    # -- what the receiver reports -----------------------------------------------------------

    def segment_stored(self, name: str, index: int, iv: bytes | None, prefix: bytes | None) -> None:
        """Segment `index` of `name` is on disk; `iv` it was encrypted with (None: plain);
        `prefix` the plaintext start of a first segment (its codec is read from it)."""
        codec = self.codec_of(prefix) if prefix is not None else None  # outside the lock: PyAV
        with self._lock:
            self._stored[name].add(index)
            if iv is not None:
                self._ivs[(name, index)] = iv
            if codec is not None:
                self._codecs[name] = codec
            self._publish(name)

    def playlist_received(self, name: str, text: str) -> None:
        with self._lock:
            if newer_playlist(self._latest.get(name), text):
                self._latest[name] = text
                self._publish(name)

    def closed(self, name: str) -> bool:
        """Its final playlist (with `#EXT-X-ENDLIST`) is published."""
        with self._lock:
            return name in self._closed

    # -- publishing --------------------------------------------------------------------------

    def _publish(self, name: str) -> None:
        text = self._latest.get(name)
        if text is None or name in self._closed:
            return
        named = (_SEGMENT.fullmatch(line.strip()) for line in text.splitlines())
        segments = [int(found[1]) for found in named if found is not None]
        ready = 0
        while ready < len(segments) and segments[ready] in self._stored[name]:
            ready += 1
        final = "#EXT-X-ENDLIST" in text and ready == len(segments)
        if ready <= self._listed[name] and not final:
            return
        cut = _cut(text, ready, final, self.target_duration)
        if self.keys is not None:
            self._keep_keys(segments[ready - 1] if ready else -1)
            body = keyed_playlist(cut, self.keys, lambda i: self._ivs[(name, i)], what=name) if ready else cut
        else:
            body = cut
        written = [f"{name}/segment{i}.ts" for i in segments[self._listed[name] : ready]]
        _write_atomic(self.root / name / PLAYLIST, body)
        written.append(f"{name}/{PLAYLIST}")
        self._listed[name] = ready
        if final:
            self._closed.add(name)
        master_now = not self._master and all(self._listed[n] > 0 for n in self.order)
        if master_now:
            _write_atomic(self.root / LIVE_MASTER, self._master_text())
            written.append(LIVE_MASTER)
        self.sink.files(written)
        if master_now:
            self._master = True
            self.sink.playable(self._variants(), self.duration)

    def _keep_keys(self, last_segment: int) -> None:
        """Every key up to the last listed segment's period is kept before a playlist names it."""
        assert self.keys is not None
        if last_segment < 0:
            return
        needed = self.keys.period_of(last_segment) + 1
        if needed > self._keys_kept:
            self.sink.keys(self.keys.keys()[:needed])
            self._keys_kept = needed

    def _master_text(self) -> str:
        versions = (int(found[1]) for text in self._latest.values() if (found := _VERSION.search(text)))
        lines = ["#EXTM3U", f"#EXT-X-VERSION:{master_version(versions)}", "#EXT-X-INDEPENDENT-SEGMENTS"]
        for variant in self._variants():
            lines.append(
                f"#EXT-X-STREAM-INF:BANDWIDTH={variant['bandwidth']},"
                f"AVERAGE-BANDWIDTH={variant['averageBandwidth']},"
                f'CODECS="{variant["codecs"]}",RESOLUTION={variant["width"]}x{variant["height"]},'
                f"FRAME-RATE={self.fps:.3f}"
            )
            lines.append(f"{variant['quality']}/{PLAYLIST}")
        return "\n".join(lines) + "\n"

    def _variants(self) -> list[dict[str, object]]:
        found = []
        for name in self.order:
            live = self.renditions[name]
            video = self._codecs[name]
            found.append(
                {
                    "quality": name,
                    "playlist": f"{self.url_prefix}/{name}/{PLAYLIST}",
                    "width": live.rendition.width,
                    "height": live.rendition.height,
                    "bandwidth": live.peak,
                    "averageBandwidth": live.average,
                    "codecs": f"{video},{AAC_LC}" if self.has_audio else video,
                }
            )
        return sorted(found, key=lambda v: int(str(v["bandwidth"])), reverse=True)


def _cut(text: str, segments: int, final: bool, target: int | None = None) -> str:
    """ffmpeg's playlist up to its `segments`-th segment line; `#EXT-X-ENDLIST` only if final;
    `target` as its EXT-X-TARGETDURATION when given (every segment, rounded, is within it)."""
    out: list[str] = []
    seen = 0
    for line in text.splitlines():
        stripped = line.strip()
        if stripped == "#EXT-X-ENDLIST":
            continue
        if target is not None and stripped.startswith("#EXT-X-TARGETDURATION:"):
            line = f"#EXT-X-TARGETDURATION:{target}"
        if stripped.startswith("#EXTINF") and seen >= segments:
            break
        out.append(line)
        if _SEGMENT.fullmatch(stripped):
            seen += 1
    if final:
        out.append("#EXT-X-ENDLIST")
    return "\n".join(out) + "\n"


def _write_atomic(path: Path, text: str) -> None:
    """Written beside and renamed: a web server or a player never reads half a playlist."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.chmod(tmp, 0o644)  # published: any web server's user reads it
        os.replace(tmp, path)
    except OSError as exc:
        raise storage_error(exc, path.parent) from exc
