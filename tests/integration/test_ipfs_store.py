"""The block store shared by processes: gc waits for an add in another process, and an add
killed with SIGKILL half way leaves nothing pinned and only orphans gc frees."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from multiformats import CID

from tests.support.ipfs_node import BOUNDARY, CONTENT_TYPE, stored_blocks
from tests.support.parts import free_port
from tidecast.errors import NotFound
from tidecast.ipfs.blockstore import BlockStore, block_key
from tidecast.ipfs.importer import ImportOptions, add_file

ROOT = str(Path(__file__).resolve().parents[2])


def python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_blocks_are_shared_by_multihash_and_private(tmp_path: Path) -> None:
    store = BlockStore(tmp_path / "ipfs", sync=False)
    with store.staging() as staged:
        v0 = add_file([b"hello world\n"], staged)
        v1 = add_file([b"hello world\n"], staged, ImportOptions(cid_version=1, raw_leaves=False))
        staged.commit()
    assert v0.cid.digest == v1.cid.digest and v0.cid != v1.cid
    assert len(stored_blocks(store.root)) == 1
    assert store.get(v1.cid) == store.get(v0.cid)
    assert oct(store.root.stat().st_mode & 0o777) == "0o700"
    assert oct(stored_blocks(store.root)[0].stat().st_mode & 0o777) == "0o600"


def test_gc_waits_for_an_add_in_another_process(tmp_path: Path) -> None:
    root = tmp_path / "ipfs"
    store = BlockStore(root, sync=False)
    child = python(
        """
        import sys, time
        from pathlib import Path
        from tidecast.ipfs.blockstore import BlockStore
        from tidecast.ipfs.importer import add_file
        store = BlockStore(Path(sys.argv[1]))
        with store.staging() as staged:
            added = add_file([b"added by another process\\n"], staged)
            print(added.cid, flush=True)
            time.sleep(1.0)
            staged.commit()
            store.pin_locked(added.cid)
        """,
        str(root),
    )
    assert child.stdout is not None
    cid = CID.decode(child.stdout.readline().strip())
    started = time.monotonic()
    freed = store.gc()  # blocks until the other process pinned its DAG
    waited = time.monotonic() - started
    assert child.wait(timeout=30) == 0, child.stderr.read() if child.stderr else ""
    assert waited > 0.3
    assert freed == []
    assert store.pins() == [cid] and store.get(cid)


def test_sigkill_mid_add_leaves_no_pin_and_gc_frees_the_orphans(tmp_path: Path) -> None:
    root = tmp_path / "ipfs"
    port = free_port()
    server = python(
        """
        import sys, time
        from pathlib import Path
        from tidecast.ipfs.embedded import IpfsNode
        from tidecast.ipfs.blockstore import BlockStore
        node = IpfsNode(BlockStore(Path(sys.argv[1])), "127.0.0.1", int(sys.argv[2]), max_add_bytes=1 << 30)
        node.start()
        print("up", flush=True)
        time.sleep(120)
        """,
        str(root),
        str(port),
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "up"
        staging = root / "staging"

        def upload() -> Iterator[bytes]:
            yield (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            for _ in range(400):  # up to 100 MiB, never all sent: the node dies first
                yield os.urandom(256 * 1024)
                staged = [p for p in staging.rglob("*") if p.is_file() and not p.name.startswith(".")]
                if len(staged) >= 8:
                    os.kill(server.pid, signal.SIGKILL)
                    time.sleep(0.2)
                time.sleep(0.005)

        with pytest.raises(httpx.HTTPError):
            httpx.post(
                f"http://127.0.0.1:{port}/api/v0/add",
                content=upload(),
                headers={"Content-Type": CONTENT_TYPE},
                timeout=30,
            )
        assert server.wait(timeout=10) == -signal.SIGKILL
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    store = BlockStore(root, sync=False)
    assert store.pins() == []
    orphans = [p.name for p in staging.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert len(orphans) >= 8
    freed = store.gc()
    assert sorted(block_key(c) for c in freed) == sorted(set(orphans) | {p.name for p in stored_blocks(root)})
    assert list(staging.iterdir()) == [] and stored_blocks(root) == []


def test_walk_names_the_first_missing_block(tmp_path: Path) -> None:
    store = BlockStore(tmp_path / "ipfs", sync=False)
    with store.staging() as staged:
        added = add_file([bytes(600_000)], staged, ImportOptions(chunk_size=100_000))
        staged.commit()
    store.pin(added.cid)
    leaf = next(c for c in store.walk(added.cid) if c != added.cid)
    store.path_of(leaf).unlink()
    with pytest.raises(NotFound, match=str(leaf)):
        store.pin(added.cid)
