"""CIDs as the importer makes them: binary CIDs (prefix + sha2-256 digest) on the hot path, and
`multiformats.CID` objects only at the edges.

Why not a `CID` object per block: building one costs ~60-110 microseconds here, about half the
time sha2-256 takes over a 256 KiB chunk, so a `CID` per chunk would cost a third of the
import's speed. The binary form is four constant bytes and the digest. `multiformats` itself
(~55 ms to import) is imported on the first `to_cid`, so importing the importer stays cheap.

`parse_cid` is the one reading of a CID from text, for the client (tidecast/ipfs/service.py,
before anything is sent) and the node (its RPC, gateway and reader) alike: the two copies had
drifted to different length limits, and only the node refused codecs UnixFS is not made of.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, cast

from tidecast.errors import InvalidInput

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


@functools.cache
def _kinds() -> tuple[Any, ...]:
    from multiformats import CID, multibase, multicodec, multihash  # lazy: ~300 ms, on the first CID only

    return (
        CID,
        getattr(CID, "_new_instance", None),
        multibase.get("base58btc"),
        multibase.get("base32"),
        multicodec.get("dag-pb"),
        multicodec.get("raw"),
        multihash.get("sha2-256"),
    )


def to_cid(binary: bytes) -> CID:
    """A `multiformats.CID` for a binary CID this importer made (sha2-256; v0 dag-pb, v1 dag-pb
    or raw), in the base Kubo prints it in: base58btc for v0, base32 for v1.

    The public constructor validates its arguments with typing-validation (~100 us a CID, half
    the time of hashing a chunk); these CIDs are valid by construction, so they go through the
    constructor's own final step, `CID._new_instance` (~7 us), when the pinned multiformats has
    it. tests/unit/test_ipfs_importer.py checks that both give equal CIDs."""
    cid_class, new_instance, base58btc, base32, dag_pb, raw, sha2_256 = _kinds()
    if binary[:2] == V0_DAG_PB and len(binary) == 34:
        base, version, codec, multihash = base58btc, 0, dag_pb, binary
    elif binary[:4] in (V1_DAG_PB, V1_RAW) and len(binary) == 36:
        base, version, codec, multihash = base32, 1, raw if binary[1] == 0x55 else dag_pb, binary[2:]
    else:
        raise ValueError("not a sha2-256 CID this importer makes")
    if new_instance is None:
        return cast("CID", cid_class(base, version, codec, multihash))
    return cast("CID", new_instance(cid_class, base, version, codec, sha2_256, multihash))


#: A CID in text is at most a few hundred characters; anything longer is refused unparsed.
MAX_CID_TEXT = 512
#: What UnixFS is made of: the codecs the node serves and the client asks for.
UNIXFS_CODECS = ("dag-pb", "raw")


def parse_cid(text: str, field: str = "cid") -> CID:
    """`text` as a CID of a UnixFS codec, or InvalidInput naming `field` (multiformats raises a
    zoo of errors: KeyError, ValueError, binascii.Error, DecodingError)."""
    from multiformats import CID  # lazy: ~300 ms, on the first CID only

    if not isinstance(text, str) or not text or len(text) > MAX_CID_TEXT:
        raise InvalidInput(f"{field} must be a CID, got {str(text)[:80]!r}")
    try:
        cid = CID.decode(text)
    except Exception as exc:  # noqa: BLE001 - see the docstring
        raise InvalidInput(f"{field} is not a valid CID ({text[:80]!r}): {exc}") from None
    if cid.codec.name not in UNIXFS_CODECS:
        raise InvalidInput(f"{field} {text[:80]} has codec {cid.codec.name}; only dag-pb and raw are served")
    return cid
