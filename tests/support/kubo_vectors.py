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


#: (option, mars.txt, venus.txt, planets) from t0040-add-and-cat.sh's add_directory runs; the
#: planets directory holds mars.txt ("Hello Mars!\n") and venus.txt ("Hello Venus!\n").
PLANETS = {
    "default": (
        "QmPrrHqJzto9m7SyiRzarwkqPcCSsKR2EB1AyqJfe8L8tN",
        "QmU5kp3BH3B8tnWUU2Pikdb2maksBNkb92FHRr56hyghh4",
        "QmWSgS32xQEcXMeqd3YPJLrNBLSdsfYCep2U7CFkyrjXwY",
    ),
    "--raw-leaves": (
        "bafkreibmlvvgdyihetgocpof6xk64kjjzdeq2e4c7hqs3krdheosk4tgj4",
        "bafkreihfsphazrk2ilejpekyltjeh5k4yvwgjuwg26ueafohqioeo3sdca",
        "QmfWfQfKCY5Ukv9peBbxM5vqWM9BzmqUSXvdCgjT2wsiBT",
    ),
    "--cid-version=1": (
        "bafkreibmlvvgdyihetgocpof6xk64kjjzdeq2e4c7hqs3krdheosk4tgj4",
        "bafkreihfsphazrk2ilejpekyltjeh5k4yvwgjuwg26ueafohqioeo3sdca",
        "bafybeih7e5dmkyk25up5vxug4q3hrg2fxbzf23dfrac2fns5h7z4aa7ioi",
    ),
    "--cid-version=1 --raw-leaves=false": (
        "bafybeiawta2ntdmsy24aro35w3homzl4ak7svr3si7l7gesvq4erglyye4",
        "bafybeicvkvhs2fr75ynebtdjqpgm4g2fc63abqbmysupwpmcjl4gx7mzrm",
        "bafybeif5tuep5ap2d7zyhbktucey75aoacxufgt6i3v4gebmixyipnyp7y",
    ),
}

#: t0040's `ipfs add -rn mountdir/moons`: every line, in the order Kubo prints them.
MOONS_OUTPUT = [
    ("moons/jupiter/europa.txt", "Qmbjg7zWdqdMaK2BucPncJQDxiALExph5k3NkQv5RHpccu"),
    ("moons/mercury.txt", "QmRsTB5CpEUvDUpDgHCzb3VftZ139zrk9zs5ZcgYh9TMPJ"),
    ("moons/saturn/titan.txt", "QmZzppb9WHn552rmRqpPfgU5FEiHH6gDwi3MrB9cTdPwdb"),
    ("moons/jupiter", "QmS5mZddhFPLWFX3w6FzAy9QxyYkaxvUpsWCtZ3r7jub9J"),
    ("moons/saturn", "QmaMagZT4rTE7Nonw8KGSK4oe1bh533yhZrCo1HihSG8FK"),
    ("moons", "QmbGoaQZm8kjYfCiN1aBsgwhqfUBGDYTrDb91Mz7Dvq81B"),
]
