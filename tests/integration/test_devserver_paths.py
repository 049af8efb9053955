"""The dev server's static paths over real HTTP: pretty URLs, percent-encoding, hostile paths.

Every request goes through uvicorn, so the path the server sees is the one a browser or a
scanner sends: httpx keeps percent-escapes as given, and `raw_get` sends bytes httpx would
normalise (a literal "..").
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.devserver import running_devserver

NETLIFY = """
[build]
  functions = "fns"
  publish = "site"

[[redirects]]
  from = "/about"
  to = "/.netlify/functions/echo"
  status = 200
[[redirects]]
  from = "/docs/*"
  to = "/.netlify/functions/echo"
  status = 200
[[redirects]]
  from = "/forced"
  to = "/.netlify/functions/echo"
  status = 200
  force = true
[[redirects]]
  from = "/go/*"
  to = "/target/:splat"
  status = 302
[[redirects]]
  from = "/pages/*"
  to = "/content/:splat"
  status = 200
[[redirects]]
  from = "/caf%C3%A9"
  to = "/content/guide"
  status = 200
[[redirects]]
  from = "/api/*"
  to = "/.netlify/functions/:splat"
  status = 200
"""

ECHO = """
import json

def handler(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"path": event["path"], "proxy": event["pathParameters"]})}
"""

SECRET = "TOPSECRET-outside-the-publish-dir"
PLAINTEXT = "PLAINTEXT-in-a-hidden-build-directory"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "netlify.toml").write_text(NETLIFY)
    (tmp_path / "secret.txt").write_text(SECRET)
    (tmp_path / "fns").mkdir()
    (tmp_path / "fns" / "echo.py").write_text(ECHO)
    site = tmp_path / "site"
    pages = {
        "index.html": "home",
        "404.html": "custom 404",
        "about.html": "about page",
        "docs/index.html": "docs index",
        "both.html": "both page",
        "both/index.html": "both index",
        "forced.html": "forced file",
        "files/a b.html": "spaced page",
        "files/x y.txt": "spaced text",
        "files/100%.txt": "percent text",
        "content/guide.html": "guide",
        "content/section/index.html": "section",
    }
    for name, text in pages.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    (site / "escape.html").symlink_to(tmp_path / "secret.txt")
    # What HLSService leaves hidden while it builds a stream (plaintext segments), and dot files.
    hidden = {
        "streams/.abc.tmp-x1/180p/segment0.ts": PLAINTEXT,
        "streams/.abc.tmp-x1/master.m3u8": PLAINTEXT,
        "streams/abc/.segment0.ts.enc": PLAINTEXT,
        ".env": PLAINTEXT,
        ".hidden/index.html": PLAINTEXT,
    }
    for name, text in hidden.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    (site / "streams" / "abc" / "master.m3u8").write_text("#EXTM3U\n")
    return tmp_path


@pytest.fixture
def base(project: Path) -> Iterator[str]:
    with running_devserver(project) as url:
        yield url


def raw_get(base: str, target: bytes) -> tuple[int, bytes]:
    """GET `target` byte for byte (no client-side normalisation); the status and the body."""
    url = urlsplit(base)
    assert url.hostname is not None and url.port is not None
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_pretty_urls_follow_netlify(base: str) -> None:
    def get(path: str) -> httpx.Response:
        return httpx.get(f"{base}{path}")

    assert get("/about").text == "about page"  # about.html at its pretty URL
    assert get("/about.html").text == "about page"  # and still at its own
    res = get("/about/?x=1")
    assert res.status_code == 301 and res.headers["location"] == "/about?x=1"
    res = get("/docs?x=1")  # a directory URL gets its slash
    assert res.status_code == 301 and res.headers["location"] == "/docs/?x=1"
    assert get("/docs/").text == "docs index"
    assert get("/docs/index.html").text == "docs index"
    assert get("/both").text == "both page"  # both.html wins over both/index.html
    res = get("/both/")
    assert res.status_code == 301 and res.headers["location"] == "/both"
    assert get("/both/index.html").text == "both index"
    res = get("/files/x%20y.txt/")  # a file asked for as a directory
    assert res.status_code == 301 and res.headers["location"] == "/files/x%20y.txt"
    assert get("/").text == "home"


def test_pretty_urls_keep_range_etag_and_head(base: str) -> None:
    res = httpx.get(f"{base}/about")
    assert res.headers["content-type"].startswith("text/html")
    ranged = httpx.get(f"{base}/about", headers={"Range": "bytes=0-4"})
    assert ranged.status_code == 206 and ranged.content == b"about"
    assert httpx.get(f"{base}/about", headers={"If-None-Match": res.headers["etag"]}).status_code == 304
    head = httpx.head(f"{base}/about")
    assert head.status_code == 200 and head.content == b"" and head.headers["content-length"] == "10"


def test_pretty_url_files_shadow_unforced_rules(base: str) -> None:
    assert httpx.get(f"{base}/about").text == "about page"  # rule /about -> echo yields
    assert httpx.get(f"{base}/about/").status_code == 301  # the slash redirect yields too
    assert httpx.get(f"{base}/docs/").text == "docs index"  # rule /docs/* -> echo yields
    assert httpx.get(f"{base}/docs").status_code == 301
    res = httpx.get(f"{base}/docs/other")  # no file: the rule applies
    assert res.status_code == 200 and res.json()["path"] == "/docs/other"
    res = httpx.get(f"{base}/forced")  # forced.html exists, but the rule is forced
    assert res.status_code == 200 and res.json()["path"] == "/forced"


def test_rewrite_targets_resolve_like_requests_without_redirecting(base: str) -> None:
    res = httpx.get(f"{base}/pages/guide")  # -> /content/guide -> content/guide.html
    assert res.status_code == 200 and res.text == "guide"
    res = httpx.get(f"{base}/pages/section")  # -> /content/section: served, not redirected
    assert res.status_code == 200 and res.text == "section"
    res = httpx.get(f"{base}/pages/nothing")
    assert res.status_code == 404 and res.text == "custom 404"
    res = httpx.get(f"{base}/caf%C3%A9")  # `from` written percent-encoded matches decoded
    assert res.status_code == 200 and res.text == "guide"


def test_percent_encoded_paths_are_decoded_once(base: str) -> None:
    assert httpx.get(f"{base}/files/a%20b").text == "spaced page"
    assert httpx.get(f"{base}/files/a%20b.html").text == "spaced page"
    assert httpx.get(f"{base}/files/x%20y.txt").text == "spaced text"
    assert httpx.get(f"{base}/files/100%25.txt").text == "percent text"
    assert httpx.get(f"{base}/%66iles/a%20b").text == "spaced page"  # any byte may be escaped
    # Decoded once, not twice: %2520 is a name with "%20" in it, which does not exist.
    res = httpx.get(f"{base}/files/a%2520b")
    assert res.status_code == 404 and res.text == "custom 404"


def test_redirects_percent_encode_what_they_bound(base: str) -> None:
    for sent, location in {
        "/go/a%20b": "/target/a%20b",
        "/go/a%3Fb%23c": "/target/a%3Fb%23c",  # ? and # stay part of the path
        "/go/100%25": "/target/100%25",
        "/go/%00": "/target/%00",
        "/go/caf%C3%A9/x": "/target/caf%C3%A9/x",
    }.items():
        res = httpx.get(f"{base}{sent}")
        assert (res.status_code, res.headers["location"]) == (302, location), sent


LONG_NAME = "a" * 8000
DEEP_PATH = "/".join(["b" * 60] * 100)  # 100 segments, over PATH_MAX in all

HOSTILE = [
    "/%00",
    "/a%00b.html",
    "/about%00",
    "/docs%00/",
    f"/{LONG_NAME}",
    f"/files/{LONG_NAME}",
    f"/{DEEP_PATH}",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/..%2f..%2fetc/passwd",
    "/%2e%2e/secret.txt",
    "/..%2fsecret.txt",
    "/files/%2e%2e/%2e%2e/secret.txt",
    "/..%5csecret.txt",
    "/..\\secret.txt",
    "/files\\a b.html",
    "/%ff",
    "/about%ff",
    "/%c0%ae%c0%ae/secret.txt",  # overlong UTF-8 for "..": invalid, so U+FFFD
    "/escape.html",  # a symlink out of the publish dir
    "/escape",
    # Through a rewrite to a static target: the target is checked the same way.
    "/pages/%2e%2e/%2e%2e/secret.txt",
    "/pages/..%2f..%2fsecret.txt",
    "/pages/%00",
    f"/pages/{LONG_NAME}",
    "/pages/%ff",
]


@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p[:40])
def test_hostile_static_paths_are_a_plain_404(base: str, path: str) -> None:
    res = httpx.get(f"{base}{path}")
    assert res.status_code == 404 and res.text == "custom 404"
    assert SECRET not in res.text and "Traceback" not in res.text


@pytest.mark.parametrize(
    "target", [b"/../secret.txt", b"/files/../../secret.txt", b"/pages/../../secret.txt", b"/./../%00"]
)
def test_literal_dot_segments_sent_raw_are_refused(base: str, target: bytes) -> None:
    status, body = raw_get(base, target)
    assert status == 404 and body == b"custom 404"


@pytest.mark.parametrize(
    "path",
    [
        "/streams/.abc.tmp-x1/180p/segment0.ts",
        "/streams/.abc.tmp-x1/master.m3u8",
        "/streams/%2eabc.tmp-x1/master.m3u8",  # the dot percent-encoded
        "/streams/abc/.segment0.ts.enc",
        "/.env",
        "/.hidden/",
        "/.hidden",
        "/pages/../streams/.abc.tmp-x1/master.m3u8",
    ],
)
def test_dot_segments_in_the_publish_dir_are_not_found(base: str, path: str) -> None:
    for method in ("GET", "HEAD"):
        res = httpx.request(method, f"{base}{path}", headers={"Range": "bytes=0-9"})
        assert res.status_code == 404, (method, path, res.status_code)
        assert PLAINTEXT not in res.text
    assert httpx.get(f"{base}/streams/abc/master.m3u8").text == "#EXTM3U\n"  # its neighbour is served


def test_hostile_paths_to_functions_reach_them_or_get_the_json_error(base: str) -> None:
    res = httpx.get(f"{base}/api/echo/%00")  # the function gets the decoded path as it came
    assert res.status_code == 200
    assert res.json() == {"path": "/api/echo/\x00", "proxy": {"proxy": "\x00"}}
    res = httpx.get(f"{base}/docs/%00")  # not shadowed: no file can have that name
    assert res.status_code == 200 and res.json()["path"] == "/docs/\x00"
    res = httpx.get(f"{base}/api/echo/{LONG_NAME}")
    assert res.status_code == 200 and res.json()["proxy"] == {"proxy": LONG_NAME}
    for path in (
        "/api/%00",
        "/api/echo%00",
        "/api/%ff",
        "/api/..%2f..%2fsecret",
        "/api/%2e%2e/echo",
        "/.netlify/functions/%00",
    ):
        res = httpx.get(f"{base}{path}")
        assert res.status_code == 404, path
        assert res.json()["code"] == "NOT_FOUND" and "Traceback" not in res.text


def test_over_long_function_name_is_404(base: str) -> None:
    res = httpx.get(f"{base}/api/{LONG_NAME}")
    assert res.status_code == 404 and res.json()["code"] == "NOT_FOUND"


def test_other_methods_on_static_paths_still_get_the_json_404(base: str) -> None:
    res = httpx.post(f"{base}/%00", content=b"x")
    assert res.status_code == 404 and res.json()["code"] == "NOT_FOUND"


def test_a_path_with_a_line_break_is_the_json_404(base: str) -> None:
    # schemathesis found it: Starlette's catch-all mount does not match a path holding a
    # decoded newline, and its own router answered a text/plain "Not Found".
    for path in ("/api/echo/a%0Ab", "/x%0Ay"):
        reply = httpx.get(f"{base}{path}")
        assert reply.status_code == 404, path
        assert reply.headers["content-type"].startswith("application/json"), path
        assert reply.json()["code"] == "NOT_FOUND"
