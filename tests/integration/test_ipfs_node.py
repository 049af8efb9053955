"""The embedded node's Kubo RPC subset over real HTTP, checked against Kubo's published vectors
(tests/support/kubo_vectors.py) and the importer."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from multiformats import CID

from tests.support.ipfs_node import CONTENT_TYPE, body, ndjson, part, running_node, stored_blocks, tree
from tests.support.kubo_vectors import MOONS_OUTPUT, PLANETS, deterministic
from tidecast.ipfs.embedded import IpfsNode
from tidecast.ipfs.importer import DiscardBlocks, ImportOptions, add_directory, add_file

HELLO = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
PLANET_FILES = {"mars.txt": b"Hello Mars!\n", "venus.txt": b"Hello Venus!\n"}


@pytest.fixture
def node(tmp_path: Path) -> Iterator[IpfsNode]:
    with running_node(tmp_path / "ipfs") as started:
        yield started


@pytest.fixture
def api(node: IpfsNode) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=node.url + "/api/v0", timeout=30) as client:
        yield client


def add(api: httpx.Client, content: bytes, **params: object) -> httpx.Response:
    return api.post("/add", params=params, content=content, headers={"Content-Type": CONTENT_TYPE})


def test_add_hello_world_answers_kubos_line_byte_for_byte(api: httpx.Client) -> None:
    reply = add(api, body(part("hello.txt", b"hello world\n")))
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.text == f'{{"Name":"hello.txt","Hash":"{HELLO}","Size":"20"}}\n'
    assert api.post("/cat", params={"arg": HELLO}).content == b"hello world\n"
    assert ndjson(api.post("/pin/ls", params={"type": "recursive"}).text) == [
        {"Keys": {HELLO: {"Type": "recursive"}}}
    ]


def test_add_with_httpx_files_and_an_unnamed_file(api: httpx.Client) -> None:
    """httpx's own multipart (as the service sends it) works; a file without a name is named
    by its CID, as Kubo names stdin."""
    named = api.post("/add", files={"file": ("a.txt", b"hello world\n")})
    assert ndjson(named.text) == [{"Name": "a.txt", "Hash": HELLO, "Size": "20"}]
    unnamed = add(api, body(part("", b"hello world\n")))
    assert ndjson(unnamed.text) == [{"Name": HELLO, "Hash": HELLO, "Size": "20"}]


@pytest.mark.parametrize("option", sorted(PLANETS))
def test_planets_directory_gives_kubos_cids_for_each_option(api: httpx.Client, option: str) -> None:
    params: dict[str, object] = {}
    for flag in option.split():
        if flag == "--raw-leaves":
            params["raw-leaves"] = "true"
        elif flag == "--raw-leaves=false":
            params["raw-leaves"] = "false"
        elif flag == "--cid-version=1":
            params["cid-version"] = 1
    reply = add(api, tree("planets", PLANET_FILES), **params)
    assert reply.status_code == 200, reply.text
    mars, venus, planets = PLANETS[option]
    assert [(line["Name"], line["Hash"]) for line in ndjson(reply.text)] == [
        ("planets/mars.txt", mars),
        ("planets/venus.txt", venus),
        ("planets", planets),
    ]


def test_moons_tree_answers_in_kubos_order(api: httpx.Client) -> None:
    files = {
        "jupiter/europa.txt": b"Hello Europa!\n",
        "saturn/titan.txt": b"Hello Titan!\n",
        "mercury.txt": b"hey you are no moon!\n",
    }
    reply = add(api, tree("moons", files))
    assert [(line["Name"], line["Hash"]) for line in ndjson(reply.text)] == MOONS_OUTPUT
    assert all(isinstance(line["Size"], str) for line in ndjson(reply.text))
    # a path inside the directory reads back
    moons = MOONS_OUTPUT[-1][1]
    assert api.post("/cat", params={"arg": f"/ipfs/{moons}/saturn/titan.txt"}).content == b"Hello Titan!\n"


def test_wrap_with_directory_names_the_wrapper_empty(api: httpx.Client) -> None:
    reply = add(api, body(part("hello.txt", b"hello world\n")), **{"wrap-with-directory": "true"})
    lines = ndjson(reply.text)
    hello = add_file([b"hello world\n"], DiscardBlocks())
    wrapper = add_directory([("hello.txt", hello)], DiscardBlocks())
    assert lines == [
        {"Name": "hello.txt", "Hash": HELLO, "Size": "20"},
        {"Name": "", "Hash": str(wrapper.cid), "Size": str(wrapper.size)},
    ]
    pins = ndjson(api.post("/pin/ls", params={"type": "recursive"}).text)[0]["Keys"]
    assert pins == {str(wrapper.cid): {"Type": "recursive"}}


def test_several_top_level_files_are_each_pinned(api: httpx.Client) -> None:
    reply = add(api, body(part("a.txt", b"one\n"), part("b.txt", b"two\n")))
    hashes = [line["Hash"] for line in ndjson(reply.text)]
    assert len(hashes) == 2
    pins = ndjson(api.post("/pin/ls", params={"type": "recursive"}).text)[0]["Keys"]
    assert set(pins) == set(hashes)


@pytest.mark.parametrize("version", [0, 1])
def test_large_file_cat_ranges_and_blocks(api: httpx.Client, node: IpfsNode, version: int) -> None:
    data = b"".join(deterministic(700_000, "node-cat"))
    reply = add(api, body(part("big.bin", data)), **{"cid-version": version})
    expected = add_file([data], DiscardBlocks(), ImportOptions(cid_version=version))
    line = ndjson(reply.text)[0]
    assert line == {"Name": "big.bin", "Hash": _text(expected.cid), "Size": str(expected.size)}
    assert api.post("/cat", params={"arg": line["Hash"]}).content == data
    for offset, length in ((0, 10), (262_140, 10), (500_000, 1_000_000), (699_999, 5), (700_000, 5)):
        got = api.post("/cat", params={"arg": line["Hash"], "offset": offset, "length": length})
        assert got.status_code == 200
        assert got.content == data[offset : offset + length]
    # block/get answers each block's exact bytes (their hash is the CID's digest)
    for path in stored_blocks(node.store.root)[:5]:
        from tidecast.ipfs.blockstore import key_cid

        cid = key_cid(path.name)
        block = api.post("/block/get", params={"arg": str(cid)}).content
        assert hashlib.sha256(block).digest() == bytes(cid.raw_digest)


def test_only_hash_stores_and_pins_nothing(api: httpx.Client, node: IpfsNode) -> None:
    reply = add(api, body(part("hello.txt", b"hello world\n")), **{"only-hash": "true"})
    assert ndjson(reply.text)[0]["Hash"] == HELLO
    assert stored_blocks(node.store.root) == []
    assert api.post("/cat", params={"arg": HELLO}).status_code == 404
    assert ndjson(api.post("/pin/ls").text) == [{"Keys": {}}]


def test_pin_false_stores_without_pinning_and_gc_frees_it(api: httpx.Client, node: IpfsNode) -> None:
    add(api, body(part("keep.txt", b"keep me\n")))
    reply = add(api, body(part("hello.txt", b"hello world\n")), pin="false")
    assert ndjson(reply.text)[0]["Hash"] == HELLO
    assert api.post("/cat", params={"arg": HELLO}).content == b"hello world\n"
    gc = api.post("/repo/gc")
    assert gc.status_code == 200
    freed = [CID.decode(line["Key"]["/"]) for line in ndjson(gc.text)]  # type: ignore[index]
    assert [c.raw_digest for c in freed] == [CID.decode(HELLO).raw_digest]
    assert gc.text == f'{{"Key":{{"/":"{freed[0].encode("base32")}"}}}}\n'
    assert api.post("/cat", params={"arg": HELLO}).status_code == 404
    assert len(stored_blocks(node.store.root)) == 1  # keep.txt's block stays
    assert api.post("/repo/gc").text == ""


def test_pin_add_ls_rm(api: httpx.Client) -> None:
    data = b"".join(deterministic(600_000, "pins"))
    root = ndjson(add(api, body(part("f.bin", data)), pin="false").text)[0]["Hash"]
    assert api.post("/pin/add", params={"arg": f"/ipfs/{root}"}).json() == {"Pins": [root]}
    everything = api.post("/pin/ls").json()["Keys"]
    assert everything[root] == {"Type": "recursive"}
    indirect = {k for k, v in everything.items() if v["Type"] == "indirect"}
    assert len(indirect) == 3  # three 256 KiB leaves under the root
    assert api.post("/pin/ls", params={"type": "indirect"}).json()["Keys"].keys() == indirect
    assert api.post("/pin/ls", params={"type": "direct"}).json() == {"Keys": {}}
    assert api.post("/pin/ls", params={"arg": root}).json() == {"Keys": {root: {"Type": "recursive"}}}
    streamed = ndjson(api.post("/pin/ls", params={"type": "recursive", "stream": "true"}).text)
    assert streamed == [{"Cid": root, "Type": "recursive"}]
    assert api.post("/pin/rm", params={"arg": root}).json() == {"Pins": [root]}
    again = api.post("/pin/rm", params={"arg": root})
    assert again.status_code == 404
    assert again.json() == {"Message": f"{root}: not pinned or pinned indirectly", "Code": 0, "Type": "error"}
    assert api.post("/pin/ls", params={"arg": root}).status_code == 404


def test_progress_lines_count_bytes(api: httpx.Client) -> None:
    data = bytes(600_000)
    lines = ndjson(add(api, body(part("zeros", data)), progress="true").text)
    progress = [line["Bytes"] for line in lines if "Bytes" in line]
    assert progress[-1] == 600_000 and progress == sorted(progress) and len(progress) >= 2
    assert lines[-1]["Name"] == "zeros" and "Hash" in lines[-1]


def test_cid_base32_upgrades_v0(api: httpx.Client) -> None:
    line = ndjson(add(api, body(part("hello.txt", b"hello world\n")), **{"cid-base": "base32"}).text)[0]
    assert CID.decode(line["Hash"]).version == 1  # type: ignore[arg-type]
    assert CID.decode(line["Hash"]).digest == CID.decode(HELLO).digest  # type: ignore[arg-type]


def test_post_only_and_version(node: IpfsNode) -> None:
    for method in ("GET", "PUT", "DELETE"):
        reply = httpx.request(method, node.url + "/api/v0/version")
        assert reply.status_code == 405
        assert reply.text == "405 - Method Not Allowed\n"
        assert reply.headers["allow"] == "POST"
    version = httpx.post(node.url + "/api/v0/version").json()
    assert set(version) == {"Version", "Commit", "Repo", "System", "Golang"}
    assert version["Version"].endswith("-tidecast")
    unknown = httpx.post(node.url + "/api/v0/swarm/peers")
    assert unknown.status_code == 404 and unknown.json()["Type"] == "error"


def _text(cid: CID) -> str:
    return str(cid) if cid.version == 0 else cid.encode("base32")
