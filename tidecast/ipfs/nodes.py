"""Reading what the importer writes: CIDs from text, and dag-pb `PBNode` / UnixFS `Data`
messages from block bytes.

The decoder is hand-written (about sixty lines of protobuf wire format) rather than generated:
the two messages have seven fields between them, and a generated module would bring the
protobuf runtime into every process that reads a block. It reads only what the reader and gc
need and refuses anything malformed with InvalidInput, so a hostile or damaged block is a
clear 4xx, never an exception from deep inside.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from multiformats import CID

from tidecast.errors import InvalidInput

#: UnixFS Data.DataType values (unixfs.proto).
RAW, DIRECTORY, FILE, METADATA, SYMLINK, HAMT_SHARD = 0, 1, 2, 3, 4, 5
DAG_PB = "dag-pb"
RAW_CODEC = "raw"


def cid_text(cid: CID) -> str:
    """How Kubo prints a CID: base58btc for v0, base32 for v1."""
    return str(cid) if cid.version == 0 else cid.encode("base32")


@dataclass(frozen=True)
class Link:
    cid: CID
    name: str
    tsize: int


@dataclass(frozen=True)
class PBNode:
    links: list[Link]
    data: bytes | None


@dataclass(frozen=True)
class UnixFS:
    type: int
    data: bytes = b""
    filesize: int | None = None
    blocksizes: list[int] = field(default_factory=list)


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise InvalidInput("malformed block: truncated varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of a protobuf message; varints and length-delimited
    fields only, which is all dag-pb and UnixFS use."""
    out: list[tuple[int, int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            out.append((number, wire, value))
        elif wire == 2:
            length, pos = _varint(buf, pos)
            if pos + length > len(buf):
                raise InvalidInput("malformed block: field runs past the end")
            out.append((number, wire, buf[pos : pos + length]))
            pos += length
        else:
            raise InvalidInput(f"malformed block: wire type {wire}")
    return out


def decode_pbnode(block: bytes) -> PBNode:
    links: list[Link] = []
    data: bytes | None = None
    for number, wire, value in _fields(block):
        if number == 2 and isinstance(value, bytes):
            links.append(_link(value))
        elif number == 1 and isinstance(value, bytes):
            data = value
        else:
            raise InvalidInput(f"malformed dag-pb node: field {number} (wire type {wire})")
    return PBNode(links, data)


def _link(buf: bytes) -> Link:
    cid: CID | None = None
    name, tsize = "", 0
    for number, _, value in _fields(buf):
        if number == 1 and isinstance(value, bytes):
            try:
                cid = CID.decode(value)
            except Exception:  # noqa: BLE001 - as parse_cid
                raise InvalidInput("malformed dag-pb link: bad CID") from None
        elif number == 2 and isinstance(value, bytes):
            name = value.decode("utf-8", "replace")
        elif number == 3 and isinstance(value, int):
            tsize = value
    if cid is None:
        raise InvalidInput("malformed dag-pb link: no CID")
    return Link(cid, name, tsize)


def decode_unixfs(data: bytes | None) -> UnixFS:
    if data is None:
        raise InvalidInput("dag-pb node without UnixFS data")
    kind: int | None = None
    payload, filesize, sizes = b"", None, []
    for number, _, value in _fields(data):
        if number == 1 and isinstance(value, int):
            kind = value
        elif number == 2 and isinstance(value, bytes):
            payload = value
        elif number == 3 and isinstance(value, int):
            filesize = value
        elif number == 4 and isinstance(value, int):
            sizes.append(value)
        elif number == 4 and isinstance(value, bytes):  # packed repeated
            pos = 0
            while pos < len(value):
                size, pos = _varint(value, pos)
                sizes.append(size)
    if kind is None:
        raise InvalidInput("UnixFS data without a type")
    return UnixFS(kind, payload, filesize, sizes)


def links_of(cid: CID, block: bytes) -> list[CID]:
    """The CIDs a block links to (none for a raw block)."""
    if cid.codec.name != DAG_PB:
        return []
    return [link.cid for link in decode_pbnode(block).links]
