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

Encryption runs on the build directory before it is renamed into place
(tidecast/services/hls.py), so plaintext segments are never published. Each file is encrypted
to a sibling and renamed over the original in chunks of a megabyte: memory stays flat whatever
the segment length.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from tidecast.errors import InvalidInput

KEY_BYTES = 16
IV_BYTES = 16
CHUNK = 1 << 20
_VERSION = re.compile(r"#EXT-X-VERSION:(\d+)")


class KeyRing:
    """One key per key period, made on first use and kept, shared by every rendition.

    `uri(period)` is what the playlist names as the key's location (the site's keys endpoint);
    `new_key()` makes a key (tests pass a deterministic one). After the encode, `keys()` are the
    keys in period order, ready to be sealed and stored (tidecast/services/media_keys.py).
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


def encrypt_rendition(directory: Path, keys: KeyRing) -> int:
    """Encrypt the segments `directory/playlist.m3u8` lists, and rewrite it with their keys.

    Returns the number of segments. Each segment gets its own random IV; every `#EXTINF` line
    is preceded by the `#EXT-X-KEY` of its segment.
    """
    playlist = directory / "playlist.m3u8"
    lines = playlist.read_text(encoding="utf-8").splitlines()
    out: list[str] = []
    index = 0
    # The key and IV of the segment whose #EXTINF was just read; its URI line comes next.
    pending: tuple[bytes, bytes] | None = None
    for line in lines:
        match = _VERSION.fullmatch(line.strip())
        if match and int(match.group(1)) < 2:
            line = "#EXT-X-VERSION:2"  # an IV attribute needs protocol version 2
        if line.startswith("#EXTINF"):
            period = keys.period_of(index)
            iv = os.urandom(IV_BYTES)
            pending = (keys.key(period), iv)
            out.append(f'#EXT-X-KEY:METHOD=AES-128,URI="{keys.uri(period)}",IV=0x{iv.hex()}')
        elif pending is not None and line and not line.startswith("#"):
            encrypt_file(_inside(directory, line.strip()), *pending)
            pending = None
            index += 1
        out.append(line)
    if pending is not None:
        raise InvalidInput(f"{playlist.name}: the last #EXTINF names no segment")
    if index == 0:
        raise InvalidInput(f"{directory.name}: the playlist lists no segments")
    tmp = playlist.with_name(f".{playlist.name}.tmp")
    tmp.write_text("\n".join(out) + "\n", encoding="utf-8")
    os.replace(tmp, playlist)
    return index


def encrypt_file(path: Path, key: bytes, iv: bytes) -> None:
    """AES-128-CBC with PKCS#7 padding, replacing the file (via a sibling and a rename)."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    padder = padding.PKCS7(128).padder()
    tmp = path.with_name(f".{path.name}.enc")
    with path.open("rb") as src, tmp.open("wb") as dst:
        while chunk := src.read(CHUNK):
            dst.write(encryptor.update(padder.update(chunk)))
        dst.write(encryptor.update(padder.finalize()) + encryptor.finalize())
    os.replace(tmp, path)


def decrypt(data: bytes, key: bytes, iv: bytes) -> bytes:
    """The inverse of `encrypt_file`, for tests and tools (a player does this itself)."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    plain = decryptor.update(data) + decryptor.finalize()
    return unpadder.update(plain) + unpadder.finalize()


def _inside(directory: Path, uri: str) -> Path:
    """A segment URI as ffmpeg writes it (a bare file name) resolved inside `directory`."""
    if "/" in uri or "\\" in uri or uri in ("", ".", ".."):
        raise InvalidInput(f"{directory.name}: unexpected segment URI {uri[:60]!r}")
    return directory / uri
