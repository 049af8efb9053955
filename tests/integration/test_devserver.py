"""The dev server over real HTTP: routing by netlify.toml, events, errors, static files."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.devserver import running_devserver

NETLIFY = """
[build]
  functions = "fns"
  publish = "site"

[functions.slow]
  timeout = 1

[[redirects]]
  from = "/old/:id"
  to = "/new/:id"
  status = 301
[[redirects]]
  from = "/temp/*"
  to = "/elsewhere/:splat"
  status = 302
[[redirects]]
  from = "/page.html"
  to = "/.netlify/functions/echo"
  status = 200
[[redirects]]
  from = "/forced.html"
  to = "/.netlify/functions/echo"
  status = 200
  force = true
[[redirects]]
  from = "/app/*"
  to = "/index.html"
  status = 200
[[redirects]]
  from = "/missing/*"
  to = "/404.html"
  status = 404
[[redirects]]
  from = "/api/*"
  to = "/.netlify/functions/:splat"
  status = 200
"""

ECHO = """
import base64
import json

def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"X-Multi": ["a", "b"]},
        "body": json.dumps({"event": event, "remaining": context.get_remaining_time_in_millis(),
                            "function": context.function_name, "version": "one"}),
    }
"""

SLOW = """
import time

def handler(event, context):
    time.sleep(3)
    return {"statusCode": 200, "body": "late"}
"""

BINARY = """
import base64

def handler(event, context):
    data = base64.b64decode(event["body"]) if event["isBase64Encoded"] else (event["body"] or "").encode()
    return {"statusCode": 200, "headers": {"Content-Type": "application/octet-stream"},
            "body": base64.b64encode(data[::-1]).decode(), "isBase64Encoded": True}
"""

BROKEN_REPLY = """
def handler(event, context):
    return "not a dict"
"""

RAISES = """
def handler(event, context):
    raise RuntimeError("db password is hunter2")
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "netlify.toml").write_text(NETLIFY)
    fns = tmp_path / "fns"
    fns.mkdir()
    for name, source in {
        "echo": ECHO,
        "slow": SLOW,
        "binary": BINARY,
        "broken": BROKEN_REPLY,
        "raises": RAISES,
    }.items():
        (fns / f"{name}.py").write_text(source)
    site = tmp_path / "site"
    (site / "hls").mkdir(parents=True)
    (site / "index.html").write_text("<h1>home</h1>")
    (site / "404.html").write_text("<h1>custom 404</h1>")
    (site / "page.html").write_text("<h1>static page</h1>")
    (site / "forced.html").write_text("<h1>shadowed</h1>")
    (site / "hls" / "master.m3u8").write_text("#EXTM3U\n")
    (site / "hls" / "segment0.ts").write_bytes(bytes(range(256)) * 4)
    return tmp_path


@pytest.fixture
def base(project: Path) -> Iterator[str]:
    with running_devserver(project, max_body_bytes=1000) as url:
        yield url


def echo(res: httpx.Response) -> dict:
    assert res.status_code == 200, res.text
    return res.json()["event"]


def test_rewrite_keeps_the_client_path_and_builds_a_v1_event(base: str) -> None:
    res = httpx.get(f"{base}/api/echo/a/b?x=1&x=2&y=3", headers={"X-Thing": "t"})
    event = echo(res)
    assert event["path"] == "/api/echo/a/b"  # not the rewritten path (netlify/cli#559)
    assert event["httpMethod"] == "GET"
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": ["3"]}
    assert event["queryStringParameters"]["x"] == "2"
    assert event["headers"]["x-thing"] == "t"
    assert event["pathParameters"] == {"proxy": "a/b"}
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"
    assert event["requestContext"]["requestId"] == res.headers["x-request-id"]
    assert res.headers.get_list("x-multi") == ["a", "b"]
    assert 0 < res.json()["remaining"] <= 10_000 and res.json()["function"] == "echo"


def test_direct_function_path(base: str) -> None:
    event = echo(httpx.post(f"{base}/.netlify/functions/echo/sub", json={"k": "v"}))
    assert event["path"] == "/.netlify/functions/echo/sub"
    assert json.loads(event["body"]) == {"k": "v"} and event["isBase64Encoded"] is False


def test_binary_bodies_travel_base64_both_ways(base: str) -> None:
    payload = bytes(range(256))
    res = httpx.post(
        f"{base}/api/binary", content=payload, headers={"Content-Type": "application/octet-stream"}
    )
    assert res.status_code == 200 and res.content == payload[::-1]


def test_redirects_with_placeholders_splats_and_query(base: str) -> None:
    res = httpx.get(f"{base}/old/42?ref=x")
    assert res.status_code == 301 and res.headers["location"] == "/new/42?ref=x"
    res = httpx.get(f"{base}/temp/a/b")
    assert res.status_code == 302 and res.headers["location"] == "/elsewhere/a/b"


def test_static_file_shadows_a_rule_unless_forced(base: str) -> None:
    res = httpx.get(f"{base}/page.html")
    assert res.status_code == 200 and "static page" in res.text
    event = echo(httpx.get(f"{base}/forced.html"))
    assert event["path"] == "/forced.html"


def test_spa_rewrite_and_custom_404_rewrite(base: str) -> None:
    res = httpx.get(f"{base}/app/some/route")
    assert res.status_code == 200 and "home" in res.text
    res = httpx.get(f"{base}/missing/thing")
    assert res.status_code == 404 and "custom 404" in res.text
    res = httpx.get(f"{base}/no/such/file.txt")
    assert res.status_code == 404


def test_media_types_range_etag_last_modified(base: str) -> None:
    res = httpx.get(f"{base}/hls/master.m3u8")
    assert res.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    res = httpx.get(f"{base}/hls/segment0.ts")
    assert res.headers["content-type"] == "video/mp2t" and len(res.content) == 1024
    etag, modified = res.headers["etag"], res.headers["last-modified"]
    ranged = httpx.get(f"{base}/hls/segment0.ts", headers={"Range": "bytes=10-19"})
    assert ranged.status_code == 206 and ranged.content == bytes(range(10, 20))
    assert ranged.headers["content-range"] == "bytes 10-19/1024"
    assert httpx.get(f"{base}/hls/segment0.ts", headers={"If-None-Match": etag}).status_code == 304
    assert httpx.get(f"{base}/hls/segment0.ts", headers={"If-Modified-Since": modified}).status_code == 304
    bad = httpx.get(f"{base}/hls/segment0.ts", headers={"Range": "bytes=5000-6000"})
    assert bad.status_code == 416


def test_a_playlist_replaced_while_it_is_read_is_served_whole(base: str, project: Path) -> None:
    """A growing stream's playlist is replaced (written beside, renamed) after every segment
    while players poll it: each answer is one whole version, its length the one declared (a
    length stat'ed from one file and bytes read from the next broke the connection in Chromium:
    ERR_CONTENT_LENGTH_MISMATCH), and it is revalidated, never cached."""
    playlist = project / "site" / "hls" / "growing.m3u8"
    versions = ["#EXTM3U\n" + "#EXTINF:2.0,\nsegment.ts\n" * n for n in range(1, 400)]
    playlist.write_text(versions[0])
    stop = threading.Event()

    def grow() -> None:
        n = 0
        while not stop.is_set():
            n = (n + 1) % len(versions)
            tmp = playlist.with_name(".growing.tmp")
            tmp.write_text(versions[n])
            os.replace(tmp, playlist)

    writer = threading.Thread(target=grow)
    writer.start()
    broken: list[str] = []
    try:
        with httpx.Client(timeout=10) as client:
            for _ in range(300):
                try:
                    res = client.get(f"{base}/hls/growing.m3u8")
                except httpx.HTTPError as exc:
                    broken.append(type(exc).__name__)
                    continue
                assert res.status_code == 200 and res.text in versions, res.text[:80]
                assert "no-cache" in res.headers["cache-control"]
    finally:
        stop.set()
        writer.join()
    assert broken == []
    again = httpx.get(f"{base}/hls/growing.m3u8")
    assert (
        httpx.get(f"{base}/hls/growing.m3u8", headers={"If-None-Match": again.headers["etag"]}).status_code
        == 304
    )


def test_path_traversal_is_refused(base: str) -> None:
    res = httpx.get(f"{base}/..%2f..%2fnetlify.toml")
    assert res.status_code == 404 and "[build]" not in res.text


def test_body_over_the_limit_is_413(base: str) -> None:
    res = httpx.post(f"{base}/api/echo", content=b"x" * 1001)
    assert res.status_code == 413 and res.json()["code"] == "PAYLOAD_TOO_LARGE"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts as it reads
        for _ in range(20):
            yield b"y" * 100

    res = httpx.post(f"{base}/api/echo", content=chunks())
    assert res.status_code == 413
    assert httpx.post(f"{base}/api/echo", content=b"x" * 1000).status_code == 200


def test_edge_errors_carry_a_real_request_id(base: str) -> None:
    """The answers the dev server gives before a function runs (413, 404 for an unknown
    function, 405 on a static path) carry a request id of their own, as API Gateway's do: one
    to quote and to find in the log, never a placeholder."""
    seen = set()
    for res in (
        httpx.post(f"{base}/api/echo", content=b"x" * 1001),
        httpx.get(f"{base}/api/nothing-here"),
        httpx.post(f"{base}/hls/segment0.ts", content=b"x"),
    ):
        assert res.status_code in (404, 413), res.status_code
        request_id = res.headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", request_id), (
            request_id
        )
        seen.add(request_id)
    assert len(seen) == 3


def test_unknown_function_is_404(base: str) -> None:
    res = httpx.get(f"{base}/api/nothing-here")
    assert res.status_code == 404 and res.json()["code"] == "NOT_FOUND"
    assert res.json()["error"].startswith("Function not found: nothing-here (functions: ")
    near = httpx.get(f"{base}/api/slwo").json()["error"]
    assert near == "Function not found: slwo; did you mean slow?", near
    empty = httpx.get(f"{base}/api/")
    assert empty.status_code == 404 and "No function named" in empty.json()["error"]


def test_timeout_answers_504_and_the_server_stays_up(base: str) -> None:
    started = time.monotonic()
    res = httpx.get(f"{base}/api/slow", timeout=10)
    assert res.status_code == 504 and res.json()["code"] == "FUNCTION_TIMEOUT"
    assert time.monotonic() - started < 2.5  # answered at the 1 s timeout, not after 3 s
    assert httpx.get(f"{base}/api/echo").status_code == 200


def test_raising_or_malformed_functions_get_a_bare_500(base: str) -> None:
    for name in ("raises", "broken"):
        res = httpx.get(f"{base}/api/{name}")
        assert res.status_code == 500
        body = res.json()
        assert body["code"] == "INTERNAL_ERROR" and body["requestId"] == res.headers["x-request-id"]
        assert "hunter2" not in res.text and "Traceback" not in res.text


def test_hot_reload_and_broken_edits(project: Path, base: str) -> None:
    path = project / "fns" / "echo.py"
    assert httpx.get(f"{base}/api/echo").json()["version"] == "one"
    path.write_text(ECHO.replace('"version": "one"', '"version": "two"'))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    assert httpx.get(f"{base}/api/echo").json()["version"] == "two"
    path.write_text("def handler(event, context):\n    return {{{\n")
    res = httpx.get(f"{base}/api/echo")
    assert res.status_code == 500 and res.json()["code"] == "INTERNAL_ERROR"
    new = project / "fns" / "fresh.py"
    new.write_text("def handler(event, context):\n    return {'statusCode': 201, 'body': 'new'}\n")
    res = httpx.get(f"{base}/api/fresh")
    assert res.status_code == 201 and res.text == "new"


def test_head_request_to_function(base: str) -> None:
    res = httpx.head(f"{base}/api/echo")
    assert res.status_code == 200 and res.content == b""
