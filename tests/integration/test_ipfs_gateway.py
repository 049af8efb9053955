"""The gateway over real HTTP, on the node's port and on the dev server (where it answers
everyone, while /_dev/ stays local-only)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.devserver import running_devserver
from tests.support.ipfs_node import CONTENT_TYPE, gateway, ndjson, running_node, tree
from tests.support.kubo_vectors import deterministic
from tidecast.ipfs.embedded import IpfsNode
from tidecast.ipfs.subdomain import dns_label
from tidecast.mail.embedded import MailCapture
from tidecast.runtime.devserver import DevServer
from tidecast.runtime.netlify import load_netlify_config
from tidecast.runtime.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
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


def v1(cid: str) -> str:
    """The label of a CID on the subdomain gateway (CIDv1, base32)."""
    from multiformats import CID

    return dns_label(CID.decode(cid))


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
    whole = gateway(url)
    assert whole.status_code == 200 and whole.content == DATA
    assert whole.headers["etag"] == f'"{site["site/data.bin"]}"'
    assert whole.headers["cache-control"] == IMMUTABLE
    assert whole.headers["x-ipfs-path"] == f"/ipfs/{v1(root)}/data.bin"
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-length"] == str(len(DATA))
    part_ = gateway(url, headers={"Range": "bytes=262000-262999"})
    assert part_.status_code == 206 and part_.content == DATA[262000:263000]
    assert part_.headers["content-range"] == f"bytes 262000-262999/{len(DATA)}"
    suffix = gateway(url, headers={"Range": "bytes=-10"})
    assert suffix.status_code == 206 and suffix.content == DATA[-10:]
    open_end = gateway(url, headers={"Range": "bytes=299990-"})
    assert open_end.content == DATA[299990:]
    past = gateway(url, headers={"Range": f"bytes={len(DATA)}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(DATA)}"
    several = gateway(url, headers={"Range": "bytes=0-1,5-6"})
    assert several.status_code == 200 and several.content == DATA
    head = gateway(url, method="HEAD", headers={"Range": "bytes=0-9"})
    assert head.status_code == 206 and head.content == b"" and head.headers["content-length"] == "10"
    cached = gateway(url, headers={"If-None-Match": whole.headers["etag"]})
    assert cached.status_code == 304 and cached.content == b""
    assert gateway(f"{node.url}/ipfs/{root}/video/seg0.ts").headers["content-type"] == "video/mp2t"
    playlist = gateway(f"{node.url}/ipfs/{root}/video/master.m3u8")
    assert playlist.headers["content-type"] == "application/vnd.apple.mpegurl"
    # by bare CID: the type is sniffed from the bytes
    assert gateway(f"{node.url}/ipfs/{site['site/video/master.m3u8']}").headers["content-type"] == (
        "application/vnd.apple.mpegurl"
    )
    assert gateway(f"{node.url}/ipfs/{site['site/data.bin']}").headers["content-type"] == (
        "application/octet-stream"
    )


def test_directories_redirect_serve_index_and_list_escaped(node: IpfsNode, site: dict[str, str]) -> None:
    root = site["site"]
    moved = gateway(f"{node.url}/ipfs/{root}/notes?x=1")
    assert moved.status_code == 301 and moved.headers["location"] == "/notes/?x=1"
    index = gateway(f"{node.url}/ipfs/{root}/")
    assert index.status_code == 200 and index.content == b"<h1>site</h1>"
    assert index.headers["content-type"].startswith("text/html")
    listing = gateway(f"{node.url}/ipfs/{root}/notes/")
    assert listing.status_code == 200 and listing.headers["content-type"].startswith("text/html")
    assert "<img" not in listing.text
    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in listing.text
    assert 'href="a%20b%26c.txt"' in listing.text and "a b&amp;c.txt" in listing.text
    followed = gateway(f"{node.url}/ipfs/{root}/notes/a%20b%26c.txt")
    assert followed.content == b"y"


def test_gateway_errors(node: IpfsNode, site: dict[str, str]) -> None:
    root = site["site"]
    assert gateway(f"{node.url}/ipfs/not-a-cid").status_code == 400
    assert gateway(f"{node.url}/ipfs/{root}/nothing-here").status_code == 404
    assert gateway(f"{node.url}/ipfs/{root}/data.bin/below-a-file").status_code == 404
    assert gateway(f"{node.url}/ipfs/{root}/%2e%2e/x").status_code == 400
    missing = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    assert gateway(f"{node.url}/ipfs/{missing}").status_code == 404
    post = gateway(f"{node.url}/ipfs/{root}/data.bin", method="POST")
    assert post.status_code == 405 and post.headers["allow"] == "GET, HEAD, OPTIONS"


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
        label = v1(site["site"])
        port = base.rsplit(":", 1)[1]
        assert (
            httpx.get(url, headers=foreign)
            .headers["location"]
            .startswith(f"http://{label}.ipfs.attacker.example/")
        )
        moved = httpx.get(url, headers={"Host": f"attacker.example:{port}"})
        assert moved.status_code == 301
        assert moved.headers["location"] == f"http://{label}.ipfs.attacker.example:{port}/data.bin"
        subdomain = {"Host": f"{label}.ipfs.attacker.example:{port}"}
        reply = httpx.get(base + "/data.bin", headers={**subdomain, "Range": "bytes=0-99"})
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


def test_content_is_served_only_on_its_own_origin_sandboxed(tmp_path: Path, node: IpfsNode) -> None:
    """The site's origin never serves IPFS content (a 301 to the CID's origin, or a 400 when the
    CID cannot be a DNS label); the CID's origin answers with CSP sandbox, nosniff and Kubo's
    CORS headers, and only content: not the site's files, functions or dev pages."""
    page = b"<html><script>alert(document.domain)</script>"
    added = httpx.post(
        node.url + "/api/v0/add",
        params={"cid-version": "1"},
        content=tree("app", {"index.html": page, "pic.svg": b"<svg onload=alert(1)>"}),
        headers={"Content-Type": CONTENT_TYPE},
    )
    root = {str(line["Name"]): str(line["Hash"]) for line in ndjson(added.text)}["app"]

    from multiformats import CID, multihash

    inline = str(CID("base32", 1, "raw", multihash.wrap(b"<html><b>inline</b>", "identity")))
    too_long = str(CID("base32", 1, "raw", multihash.wrap(b"<html>" + b"x" * 100, "identity")))
    dev_routes = MailCapture(tmp_path / "mailbox").routes()
    with running_devserver(ROOT, dev_routes=dev_routes, public_routes=node.gateway.routes()) as base:
        port = base.rsplit(":", 1)[1]
        # the site's origin: a redirect, nothing of the content
        for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
            moved = httpx.get(f"{base}/ipfs/{root}/index.html?a=1", headers={"Host": host})
            assert moved.status_code == 301 and b"alert" not in moved.content
            assert moved.headers["location"] == f"http://{root}.ipfs.localhost:{port}/index.html?a=1"
            assert moved.headers["x-content-type-options"] == "nosniff"
        refused = httpx.get(f"{base}/ipfs/{too_long}")
        assert refused.status_code == 400 and "DNS label" in refused.text
        assert refused.headers["content-type"].startswith("text/plain")
        assert refused.headers["content-security-policy"] == "sandbox"
        # the CID's origin: sandboxed, not sniffed, readable from the site's pages
        on_own = {"Host": f"{root}.ipfs.localhost:{port}"}
        for path, kind in (("/", "text/html"), ("/index.html", "text/html"), ("/pic.svg", "image/svg+xml")):
            served = httpx.get(base + path, headers=on_own)
            assert served.status_code == 200 and served.headers["content-type"].startswith(kind), path
            assert served.headers["content-security-policy"] == "sandbox"
            assert served.headers["x-content-type-options"] == "nosniff"
            assert served.headers["access-control-allow-origin"] == "*"
        preflight = httpx.options(
            base + "/index.html", headers={**on_own, "Origin": f"http://localhost:{port}"}
        )
        assert preflight.status_code == 200
        assert "GET" in preflight.headers["access-control-allow-methods"]
        assert "Range" in preflight.headers["access-control-allow-headers"]
        # an identity CID on its own origin: sniffed as HTML, and sandboxed
        own = httpx.get(base + "/", headers={"Host": f"{inline}.ipfs.localhost:{port}"})
        assert own.status_code == 200 and own.content == b"<html><b>inline</b>"
        assert own.headers["content-security-policy"] == "sandbox"
        # the site's files, functions and dev pages are not on a content origin
        for path in ("/_dev/mail.json", "/_dev/mail", "/js/api.js", "/api/streams"):
            other = httpx.get(base + path, headers=on_own)
            assert other.status_code in (403, 404) and b"success" not in other.content, path
        # a label in another base is moved to the canonical one (base32), as Kubo does
        base36 = CID.decode(root).encode("base36")
        canonical = httpx.get(base + "/pic.svg", headers={"Host": f"{base36}.ipfs.localhost:{port}"})
        assert canonical.status_code == 301
        assert canonical.headers["location"] == f"http://{root}.ipfs.localhost:{port}/pic.svg"
        assert httpx.get(base + "/", headers={"Host": f"not-a-cid.ipfs.localhost:{port}"}).status_code == 400


def test_every_answer_of_the_sites_origin_says_nosniff(tmp_path: Path) -> None:
    with running_devserver(ROOT, dev_routes=MailCapture(tmp_path / "mailbox").routes()) as base:
        for path in (
            "/",
            "/js/api.js",
            "/css/site.css",
            "/watch/",
            "/no-such-page",
            "/api/no-such-function",
            "/_dev/mail",
        ):
            reply = httpx.get(base + path)
            assert reply.headers.get("x-content-type-options") == "nosniff", (path, reply.status_code)


def test_a_symlink_on_the_gateway_is_its_target_as_text(node: IpfsNode) -> None:
    """Kubo's gateway conformance (TestGatewaySymlink): 200 with the target's bytes, never
    followed; served as plain text whatever its name."""
    from tests.support.ipfs_node import BOUNDARY, body, part

    link = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="d%2Fpage.html"\r\n'
        "Content-Type: application/symlink\r\n\r\n"
        "target.txt\r\n"
    ).encode()
    reply = httpx.post(
        node.url + "/api/v0/add",
        content=body(part("d", directory=True), link, part("d/target.txt", b"the target\n")),
        headers={"Content-Type": CONTENT_TYPE},
    )
    root = str(ndjson(reply.text)[-1]["Hash"])
    served = gateway(f"{node.url}/ipfs/{root}/page.html")
    assert served.status_code == 200 and served.content == b"target.txt"
    assert served.headers["content-type"] == "text/plain; charset=utf-8"
    assert served.headers["content-length"] == "10"
    ranged = gateway(f"{node.url}/ipfs/{root}/page.html", headers={"Range": "bytes=2-5"})
    assert ranged.status_code == 206 and ranged.content == b"rget"
    assert gateway(f"{node.url}/ipfs/{root}/page.html/x").status_code == 404
