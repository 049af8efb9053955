"""Where ffmpeg's HLS muxer writes: a loopback HTTP endpoint that encrypts every segment as it
arrives, so a plaintext segment never reaches the disk.

ffmpeg writes HLS to HTTP with `-method PUT` (as to a live origin): one PUT per segment, then the
variant playlist. Each segment body is encrypted as it streams in (AES-128-CBC under its key
period's key and a fresh random IV, tidecast/media/encrypt.py) and only ciphertext is written
into the build directory; the playlist is kept in memory until the encode ends, when the
`#EXT-X-KEY` lines are added with the IVs recorded here. A worker killed mid-encode therefore
leaves ciphertext behind, never plaintext, and a disk that fills or turns read-only is seen here
as the OSError it is (ffmpeg itself ignores a failed PUT and would carry on): the first failure
is kept and `on_error` stops ffmpeg at once.

Why not ffmpeg's own encryption (`-hls_key_info_file` with `periodic_rekey`): the key info file
is shared by every rendition of a `-var_stream_map` ladder and is re-read at each segment start,
so changing it at key-period boundaries races ffmpeg, and without an IV line every rendition uses
the segment number as IV under the same key (a repeated key/IV pair, which the per-segment random
IVs exist to avoid).

Why hand-written on the standard library's server: the receiver needs PUT with chunked request
bodies (ffmpeg sends `Transfer-Encoding: chunked`), which `http.server` does not decode; the
decoder is a few lines, where a server library would add a dependency and an event loop to a
worker thread. The server binds 127.0.0.1 on a free port and every path carries a random token,
so no other local process can add a segment to a build.
"""

from __future__ import annotations

import errno
import hmac
import http.server
import io
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from tidecast.errors import InvalidInput, Unavailable
from tidecast.media.encrypt import IV_BYTES, Encryptor, KeyRing, keyed_playlist
from tidecast.media.playlists import avc1_codec

_SEGMENT = re.compile(r"segment([0-9]{1,9})\.ts", re.ASCII)
PLAYLIST = "playlist.m3u8"
#: Bytes of a rendition's first segment kept in memory to read its codec from (an SPS comes
#: first, in the first video packet; a truncated packet at the end of this is still demuxed).
CODEC_PREFIX = 2 << 20
#: No playlist is this large (a day of 1 s segments is about 3 MB).
PLAYLIST_MAX = 16 << 20
CHUNK = 1 << 20

#: errno values that say the machine's storage failed, not the input.
STORAGE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EIO, errno.EFBIG}


def storage_error(exc: OSError, where: Path) -> Unavailable:
    """An OSError while writing under `where`, as the operational failure it is (retried)."""
    what = {
        errno.ENOSPC: "disk full",
        errno.EDQUOT: "disk quota exceeded",
        errno.EROFS: "read-only file system",
        errno.EIO: "disk I/O error",
        errno.EFBIG: "file too large for the file system",
    }.get(exc.errno or 0, "cannot write")
    return Unavailable(f"{what} at {where} ({exc.strerror or exc})", retry_after=60)


class Listener(Protocol):
    """Told of each segment stored and each playlist received (tidecast/media/live.py)."""

    def segment_stored(self, name: str, index: int, iv: bytes | None, prefix: bytes | None) -> None: ...

    def playlist_received(self, name: str, text: str) -> None: ...


class SegmentReceiver:
    """Receives one ladder's segments and playlists for the build directory `work`.

    Use as a context manager; `segment_url` and `playlist_url` go to ffmpeg (`%v` is the
    rendition's name). Afterwards: `error` (the first failure, or None), `playlist(name)` (the
    variant playlist with its key lines, when `keys` encrypts), `codec_prefix(name)` (the start
    of the rendition's first segment, in plaintext, to read its codec from).
    """

    def __init__(
        self,
        work: Path,
        renditions: Sequence[str],
        *,
        keys: KeyRing | None,
        on_error: Callable[[], None],
        listener: Listener | None = None,
    ) -> None:
        self.work = work
        #: A growing stream's writer (watch while it transcodes), told after each file lands.
        self.listener = listener
        self.renditions = set(renditions)
        self.keys = keys
        self.on_error = on_error
        self.error: Exception | None = None
        self._token = secrets.token_hex(16)
        self._lock = threading.Condition()
        self._stored: set[tuple[str, int]] = set()
        self._ivs: dict[tuple[str, int], bytes] = {}
        self._prefix: dict[str, bytes] = {}
        self._playlists: dict[str, str] = {}
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> SegmentReceiver:
        for name in self.renditions:
            (self.work / name).mkdir(exist_ok=True)
        receiver = self

        class Handler(_Handler):
            owner = receiver

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="segment-receiver",
            daemon=True,
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def base(self) -> str:
        assert self._server is not None, "use the receiver as a context manager"
        return f"http://127.0.0.1:{self._server.server_address[1]}/{self._token}"

    @property
    def segment_url(self) -> str:
        return f"{self.base}/%v/segment%d.ts"

    @property
    def playlist_url(self) -> str:
        return f"{self.base}/%v/{PLAYLIST}"

    # -- results -------------------------------------------------------------------------------

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every rendition's last playlist (it has `#EXT-X-ENDLIST`; ffmpeg PUTs one
        after each segment), and every segment it lists, has been stored.

        ffmpeg does not wait for the answer to its last PUTs before it exits, so they can still
        be in the listen queue or half read when it is gone; returning at once would lose them.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while self.error is None and not self._complete():
                left = deadline - time.monotonic()
                if left <= 0:
                    missing = sorted(self.renditions - set(self._playlists))
                    raise InvalidInput(
                        "ffmpeg's output did not all arrive"
                        + (f" (no playlist for {', '.join(missing)})" if missing else "")
                    )
                self._lock.wait(min(left, 0.2))

    def _complete(self) -> bool:
        for name in self.renditions:
            text = self._playlists.get(name)
            if text is None or "#EXT-X-ENDLIST" not in text:  # the last version, not one before
                return False
            for line in text.splitlines():
                found = _SEGMENT.fullmatch(line.strip())
                if found is not None and (name, int(found.group(1))) not in self._stored:
                    return False
        return True

    def codec_prefix(self, name: str) -> bytes:
        prefix = self._prefix.get(name)
        if prefix is None:
            raise InvalidInput(f"rendition {name}: ffmpeg wrote no segments")
        return prefix

    def playlist(self, name: str) -> str:
        """The variant playlist as ffmpeg wrote it, with an `#EXT-X-KEY` line (its period's URI
        and its segment's IV) before each segment when encrypting."""
        text = self._playlists.get(name)
        if text is None:
            raise InvalidInput(f"rendition {name}: ffmpeg wrote no playlist")
        if self.keys is None:
            return text

        return keyed_playlist(text, self.keys, lambda index: self._iv(name, index), what=name)

    def _iv(self, name: str, index: int) -> bytes:
        iv = self._ivs.get((name, index))
        if iv is None:
            raise InvalidInput(f"rendition {name}: the playlist lists segment {index}, which never arrived")
        return iv

    # -- receiving ------------------------------------------------------------------------------

    def receive(self, path: str, body: io.BufferedIOBase, headers: Any) -> None:
        """One PUT: a segment (encrypted into the build) or a playlist (kept)."""
        parts = path.split("/")
        if len(parts) != 4 or parts[0] != "" or not hmac.compare_digest(parts[1], self._token):
            raise PermissionError("not this build's receiver")
        name, file = parts[2], parts[3]
        if name not in self.renditions:
            raise InvalidInput(f"unknown rendition {name[:40]!r}")
        chunks = _body(body, headers)
        if file == PLAYLIST:
            data = b"".join(_capped(chunks, PLAYLIST_MAX))
            text = data.decode("utf-8")
            with self._lock:
                if not newer_playlist(self._playlists.get(name), text):
                    return  # an earlier version's PUT, handled after a later one's
            # The listener first: `settle` returning then means it has seen everything too.
            if self.listener is not None:
                self.listener.playlist_received(name, text)
            with self._lock:
                if newer_playlist(self._playlists.get(name), text):
                    self._playlists[name] = text
                self._lock.notify_all()
            return
        found = _SEGMENT.fullmatch(file)
        if found is None:
            raise InvalidInput(f"unexpected file {file[:40]!r}")
        self._segment(name, int(found.group(1)), self.work / name / file, chunks)

    def _segment(self, name: str, index: int, target: Path, chunks: Iterator[bytes]) -> None:
        encryptor = None
        if self.keys is not None:
            with self._lock:  # keys are made in period order, once, shared by every rendition
                key = self.keys.key(self.keys.period_of(index))
            iv = os.urandom(IV_BYTES)
            encryptor = Encryptor(key, iv)
        prefix = bytearray() if index == 0 else None
        # Written beside and renamed: a growing stream's directory is served while it is built,
        # and a segment is only ever listed whole (a plain build is not served: no harm).
        partial = target.with_name(f".{target.name}.part")
        try:
            with partial.open("wb") as out:
                for chunk in chunks:
                    if prefix is not None and len(prefix) < CODEC_PREFIX:
                        prefix += chunk[: CODEC_PREFIX - len(prefix)]
                    out.write(encryptor.update(chunk) if encryptor is not None else chunk)
                if encryptor is not None:
                    out.write(encryptor.finalize())
            os.chmod(partial, 0o644)  # published as it is: any web server's user reads it
            os.replace(partial, target)
        except OSError as exc:
            raise storage_error(exc, self.work) from exc
        if self.listener is not None:  # first, as for playlists
            used = iv if encryptor is not None else None
            self.listener.segment_stored(name, index, used, None if prefix is None else bytes(prefix))
        with self._lock:
            if encryptor is not None:
                self._ivs[(name, index)] = iv
            if prefix is not None:
                self._prefix[name] = bytes(prefix)
            self._stored.add((name, index))
            self._lock.notify_all()

    def failed(self, exc: Exception) -> None:
        with self._lock:
            first = self.error is None
            if first:
                self.error = exc
            self._lock.notify_all()
        if first:
            self.on_error()


class _Handler(http.server.BaseHTTPRequestHandler):
    owner: SegmentReceiver
    protocol_version = "HTTP/1.1"

    def do_PUT(self) -> None:
        try:
            self.owner.receive(self.path, self.rfile, self.headers)
        except PermissionError:
            self._answer(403)
            return
        except Exception as exc:  # noqa: BLE001 - kept, and stops the encode
            self.owner.failed(exc)
            self._answer(500)
            return
        self._answer(201)

    do_POST = do_PUT

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _body(stream: io.BufferedIOBase, headers: Any) -> Iterator[bytes]:
    """A request body, chunked or with a Content-Length, as chunks of at most CHUNK bytes."""
    if (headers.get("Transfer-Encoding") or "").lower() == "chunked":
        while True:
            line = stream.readline(1024)
            if not line.endswith(b"\n"):
                raise InvalidInput("malformed chunked body")
            size = int(line.split(b";", 1)[0].strip() or b"x", 16)
            if size == 0:
                while stream.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return
            yield from _exactly(stream, size)
            stream.readline(3)  # the CRLF after the chunk
    else:
        yield from _exactly(stream, int(headers.get("Content-Length") or 0))


def _exactly(stream: io.BufferedIOBase, size: int) -> Iterator[bytes]:
    while size > 0:
        data = stream.read(min(size, CHUNK))
        if not data:
            raise InvalidInput("body ended early")
        size -= len(data)
        yield data


def _capped(chunks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise InvalidInput("playlist too large")
        yield chunk


def newer_playlist(kept: str | None, text: str) -> bool:
    """Whether `text` is a later version of a growing playlist than `kept`: ffmpeg PUTs one
    after every segment on a new connection each, and a threaded server may handle two out of
    order. Later: more segments, or as many and the end (`#EXT-X-ENDLIST`)."""
    if kept is None:
        return True
    have, new = _segments_in(kept), _segments_in(text)
    return new > have or (new == have and "#EXT-X-ENDLIST" in text and "#EXT-X-ENDLIST" not in kept)


def _segments_in(text: str) -> int:
    return sum(1 for line in text.splitlines() if _SEGMENT.fullmatch(line.strip()))


def codec_of(prefix: bytes) -> str:
    """`avc1.PPCCLL` of the H.264 stream at the start of an MPEG-TS segment (plaintext bytes)."""
    return avc1_codec(io.BytesIO(prefix))
