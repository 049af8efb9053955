"""The stream events' payloads: ids, and the old shape (the stream's API JSON) still read."""

from __future__ import annotations

from datetime import UTC, datetime

from tidecast.media import stream_events
from tidecast.media.streams import Stream

WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def a_stream(cid: str | None) -> Stream:
    return Stream(
        id="s1", title="t", description="", owner_id="u1", status="ready", progress=100.0,
        eta_seconds=None, error=None, duration=2.0, master_playlist="/streams/s1/master.m3u8",
        variants=(), thumbnail=None, thumbnails=(), cid=cid, key_period_seconds=None, key_periods=None,
        playable=True,
        price_per_second="0", creator_username=None, creator_wallet=None,
        created_at=WHEN, updated_at=WHEN,
    )  # fmt: skip


def test_payloads_carry_ids_only() -> None:
    assert stream_events.started("s1") == {"streamId": "s1"}
    assert stream_events.deleted(a_stream("bafy1")) == {"streamId": "s1", "cid": "bafy1"}
    assert stream_events.deleted(a_stream(None)) == {"streamId": "s1", "cid": None}


def test_the_readers_take_both_shapes() -> None:
    new = stream_events.deleted(a_stream("bafy1"))
    old = {"stream": {"id": "s1", "cid": "bafy1", "title": "t", "ownerId": "u1"}}
    assert stream_events.stream_id_of(new) == stream_events.stream_id_of(old) == "s1"
    assert stream_events.cid_of(new) == stream_events.cid_of(old) == "bafy1"
    assert stream_events.stream_id_of({"streamId": "s2"}) == "s2"
    assert stream_events.cid_of({"streamId": "s1", "cid": None}) is None
    assert stream_events.cid_of({"stream": {"id": "s1", "cid": None}}) is None
