"""The gateway over real HTTP, on the node's port and on the dev server (where it answers
everyone, while /_dev/ stays local-only)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.devserver import running_devserver
from tests.support.ipfs_node import CONTENT_TYPE, ndjson, running_node, tree
from tests.support.kubo_vectors import deterministic
from tidecast.embedded.ipfs import IpfsNode
from tidecast.embedded.mail import MailCapture
from tidecast.runtime.devserver import DevServer
from tidecast.runtime.netlify import load_netlify_config
from tidecast.runtime.registry import Registry

IMMUTABLE = "public, max-age=29030400, immutable"
DATA = b"".join(deterministic(300_000, "gateway"))
SITE = {
    "index.html": b"<h1>site</h1>",
    "video/master.m3u8": b"#EXTM3U\n",
    "video/seg0.ts": bytes([0x47]) + bytes(187) + bytes([0x47]) + bytes(187),
    "notes/<img src=x onerror=alert(1)>.txt": b"x",
    "notes/a b&c.txt": b"y",
    "data.bin": DATA,
}


@pytest.fixture
def node(tmp_path: Path) -> Iterator[IpfsNode]:
    with running_node(tmp_path / "ipfs") as started:
        yield started


@pytest.fixture
def site(node: IpfsNode) -> dict[str, str]:
    reply = httpx.post(
        node.url + "/api/v0/add", content=tree("site", SITE), headers={"Content-Type": CONTENT_TYPE}
    )
    return {str(line["Name"]): str(line["Hash"]) for line in ndjson(reply.text)}


def test_file_headers_types_and_ranges(node: IpfsNode, site: dict[str, str]) -> None:
    root = site["site"]
    url = f"{node.url}/ipfs/{root}/data.bin"
    whole = httpx.get(url)
    assert whole.status_code == 200 and whole.content == DATA
    assert whole.headers["etag"] == f'"{site["site/data.bin"]}"'
    assert whole.headers["cache-control"] == IMMUTABLE
    assert whole.headers["x-ipfs-path"] == f"/ipfs/{root}/data.bin"
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-length"] == str(len(DATA))
    part_ = httpx.get(url, headers={"Range": "bytes=262000-262999"})
    assert part_.status_code == 206 and part_.content == DATA[262000:263000]
    assert part_.headers["content-range"] == f"bytes 262000-262999/{len(DATA)}"
    suffix = httpx.get(url, headers={"Range": "bytes=-10"})
    assert suffix.status_code == 206 and suffix.content == DATA[-10:]
    open_end = httpx.get(url, headers={"Range": "bytes=299990-"})
    assert open_end.content == DATA[299990:]
    past = httpx.get(url, headers={"Range": f"bytes={len(DATA)}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(DATA)}"
    several = httpx.get(url, headers={"Range": "bytes=0-1,5-6"})
    assert several.status_code == 200 and several.content == DATA
    head = httpx.head(url, headers={"Range": "bytes=0-9"})
    assert head.status_code == 206 and head.content == b"" and head.headers["content-length"] == "10"
    cached = httpx.get(url, headers={"If-None-Match": whole.headers["etag"]})
    assert cached.status_code == 304 and cached.content == b""
    assert httpx.get(f"{node.url}/ipfs/{root}/video/seg0.ts").headers["content-type"] == "video/mp2t"
    playlist = httpx.get(f"{node.url}/ipfs/{root}/video/master.m3u8")
    assert playlist.headers["content-type"] == "application/vnd.apple.mpegurl"
    # by bare CID: the type is sniffed from the bytes
    assert httpx.get(f"{node.url}/ipfs/{site['site/video/master.m3u8']}").headers["content-type"] == (
        "application/vnd.apple.mpegurl"
    )
    assert httpx.get(f"{node.url}/ipfs/{site['site/data.bin']}").headers["content-type"] == (
        "application/octet-stream"
    )


def test_directories_redirect_serve_index_and_list_escaped(node: IpfsNode, site: dict[str, str]) -> None:
    root = site["site"]
    moved = httpx.get(f"{node.url}/ipfs/{root}?x=1")
    assert moved.status_code == 301 and moved.headers["location"] == f"/ipfs/{root}/?x=1"
    index = httpx.get(f"{node.url}/ipfs/{root}/")
    assert index.status_code == 200 and index.content == b"<h1>site</h1>"
    assert index.headers["content-type"].startswith("text/html")
    listing = httpx.get(f"{node.url}/ipfs/{root}/notes/")
    assert listing.status_code == 200 and listing.headers["content-type"].startswith("text/html")
    assert "<img" not in listing.text
    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in listing.text
    assert 'href="a%20b%26c.txt"' in listing.text and "a b&amp;c.txt" in listing.text
    followed = httpx.get(f"{node.url}/ipfs/{root}/notes/a%20b%26c.txt")
    assert followed.content == b"y"


def test_gateway_errors(node: IpfsNode, site: dict[str, str]) -> None:
    root = site["site"]
    assert httpx.get(f"{node.url}/ipfs/not-a-cid").status_code == 400
    assert httpx.get(f"{node.url}/ipfs/{root}/nothing-here").status_code == 404
    assert httpx.get(f"{node.url}/ipfs/{root}/data.bin/below-a-file").status_code == 404
    assert httpx.get(f"{node.url}/ipfs/{root}/%2e%2e/x").status_code == 400
    missing = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    assert httpx.get(f"{node.url}/ipfs/{missing}").status_code == 404
    post = httpx.post(f"{node.url}/ipfs/{root}/data.bin")
    assert post.status_code == 405 and post.headers["allow"] == "GET, HEAD"


def test_dev_server_serves_the_gateway_to_everyone_and_dev_pages_locally(
    tmp_path: Path, node: IpfsNode, site: dict[str, str]
) -> None:
    project = tmp_path / "project"
    (project / "site").mkdir(parents=True)
    (project / "netlify.toml").write_text('[build]\npublish = "site"\nfunctions = "fns"\n')
    (project / "fns").mkdir()
    dev_routes = MailCapture(tmp_path / "mailbox").routes()
    with running_devserver(project, dev_routes=dev_routes, public_routes=node.gateway.routes()) as base:
        url = f"{base}/ipfs/{site['site']}/data.bin"
        foreign = {"Host": "attacker.example"}
        reply = httpx.get(url, headers={**foreign, "Range": "bytes=0-99"})
        assert reply.status_code == 206 and reply.content == DATA[:100]
        assert reply.headers["etag"] == f'"{site["site/data.bin"]}"'
        assert httpx.get(f"{base}/_dev/mail", headers=foreign).status_code == 403
        assert httpx.get(f"{base}/_dev/mail").status_code == 200


def test_dev_pages_must_stay_under_dev(tmp_path: Path, node: IpfsNode) -> None:
    (tmp_path / "netlify.toml").write_text("")
    netlify = load_netlify_config(tmp_path)
    server = DevServer(netlify, Registry(tmp_path, import_root=tmp_path), max_body_bytes=100)
    with pytest.raises(ValueError, match="public_routes"):
        server.app(node.gateway.routes())
