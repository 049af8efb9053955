"""Kubo's published CID vectors, and the inputs they were made from, regenerated here.

Sources (ipfs/kubo):
- test/sharness/t0040-add-and-cat.sh: small files, the empty file, the planets and moons
  directories with their option variants;
- test/sharness/t0044-add-symlink.sh: symlinks;
- test/cli/add_test.go and test/cli/cid_profiles_test.go: "hello world" in each CID form, files
  at the chunk and max-links boundaries, and a directory exactly at the HAMT threshold. Their
  data comes from test/cli/testutils/random_deterministic.go, reproduced by `deterministic`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

#: test/cli/testutils/strings.go AlphabetEasy (its "0" appears twice, as in Kubo).
ALPHABET_EASY = "abcdefghijklmnopqrstuvwxyz01234567890-_"


def deterministic(size: int, seed: str, piece: int = 1 << 20) -> Iterator[bytes]:
    """Kubo's DeterministicRandomReaderBytes: the ChaCha20 key stream (key = sha256(seed),
    12-byte zero nonce, block counter from 0), `size` bytes of it, in pieces of `piece` bytes.

    cryptography's ChaCha20 takes a 16-byte nonce whose first 4 bytes are the little-endian
    block counter, so Go's zero 12-byte nonce with counter 0 is 16 zero bytes."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

    key = hashlib.sha256(seed.encode()).digest()
    encryptor = Cipher(algorithms.ChaCha20(key, b"\x00" * 16), mode=None).encryptor()
    zeros = bytes(piece)
    left = size
    while left > 0:
        n = min(piece, left)
        yield encryptor.update(zeros[:n])
        left -= n


def deterministic_names(count: int, name_len: int, last_name_len: int, seed: str) -> list[str]:
    """cid_profiles_test.go's createDeterministicFiles names: bytes of the deterministic stream
    (1 MiB of it, seeded like the directory), each mapped onto AlphabetEasy."""
    stream = b"".join(deterministic(1 << 20, seed))
    names, pos = [], 0
    for i in range(count):
        n = last_name_len if i == count - 1 else name_len
        names.append("".join(ALPHABET_EASY[b % len(ALPHABET_EASY)] for b in stream[pos : pos + n]))
        pos += n
    return names
