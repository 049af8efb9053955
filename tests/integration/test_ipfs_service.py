"""The IPFSService against each node it must work with (the embedded node and js-ipfs, a real
daemon), over the Kubo RPC API: uploads, streamed cat, pins, gc, and bad input at its boundary."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.support.jsipfs import JsIpfs
from tests.support.parts import free_port
from tests.support.services import build_services
from tidecast.errors import InvalidInput, NotFound, Unavailable
from tidecast.ipfs.service import IPFSService

HELLO = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"


@pytest.fixture
def ipfs(ipfs_api: str) -> Iterator[IPFSService]:
    service = IPFSService(ipfs_api, gateway="http://gw.test/")
    yield service
    service.close()


def test_uploads_answer_cid_size_and_url_and_cat_streams_them_back(ipfs: IPFSService, tmp_path: Path) -> None:
    data = random.Random(7).randbytes(700_000)
    (tmp_path / "video.bin").write_bytes(data)
    sent: list[int] = []
    added = ipfs.upload_file(tmp_path / "video.bin", on_progress=sent.append)
    assert set(added) >= {"cid", "size", "url"}
    assert added["url"] == f"http://gw.test/ipfs/{added['cid']}"
    assert added["size"] > len(data)  # the DAG: data plus the nodes over it
    assert sent[-1] == len(data) and sent == sorted(sent)
    chunks = list(ipfs.cat(added["cid"], chunk_size=65536))
    assert len(chunks) > 1 and b"".join(chunks) == data

    buffer = ipfs.upload_buffer(b"hello world\n")
    assert (buffer["cid"], buffer["size"]) == (HELLO, 20)
    assert ipfs.cat_bytes(HELLO) == b"hello world\n"


def test_json_is_canonical(ipfs: IPFSService) -> None:
    one = ipfs.upload_json({"b": [1, 2], "a": {"y": "\u00e9", "x": None}})
    two = ipfs.upload_json({"a": {"x": None, "y": "\u00e9"}, "b": [1, 2]})
    assert one == two
    assert ipfs.cat_bytes(one["cid"]) == '{"a":{"x":null,"y":"\u00e9"},"b":[1,2]}'.encode()
    with pytest.raises(InvalidInput, match="not JSON"):
        ipfs.upload_json({"x": float("nan")})


def test_directories_nested_and_paths_inside(ipfs: IPFSService, tmp_path: Path) -> None:
    root = tmp_path / "show"
    (root / "hls" / "720p").mkdir(parents=True)
    (root / "hls" / "720p" / "seg-001.ts").write_bytes(b"\x47" * 188 * 100)
    (root / "master.m3u8").write_bytes(b"#EXTM3U\n")
    (root / ".DS_Store").write_bytes(b"junk")
    added = ipfs.upload_directory(root)
    assert ipfs.cat_bytes(f"{added['cid']}/master.m3u8") == b"#EXTM3U\n"
    assert ipfs.cat_bytes(f"/ipfs/{added['cid']}/hls/720p/seg-001.ts") == b"\x47" * 188 * 100
    with pytest.raises(NotFound):
        ipfs.cat_bytes(f"{added['cid']}/.DS_Store")  # hidden names are left out, as Kubo does
    assert ipfs.get_ipfs_url(f"{added['cid']}/master.m3u8").endswith(f"/ipfs/{added['cid']}/master.m3u8")
    with pytest.raises(InvalidInput, match="directory"):
        ipfs.upload_file(root)
    with pytest.raises(InvalidInput, match="not a directory"):
        ipfs.upload_directory(root / "master.m3u8")


def test_pin_unpin_pins_and_gc(ipfs: IPFSService) -> None:
    data = random.Random().randbytes(1000)  # new bytes: nothing else in a shared repo holds them
    added = ipfs.upload_buffer(data, name="pinned.bin")
    assert added["cid"] in {p["cid"] for p in ipfs.pins()}
    assert ipfs.unpin_cid(added["cid"]) == {"cid": added["cid"], "pinned": False}
    assert added["cid"] not in {p["cid"] for p in ipfs.pins()}
    with pytest.raises(NotFound, match="pin"):
        ipfs.unpin_cid(added["cid"])
    assert ipfs.pin_cid(added["cid"]) == {"cid": added["cid"], "pinned": True}
    assert added["cid"] in {p["cid"] for p in ipfs.pins()}
    ipfs.unpin_cid(added["cid"])
    result = ipfs.gc()
    assert result["removed"] >= 1 and result["errors"] == []
    assert added["cid"] not in {p["cid"] for p in ipfs.pins()}


def test_the_container_builds_the_part_from_settings(ipfs_api: str) -> None:
    services = build_services(
        IPFS_API_URL=ipfs_api, IPFS_GATEWAY="https://gw.example", TIDECAST_IPFS_CID_VERSION=1
    )
    added = services.ipfs.upload_buffer(b"hello world\n")
    assert added["cid"] == "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
    assert added["url"] == f"https://gw.example/ipfs/{added['cid']}"
    assert services.built() == ["ipfs"]
    services.close()


# -- bad input and failures -----------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["", "nope", "Qm123", "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5", "x" * 300]
)
def test_malformed_cids_are_refused_before_any_request(bad: str) -> None:
    ipfs = IPFSService(f"http://127.0.0.1:{free_port()}", gateway="http://gw.test")  # nothing there
    for call in (ipfs.pin_cid, ipfs.unpin_cid, ipfs.get_ipfs_url, ipfs.cat_bytes):
        with pytest.raises(InvalidInput, match="CID"):
            call(bad)
    with pytest.raises(InvalidInput, match=r"'\.' and '\.\.'"):
        ipfs.cat_bytes(f"{HELLO}/../etc")


def test_missing_paths_and_unreachable_nodes(tmp_path: Path) -> None:
    ipfs = IPFSService(f"http://127.0.0.1:{free_port()}", gateway="http://gw.test", timeout=2)
    with pytest.raises(NotFound, match="no such file"):
        ipfs.upload_file(tmp_path / "absent.mp4")
    with pytest.raises(NotFound, match="no such file"):
        ipfs.upload_directory(tmp_path / "absent")
    with pytest.raises(Unavailable, match="cannot be reached") as caught:
        ipfs.upload_buffer(b"x")
    assert caught.value.retry_after == 5 and isinstance(caught.value.__cause__, httpx.ConnectError)
    with pytest.raises(Unavailable, match="cannot be reached"):
        ipfs.cat_bytes(HELLO)


def test_a_missing_block(tmp_path: Path, jsipfs: JsIpfs) -> None:
    """The embedded node says a block is missing (404 -> NotFound); js-ipfs, offline, waits for
    it, so the client's timeout ends the wait (Unavailable, naming the timeout)."""
    from tests.support.ipfs_node import running_node

    absent = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
    with running_node(tmp_path / "store") as node:
        with pytest.raises(NotFound, match="not found"):
            IPFSService(node.url, gateway="http://gw").cat_bytes(absent)
    slow = IPFSService(jsipfs.api_url, gateway="http://gw", timeout=1)
    with pytest.raises(Unavailable, match="within 1 s"):
        slow.cat_bytes(absent)


class Flaky(BaseHTTPRequestHandler):
    """Answers 503 to the first `failures` requests (reading their bodies first), then passes
    requests on to `upstream`: a node behind a proxy that hiccups."""

    failures = 0
    upstream = ""
    seen = 0

    def do_POST(self) -> None:
        type(self).seen += 1
        length = self.headers.get("Content-Length")
        if length is not None:
            body = self.rfile.read(int(length))
        else:
            body = _read_chunked(self.rfile)
        if type(self).seen <= self.failures:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type",)}
        reply = httpx.post(self.upstream + self.path, content=body, headers=headers, timeout=30)
        self.send_response(reply.status_code)
        self.send_header("Content-Type", reply.headers.get("content-type", "application/json"))
        self.send_header("Content-Length", str(len(reply.content)))
        self.end_headers()
        self.wfile.write(reply.content)

    def log_message(self, *args: object) -> None:
        pass


def _read_chunked(stream: object) -> bytes:
    out = b""
    while True:
        size = int(stream.readline().strip(), 16)  # type: ignore[attr-defined]
        if size == 0:
            stream.readline()  # type: ignore[attr-defined]
            return out
        out += stream.read(size)  # type: ignore[attr-defined]
        stream.readline()  # type: ignore[attr-defined]


def test_a_busy_node_is_retried_and_the_add_sent_again_whole(tmp_path: Path) -> None:
    from tests.support.ipfs_node import running_node

    data = random.Random(3).randbytes(600_000)
    (tmp_path / "clip.bin").write_bytes(data)
    with running_node(tmp_path / "store") as node:
        expected = IPFSService(node.url, gateway="http://gw").add_path(tmp_path / "clip.bin")["cid"]
        handler = type("Handler", (Flaky,), {"failures": 2, "upstream": node.url, "seen": 0})
        proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{proxy.server_address[1]}"
            added = IPFSService(url, gateway="http://gw").upload_file(tmp_path / "clip.bin")
            assert added["cid"] == expected and handler.seen == 3
            handler.failures, handler.seen = 5, 0
            with pytest.raises(Unavailable, match="HTTP 503"):
                IPFSService(url, gateway="http://gw").upload_file(tmp_path / "clip.bin")
            assert handler.seen == 3  # three attempts, then it gives up
        finally:
            proxy.shutdown()
            proxy.server_close()
