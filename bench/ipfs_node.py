"""IPFS, part 2: adding 100 MiB through the embedded node against a real daemon (js-ipfs, from
node_modules), over the Kubo RPC API with the same client.

System under test: `IPFSService.upload_file` of a `--mib` MiB file (default 100) to the
embedded node (tidecast/ipfs/embedded.py: RPC, importer, block store on disk, pinned).
Anchor: the same call, same client, same file, to js-ipfs 0.66 (its own importer, flatfs block
store on disk with sync on, pinned). Held equal: the client, the bytes, Kubo's defaults (CIDv0,
256 KiB chunks, balanced layout), the machine. Each repeat writes fresh random bytes (so
neither node has the blocks yet), adds them to both in alternating order, and checks both
answer the same CID. Medians of `--repeats`; the ratio is embedded MB/s over js-ipfs MB/s.
Part 1 (the importer alone against sha256) is bench/ipfs.py, which runs this part after it.

    .venv/bin/python bench/ipfs_node.py [--mib 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.jsipfs import running_jsipfs
from tidecast.ipfs.blockstore import BlockStore
from tidecast.ipfs.embedded import IpfsNode
from tidecast.ipfs.service import IPFSService


def write_random(path: Path, mib: int) -> None:
    with open(path, "wb") as out:
        for _ in range(mib):
            out.write(os.urandom(1 << 20))


def timed_add(service: IPFSService, path: Path) -> tuple[float, str]:
    start = time.perf_counter()
    added = service.upload_file(path)
    return time.perf_counter() - start, str(added["cid"])


def run(mib: int, repeats: int) -> None:
    """Part 2; bench/ipfs.py runs it after part 1."""
    size_mb = mib * (1 << 20) / 1e6

    with tempfile.TemporaryDirectory(prefix="bench-ipfs-") as tmp, running_jsipfs() as js:
        node = IpfsNode(BlockStore(Path(tmp) / "store"), "127.0.0.1", 0, max_add_bytes=1 << 40)
        node.start()
        try:
            embedded = IPFSService(node.url, gateway="http://gw", timeout=600)
            daemon = IPFSService(js.api_url, gateway="http://gw", timeout=600)
            times: dict[str, list[float]] = {"embedded": [], "js-ipfs": []}
            for repeat in range(repeats):
                path = Path(tmp) / f"input-{repeat}.bin"
                write_random(path, mib)
                order = [("embedded", embedded), ("js-ipfs", daemon)]
                if repeat % 2:
                    order.reverse()
                cids = {}
                for name, service in order:
                    seconds, cids[name] = timed_add(service, path)
                    times[name].append(seconds)
                    print(f"  repeat {repeat + 1} {name:<9} {seconds:6.2f} s  {size_mb / seconds:6.1f} MB/s")
                if cids["embedded"] != cids["js-ipfs"]:
                    raise SystemExit(f"CIDs differ: {cids}")
                print(f"  repeat {repeat + 1} same CID  {cids['embedded']}")
                path.unlink()
            embedded.close()
            daemon.close()
        finally:
            node.stop()

    medians = {name: statistics.median(t) for name, t in times.items()}
    print(f"add {mib} MiB over the Kubo RPC API (IPFSService), CIDv0 defaults, pinned; medians:")
    for name, seconds in medians.items():
        print(f"  {name:<9} {seconds:6.2f} s  {size_mb / seconds:6.1f} MB/s")
    ratio = medians["js-ipfs"] / medians["embedded"]
    print(f"ratio embedded / js-ipfs (throughput): {ratio:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    run(args.mib, args.repeats)


if __name__ == "__main__":
    main()
