"""The two protobufs UnixFS rests on, encoded by hand: dag-pb's `PBNode`/`PBLink` and UnixFS's
`Data`.

Why by hand: the CIDs must equal Kubo's byte for byte, so the encoding must be exactly the one
boxo/go-merkledag writes, and that is a few lines here: links before data in a `PBNode` (the
dag-pb spec's canonical order, not field-number order), every link with its `Name` written even
when empty (boxo always sets it) and its `Tsize`; in `Data`, fields in number order, `filesize`
written even when 0, `blocksizes` unpacked (proto2's repeated varints). A protobuf library would
need a schema compiled in, an import on the cold path, and still a check that it orders and
omits fields as boxo does.
"""

from __future__ import annotations

from collections.abc import Iterable

# UnixFS Data.Type values (unixfs.proto).
RAW, DIRECTORY, FILE, METADATA, SYMLINK, HAMT_SHARD = 0, 1, 2, 3, 4, 5

_ONE_BYTE = [bytes([i]) for i in range(128)]


def varint(value: int) -> bytes:
    """An unsigned LEB128 varint, as protobuf and multiformats write them."""
    if value < 128:
        if value < 0:
            raise ValueError("varint of a negative number")
        return _ONE_BYTE[value]
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _bytes_field(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + varint(len(value)) + value


def pb_link(cid: bytes, name: bytes, tsize: int) -> bytes:
    """One `PBNode.Links` entry (field 2), framed: Hash (1), Name (2), Tsize (3)."""
    body = _bytes_field(0x0A, cid) + _bytes_field(0x12, name) + b"\x18" + varint(tsize)
    return b"\x12" + varint(len(body)) + body


def pb_node(links: Iterable[bytes], data: bytes | None) -> bytes:
    """A `PBNode`: the framed links (from `pb_link`) in order, then Data (field 1)."""
    out = b"".join(links)
    if data is not None:
        out += _bytes_field(0x0A, data)
    return out


def pb_data_prefix(data_len: int) -> bytes:
    """The bytes a `PBNode` with no links has before its Data payload, so a leaf can be hashed
    as prefix + payload + suffix without copying the payload into one buffer."""
    return b"\x0a" + varint(data_len)


def unixfs_file_leaf_parts(chunk_len: int) -> tuple[bytes, bytes]:
    """A UnixFS File leaf holding `chunk_len` bytes, split around its payload: the bytes before
    and after it. The whole dag-pb block is prefix + chunk + suffix.

    `Data{Type: File, Data: chunk, filesize: len}`; an empty chunk (the empty file) has no Data
    field, as boxo writes it (`0a 04 08 02 18 00`)."""
    if chunk_len == 0:
        inner_head = b"\x08\x02"
    else:
        inner_head = b"\x08\x02\x12" + varint(chunk_len)
    inner_tail = b"\x18" + varint(chunk_len)
    inner_len = len(inner_head) + chunk_len + len(inner_tail)
    return pb_data_prefix(inner_len) + inner_head, inner_tail


def unixfs_file_branch(filesize: int, blocksizes: Iterable[int]) -> bytes:
    """The UnixFS `Data` of a file's interior node: its total size and each child's."""
    return b"\x08\x02\x18" + varint(filesize) + b"".join(b"\x20" + varint(s) for s in blocksizes)


DIRECTORY_DATA = b"\x08\x01"


def unixfs_symlink(target: bytes) -> bytes:
    """The UnixFS `Data` of a symlink: the target as its payload, no filesize (boxo's
    `unixfs.SymlinkData`)."""
    return b"\x08\x04" + _bytes_field(0x12, target)
