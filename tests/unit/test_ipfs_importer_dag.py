"""Properties of the importer's DAGs, read back with an independent dag-pb/UnixFS decoder: the
bytes come back, every block hashes to its CID, the tree is Kubo's balanced shape, sizes add up,
and memory stays flat however long the stream."""

from __future__ import annotations

import gc
import hashlib
import io
import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.kubo_vectors import deterministic
from tidecast.ipfs.importer import DiscardBlocks, ImportOptions, add_file


def fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """A protobuf message as (field number, value) pairs, in wire order."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0

    def varint() -> int:
        nonlocal pos
        value = shift = 0
        while True:
            byte = buf[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    while pos < len(buf):
        key = varint()
        if key & 7 == 0:
            out.append((key >> 3, varint()))
        elif key & 7 == 2:
            n = varint()
            out.append((key >> 3, buf[pos : pos + n]))
            pos += n
        else:
            raise AssertionError(f"unexpected wire type {key & 7}")
    return out


class Blocks:
    def __init__(self) -> None:
        self.blocks: dict[bytes, bytes] = {}

    def put(self, cid, data: bytes) -> None:
        self.blocks[bytes(cid)] = data


def walk(
    blocks: dict[bytes, bytes], cid: bytes, depth: int, leaf_depths: set[int], max_links: int
) -> tuple[bytes, int]:
    """The file's bytes below `cid` and that DAG's cumulative size, checking each node."""
    block = blocks[cid]
    assert cid[-32:] == hashlib.sha256(block).digest()
    if cid[:2] == b"\x01\x55":  # raw leaf
        leaf_depths.add(depth)
        return block, len(block)
    node = fields(block)
    links = [fields(v) for f, v in node if f == 2]
    assert [f for f, _ in node] == [2] * len(links) + [1]  # links first, then Data
    data = fields(next(v for f, v in node if f == 1))
    assert data[0] == (1, 2)  # Type: File
    if not links:
        leaf_depths.add(depth)
        payload = next((v for f, v in data if f == 2), b"")
        assert (3, len(payload)) in data
        return payload, len(block)
    assert 1 <= len(links) <= max_links
    content, total = b"", len(block)
    blocksizes = [v for f, v in data if f == 4]
    for link, blocksize in zip(links, blocksizes, strict=True):
        assert [f for f, _ in link] == [1, 2, 3] and link[1] == (2, b"")  # Hash, empty Name, Tsize
        child, size = walk(blocks, link[0][1], depth + 1, leaf_depths, max_links)  # type: ignore[arg-type]
        assert link[2] == (3, size) and blocksize == len(child)
        content += child
        total += size
    assert (3, len(content)) in data  # filesize
    return content, total


@settings(max_examples=150, deadline=None)
@given(
    data=st.binary(max_size=3000),
    chunk_size=st.integers(1, 64),
    max_links=st.integers(2, 5),
    cid_version=st.sampled_from([0, 1]),
    raw_leaves=st.sampled_from([None, True, False]),
    piece=st.integers(1, 200),
)
def test_dag_reads_back_and_has_kubos_balanced_shape(
    data: bytes, chunk_size: int, max_links: int, cid_version: int, raw_leaves: bool | None, piece: int
) -> None:
    options = ImportOptions(cid_version, raw_leaves, chunk_size, max_links)
    sink = Blocks()
    added = add_file((data[i : i + piece] for i in range(0, len(data), piece)), sink, options)
    assert added == add_file(io.BytesIO(data), DiscardBlocks(), options)  # any piece sizes, same DAG
    depths: set[int] = set()
    content, size = walk(sink.blocks, bytes(added.cid), 0, depths, max_links)
    assert content == data
    assert size == added.size
    chunks = max(1, -(-len(data) // chunk_size))
    depth = 0
    while max_links**depth < chunks:
        depth += 1
    assert depths == {depth}  # every leaf at the least depth that holds them all


class ShortReads(io.RawIOBase):
    """A file that gives at most 1000 bytes a read, as a pipe or socket does."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        chunk = self._data.read(min(len(b), 1000))
        b[: len(chunk)] = chunk
        return len(chunk)


def test_short_reads_do_not_change_the_chunking() -> None:
    data = b"".join(deterministic(600_000, "short"))
    assert add_file(ShortReads(data), DiscardBlocks()) == add_file([data], DiscardBlocks())


def peak_import_memory(size: int, options: ImportOptions, runs: int = 2) -> int:
    """The least peak of `runs` imports. tracemalloc counts every thread's allocations, and a
    worker process of the suite keeps threads of earlier tests (a fresh-clone CI once saw 86 KB
    more in one run): what they allocate can only add to a run's peak, so the least is the
    import's own."""
    peaks = []
    for _ in range(runs):
        gc.collect()
        tracemalloc.start()
        try:
            add_file(deterministic(size, "memory", piece=64 * 1024), DiscardBlocks(), options)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    return min(peaks)


def test_memory_stays_flat_as_the_stream_grows() -> None:
    add_file([b"warm"], DiscardBlocks())  # imports (multiformats) are not what is measured
    for options in (ImportOptions(), ImportOptions(cid_version=1)):
        small = peak_import_memory(4 << 20, options)
        large = peak_import_memory(
            32 << 20, options
        )  # 8x the data, two runs each: as long as one 64 MiB run was
        # one 256 KiB chunk buffer, a 64 KiB piece and link lists: well under 1 MiB, whatever the size
        assert large < 1 << 20, large
        assert large < small + 64 * 1024, (small, large)
