"""IPFS, part 1: the UnixFS importer's speed against the hash it cannot avoid, and its memory.

1. Import speed. System under test: `add_file` over a stream of `--mib` MiB (default 1024)
   made by a generator (1 MiB pieces, each a fresh bytes object: a counter over one random
   buffer, so no two chunks are alike and nothing is held), into `DiscardBlocks` (only-hash),
   with Kubo's defaults (CIDv0, dag-pb leaves) and with `--cid-version=1` (raw leaves).
   Anchor: plain `hashlib.sha256` over the same generator's bytes, in the same run: the ceiling,
   since every byte must be hashed once. Held equal: the generator, the piece size, the process.
   Repeats interleaved (anchor, v0, v1, ...), medians. Aim: importer >= 0.5 of the anchor.
   Reference line: the same import into a sink that is not `DiscardBlocks` (it keeps nothing,
   but makes the `CID` object and the block copy a real block store would be given).
2. Peak memory (tracemalloc) of the same imports at 100 MiB and at `--mib` MiB: flat. The
   anchor's line is what the generator alone holds (its 1 MiB pieces).

3. Part 2, bench/ipfs_node.py: `--node-mib` MiB (default 100) added through the embedded node
   against the js-ipfs daemon, over the Kubo RPC API with the same client.

    .venv/bin/python bench/ipfs.py [--mib 1024] [--repeats 3] [--node-mib 100]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tidecast.ipfs.importer import DiscardBlocks, ImportOptions, add_file

AIM = 0.5
PIECE = 1 << 20
_TAIL = memoryview(os.urandom(PIECE))[8:]


def stream(mib: int) -> Iterator[bytes]:
    """`mib` MiB in fresh 1 MiB pieces, none alike, none kept."""
    for i in range(mib):
        yield b"".join((i.to_bytes(8, "big"), _TAIL))


def sha256_all(mib: int) -> None:
    digest = hashlib.sha256()
    for piece in stream(mib):
        digest.update(piece)
    digest.digest()


class KeepNothing:
    """A sink that is not DiscardBlocks: the importer makes a CID object and a block for it."""

    def put(self, cid: object, data: bytes) -> None:
        pass


def importer(options: ImportOptions, sink: object = None) -> Callable[[int], None]:
    def run(mib: int) -> None:
        add_file(stream(mib), sink or DiscardBlocks(), options)  # type: ignore[arg-type]

    return run


def timed(fn: Callable[[int], None], mib: int) -> float:
    start = time.perf_counter()
    fn(mib)
    return time.perf_counter() - start


def peak(fn: Callable[[int], None], mib: int) -> int:
    tracemalloc.start()
    try:
        fn(mib)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=1024, help="stream size in MiB (default 1024)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--node-mib", type=int, default=100, help="part 2: MiB added through each node (0 skips it)"
    )
    args = parser.parse_args()
    mib = args.mib
    arms: dict[str, Callable[[int], None]] = {
        "anchor  hashlib.sha256": sha256_all,
        "add_file CIDv0 (defaults)": importer(ImportOptions()),
        "add_file CIDv1 raw leaves": importer(ImportOptions(cid_version=1)),
        "  ref: CIDv0, sink gets blocks": importer(ImportOptions(), KeepNothing()),
        "  ref: CIDv1, sink gets blocks": importer(ImportOptions(cid_version=1), KeepNothing()),
    }
    importer(ImportOptions())(1)  # imports and first CID object out of the timings
    times: dict[str, list[float]] = {name: [] for name in arms}
    for _ in range(args.repeats):
        for name, fn in arms.items():
            times[name].append(timed(fn, mib))
    cores = os.cpu_count()
    print(
        f"1. import speed: {mib} MiB streamed in 1 MiB pieces, only-hash ({args.repeats} interleaved"
        f" repeats, medians; {cores} cores; Python {sys.version.split()[0]})"
    )
    anchor = statistics.median(times["anchor  hashlib.sha256"])
    for name, spent in times.items():
        median = statistics.median(spent)
        rate = mib * (1 << 20) / median / 1e6
        ratio = anchor / median
        print(f"  {name:32s} {median:7.3f} s  {rate:8.1f} MB/s  {ratio:5.2f} of anchor")
    for name in ("add_file CIDv0 (defaults)", "add_file CIDv1 raw leaves"):
        ratio = anchor / statistics.median(times[name])
        verdict = "met" if ratio >= AIM else "MISSED"
        print(f"  {name}: {ratio:.2f} of sha256, aim >= {AIM}: {verdict}")
    print("2. peak traced memory (tracemalloc) of the import, by stream size")
    sizes = sorted({min(100, mib), mib})
    for name in ("anchor  hashlib.sha256", "add_file CIDv0 (defaults)", "add_file CIDv1 raw leaves"):
        peaks = ", ".join(f"{size} MiB: {peak(arms[name], size) / 1024:7.1f} KiB" for size in sizes)
        print(f"  {name:32s} {peaks}")
    if args.node_mib:
        from ipfs_node import run  # bench/ipfs_node.py: the embedded node against js-ipfs

        print(f"3. adding {args.node_mib} MiB through the embedded node and through js-ipfs")
        run(args.node_mib, args.repeats)


if __name__ == "__main__":
    main()
