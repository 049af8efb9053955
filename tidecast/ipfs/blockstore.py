"""The embedded node's blocks and pins on disk (under `.tidecast/ipfs`), shared by processes.

Layout, all private to the owner (0700 directories, 0600 files):

    blocks/<xx>/<key>     one file a block; <key> is the base32 of its multihash (as Kubo's
                          flatfs names blocks), so CIDv0 and CIDv1 of the same bytes share one
    staging/<id>/<key>    the blocks of an add in progress, moved into blocks/ only once the
                          whole DAG is there; an add that fails (413, bad multipart) deletes its
                          staging directory, so it stores nothing
    pins/<key>            one file a recursive pin, holding the CID as it was pinned
    gc.lock               flock: every add and pin holds it shared, gc holds it exclusively

Why this shape: the dev server and a CLI command use one directory at once. Every change is a
single rename or unlink (atomic on POSIX), so no reader ever sees half a block or half a pin
list, and no process needs to know about another. The lock closes the one race that matters:
gc must not delete the blocks of an add (or a pin) that is still on its way. A process killed
mid-add leaves a staging directory (or unpinned blocks) and a released lock; gc, which can only
run when no add is in progress, removes both.

Blocks are fsynced before they are renamed into place (as Kubo's flatfs does with `sync:
true`), and a pin is written only after its whole DAG was found in the store.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from multiformats import CID

from tidecast.errors import NotFound
from tidecast.files import private_dir
from tidecast.ipfs.nodes import links_of

IDENTITY = "identity"


def block_key(cid: CID) -> str:
    """The file name of a block: base32 (no padding) of its multihash."""
    return base64.b32encode(bytes(cid.digest)).decode("ascii").rstrip("=")


def key_cid(key: str) -> CID:
    """The CID Kubo reports for a bare block (`repo gc`): CIDv1 raw over the multihash."""
    digest = base64.b32decode(key + "=" * (-len(key) % 8))
    return CID("base32", 1, "raw", digest)


class BlockStore:
    """Blocks by multihash, recursive pins, gc. Thread- and process-safe."""

    def __init__(self, root: Path, *, sync: bool = True) -> None:
        self.root = root
        self.sync = sync
        private_dir(root)
        for sub in ("blocks", "staging", "pins"):
            private_dir(root / sub)
        self.lock_path = root / "gc.lock"
        if not self.lock_path.exists():
            os.close(os.open(self.lock_path, os.O_WRONLY | os.O_CREAT, 0o600))

    # -- locking ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, *, exclusive: bool = False) -> Iterator[None]:
        """Shared for adds and pins, exclusive for gc (flock: across processes and threads,
        since each holder opens its own file description)."""
        fd = os.open(self.lock_path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)  # releases the lock

    # -- blocks ----------------------------------------------------------------------------

    def path_of(self, cid: CID) -> Path:
        key = block_key(cid)
        return self.root / "blocks" / key[-3:-1] / key

    def has(self, cid: CID) -> bool:
        return cid.hashfun.name == IDENTITY or self.path_of(cid).is_file()

    def get(self, cid: CID) -> bytes:
        if cid.hashfun.name == IDENTITY:
            return bytes(cid.raw_digest)
        try:
            return self.path_of(cid).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"block {cid} not found in the local store") from None

    def size(self, cid: CID) -> int:
        if cid.hashfun.name == IDENTITY:
            return len(cid.raw_digest)
        try:
            return self.path_of(cid).stat().st_size
        except FileNotFoundError:
            raise NotFound(f"block {cid} not found in the local store") from None

    def may_have_links(self, cid: CID) -> bool:
        """False for a block that is there and has no links, read from its first byte alone
        (a raw block; a dag-pb block starting with field 1, Data, which canonical dag-pb puts
        after every link). NotFound when it is missing."""
        if cid.codec.name == "raw":
            if not self.has(cid):
                raise NotFound(f"block {cid} not found in the local store")
            return False
        if cid.hashfun.name == IDENTITY:
            return True
        try:
            with open(self.path_of(cid), "rb") as fh:
                first = fh.read(1)
        except FileNotFoundError:
            raise NotFound(f"block {cid} not found in the local store") from None
        return first not in (b"", b"\x0a")

    def _write(self, path: Path, data: bytes) -> None:
        """Write `data` to `path` whole or not at all (a temp file renamed over it)."""
        private_dir(path.parent)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                if self.sync:
                    fh.flush()
                    os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    @contextlib.contextmanager
    def staging(self) -> Iterator[Staging]:
        """A BlockSink for one add, holding the shared lock until it is committed or dropped:
        `commit()` moves its blocks into the store; leaving without committing deletes them."""
        with self.lock():
            stage = Staging(self, self.root / "staging" / secrets.token_hex(8))
            try:
                yield stage
            finally:
                stage.discard()

    # -- pins ------------------------------------------------------------------------------

    def _pin_path(self, cid: CID) -> Path:
        return self.root / "pins" / block_key(cid)

    def pin(self, cid: CID) -> None:
        """Pin `cid` recursively once its whole DAG is in the store (else NotFound)."""
        with self.lock():
            self.pin_locked(cid)

    def pin_locked(self, cid: CID, *, verify: bool = True) -> None:
        """`pin` for a caller that already holds the shared lock. An add that has just
        committed its DAG passes verify=False (it made every block; no need to read them)."""
        if verify:
            for _ in self.walk(cid):
                pass
        self._write(self._pin_path(cid), str(cid).encode("ascii"))

    def unpin(self, cid: CID) -> None:
        try:
            self._pin_path(cid).unlink()
        except FileNotFoundError:
            raise NotFound(f"{cid}: not pinned or pinned indirectly") from None

    def is_pinned(self, cid: CID) -> bool:
        return self._pin_path(cid).is_file()

    def pins(self) -> list[CID]:
        """The recursive pins, as they were pinned (v0 stays v0)."""
        found: list[CID] = []
        for entry in sorted((self.root / "pins").iterdir()):
            if entry.name.startswith("."):
                continue
            with contextlib.suppress(OSError, ValueError, KeyError):
                found.append(CID.decode(entry.read_text("ascii").strip()))
        return found

    def walk(self, cid: CID) -> Iterator[CID]:
        """Every CID of the DAG under `cid`, the root first (depth first); NotFound naming the
        first block missing. Raw blocks are never read: they have no links."""
        stack = [cid]
        while stack:
            current = stack.pop()
            yield current
            if current.codec.name == "raw":
                if not self.has(current):
                    raise NotFound(f"block {current} not found in the local store")
                continue
            stack.extend(reversed(links_of(current, self.get(current))))

    # -- gc --------------------------------------------------------------------------------

    def gc(self) -> list[CID]:
        """Remove every block not reachable from a pin, and every abandoned staging directory;
        return what was removed (as Kubo's `repo gc` names blocks: CIDv1 raw)."""
        with self.lock(exclusive=True):
            keep: set[str] = set()
            for pinned in self.pins():
                with contextlib.suppress(NotFound):  # a damaged pin keeps what it still reaches
                    for cid in self.walk(pinned):
                        keep.add(block_key(cid))
            removed: dict[str, None] = {}
            for shard in sorted((self.root / "blocks").iterdir()):
                for entry in sorted(shard.iterdir()):
                    if entry.name.startswith("."):  # a temp file of a writer killed mid-write
                        entry.unlink(missing_ok=True)
                    elif entry.name not in keep:
                        entry.unlink(missing_ok=True)
                        removed[entry.name] = None
            for stage in sorted((self.root / "staging").iterdir()):  # no add runs: all abandoned
                for entry in stage.iterdir():
                    if not entry.name.startswith(".") and entry.name not in keep:
                        removed[entry.name] = None
                shutil.rmtree(stage, ignore_errors=True)
            return [key_cid(key) for key in removed]


class Staging:
    """The blocks of one add, kept apart until the whole DAG is there (a BlockSink)."""

    def __init__(self, store: BlockStore, directory: Path) -> None:
        self.store = store
        self.directory = directory
        self.keys: dict[str, CID] = {}
        self.bytes = 0

    def put(self, cid: CID, data: bytes) -> None:
        if cid.hashfun.name == IDENTITY:
            return
        key = block_key(cid)
        if key in self.keys or self.store.path_of(cid).is_file():
            self.keys.setdefault(key, cid)
            return
        if not self.directory.exists():
            private_dir(self.directory)
        self.store._write(self.directory / key, data)
        self.keys[key] = cid
        self.bytes += len(data)

    def commit(self) -> None:
        """Move the staged blocks into the store (each one rename). Call before pinning."""
        for key, cid in self.keys.items():
            staged = self.directory / key
            if staged.exists():
                target = self.store.path_of(cid)
                private_dir(target.parent)
                os.replace(staged, target)

    def discard(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
