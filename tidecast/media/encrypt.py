"""HLS AES-128: a rendition's segments encrypted in place and its playlist told how to open them.

RFC 8216 section 4.3.2.4: METHOD=AES-128 is AES-128-CBC of the whole segment file with PKCS#7
padding, under the key at the tag's URI and its IV. Keys change every key period (N segments,
TIDECAST_KEY_PERIOD_SEGMENTS): segment i belongs to period i // N, counted in playlist order.
Every rendition is cut at the same instants (keyframes forced at each boundary,
tidecast/media/ffmpeg.py), so period p is the same stretch of time in every rendition and
`KeyRing` hands every rendition the SAME key for it: a viewer pays for time, not per rendition,
and a quality switch needs no new key.

IVs: a fresh random IV per segment, written explicitly, so an `#EXT-X-KEY` line precedes every
segment (the key URI repeats within a period; hls.js and Safari fetch a URI once). The other
choices reuse an (key, IV) pair: the implicit IV (the media sequence number) is the same for
segment i of every rendition, and one IV per period repeats across the period's segments; CBC
under a repeated pair shows which segments start with the same bytes. 16 random bytes a segment
cost nothing.

Segments are encrypted as ffmpeg hands them over (tidecast/media/receiver.py), a megabyte at
a time, so a plaintext segment never reaches the disk and memory stays flat whatever the segment
length; `keyed_playlist` then adds the key lines to each variant playlist.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tidecast.errors import InvalidInput

KEY_BYTES = 16
IV_BYTES = 16
_VERSION = re.compile(r"#EXT-X-VERSION:(\d+)")


class KeyRing:
    """One key per key period, made on first use and kept, shared by every rendition.

    `uri(period)` is what the playlist names as the key's location (the site's keys endpoint);
    `new_key()` makes a key (tests pass a deterministic one). After the encode, `keys()` are the
    keys in period order, ready to be sealed and stored (tidecast/media/keys.py).
    """

    def __init__(
        self,
        period_segments: int,
        uri: Callable[[int], str],
        new_key: Callable[[], bytes] = lambda: os.urandom(KEY_BYTES),
    ) -> None:
        if period_segments < 1:
            raise InvalidInput("period_segments must be 1 or more")
        self.period_segments = period_segments
        self.uri = uri
        self._new_key = new_key
        self._keys: list[bytes] = []

    def period_of(self, segment_index: int) -> int:
        return segment_index // self.period_segments

    def key(self, period: int) -> bytes:
        while len(self._keys) <= period:  # periods are met in order; none is skipped
            key = self._new_key()
            if len(key) != KEY_BYTES:
                raise ValueError(f"a key must be {KEY_BYTES} bytes (got {len(key)})")
            self._keys.append(key)
        return self._keys[period]

    def keys(self) -> list[bytes]:
        return list(self._keys)


def keyed_playlist(text: str, keys: KeyRing, iv_of: Callable[[int], bytes], *, what: str) -> str:
    """A variant playlist with the `#EXT-X-KEY` line of each segment before its `#EXTINF`.

    Segment i (in playlist order) must be `segment<i>.ts`, as ffmpeg names them, so that the key
    of its period and the IV it was encrypted with (`iv_of(i)`) are the ones named.
    """
    out: list[str] = []
    index = 0
    pending = False
    for line in text.splitlines():
        match = _VERSION.fullmatch(line.strip())
        if match and int(match.group(1)) < 2:
            line = "#EXT-X-VERSION:2"  # an IV attribute needs protocol version 2
        if line.startswith("#EXTINF"):
            period = keys.period_of(index)
            out.append(f'#EXT-X-KEY:METHOD=AES-128,URI="{keys.uri(period)}",IV=0x{iv_of(index).hex()}')
            pending = True
        elif pending and line and not line.startswith("#"):
            if line.strip() != f"segment{index}.ts":
                raise InvalidInput(f"{what}: segment {index} is {line.strip()[:60]!r}, not segment{index}.ts")
            pending = False
            index += 1
        out.append(line)
    if pending:
        raise InvalidInput(f"{what}: the last #EXTINF names no segment")
    if index == 0:
        raise InvalidInput(f"{what}: the playlist lists no segments")
    return "\n".join(out) + "\n"


class Encryptor:
    """AES-128-CBC with PKCS#7 padding over a stream of chunks (a segment as it arrives)."""

    def __init__(self, key: bytes, iv: bytes) -> None:
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        self._padder = padding.PKCS7(128).padder()

    def update(self, chunk: bytes) -> bytes:
        return self._cipher.update(self._padder.update(chunk))

    def finalize(self) -> bytes:
        return self._cipher.update(self._padder.finalize()) + self._cipher.finalize()


def decrypt(data: bytes, key: bytes, iv: bytes) -> bytes:
    """The inverse of `Encryptor`, for tests and tools (a player does this itself)."""
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    plain = decryptor.update(data) + decryptor.finalize()
    return unpadder.update(plain) + unpadder.finalize()
