"""Hostile query strings and path segments on /api/streams, on SQLite and PostgreSQL, in-process
and through the dev server: other scripts' digits, NULs, very long ids and forged cursors are
400s and 404s with a JSON body, never a 500 (PostgreSQL refuses a NUL in a string with an
error, so one reaching a query would be a 500)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.devserver import running_devserver
from tests.support.events import aws_event
from tidecast.container import Services
from tidecast.functions.streams import handler as streams
from tidecast.functions.unsubscribe import handler as unsubscribe
from tidecast.media.streams import Stream

ROOT = Path(__file__).resolve().parents[2]
LONG_ID = "a" * 8000


def cursor_of(created: str, stream_id: str) -> str:
    raw = json.dumps([created, stream_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


BAD_LIMITS = [
    "\uff15",  # FULLWIDTH DIGIT FIVE: int() reads it as 5
    "\u0663",  # ARABIC-INDIC DIGIT THREE: int() reads it as 3
    "1_0",  # int() reads it as 10
    "²",
    "0",
    "101",
    "-1",
    "9" * 40,
    "",
    "\x00",
]
BAD_CURSORS = [
    cursor_of("2026-01-01T00:00:00+00:00", "a\u0000b"),  # an id with a NUL
    cursor_of("2026-01-01T00:00:00+00:00", LONG_ID),
    cursor_of("not a time", "abc"),
    cursor_of("2026-01-01T00:00:00+00:00", "\uff15"),
    base64.urlsafe_b64encode(b"[1, 2]").decode(),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    # Nested deeper than the recursion limit (a RecursionError, a 500, before cursors were
    # bounded), yet short enough for a URL.
    base64.urlsafe_b64encode(b"[" * 5_000).decode(),
    base64.urlsafe_b64encode(b"[" * 150).decode(),
    "\x00",
    "é",
    "!!!",
    "A" * 8000,
]
BAD_IDS = ["\x00", "a\x00b", LONG_ID, "\uff15", "../..", "%00"]


def reply_of(raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    assert raw["headers"]["Content-Type"].startswith("application/json"), raw
    return raw["statusCode"], json.loads(raw["body"])


def get(
    version: str, path: str, query: dict[str, str] | None = None, fn: Any = streams
) -> tuple[int, dict[str, Any]]:
    return reply_of(fn(aws_event(version, "GET", path, query=query), None))


@pytest.fixture
def one_stream(services: Services) -> Stream:
    return services.streams.create(title="first")


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_query_and_path_in_process(one_stream: Stream, services: Services, version: str) -> None:
    for limit in BAD_LIMITS:
        status, body = get(version, "/api/streams", {"limit": limit})
        assert status == 400 and "'limit'" in body["error"], (limit, body)
    assert get(version, "/api/streams", {"limit": "5"})[0] == 200

    for cursor in BAD_CURSORS:
        status, body = get(version, "/api/streams", {"cursor": cursor})
        assert status == 400 and "'cursor'" in body["error"], (cursor[:40], body)
    services.streams.create(title="second")
    first = get(version, "/api/streams", {"limit": "1"})[1]["data"]
    status, body = get(version, "/api/streams", {"limit": "1", "cursor": first["nextCursor"]})
    assert status == 200 and body["data"]["items"][0]["id"] == one_stream.id

    for stream_id in BAD_IDS:
        encoded = (
            "".join(c if c.isalnum() else f"%{ord(c):02X}" for c in stream_id)
            if stream_id.isascii()
            else stream_id
        )
        for path in (f"/api/streams/{encoded}", f"/.netlify/functions/streams/{encoded}"):
            status, body = get(version, path)
            assert status == 404 and body["error"] in ("Stream not found", f"No route for {path}"), (
                path,
                body,
            )
    # API Gateway's {proxy+} parameter carries the segment already decoded.
    for stream_id in BAD_IDS:
        event = aws_event(version, "GET", "/api/streams/x")
        event["pathParameters"] = {"proxy": stream_id}
        status, body = reply_of(streams(event, None))
        assert status == 404, (stream_id, body)
    assert get(version, f"/api/streams/{one_stream.id}")[0] == 200

    for token in ("\x00", "a\x00b.c", "A" * 8000, "é.é"):
        status, body = get(version, "/api/unsubscribe", {"token": token}, fn=unsubscribe)
        assert status == 400 and "unsubscribe token" in body["error"], (token[:20], body)


def test_query_and_path_over_http(one_stream: dict[str, Any], services: Services) -> None:
    with running_devserver(ROOT) as base, httpx.Client(base_url=base, timeout=20) as client:
        for limit in BAD_LIMITS:
            reply = client.get("/api/streams", params={"limit": limit})
            assert reply.status_code == 400 and "'limit'" in reply.json()["error"], (limit, reply.text)
        for cursor in BAD_CURSORS:
            reply = client.get("/api/streams", params={"cursor": cursor})
            assert reply.status_code == 400 and "'cursor'" in reply.json()["error"], (cursor[:40], reply.text)
        for raw in ("%00", "a%00b", LONG_ID, "%EF%BC%95", "%ff", "%C0%80"):
            for prefix in ("/api/streams/", "/.netlify/functions/streams/"):
                reply = client.get(prefix + raw)
                assert reply.status_code == 404, (prefix + raw[:40], reply.text)
                assert reply.json()["error"] == "Stream not found", reply.text
        reply = client.get("/api/unsubscribe", params={"token": "a\x00b.c"})
        assert reply.status_code == 400 and "unsubscribe token" in reply.json()["error"]
        assert client.get(f"/api/streams/{one_stream.id}").json()["data"]["title"] == "first"
