"""The durable event bus on SQLite and PostgreSQL: transactional publish, retries, dead letters."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, insert, select, update

from tests.support.accounts import add_user
from tidecast.container import Services
from tidecast.db.schema import event_deliveries, events, mail_outbox, streams
from tidecast.db.times import now_utc
from tidecast.db.tx import transaction
from tidecast.errors import NotFound
from tidecast.event_bus import Event

USER = {"id": "u1", "email": "ann@example.com", "username": "ann"}


@pytest.fixture
def bus_services(engine: Engine, make_services: Callable[..., Services]) -> Services:
    svc = make_services(  # these tests run the drains themselves
        engine,
        quiet=("events", "outbox"),
        bind=True,
        TIDECAST_RETRY_BASE_SECONDS="0.05",
        TIDECAST_RETRY_MAX_SECONDS="0.2",
        TIDECAST_EVENT_MAX_ATTEMPTS="4",
    )
    add_user(engine, USER["id"], USER["username"], USER["email"])
    return svc


def run_until(svc: Services, done: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "deliveries did not settle"
        wait = svc.events.deliver_due()
        if not done():
            time.sleep(min(wait if wait is not None else 0.05, 0.1))


def count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def delivery(engine: Engine, event_id: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(event_deliveries).where(event_deliveries.c.event_id == event_id)).one()


def add_stream(conn: Connection, title: str) -> None:
    now = now_utc()
    conn.execute(insert(streams).values(id=title[:32], title=title, created_at=now, updated_at=now))


def test_publish_commits_and_rolls_back_with_the_change(bus_services: Services, engine: Engine) -> None:
    bus = bus_services.events
    with pytest.raises(RuntimeError), transaction(engine) as conn:
        add_stream(conn, "rolled back")
        bus.publish(conn, "user.registered", {"user": USER})
        raise RuntimeError("boom")
    assert count(engine, events) == 0 and count(engine, event_deliveries) == 0 and count(engine, streams) == 0

    with transaction(engine) as conn:
        add_stream(conn, "kept")
        event_id = bus.publish(conn, "user.registered", {"user": USER})
    assert count(engine, streams) == 1
    assert delivery(engine, event_id).status == "pending"


@pytest.mark.parametrize(
    ("name", "payload", "problem"),
    [
        ("", {}, "event name"),
        ("user registered", {}, "event name"),
        ("x" * 101, {}, "event name"),
        ("user.registered", ["not", "an", "object"], "JSON object"),
    ],
)
def test_bad_publish_is_refused_and_writes_nothing(bus_services, engine, name, payload, problem) -> None:
    # The calling code's bug, not the client's: a ValueError (a 500 if it reached the edge).
    with pytest.raises(ValueError, match=problem), transaction(engine) as conn:
        bus_services.events.publish(conn, name, payload)
    assert count(engine, events) == 0


def test_user_registered_queues_one_welcome_mail_even_when_redelivered(bus_services, engine) -> None:
    with transaction(engine) as conn:
        event_id = bus_services.events.publish(conn, "user.registered", {"user": USER})
    run_until(bus_services, lambda: delivery(engine, event_id).status == "done")
    # At-least-once: the same delivery runs again (a worker died before recording it).
    with engine.begin() as conn:
        conn.execute(update(event_deliveries).values(status="pending"))
    run_until(bus_services, lambda: delivery(engine, event_id).status == "done")
    assert count(engine, mail_outbox) == 1
    with engine.connect() as conn:
        subject, key = conn.execute(select(mail_outbox.c.subject, mail_outbox.c.idempotency_key)).one()
    assert subject == "Welcome to tidecast!" and key == f"{event_id}:welcome"


def test_payment_created_queues_the_confirmation(bus_services, engine) -> None:
    payment = {"amount": "3 TIDE", "date": "2026-11-22", "transactionId": "0xabc"}
    with transaction(engine) as conn:
        event_id = bus_services.events.publish(conn, "payment.created", {"user": USER, "payment": payment})
    run_until(bus_services, lambda: delivery(engine, event_id).status == "done")
    with engine.connect() as conn:
        raw = conn.execute(select(mail_outbox.c.raw)).scalar_one()
    assert "0xabc" in raw and "Payment Confirmation" in raw


def test_stream_started_has_one_delivery_to_the_chain(bus_services, engine) -> None:
    """`stream.started` is recorded on chain by its subscriber (tested end to end in
    test_chain_service.py); here: the event and its one delivery are written together."""
    with transaction(engine) as conn:
        event_id = bus_services.events.publish(conn, "stream.started", {"streamId": "s1"})
    assert count(engine, events, events.c.id == event_id) == 1
    assert bus_services.events.subscribers("stream.started") == ["chain.record_stream_start"]
    assert count(engine, event_deliveries, event_deliveries.c.event_id == event_id) == 1


def test_a_subscriber_failing_twice_has_its_effect_once(bus_services: Services, engine: Engine) -> None:
    calls: list[int] = []

    def flaky(event: Event, conn: Connection) -> None:
        calls.append(1)
        add_stream(conn, f"effect-{event.id}")  # written, then rolled back on the failures
        if len(calls) <= 2:
            raise ConnectionError("the chain node is restarting")

    bus_services.events.subscribe("test.flaky", "test.flaky", flaky)
    with transaction(engine) as conn:
        event_id = bus_services.events.publish(conn, "test.flaky", {})
    first = delivery(engine, event_id)
    bus_services.events.deliver_due()
    after_one = delivery(engine, event_id)
    assert after_one.status == "pending" and after_one.attempts == 1
    assert "ConnectionError: the chain node is restarting" in after_one.last_error
    assert after_one.next_attempt_at > first.next_attempt_at  # backed off, not retried at once
    run_until(bus_services, lambda: delivery(engine, event_id).status == "done")
    assert len(calls) == 3 and delivery(engine, event_id).attempts == 3
    assert count(engine, streams) == 1  # the effect, once


def test_always_failing_subscriber_is_dead_lettered_then_replayed(bus_services, engine) -> None:
    broken = {"yes": True}

    def fragile(event: Event, conn: Connection) -> None:
        if broken["yes"]:
            raise ValueError("template missing")
        add_stream(conn, f"replayed-{event.id}")

    bus_services.events.subscribe("test.fragile", "test.fragile", fragile)
    with transaction(engine) as conn:
        event_id = bus_services.events.publish(conn, "test.fragile", {"n": 1})
    run_until(bus_services, lambda: delivery(engine, event_id).status == "dead")
    dead = delivery(engine, event_id)
    assert dead.attempts == 4 and "ValueError: template missing" in dead.last_error
    assert bus_services.events.deliver_due() is None  # dead letters are not retried by themselves

    [listed] = bus_services.events.list(failed=True)
    assert listed["id"] == event_id and listed["deliveries"][0]["status"] == "dead"

    broken["yes"] = False
    assert bus_services.events.retry(event_id) == 1
    assert bus_services.events.retry(event_id) == 0  # nothing dead any more
    run_until(bus_services, lambda: delivery(engine, event_id).status == "done")
    assert count(engine, streams) == 1
    assert bus_services.events.list(failed=True) == []


def test_retry_of_an_unknown_event_is_not_found(bus_services) -> None:
    with pytest.raises(NotFound):
        bus_services.events.retry("nope")


def test_a_delivery_whose_subscriber_is_gone_is_dead_lettered_at_once(bus_services, engine) -> None:
    bus_services.events.subscribe("test.gone", "test.gone", lambda e, c: None)
    with transaction(engine) as conn:
        event_id = bus_services.events.publish(conn, "test.gone", {})
    bus_services.events._subscribers.pop("test.gone")  # a later build dropped the subscriber
    bus_services.events.deliver_due()
    gone = delivery(engine, event_id)
    assert gone.status == "dead" and "no subscriber 'test.gone'" in gone.last_error
