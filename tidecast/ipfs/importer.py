"""A UnixFS importer that gives exactly Kubo's CIDs (`ipfs add`), for files of any size streamed
in bounded memory, directories, and trees on disk.

What it does as Kubo does (checked against Kubo's published vectors in
tests/unit/test_ipfs_importer*.py):
- fixed-size chunks (`size-262144`), the balanced layout (at most 174 links a node), sha2-256;
- CIDv0 with dag-pb leaves by default; `cid_version=1` implies raw leaves; `raw_leaves` set
  either way as Kubo's `--raw-leaves` (raw leaves are CIDv1 `raw` blocks even when the nodes
  above them are CIDv0; a one-chunk file with raw leaves *is* that raw block);
- directories as basic UnixFS directories, links sorted by the bytes of their names; symlinks
  as UnixFS Symlink nodes (Kubo's default; targets are stored, never followed);
- `add_path` reports entries in the order `ipfs add -r` prints them, skips hidden names inside
  directories (Kubo's default without `--hidden`) and keeps empty directories.

What it refuses rather than answer differently from Kubo: a directory big enough that Kubo
would shard it (HAMT, over 256 KiB by Kubo's "links" estimate: the sum of each entry's name
and binary CID lengths) raises TooLarge; so no CID it gives differs from Kubo's. Mode and mtime
(`--preserve-mode`/`--preserve-mtime`), other hashes, trickle layout and other chunkers are
not offered.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from tidecast.errors import InvalidInput, NotFound, TooLarge
from tidecast.ipfs import cids
from tidecast.ipfs.layout import FileBuilder, Store, chunks_of
from tidecast.ipfs.protobuf import DIRECTORY_DATA, pb_link, pb_node, unixfs_symlink

if TYPE_CHECKING:
    from multiformats import CID

__all__ = [
    "HAMT_THRESHOLD",
    "Added",
    "BlockSink",
    "DiscardBlocks",
    "ImportOptions",
    "add_directory",
    "add_file",
    "add_path",
    "add_symlink",
]

#: Kubo's Import.UnixFSHAMTDirectorySizeThreshold: a directory whose estimate is over this is
#: sharded by Kubo, and refused here.
HAMT_THRESHOLD = 262144
#: The largest chunk accepted (Kubo's unixfs-v1-2025 profile uses this size).
MAX_CHUNK_SIZE = 1 << 20


@dataclass(frozen=True)
class ImportOptions:
    """Kubo's `add` options that change CIDs; the defaults are Kubo's."""

    cid_version: int = 0
    raw_leaves: bool | None = None  # None: Kubo's default, raw leaves exactly for CIDv1
    chunk_size: int = 262144
    max_links: int = 174

    def __post_init__(self) -> None:
        if self.cid_version not in (0, 1) or isinstance(self.cid_version, bool):
            raise InvalidInput(f"cid version must be 0 or 1, not {self.cid_version!r}")
        if self.raw_leaves not in (None, True, False):
            raise InvalidInput("raw_leaves must be true, false or unset")
        if not isinstance(self.chunk_size, int) or not 1 <= self.chunk_size <= MAX_CHUNK_SIZE:
            raise InvalidInput(f"chunk size must be between 1 and {MAX_CHUNK_SIZE} bytes")
        if not isinstance(self.max_links, int) or self.max_links < 2:
            raise InvalidInput("max links must be at least 2")

    @property
    def leaves_raw(self) -> bool:
        """Whether leaves are raw blocks, with Kubo's default filled in."""
        return self.cid_version == 1 if self.raw_leaves is None else self.raw_leaves


class BlockSink(Protocol):
    """Where the importer puts each block it makes (a block store, or nowhere)."""

    def put(self, cid: CID, data: bytes) -> None: ...


class DiscardBlocks:
    """A sink that keeps nothing: `only-hash`. The importer recognises it and skips making a
    `CID` object and a block copy per chunk."""

    def put(self, cid: CID, data: bytes) -> None:
        """Keep nothing."""


@dataclass(frozen=True)
class Added:
    """An imported file, directory or symlink."""

    cid: CID
    size: int  # Kubo's "Size": the cumulative serialized size of the DAG (dag-pb Tsize)
    _binary: bytes = field(default=b"", repr=False, compare=False)

    @property
    def cid_bytes(self) -> bytes:
        """The binary CID, without re-encoding the `CID` object."""
        return self._binary or bytes(self.cid)


def _store(sink: BlockSink) -> Store:
    if isinstance(sink, DiscardBlocks):
        return None
    put = sink.put
    return lambda binary, block: put(cids.to_cid(binary), block)


def _added(binary: bytes, size: int) -> Added:
    return Added(cids.to_cid(binary), size, binary)


def add_file(
    source: IO[bytes] | Iterable[bytes],
    sink: BlockSink,
    options: ImportOptions = ImportOptions(),
) -> Added:
    """Import one file's bytes from a binary file object or an iterable of bytes pieces. Memory
    stays bounded by one chunk and one pending link list per tree level."""
    builder = FileBuilder(
        cid_version=options.cid_version,
        raw_leaves=options.leaves_raw,
        max_links=options.max_links,
        store=_store(sink),
    )
    for chunk in chunks_of(source, options.chunk_size):
        builder.add_chunk(chunk)
    root = builder.finish()
    return _added(root.cid, root.tsize)


def add_symlink(
    target: str | bytes,
    sink: BlockSink,
    options: ImportOptions = ImportOptions(),
) -> Added:
    """A UnixFS Symlink node pointing at `target` (stored as written, never followed)."""
    raw = os.fsencode(target) if isinstance(target, str) else bytes(target)
    block = pb_node((), unixfs_symlink(raw))
    binary = cids.dag_pb_prefix(options.cid_version) + hashlib.sha256(block).digest()
    store = _store(sink)
    if store is not None:
        store(binary, block)
    return _added(binary, len(block))


def _checked_name(name: object) -> bytes:
    if not isinstance(name, str):
        raise InvalidInput("a directory entry's name must be a string")
    if name in ("", ".", ".."):
        raise InvalidInput(f"directory entry name {name!r} is not allowed")
    if "/" in name or "\x00" in name:
        raise InvalidInput(f"directory entry name {name!r} contains '/' or NUL")
    try:
        return name.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"directory entry name {name!r} is not valid UTF-8") from None


def add_directory(
    entries: Iterable[tuple[str, Added]],
    sink: BlockSink,
    options: ImportOptions = ImportOptions(),
) -> Added:
    """One basic UnixFS directory over already-imported children, links sorted by the bytes of
    their names as Kubo sorts them. Wrap-with-directory is `add_directory([(name, added)])`."""
    links: dict[bytes, Added] = {}
    estimate = 0
    for name, added in entries:
        raw = _checked_name(name)
        if raw in links:
            raise InvalidInput(f"directory has two entries named {name!r}")
        if not isinstance(added, Added):
            raise InvalidInput(f"directory entry {name!r} is not an imported file or directory")
        links[raw] = added
        estimate += len(raw) + len(added.cid_bytes)
    if estimate > HAMT_THRESHOLD:
        raise TooLarge(
            f"directory too large: its {len(links)} entries come to {estimate} bytes by Kubo's "
            f"estimate, over {HAMT_THRESHOLD}, where Kubo shards directories (HAMT), which this "
            "importer does not do; split it into subdirectories"
        )
    ordered = sorted(links.items())
    block = pb_node((pb_link(a.cid_bytes, raw, a.size) for raw, a in ordered), DIRECTORY_DATA)
    binary = cids.dag_pb_prefix(options.cid_version) + hashlib.sha256(block).digest()
    store = _store(sink)
    if store is not None:
        store(binary, block)
    return _added(binary, len(block) + sum(a.size for _, a in ordered))


@dataclass
class _Dir:
    """A directory being walked: its children so far, and the names still to visit."""

    rel: str
    path: Path
    names: Iterator[str]
    children: list[tuple[str, Added]] = field(default_factory=list)


def _listing(path: Path, rel: str, hidden: bool) -> Iterator[str]:
    try:
        names = os.listdir(path)
    except OSError as exc:
        raise InvalidInput(f"cannot read directory {rel!r}: {exc.strerror}") from None
    if not hidden:
        names = [n for n in names if not n.startswith(".")]
    return iter(sorted(names, key=lambda n: n.encode("utf-8", "surrogateescape")))


def add_path(
    path: Path,
    sink: BlockSink,
    options: ImportOptions = ImportOptions(),
    *,
    wrap: bool = False,
    on_entry: Callable[[str, Added], None] | None = None,
    hidden: bool = False,
) -> Added:
    """A file, symlink or directory tree from disk, as `ipfs add -r [-w]` imports it.

    `on_entry` gets (name relative to the parent of `path`, Added) for every entry in the order
    Kubo prints them: files and symlinks as they are imported, then directories innermost first,
    the root last (named "" when wrapped). Names starting with "." inside directories are
    skipped unless `hidden` (Kubo's `--hidden`); `path` itself is always imported."""
    path = Path(path)
    name = path.name or os.path.basename(os.path.abspath(path))
    report = on_entry or (lambda _rel, _added: None)
    directories: list[tuple[str, Added]] = []

    def leaf(file_path: Path, rel: str) -> Added | None:
        """Import a non-directory; None when it is a directory (to be walked)."""
        try:
            info = os.lstat(file_path)
        except FileNotFoundError:
            raise NotFound(f"no such file or directory: {rel!r}") from None
        if stat.S_ISDIR(info.st_mode):
            return None
        if stat.S_ISLNK(info.st_mode):
            added = add_symlink(os.readlink(os.fsencode(file_path)), sink, options)
        elif stat.S_ISREG(info.st_mode):
            with open(file_path, "rb") as handle:
                added = add_file(handle, sink, options)
        else:
            raise InvalidInput(f"unrecognized file type for {rel!r} (not a file, directory or symlink)")
        report(rel, added)
        return added

    top = leaf(path, name)
    if top is None:
        stack = [_Dir(name, path, _listing(path, name, hidden))]
        while stack:
            current = stack[-1]
            child = next(current.names, None)
            if child is not None:
                rel = f"{current.rel}/{child}"
                added = leaf(current.path / child, rel)
                if added is None:
                    stack.append(_Dir(rel, current.path / child, _listing(current.path / child, rel, hidden)))
                else:
                    current.children.append((child, added))
                continue
            stack.pop()
            added = add_directory(current.children, sink, options)
            directories.append((current.rel, added))
            if stack:
                stack[-1].children.append((current.rel.rsplit("/", 1)[-1], added))
            else:
                top = added
    for rel, added in directories:
        report(rel, added)
    assert top is not None
    if wrap:
        top = add_directory([(name, top)], sink, options)
        report("", top)
    return top
