"""The Kubo RPC refuses browsers from other origins, as Kubo does (go-ipfs-cmds' handler, Kubo's
test/sharness/t0401-api-browser-security.sh): a request whose Origin or Referer is not the
node's own origin, or a POST from a browser's user agent that sends neither, is `403 - Forbidden`
and changes nothing. A page anywhere on the web can send a "simple" cross-origin POST (no
preflight), so without this any page could add, unpin or garbage-collect a creator's stream."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.ipfs_node import CONTENT_TYPE, ndjson, running_node, stored_blocks, tree
from tidecast.ipfs.embedded import IpfsNode

EVIL = "http://evil.example"
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


@pytest.fixture
def node(tmp_path: Path) -> Iterator[IpfsNode]:
    with running_node(tmp_path / "ipfs") as started:
        yield started


@pytest.fixture
def published(node: IpfsNode) -> str:
    """A pinned stream directory, as the pipeline publishes one (no Origin: a server's client)."""
    reply = httpx.post(
        node.url + "/api/v0/add",
        params={"pin": "true"},
        content=tree("stream", {"master.m3u8": b"#EXTM3U\n", "seg0.ts": b"\x47" * 376}),
        headers={"Content-Type": CONTENT_TYPE},
    )
    assert reply.status_code == 200
    return str(ndjson(reply.text)[-1]["Hash"])


def forbidden(reply: httpx.Response) -> None:
    assert reply.status_code == 403, (reply.status_code, reply.text)
    assert reply.text == "403 - Forbidden\n"  # Kubo's body, from Go's http.Error


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},
        {"Origin": "null"},  # a sandboxed page, a file:// page
        {"Referer": EVIL + "/page.html"},
        {"User-Agent": BROWSER_UA},  # a browser that sent neither (Kubo: possible CSRF)
        {"Origin": EVIL, "User-Agent": BROWSER_UA},
    ],
    ids=["origin", "null-origin", "referer", "browser-without-origin", "browser-origin"],
)
def test_other_origins_are_403_and_change_nothing(
    node: IpfsNode, published: str, headers: dict[str, str]
) -> None:
    blocks_before = sorted(stored_blocks(node.store.root))
    api = node.url + "/api/v0"
    added = httpx.post(
        api + "/add",
        params={"pin": "true"},
        files={"file": ("x.txt", b"planted by a web page\n")},
        headers=headers,
    )
    forbidden(added)
    forbidden(httpx.post(api + "/pin/rm", params={"arg": published}, headers=headers))
    forbidden(httpx.post(api + "/repo/gc", headers=headers))
    forbidden(httpx.post(api + "/version", headers=headers))
    # nothing was added, the stream is still pinned, gc freed nothing: its playlist is there
    assert sorted(stored_blocks(node.store.root)) == blocks_before
    pins = httpx.post(api + "/pin/ls", params={"type": "recursive"}).json()["Keys"]
    assert published in pins
    cat = httpx.post(api + "/cat", params={"arg": f"{published}/master.m3u8"})
    assert cat.status_code == 200 and cat.content == b"#EXTM3U\n"


def test_the_nodes_own_origin_and_plain_clients_are_served(node: IpfsNode, published: str) -> None:
    api = node.url + "/api/v0"
    port = node.port
    for origin in (f"http://127.0.0.1:{port}", f"http://localhost:{port}", f"http://[::1]:{port}"):
        reply = httpx.post(api + "/version", headers={"Origin": origin, "User-Agent": BROWSER_UA})
        assert reply.status_code == 200, (origin, reply.text)
    referred = httpx.post(api + "/version", headers={"Referer": f"http://localhost:{port}/webui/"})
    assert referred.status_code == 200
    # curl, the Kubo CLI, tidecast's own client: no Origin, not a browser
    assert httpx.post(api + "/pin/ls").status_code == 200
    assert httpx.post(api + "/version", headers={"User-Agent": "curl/8.5.0"}).status_code == 200
    # another port on this machine (the dev server's pages) is another origin
    other = httpx.post(api + "/repo/gc", headers={"Origin": f"http://localhost:{port + 1}"})
    forbidden(other)
    # a GET is refused as an origin first, then 405 as before for a plain client
    forbidden(httpx.get(api + "/version", headers={"Origin": EVIL}))
    assert httpx.get(api + "/version").status_code == 405


def test_a_content_origin_on_the_nodes_port_never_reaches_the_rpc(node: IpfsNode, published: str) -> None:
    """The node's port serves content on `<cid>.ipfs.localhost:<port>`: there every path is
    content (here: not found), so a page there cannot drive the RPC as a same-host request."""
    from multiformats import CID

    from tidecast.ipfs.subdomain import dns_label

    host = {"Host": f"{dns_label(CID.decode(published))}.ipfs.localhost:{node.port}"}
    reply = httpx.post(node.url + "/api/v0/repo/gc", headers=host)
    assert reply.status_code == 405 and reply.headers["content-security-policy"] == "sandbox"
    assert httpx.get(node.url + "/api/v0/version", headers=host).status_code == 404
    pins = httpx.post(node.url + "/api/v0/pin/ls", params={"type": "recursive"}).json()["Keys"]
    assert published in pins
