"""One reading of a CID from text for the IPFS client and the embedded node: they agree on every
text. The two copies had drifted: the client refused valid CIDs over 200 characters that the node
serves, and sent the node CIDs of codecs UnixFS is not made of, which only the node refused."""

from __future__ import annotations

import pytest
from multiformats import CID, multihash

from tidecast.errors import InvalidInput
from tidecast.ipfs.reader import split_path
from tidecast.ipfs.service import check_path

V0 = "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"
V1 = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
#: A raw CID with an identity multihash of 150 bytes: valid, and 250 characters in base32.
LONG = str(CID("base32", 1, "raw", multihash.digest(b"a" * 150, "identity")))
#: A dag-cbor CID: valid, but not UnixFS.
CBOR = str(CID("base32", 1, "dag-cbor", multihash.digest(b"x", "sha2-256")))


def accepts(parse, text: str) -> bool:
    try:
        parse(text)
    except InvalidInput:
        return False
    return True


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        (V0, True),
        (V1, True),
        (LONG, True),
        (CBOR, False),
        ("Qm" + "x" * 600, False),
        ("", False),
        ("zzz", False),
    ],
)
def test_the_client_and_the_node_read_a_cid_alike(text: str, valid: bool) -> None:
    assert len(LONG) > 200
    assert accepts(check_path, text) is valid, "client"
    assert accepts(split_path, text) is valid, "node"


def test_a_refusal_names_the_field_and_the_codec() -> None:
    with pytest.raises(InvalidInput, match=f"path {CBOR} has codec dag-cbor; only dag-pb and raw are served"):
        check_path(CBOR, "path")
    with pytest.raises(InvalidInput, match="cid must be a CID"):
        split_path("x" * 600)
