"""CIDs as the importer makes them: binary CIDs (prefix + sha2-256 digest) on the hot path, and
`multiformats.CID` objects only at the edges.

Why not a `CID` object per block: building one costs ~60-110 microseconds here, about half the
time sha2-256 takes over a 256 KiB chunk, so a `CID` per chunk would cost a third of the
import's speed. The binary form is four constant bytes and the digest. `multiformats` itself
(~55 ms to import) is imported on the first `to_cid`, so importing the importer stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multiformats import CID

#: sha2-256 multihash header: code 0x12, length 32.
_MH_SHA2_256 = b"\x12\x20"
#: CIDv0 is the bare multihash (always dag-pb, base58btc).
V0_DAG_PB = _MH_SHA2_256
#: CIDv1: version 1, codec (dag-pb 0x70 or raw 0x55), then the multihash.
V1_DAG_PB = b"\x01\x70" + _MH_SHA2_256
V1_RAW = b"\x01\x55" + _MH_SHA2_256


def dag_pb_prefix(cid_version: int) -> bytes:
    """The bytes before the digest in a dag-pb node's CID of that version."""
    return V0_DAG_PB if cid_version == 0 else V1_DAG_PB


def to_cid(binary: bytes) -> CID:
    """A `multiformats.CID` for a binary CID, in the base Kubo prints it in: base58btc for
    v0, base32 for v1."""
    from multiformats import CID

    if binary[:2] == V0_DAG_PB:
        return CID("base58btc", 0, "dag-pb", binary)
    return CID("base32", 1, "raw" if binary[1] == 0x55 else "dag-pb", binary[2:])
