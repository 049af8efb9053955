"""Reading UnixFS out of the block store: resolve `<cid>/path`, stat, a byte range of a file
(streamed, one block in memory at a time), a directory's entries.

A file is a tree: each dag-pb node holds some bytes of its own (usually none above the leaves)
and then its children, whose sizes are in `blocksizes`; a raw block is a leaf of its own bytes.
A range is read by walking down only into the children that overlap it, so reading the last
megabyte of a large file reads a handful of nodes, not the file. Before a range is streamed,
`check_range` walks the same nodes and stats the leaves, so a missing block is a NotFound
before the first byte is sent rather than a connection cut half way; it reads only the first
byte of each dag-pb leaf (canonical dag-pb puts Links before Data, so a block that starts with
Data has no links).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from multiformats import CID

from tidecast.errors import InvalidInput, NotFound
from tidecast.ipfs.blockstore import BlockStore
from tidecast.ipfs.cids import parse_cid
from tidecast.ipfs.nodes import (
    DIRECTORY,
    FILE,
    HAMT_SHARD,
    RAW,
    SYMLINK,
    Link,
    UnixFS,
    decode_pbnode,
    decode_unixfs,
)

Kind = Literal["file", "directory", "symlink"]
#: Path segments below a CID: more than this is refused (a path is a few levels deep).
MAX_DEPTH = 64


@dataclass(frozen=True)
class Stat:
    cid: CID
    kind: Kind
    size: int  # file bytes; for a directory, its cumulative DAG size


@dataclass(frozen=True)
class Entry:
    name: str
    cid: CID
    tsize: int


def split_path(path: str) -> tuple[CID, list[str]]:
    """`<cid>[/a/b]` (also `/ipfs/<cid>/...`) as the root CID and the names below it."""
    text = path.strip()
    if text.startswith("/ipfs/"):
        text = text[len("/ipfs/") :]
    head, _, rest = text.partition("/")
    names = [n for n in rest.split("/") if n]
    if any(n in (".", "..") for n in names):
        raise InvalidInput(f"invalid path {path[:120]!r}: '.' and '..' are not names")
    if len(names) > MAX_DEPTH:
        raise InvalidInput(f"invalid path: more than {MAX_DEPTH} levels")
    return parse_cid(head), names


class Reader:
    def __init__(self, store: BlockStore) -> None:
        self.store = store

    def node(self, cid: CID) -> tuple[list[Link], UnixFS]:
        """A block as (links, UnixFS data); a raw block is a file leaf without links."""
        block = self.store.get(cid)
        if cid.codec.name == "raw":
            return [], UnixFS(RAW, block, len(block))
        pb = decode_pbnode(block)
        return pb.links, decode_unixfs(pb.data)

    def resolve(self, path: str) -> CID:
        """The CID that `<cid>/a/b` names (NotFound for a name not in its directory)."""
        cid, names = split_path(path)
        for depth, name in enumerate(names):
            links, fs = self.node(cid)
            if fs.type == HAMT_SHARD:
                raise InvalidInput("sharded (HAMT) directories are not supported by this node")
            if fs.type != DIRECTORY:
                raise NotFound(f"no link named {name!r} under {'/'.join([str(cid), *names[:depth]])}")
            for link in links:
                if link.name == name:
                    cid = link.cid
                    break
            else:
                raise NotFound(f"no link named {name!r} under {cid}")
        return cid

    def stat(self, cid: CID) -> Stat:
        links, fs = self.node(cid)
        if fs.type in (FILE, RAW):
            return Stat(cid, "file", file_size(fs))
        if fs.type == DIRECTORY:
            return Stat(cid, "directory", self.store.size(cid) + sum(link.tsize for link in links))
        if fs.type == SYMLINK:
            return Stat(cid, "symlink", len(fs.data))
        if fs.type == HAMT_SHARD:
            raise InvalidInput("sharded (HAMT) directories are not supported by this node")
        raise InvalidInput(f"unsupported UnixFS node type {fs.type}")

    def ls(self, cid: CID) -> list[Entry]:
        links, fs = self.node(cid)
        if fs.type != DIRECTORY:
            raise InvalidInput(f"{cid} is not a directory")
        return [Entry(link.name, link.cid, link.tsize) for link in links]

    def check_range(self, cid: CID, offset: int, length: int) -> None:
        """NotFound naming the first block of the range that is not in the store (a symlink is
        one block, read whole by `read`)."""
        if self.node(cid)[1].type == SYMLINK:
            return
        for _ in self._walk(cid, offset, length, read_leaves=False):
            pass

    def read(self, cid: CID, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        """The bytes [offset, offset+length) of the file `cid`, block by block. A symlink reads
        as a file holding its target, as Kubo reads one (boxo's files.Symlink is a File): never
        followed, and its size, which `stat` gives, is what is sent."""
        stat = self.stat(cid)
        if stat.kind == "directory":
            raise InvalidInput(f"{cid} is a directory")
        size = stat.size
        offset = min(max(offset, 0), size)
        end = size if length is None else min(size, offset + max(length, 0))
        if end <= offset:
            return iter(())
        if stat.kind == "symlink":
            return iter((self.node(cid)[1].data[offset:end],))
        return self._walk(cid, offset, end - offset, read_leaves=True)

    def _walk(self, cid: CID, offset: int, length: int, *, read_leaves: bool) -> Iterator[bytes]:
        """Depth first over the nodes overlapping [offset, offset+length); a stack of
        (cid, position of its first byte) keeps the memory to one node per level."""
        end = offset + length
        stack: list[tuple[CID, int]] = [(cid, 0)]
        while stack:
            current, start = stack.pop()
            if not read_leaves and not self.store.may_have_links(current):
                continue  # a leaf that is there: nothing below it to check
            links, fs = self.node(current)
            if fs.type not in (FILE, RAW):
                raise InvalidInput(f"{current} is not a file node (type {fs.type})")
            data = fs.data
            if data and start < end and start + len(data) > offset:
                if read_leaves:
                    yield data[max(offset - start, 0) : end - start]
            pos = start + len(data)
            children: list[tuple[CID, int]] = []
            for link, size in zip(links, _child_sizes(links, fs), strict=True):
                if pos < end and pos + size > offset:
                    children.append((link.cid, pos))
                pos += size
            stack.extend(reversed(children))


def file_size(fs: UnixFS) -> int:
    if fs.filesize is not None:
        return fs.filesize
    return len(fs.data) + sum(fs.blocksizes)


def _child_sizes(links: list[Link], fs: UnixFS) -> list[int]:
    if len(fs.blocksizes) != len(links):
        raise InvalidInput("malformed UnixFS file: blocksizes do not match the links")
    return fs.blocksizes
