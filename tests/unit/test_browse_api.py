"""What the site's pages ask of the API beyond a listing, on both databases: search and sort with
keyset pages, a creator's channel, the whole video's price, where a viewer stopped, and
unlinking a wallet."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, select, update

from tests.support.accounts import add_user
from tests.support.chain import link_wallet
from tests.support.events import aws_event
from tidecast.container import Services
from tidecast.db.engine import build_engine
from tidecast.db.migrate import downgrade, upgrade
from tidecast.db.schema import streams, user_wallets, watch_positions
from tidecast.db.times import now_utc
from tidecast.functions.auth import handler as auth_handler
from tidecast.functions.creators import handler as creators_handler
from tidecast.functions.streams import handler as streams_handler


def call(
    handler: Any,
    function: str,
    method: str,
    route: str = "",
    *,
    query: dict[str, str] | None = None,
    token: str | None = None,
    body: Any = None,
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    path = f"/.netlify/functions/{function}" + (f"/{route}" if route else "")
    payload = body if isinstance(body, str) or body is None else json.dumps(body)
    reply = handler(aws_event("1.0", method, path, query=query, body=payload, headers=headers), None)
    return reply["statusCode"], json.loads(reply["body"])


def listing(**query: str) -> tuple[int, dict[str, Any]]:
    return call(streams_handler, "streams", "GET", query=query)


def token_for(svc: Services, engine: Engine, user_id: str, username: str) -> str:
    add_user(engine, user_id, username, f"{username}@example.com", verified=True)
    return svc.tokens.issue(user_id=user_id, username=username, session_version=0)


def make(
    svc: Services,
    title: str,
    *,
    owner: str | None = None,
    description: str = "",
    price: str | None = None,
    duration: float | None = None,
    age: int = 0,
) -> str:
    """A stream as the pipeline leaves it: a duration, a creation time `age` seconds into 2026,
    a price when given (else the platform default) and the sort key PATCH writes with it."""
    stream = svc.streams.create(title=title, description=description, owner_id=owner)
    with svc.engine.begin() as conn:
        conn.execute(
            update(streams)
            .where(streams.c.id == stream.id)
            .values(
                duration=duration,
                created_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=age),
            )
        )
    if owner is not None and price is not None:
        svc.streams.update(stream.id, owner, {"price_per_second": price})
    return stream.id


def walk(**query: str) -> list[dict[str, Any]]:
    """Every page of a listing, two at a time: the keyset cursor must carry the sort."""
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        status, body = listing(limit="2", **query, **({"cursor": cursor} if cursor else {}))
        assert status == 200, body
        seen.extend(body["data"]["items"])
        cursor = body["data"]["nextCursor"]
        if cursor is None:
            return seen


def test_each_sort_orders_every_stream_once_across_pages(services: Services, engine: Engine) -> None:
    add_user(engine, "u1", "ann", "ann@example.com")
    made = {
        "b": make(services, "banana", owner="u1", price="9.5", duration=30.5, age=3),
        "a": make(services, "Apple", owner="u1", price="10", duration=5, age=1),
        "c": make(services, "cherry", owner="u1", price="0.01", duration=600, age=2),
        "d": make(services, "date", owner="u1", duration=None, age=4),
        "e": make(services, "elder", owner="u1", price="0.01", duration=30.5, age=0),
    }
    name = {v: k for k, v in made.items()}

    def order(sort: str) -> str:
        return "".join(name[s["id"]] for s in walk(sort=sort))

    assert order("newest") == "dbcae" and walk() == walk(sort="newest")
    assert order("oldest") == "eacbd"
    assert order("title") == "abcde"  # any case: "Apple" first
    # As numbers, not strings ("10" after "9.5"); ties on the price break on the id.
    ties = "ce" if made["c"] < made["e"] else "ec"
    assert order("price") == "d" + ties + "ba"
    longest = order("duration")
    assert longest[:1] == "c" and longest[-2:] == "ad" and set(longest[1:3]) == {"b", "e"}


def test_search_matches_title_description_and_creator_any_case_without_wildcards(
    services: Services, engine: Engine
) -> None:
    add_user(engine, "u1", "surfer_sam", "surfer_sam@example.com")
    add_user(engine, "u2", "bob", "bob@example.com")
    wave = make(services, "Big WAVE day", owner="u2")
    desc = make(services, "Tuesday", owner="u2", description="a wave of fog rolls in")
    by_sam = make(services, "Morning", owner="u1")
    percent = make(services, "100% cotton", owner="u2")

    def found(q: str) -> set[str]:
        return {s["id"] for s in walk(q=q)}

    assert found("wave") == {wave, desc}
    assert found("SURFER") == {by_sam}
    assert found("big day") == {wave}  # every word, in any field
    assert found("100%") == {percent}
    assert found("%") == {percent} and found("_") == {by_sam}  # LIKE's wildcards are letters here
    assert found("   ") == {wave, desc, by_sam, percent}  # blank: no filter
    assert found("nothing-like-it") == set()


def test_bad_listing_parameters_are_400s_that_name_them(services: Services) -> None:
    make(services, "one")
    make(services, "two", age=1)
    status, body = listing(limit="1", sort="title")
    cursor = body["data"]["nextCursor"]
    for query, words in (
        ({"sort": "cheapest"}, "'sort'"),
        ({"sort": "price", "cursor": cursor}, "another sort"),
        ({"q": "x" * 101}, "'q'"),
        ({"q": "a\x00b"}, "'q'"),
        ({"creator": "no such name!"}, "creator"),
    ):
        status, body = listing(**query)
        assert status in (400, 404) and words in body["error"], (query, body)


def test_a_channel_is_one_creators_streams_and_a_header(services: Services, engine: Engine) -> None:
    add_user(engine, "u1", "ann", "ann@example.com")
    add_user(engine, "u2", "bob", "bob@example.com")
    mine = make(services, "ann's", owner="u1")
    make(services, "bob's", owner="u2")
    with engine.begin() as conn:
        conn.execute(update(streams).where(streams.c.id == mine).values(status="ready"))
    assert [s["id"] for s in walk(creator="ann")] == [mine]
    assert [s["id"] for s in walk(creator="ANN")] == [mine]  # a typed link, any case
    status, body = listing(creator="nobody")
    assert (status, body["code"]) == (404, "NOT_FOUND") and "nobody" in body["error"]

    status, body = call(creators_handler, "creators", "GET", "ann")
    assert status == 200 and body["data"]["username"] == "ann" and body["data"]["streams"] == 1
    assert datetime.fromisoformat(body["data"]["joinedAt"].replace("Z", "+00:00")) <= now_utc()
    for name in ("nobody", "x", "ann;drop"):
        status, body = call(creators_handler, "creators", "GET", name)
        assert status in (400, 404), (name, body)
    assert call(creators_handler, "creators", "GET", "nobody")[0] == 404


def test_the_whole_videos_price_is_exact_and_rounds_seconds_up(services: Services, engine: Engine) -> None:
    add_user(engine, "u1", "ann", "ann@example.com")
    priced = make(services, "thirty", owner="u1", price="0.01", duration=30.2)
    tiny = make(services, "tiny", owner="u1", price="0.000000000000000001", duration=3)
    unknown = make(services, "processing", owner="u1", price="0.5", duration=None)
    free = make(services, "free", owner="u1", price="0", duration=12)
    items = {s["id"]: s for s in walk()}
    assert items[priced]["priceTotal"] == "0.31"  # 31 seconds, no float on the way
    assert items[tiny]["priceTotal"] == "0.000000000000000003"
    assert items[unknown]["priceTotal"] is None
    assert items[free]["priceTotal"] == "0"


def test_where_a_viewer_stopped_is_theirs_bounded_and_kept_across_devices(
    services: Services, engine: Engine
) -> None:
    ann = token_for(services, engine, "u1", "ann")
    bob = token_for(services, engine, "u2", "bob")
    video = make(services, "clip", owner="u1", duration=30)

    def position(token: str | None, body: Any = None, stream: str = video) -> tuple[int, dict[str, Any]]:
        method = "GET" if body is None else "PUT"
        return call(streams_handler, "streams", method, f"{stream}/position", token=token, body=body)

    assert position(ann) == (200, {"success": True, "data": {"seconds": None, "updatedAt": None}})
    status, body = position(ann, {"seconds": 12.5})
    assert status == 200 and body["data"]["seconds"] == 12.5
    status, body = position(ann)  # another device: the same answer
    assert status == 200 and body["data"]["seconds"] == 12.5
    assert position(bob)[1]["data"]["seconds"] is None  # each viewer their own
    assert position(ann, {"seconds": 30.6})[1]["data"]["seconds"] == 30  # the end, a little late

    for bad, words in (
        ({"seconds": -1}, "seconds"),
        ({"seconds": 45}, "30.0 s long"),
        ({"seconds": "ten"}, "seconds"),
        ({}, "seconds"),
        ({"seconds": 3, "extra": 1}, "extra"),
        ("[", "JSON"),
    ):
        status, body = position(ann, bad)
        assert status == 400 and words in body["error"], (bad, body)
    assert position(ann)[1]["data"]["seconds"] == 30  # unchanged by what was refused
    assert position(None)[0] == 401 and position(None, {"seconds": 1})[0] == 401
    assert position(ann, stream="missing")[0] == 404
    assert position(ann, {"seconds": 1}, stream="missing")[0] == 404

    services.streams.delete(video, "u1")  # the positions go with the stream
    with engine.connect() as conn:
        assert conn.execute(select(watch_positions)).all() == []


def test_unlinking_a_wallet_is_for_its_owner_and_any_letter_case(services: Services, engine: Engine) -> None:
    ann = token_for(services, engine, "u1", "ann")
    bob = token_for(services, engine, "u2", "bob")
    first = "0x" + "Ab" * 20
    second = "0x" + "cD" * 20
    link_wallet(engine, "u1", first, 31337)
    link_wallet(engine, "u1", second, 31337)

    def unlink(token: str | None, address: str) -> tuple[int, dict[str, Any]]:
        return call(auth_handler, "auth", "DELETE", f"wallets/{address}", token=token)

    assert unlink(bob, first)[0] == 404  # not theirs: nothing said about whose it is
    assert unlink(None, first)[0] == 401
    assert unlink(ann, "0x123")[0] in (400, 404)
    status, body = unlink(ann, first.lower())
    assert status == 200 and body["data"]["address"] == first
    assert unlink(ann, first)[0] == 404  # once
    with engine.connect() as conn:
        assert [r.address for r in conn.execute(select(user_wallets.c.address)).all()] == [second]
    # The creator's streams now name the wallet left as where payments go.
    video = make(services, "clip", owner="u1")
    assert call(streams_handler, "streams", "GET", video)[1]["data"]["creator"]["wallet"] == second


def test_the_migration_gives_existing_streams_a_price_key(db_url: str) -> None:
    engine = build_engine(db_url)
    try:
        upgrade(engine, "0011")
        now = now_utc()
        # The table as 0011 left it: no price_key yet.
        old = sa.table(
            "streams",
            *(
                sa.column(name)
                for name in ("id", "title", "status", "price_per_second", "created_at", "updated_at")
            ),
        )
        with engine.begin() as conn:
            for sid, price in (("s9", "9.5"), ("s10", "10"), ("s0", "0")):
                conn.execute(
                    sa.insert(old).values(
                        id=sid,
                        title=sid,
                        status="ready",
                        price_per_second=price,
                        created_at=now,
                        updated_at=now,
                    )
                )
        upgrade(engine)
        with engine.connect() as conn:
            ordered = conn.execute(select(streams.c.id).order_by(streams.c.price_key)).scalars().all()
        assert ordered == ["s0", "s9", "s10"]
        downgrade(engine, "0011")
        upgrade(engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize("route", ["", "x/position"])
def test_routes_refuse_other_methods(services: Services, route: str) -> None:
    status, _ = call(streams_handler, "streams", "POST" if route else "PUT", route)
    assert status in (404, 405)


def test_the_owner_picks_the_thumbnail_among_the_choices_and_nothing_else(
    services: Services, engine: Engine
) -> None:
    ann = token_for(services, engine, "u1", "ann")
    bob = token_for(services, engine, "u2", "bob")
    video = make(services, "clip", owner="u1", duration=30)
    choices = [f"/streams/{video}/thumbnail.jpg", f"/streams/{video}/thumbnail-1.jpg"]
    with engine.begin() as conn:
        conn.execute(
            update(streams).where(streams.c.id == video).values(thumbnail=choices[0], thumbnails=choices)
        )

    def patch(token: str, body: Any) -> tuple[int, dict[str, Any]]:
        return call(streams_handler, "streams", "PATCH", video, token=token, body=body)

    status, body = patch(ann, {"thumbnail": choices[1]})
    assert status == 200 and body["data"]["thumbnail"] == choices[1]
    assert body["data"]["thumbnailChoices"] == choices
    for bad in ("https://example.com/x.jpg", "", "/streams/other/thumbnail.jpg"):
        status, body = patch(ann, {"thumbnail": bad})
        assert status == 400 and "thumbnailChoices" in body["error"], (bad, body)
    assert patch(bob, {"thumbnail": choices[0]})[0] == 403
    assert call(streams_handler, "streams", "GET", video)[1]["data"]["thumbnail"] == choices[1]
    # A stream published before there was a choice offers its one thumbnail.
    with engine.begin() as conn:
        conn.execute(update(streams).where(streams.c.id == video).values(thumbnails=None))
    assert call(streams_handler, "streams", "GET", video)[1]["data"]["thumbnailChoices"] == [choices[1]]
