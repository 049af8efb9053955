"""One address for the same bytes everywhere: for every input, the CID js-ipfs (a real daemon)
gives equals the embedded node's and the importer's, with Kubo's defaults (CIDv0, dag-pb
leaves) and with CIDv1 (raw leaves, base32). Both nodes are driven through the same client,
the IPFSService, over the Kubo RPC API.

Names here are at least two characters long: js-ipfs 0.66's multipart parser drops a
one-character filename (its pattern is `filename="(.[^"]+)"`), which no real tree here has.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.ipfs_node import running_node
from tests.support.jsipfs import JsIpfs
from tidecast.ipfs.importer import DiscardBlocks, ImportOptions, add_file, add_path
from tidecast.ipfs.service import IPFSService

pytestmark = pytest.mark.slow  # js-ipfs adding every vector

CHUNK = 262144


def blob(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def build_inputs(root: Path) -> dict[str, tuple[Path, bool]]:
    """name -> (path, wrap): files of several sizes around the chunk and link boundaries,
    nested directories, wrapped trees."""
    files = {
        "empty.bin": b"",
        "hello.txt": b"hello world\n",
        "chunk.bin": blob(CHUNK, 1),
        "chunk-plus-one.bin": blob(CHUNK + 1, 2),
        "over-256k.bin": blob(300_000, 3),
        # 175 chunks: one more than a node's 174 links, so the tree grows a second level.
        "wide.bin": blob(174 * CHUNK + 1, 4),
    }
    inputs: dict[str, tuple[Path, bool]] = {}
    root.mkdir(parents=True)
    for name, data in files.items():
        (root / name).write_bytes(data)
        inputs[name] = (root / name, False)
    site = root / "site"
    (site / "media" / "deep" / "more").mkdir(parents=True)
    (site / "empty-dir").mkdir()
    (site / "index.html").write_bytes(b"<!doctype html><title>tidecast</title>\n")
    (site / "media" / "seg-000.ts").write_bytes(blob(CHUNK * 2 + 17, 5))
    (site / "media" / "deep" / "more" / "notes.txt").write_bytes(b"deep\n")
    (site / "a b.txt").write_bytes(b"spaces\n")
    (site / "caf\u00e9.txt").write_bytes(b"accents\n")
    (site / "zz-last.txt").write_bytes(b"")
    inputs["nested directory"] = (site, False)
    inputs["wrapped directory"] = (site, True)
    inputs["wrapped file"] = (root / "hello.txt", True)
    return inputs


def text(cid: Any) -> str:
    return str(cid) if cid.version == 0 else cid.encode("base32")


def via(service: IPFSService, version: int) -> Callable[[Path, bool], str]:
    return lambda path, wrap: str(service.add_path(path, wrap=wrap, cid_version=version)["cid"])


@pytest.mark.parametrize("version", [0, 1])
def test_same_cids_from_js_ipfs_the_embedded_node_and_the_importer(
    version: int, jsipfs: JsIpfs, tmp_path: Path
) -> None:
    inputs = build_inputs(tmp_path / "in")
    options = ImportOptions(cid_version=version)
    js = IPFSService(jsipfs.api_url, gateway="http://gw.test")
    with running_node(tmp_path / "store") as node:
        embedded = IPFSService(node.url, gateway="http://gw.test")
        for name, (path, wrap) in inputs.items():
            expected = text(add_path(path, DiscardBlocks(), options, wrap=wrap).cid)
            got_js = via(js, version)(path, wrap)
            got_embedded = via(embedded, version)(path, wrap)
            assert (got_js, got_embedded) == (expected, expected), name
            assert expected.startswith("Qm" if version == 0 else "baf"), name
        # JSON goes through upload_json on both nodes: one canonical text, one CID.
        obj = {"title": "tidecast", "qualities": [1080, 720], "nested": {"b": 1, "a": None}}
        js_json, embedded_json = (
            IPFSService(url, gateway="http://gw.test", cid_version=version).upload_json(obj)
            for url in (jsipfs.api_url, node.url)
        )
        canonical = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
        expected = text(add_file([canonical], DiscardBlocks(), options).cid)
        assert js_json["cid"] == embedded_json["cid"] == expected
        assert js_json["size"] == embedded_json["size"]
        embedded.close()
    js.close()
