"""Kubo's balanced file layout, built as the chunks stream in.

boxo's balanced builder fills a tree of at most `max_links` children per node, all leaves at one
depth, left to right, and grows a new root above the old one when the tree is full. The same
tree comes out of one pending link list per level: a level that is full when one more link
arrives is closed into a node whose link goes one level up. At the end every level is closed
bottom-up, so the last subtree is as deep as the rest (a lone leaf under a chain of one-link
nodes, as boxo makes it). A file of one chunk is that chunk's leaf, with no node above.

Memory: one chunk, plus at most `max_links` links per level (log_max_links of the chunk count
levels), whatever the file's size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import NamedTuple

from tidecast.errors import InvalidInput
from tidecast.ipfs import cids
from tidecast.ipfs.protobuf import pb_link, pb_node, unixfs_file_branch, unixfs_file_leaf_parts

#: Where finished blocks go: (binary CID, block bytes). None discards them (only-hash).
Store = Callable[[bytes, bytes], None] | None


class Link(NamedTuple):
    """A child as its parent sees it."""

    cid: bytes  # binary CID
    tsize: int  # cumulative serialized size of the child's DAG (dag-pb Tsize)
    filesize: int  # bytes of file content below it (UnixFS blocksizes)


class FileBuilder:
    """Turns a stream of chunks into Kubo's balanced DAG; `finish` gives the root's link."""

    def __init__(self, *, cid_version: int, raw_leaves: bool, max_links: int, store: Store) -> None:
        self._raw_leaves = raw_leaves
        self._node_prefix = cids.dag_pb_prefix(cid_version)
        self._leaf_prefix = cids.V1_RAW if raw_leaves else self._node_prefix
        self._max_links = max_links
        self._store = store
        self._levels: list[list[Link]] = [[]]
        self._parts_len = -1
        self._parts = (b"", b"")

    def add_chunk(self, chunk: bytes | bytearray | memoryview) -> None:
        """One chunk of the file, in order. The caller may reuse `chunk`'s buffer afterwards."""
        self._push(0, self._leaf(chunk))

    def finish(self) -> Link:
        """Close every level; the root. A file with no chunks is one empty leaf, as in Kubo."""
        levels = self._levels
        if not levels[0]:
            levels[0].append(self._leaf(b""))
        level = 0
        while level < len(levels) - 1:
            pending = levels[level]
            levels[level] = []
            self._push(level + 1, self._branch(pending))
            level += 1
        top = levels[-1]
        if len(top) == 1:  # one leaf and nothing above it: the leaf is the file
            return top[0]
        return self._branch(top)

    def _push(self, level: int, link: Link) -> None:
        levels = self._levels
        pending = levels[level]
        if len(pending) == self._max_links:
            if level + 1 == len(levels):
                levels.append([])
            levels[level] = []
            self._push(level + 1, self._branch(pending))
            pending = levels[level]
        pending.append(link)

    def _leaf(self, chunk: bytes | bytearray | memoryview) -> Link:
        size = len(chunk)
        if self._raw_leaves:
            binary = self._leaf_prefix + hashlib.sha256(chunk).digest()
            if self._store is not None:
                self._store(binary, bytes(chunk))
            return Link(binary, size, size)
        if size != self._parts_len:  # the same for every full chunk: computed once
            self._parts = unixfs_file_leaf_parts(size)
            self._parts_len = size
        head, tail = self._parts
        digest = hashlib.sha256(head)
        digest.update(chunk)
        digest.update(tail)
        binary = self._leaf_prefix + digest.digest()
        if self._store is not None:
            self._store(binary, b"".join((head, chunk, tail)))
        return Link(binary, len(head) + size + len(tail), size)

    def _branch(self, children: list[Link]) -> Link:
        filesize = sum(c.filesize for c in children)
        block = pb_node(
            (pb_link(c.cid, b"", c.tsize) for c in children),
            unixfs_file_branch(filesize, (c.filesize for c in children)),
        )
        binary = self._node_prefix + hashlib.sha256(block).digest()
        if self._store is not None:
            self._store(binary, block)
        return Link(binary, len(block) + sum(c.tsize for c in children), filesize)


def chunks_of(source: object, chunk_size: int) -> Iterator[memoryview]:
    """`source` (a binary file object, or an iterable of bytes-like pieces) cut into chunks of
    exactly `chunk_size` bytes, the last one shorter. A chunk is valid until the next is asked
    for: one buffer is reused, and whole chunks inside a large piece are not copied."""
    buf = bytearray(chunk_size)
    view = memoryview(buf)
    if hasattr(source, "read"):
        readinto = getattr(source, "readinto", None)
        while True:
            fill = 0
            while fill < chunk_size:
                if readinto is not None:
                    got = readinto(view[fill:])
                else:
                    data = source.read(chunk_size - fill)
                    if isinstance(data, str):
                        raise InvalidInput("file content must be bytes (open the file in binary mode)")
                    got = len(data) if data else 0
                    view[fill : fill + got] = data or b""
                if not got:
                    break
                fill += got
            if fill:
                yield view[:fill]
            if fill < chunk_size:
                return
    if isinstance(source, (str, bytes, bytearray, memoryview)):
        raise InvalidInput("file content must be a binary file or an iterable of bytes pieces")
    fill = 0
    for piece in source:  # type: ignore[attr-defined]
        if not isinstance(piece, (bytes, bytearray, memoryview)):
            raise InvalidInput(f"file content pieces must be bytes, not {type(piece).__name__}")
        piece_view = memoryview(piece).cast("B")
        pos, end = 0, len(piece_view)
        while pos < end:
            if fill == 0 and end - pos >= chunk_size:
                yield piece_view[pos : pos + chunk_size]
                pos += chunk_size
                continue
            take = min(chunk_size - fill, end - pos)
            view[fill : fill + take] = piece_view[pos : pos + take]
            fill += take
            pos += take
            if fill == chunk_size:
                yield view
                fill = 0
    if fill:
        yield view[:fill]
