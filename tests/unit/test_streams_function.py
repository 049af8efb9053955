"""The streams function on both databases, through AWS's sample events of both versions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from tests.support.events import aws_event
from tidecast.container import Services
from tidecast.db.schema import streams
from tidecast.functions.streams import handler


def get(version: str, path: str, query: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    reply = handler(aws_event(version, "GET", path, query=query), None)
    return reply["statusCode"], json.loads(reply["body"])


def seed(services: Services, count: int) -> list[str]:
    """`count` streams with distinct creation times, some sharing one (ties break by id)."""
    ids = []
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(count):
        stream = services.streams.create(title=f"stream {n}")
        created = base + timedelta(seconds=n // 3)  # groups of three share a timestamp
        with services.engine.begin() as conn:
            conn.execute(update(streams).where(streams.c.id == stream.id).values(created_at=created))
        ids.append(stream.id)
    return ids


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_get_one_and_not_found(services: Services, version: str) -> None:
    created = services.streams.create(title="Hello", description="first")
    status, body = get(version, f"/api/streams/{created.id}")
    assert status == 200 and body["success"] is True
    assert body["data"]["title"] == "Hello" and body["data"]["status"] == "processing"
    assert set(body["data"]) >= {
        "id",
        "title",
        "description",
        "ownerId",
        "status",
        "progress",
        "createdAt",
        "updatedAt",
        "masterPlaylist",
        "variants",
        "thumbnail",
        "cid",
    }
    status, body = get(version, "/api/streams/does-not-exist")
    assert (status, body) == (404, {"success": False, "error": "Stream not found", "code": "NOT_FOUND"})


def test_pages_walk_every_stream_once_newest_first(services: Services) -> None:
    ids = seed(services, 45)
    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": "20", **({"cursor": cursor} if cursor else {})}
        status, body = get("1.0", "/api/streams", query)
        assert status == 200
        seen.extend(body["data"]["items"])
        cursor = body["data"]["nextCursor"]
        pages += 1
        if cursor is None:
            break
    assert pages == 3
    assert sorted(s["id"] for s in seen) == sorted(ids)
    keys = [(s["createdAt"], s["id"]) for s in seen]
    assert keys == sorted(keys, reverse=True)


def test_default_limit_is_twenty(services: Services) -> None:
    seed(services, 25)
    status, body = get("2.0", "/api/streams")
    assert status == 200 and len(body["data"]["items"]) == 20 and body["data"]["nextCursor"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"limit": "0"}, "'limit'"),
        ({"limit": "101"}, "'limit'"),
        ({"limit": "ten"}, "'limit'"),
        ({"limit": ""}, "'limit'"),
        ({"cursor": "not-a-cursor"}, "'cursor'"),
        ({"cursor": ""}, "'cursor'"),
        ({"cursor": "WyJ4IiwxXQ"}, "'cursor'"),  # base64 of ["x",1]: decodes, but not ours
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    services: Services, query: dict[str, str], message: str
) -> None:
    seed(services, 2)
    with services.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(streams)).scalar_one()
    status, body = get("1.0", "/api/streams", query)
    assert status == 400 and body["code"] == "BAD_REQUEST" and message in body["error"]
    with services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(streams)).scalar_one() == before


def test_only_get(services: Services) -> None:
    reply = handler(aws_event("1.0", "POST", "/api/streams", body="{}"), None)
    assert reply["statusCode"] == 405 and "GET" in reply["headers"]["Allow"]


def test_stream_ids_never_start_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    # The id names the stream's HLS directory, and the HLS service refuses a leading '-'.
    from tidecast.media import streams as streams_module
    from tidecast.media.hls import check_name

    real = [streams_module.new_id() for _ in range(500)]
    assert all(check_name(stream_id) == stream_id for stream_id in real)
    drawn = iter(["-leadingDash1234", "_underscoreOK123"])
    monkeypatch.setattr(streams_module.secrets, "token_urlsafe", lambda n: next(drawn))
    assert streams_module.new_id() == "_underscoreOK123"
