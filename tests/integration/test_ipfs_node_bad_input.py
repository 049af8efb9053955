"""Bad input at the node's edges: a clear 4xx in Kubo's error shape, never a 500, and nothing
stored or pinned by a refused add."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.ipfs_node import (
    BOUNDARY,
    CONTENT_TYPE,
    body,
    gateway,
    ndjson,
    part,
    running_node,
    stored_blocks,
)
from tidecast.ipfs.embedded import IpfsNode

HELLO = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
LIMIT = 100_000


@pytest.fixture
def node(tmp_path: Path) -> Iterator[IpfsNode]:
    with running_node(tmp_path / "ipfs", max_add_bytes=LIMIT) as started:
        yield started


@pytest.fixture
def api(node: IpfsNode) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=node.url + "/api/v0", timeout=30) as client:
        yield client


def assert_untouched(api: httpx.Client, node: IpfsNode) -> None:
    assert stored_blocks(node.store.root) == []
    assert list((node.store.root / "staging").iterdir()) == []
    assert api.post("/pin/ls").json() == {"Keys": {}}


def assert_kubo_error(reply: httpx.Response, status: int, *words: str) -> None:
    assert reply.status_code == status, reply.text
    error = reply.json()
    assert error["Type"] == "error" and error["Code"] == (1 if status in (400, 413) else 0)
    for word in words:
        assert word in error["Message"]


@pytest.mark.parametrize(
    "bad", ["Qmbad", "bafy", "", "zzzz", "Q" * 600, "/ipfs/", "QmT78zSuBmuS4z925WZfrqQ1"]
)
def test_malformed_cids_are_400(api: httpx.Client, node: IpfsNode, bad: str) -> None:
    for command in ("cat", "block/get", "pin/add", "pin/rm", "pin/ls"):
        reply = api.post(f"/{command}", params={"arg": bad})
        assert reply.status_code == 400, (command, reply.text)
        assert reply.json()["Type"] == "error"
    assert gateway(f"{node.url}/ipfs/{bad or 'x'}").status_code in (400, 404)


@pytest.mark.parametrize(
    "name", ["../escape.txt", "dir/../../x", "/etc/passwd", "dir//x", "dir/./x", "a\x00b", "x" * 300]
)
def test_bad_names_in_directory_uploads_are_400_and_store_nothing(
    api: httpx.Client, node: IpfsNode, name: str
) -> None:
    content = body(
        part("dir", directory=True), part("dir/ok.txt", b"fine\n"), part(name, b"evil\n", escape=False)
    )
    reply = api.post("/add", content=content, headers={"Content-Type": CONTENT_TYPE})
    assert_kubo_error(reply, 400, "name")
    assert_untouched(api, node)


def test_nesting_deeper_than_128_levels_is_400_not_a_crash(api: httpx.Client, node: IpfsNode) -> None:
    # Thousands of levels once recursed past Python's limit while the tree was built (a 500).
    for depth in (129, 3000):
        deep_file = body(part("/".join(["d"] * depth), b"x"))
        reply = api.post("/add", content=deep_file, headers={"Content-Type": CONTENT_TYPE})
        assert_kubo_error(reply, 400, "levels")
        assert_untouched(api, node)
    # every level declared as a directory part (the body stays under the fixture's limit)
    deep_dirs = body(*(part("/".join(["d"] * level), directory=True) for level in range(1, 130)))
    assert_kubo_error(
        api.post("/add", content=deep_dirs, headers={"Content-Type": CONTENT_TYPE}), 400, "levels"
    )
    assert_untouched(api, node)
    ok = api.post(
        "/add", content=body(part("/".join(["d"] * 128), b"x")), headers={"Content-Type": CONTENT_TYPE}
    )
    lines = ndjson(ok.text)
    assert ok.status_code == 200 and len(lines) == 128 and lines[-1]["Name"] == "d"


def test_empty_name_among_several_parts_is_400(api: httpx.Client, node: IpfsNode) -> None:
    content = body(part("a.txt", b"a\n"), part("", b"b\n"))
    assert_kubo_error(api.post("/add", content=content, headers={"Content-Type": CONTENT_TYPE}), 400)
    assert_untouched(api, node)


def test_add_over_the_limit_is_413_with_nothing_stored(api: httpx.Client, node: IpfsNode) -> None:
    big = body(part("a.bin", b"x" * 50_000), part("b.bin", bytes(range(256)) * 400))
    assert len(big) > LIMIT
    declared = api.post("/add", content=big, headers={"Content-Type": CONTENT_TYPE})
    assert_kubo_error(declared, 413, "TIDECAST_IPFS_MAX_ADD_BYTES")
    assert_untouched(api, node)

    def chunked() -> Iterator[bytes]:  # no Content-Length: found out while streaming
        for i in range(0, len(big), 8192):
            yield big[i : i + 8192]

    streamed = api.post("/add", content=chunked(), headers={"Content-Type": CONTENT_TYPE})
    assert_kubo_error(streamed, 413)
    assert_untouched(api, node)
    # under the limit the same node takes it
    assert (
        api.post("/add", content=body(part("ok", b"ok")), headers={"Content-Type": CONTENT_TYPE}).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("multipart/form-data", body(part("a", b"a"))),  # no boundary
        ("application/json", b"{}"),
        (CONTENT_TYPE, body(part("a", b"a"))[:-20]),  # truncated
        (
            CONTENT_TYPE,
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n'.encode(),
        ),
        (CONTENT_TYPE, f"--{BOUNDARY}\r\nX-Big: {'a' * 20000}\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode()),
        (CONTENT_TYPE, f"--{BOUNDARY}\r\n".encode() + b"".join(f"X-H{i}: v\r\n".encode() for i in range(40))),
        (CONTENT_TYPE, b"garbage without any boundary at all"),
        (CONTENT_TYPE, f"--{BOUNDARY}--\r\n".encode()),  # no parts
    ],
)
def test_hostile_multipart_is_400(
    api: httpx.Client, node: IpfsNode, content_type: str, content: bytes
) -> None:
    reply = api.post("/add", content=content, headers={"Content-Type": content_type})
    assert_kubo_error(reply, 400)
    assert_untouched(api, node)


def test_client_vanishing_mid_upload_stores_nothing(node: IpfsNode) -> None:
    head = (
        f"POST /api/v0/add HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {CONTENT_TYPE}\r\n"
        "Content-Length: 2000000\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", node.port)) as sock:
        sock.sendall(head + part("big.bin", b"y" * 600_000))
    with httpx.Client(base_url=node.url + "/api/v0") as api:
        for _ in range(100):  # the add notices the disconnect and drops its staging
            if not list((node.store.root / "staging").iterdir()):
                break
            import time

            time.sleep(0.05)
        assert_untouched(api, node)


@pytest.mark.parametrize(
    "params",
    [
        {"cid-version": "2"},
        {"cid-version": "one"},
        {"pin": "maybe"},
        {"raw-leaves": "yes"},
        {"chunker": "rabin"},
        {"chunker": "size-0"},
        {"hash": "blake3"},
        {"trickle": "true"},
        {"cid-base": "base64"},
    ],
)
def test_bad_options_are_400(api: httpx.Client, node: IpfsNode, params: dict[str, str]) -> None:
    reply = api.post(
        "/add", params=params, content=body(part("a", b"a")), headers={"Content-Type": CONTENT_TYPE}
    )
    assert_kubo_error(reply, 400)
    assert_untouched(api, node)


def test_missing_blocks_are_404(api: httpx.Client, node: IpfsNode) -> None:
    data = bytes(range(256)) * 200  # 51200 bytes: three leaves of 20000 bytes at most
    reply = api.post(
        "/add",
        params={"chunker": "size-20000"},
        content=body(part("f", data)),
        headers={"Content-Type": CONTENT_TYPE},
    )
    root = ndjson(reply.text)
    cid = str(root[0]["Hash"])
    assert api.post("/cat", params={"arg": cid}).content == data
    leaves = [p for p in stored_blocks(node.store.root) if p.stat().st_size > 10_000]
    leaves[0].unlink()
    assert_kubo_error(api.post("/cat", params={"arg": cid}), 404, "not found")
    assert gateway(f"{node.url}/ipfs/{cid}").status_code == 404
    assert api.post("/pin/rm", params={"arg": cid}).status_code == 200
    assert_kubo_error(api.post("/pin/add", params={"arg": cid}), 404, "not found")
    never = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    assert_kubo_error(api.post("/block/get", params={"arg": never}), 404)
    assert_kubo_error(api.post("/cat", params={"arg": f"{HELLO}/no/such"}), 404)


def test_cat_of_a_directory_and_bad_offsets(api: httpx.Client) -> None:
    lines = ndjson(
        api.post(
            "/add",
            content=body(part("d", directory=True), part("d/a", b"a")),
            headers={"Content-Type": CONTENT_TYPE},
        ).text
    )
    directory = str(lines[-1]["Hash"])
    assert_kubo_error(api.post("/cat", params={"arg": directory}), 400, "directory")
    assert_kubo_error(api.post("/cat", params={"arg": directory, "offset": "-1"}), 400)
    assert_kubo_error(api.post("/cat", params={"arg": directory, "offset": "x"}), 400)
    assert_kubo_error(api.post("/cat"), 400)
    assert_kubo_error(api.post("/pin/ls", params={"type": "sideways"}), 400)
    assert_kubo_error(api.post("/pin/add", params={"arg": directory, "recursive": "false"}), 400)


def symlink_dir(api: httpx.Client) -> str:
    """`d/` holding a file and a symlink to it, as `ipfs add -r` sends them (Kubo's t0044)."""
    link = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="d%2Flink"\r\n'
        "Content-Type: application/symlink\r\n\r\n"
        "target.txt\r\n"
    ).encode()
    reply = api.post(
        "/add",
        content=body(part("d", directory=True), link, part("d/target.txt", b"the target\n")),
        headers={"Content-Type": CONTENT_TYPE},
    )
    assert reply.status_code == 200, reply.text
    return str(ndjson(reply.text)[-1]["Hash"])


def test_cat_of_a_symlink_answers_its_target_as_kubo_does(api: httpx.Client) -> None:
    """Kubo's `cat` reads a UnixFS symlink as a file holding its target (boxo's files.Symlink
    is a File): never followed, and the body is exactly what Content-Length says."""
    root = symlink_dir(api)
    reply = api.post("/cat", params={"arg": f"{root}/link"})
    assert reply.status_code == 200, reply.text
    assert reply.content == b"target.txt"
    assert reply.headers["content-length"] == reply.headers["x-content-length"] == "10"
    part_ = api.post("/cat", params={"arg": f"{root}/link", "offset": "2", "length": "4"})
    assert part_.status_code == 200 and part_.content == b"rget"
    past = api.post("/cat", params={"arg": f"{root}/link", "offset": "99"})
    assert past.status_code == 200 and past.content == b""
    # a symlink in the middle of a path is not a directory: nothing is there
    assert_kubo_error(api.post("/cat", params={"arg": f"{root}/link/x"}), 404)
    assert api.post("/cat", params={"arg": f"{root}/target.txt"}).content == b"the target\n"
