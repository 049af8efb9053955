"""Retention (tidecast/retention.py) on SQLite and PostgreSQL: exactly the old finished rows go.

Every table retention covers is seeded with rows on both sides of the cutoff (30 days) and in
every state, old unfinished rows included; the counts, what remains, the batching and the
`tidecast db prune` command are checked against that seed.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, Table, event, insert, select
from typer.testing import CliRunner

from tests.support.accounts import add_user
from tidecast.cli import app
from tidecast.db.schema import (
    event_deliveries,
    events,
    jobs,
    mail_outbox,
    rate_attempts,
    signed_nonces,
    user_tokens,
    wallet_nonces,
)
from tidecast.db.times import now_utc
from tidecast.retention import Retention

NOW = now_utc()
OLD = NOW - timedelta(days=40)
RECENT = NOW - timedelta(days=1)
FUTURE = NOW + timedelta(days=1)

#: What a prune deletes from the seed, by the names `plan` and `prune` report.
EXPECTED = {
    "mail_outbox (sent)": 4,
    "event_deliveries (done)": 3,
    "events (all deliveries done)": 2,
    "jobs (done)": 1,
    "user_tokens (used or expired)": 3,
    "wallet_nonces (used or expired)": 2,
    "rate_attempts": 7,
    "signed_nonces (expired)": 1,
}


def mail(row_id: str, status: str, created: datetime, **values: Any) -> dict[str, Any]:
    return {
        "id": row_id,
        "message_id": f"<{row_id}@example.com>",
        "sender": "noreply@example.com",
        "recipients": ["ann@example.com"],
        "subject": row_id,
        "essential": True,
        "raw": "Subject: x\r\n\r\nx\r\n",
        "status": status,
        "next_attempt_at": created,
        "created_at": created,
        **values,
    }


def delivery(event_id: str, subscriber: str, status: str, updated: datetime) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "subscriber": subscriber,
        "status": status,
        "next_attempt_at": updated,
        "updated_at": updated,
    }


def job(job_id: str, status: str, created: datetime, finished: datetime | None = None) -> dict[str, Any]:
    return {
        "id": job_id,
        "kind": "test.job",
        "payload": {},
        "status": status,
        "next_attempt_at": created,
        "created_at": created,
        "updated_at": finished or created,
        "finished_at": finished,
    }


def token(name: str, expires: datetime, used: datetime | None = None) -> dict[str, Any]:
    return {
        "token_hash": name,
        "user_id": "u1",
        "purpose": "verify_email",
        "created_at": min(expires, NOW) - timedelta(days=2),
        "expires_at": expires,
        "used_at": used,
    }


def nonce(name: str, expires: datetime, used: datetime | None = None) -> dict[str, Any]:
    return {
        "nonce": name,
        "purpose": "login",
        "created_at": expires - timedelta(minutes=10),
        "expires_at": expires,
        "used_at": used,
    }


def add(conn: Any, table: Table, rows: list[dict[str, Any]]) -> None:
    for values in rows:  # one by one: the rows set different columns
        conn.execute(insert(table).values(**values))


def seed(engine: Engine) -> None:
    add_user(engine)
    with engine.begin() as conn:
        add(
            conn,
            mail_outbox,
            [
                *(mail(f"sent-old-{i}", "sent", OLD, sent_at=OLD + timedelta(minutes=i)) for i in range(4)),
                mail("sent-recent", "sent", OLD, sent_at=RECENT),  # queued long ago, sent lately
                mail("queued-old", "queued", OLD),
                mail("deferred-old", "queued", OLD, attempts=3, last_error="421 try later"),
                mail("failed-old", "failed", OLD, attempts=1, last_error="550 no such user"),
                mail("sending-old", "sending", OLD, claim="x" * 32, lease_until=OLD),
            ],
        )
        add(
            conn,
            events,
            [
                {"id": name, "name": "test.happened", "payload": {}, "created_at": created}
                for name, created in [
                    ("ev-done-old", OLD),
                    ("ev-mixed-old", OLD),
                    ("ev-pending-old", OLD),
                    ("ev-done-recently", OLD),
                    ("ev-none-old", OLD),
                    ("ev-none-recent", RECENT),
                ]
            ],
        )
        add(
            conn,
            event_deliveries,
            [
                delivery("ev-done-old", "a", "done", OLD),
                delivery("ev-done-old", "b", "done", OLD),
                delivery("ev-mixed-old", "a", "done", OLD),
                delivery("ev-mixed-old", "b", "dead", OLD),
                delivery("ev-pending-old", "a", "pending", OLD),
                delivery("ev-done-recently", "a", "done", RECENT),
            ],
        )
        add(
            conn,
            jobs,
            [
                job("done-old", "done", OLD, OLD),
                job("done-recent", "done", OLD, RECENT),
                job("running-old", "running", OLD),
                job("failed-old", "failed", OLD, OLD),
                job("queued-old", "queued", OLD),
            ],
        )
        add(
            conn,
            user_tokens,
            [
                token("used-old", OLD + timedelta(days=2), used=OLD),
                token("used-old-live", FUTURE, used=OLD),
                token("expired-old", OLD),
                token("used-recent", FUTURE, used=RECENT),
                token("expired-recent", RECENT),
                token("live", FUTURE),
            ],
        )
        add(
            conn,
            wallet_nonces,
            [
                nonce("expired-old", OLD),
                nonce("used-old", OLD, used=OLD - timedelta(minutes=5)),
                nonce("expired-recent", RECENT),
                nonce("live", FUTURE),
            ],
        )
        add(
            conn,
            rate_attempts,
            [{"scope": "login", "key": "ann", "at": OLD + timedelta(minutes=i)} for i in range(7)]
            + [{"scope": "login-ip", "key": "203.0.113.5", "at": at} for at in (RECENT, NOW)],
        )
        # Signed-request nonces go once their message expires, however young.
        add(
            conn,
            signed_nonces,
            [
                {
                    "nonce": "0x" + "a" * 64,
                    "signer": "0x" + "1" * 40,
                    "expires_at": NOW - timedelta(minutes=1),
                },
                {
                    "nonce": "0x" + "b" * 64,
                    "signer": "0x" + "1" * 40,
                    "expires_at": NOW + timedelta(minutes=30),
                },
            ],
        )


#: What is left after a prune: every key of every table.
REMAINING = {
    "mail_outbox": {"sent-recent", "queued-old", "deferred-old", "failed-old", "sending-old"},
    "events": {"ev-mixed-old", "ev-pending-old", "ev-done-recently", "ev-none-recent"},
    "event_deliveries": {("ev-mixed-old", "b"), ("ev-pending-old", "a"), ("ev-done-recently", "a")},
    "jobs": {"done-recent", "running-old", "failed-old", "queued-old"},
    "user_tokens": {"used-recent", "expired-recent", "live"},
    "wallet_nonces": {"expired-recent", "live"},
    "rate_attempts": {("login-ip", "203.0.113.5")},  # the two recent attempts (keyed by scope, key)
    "signed_nonces": {"0x" + "b" * 64},
}

TABLES: dict[str, Table] = {
    "mail_outbox": mail_outbox,
    "events": events,
    "event_deliveries": event_deliveries,
    "jobs": jobs,
    "user_tokens": user_tokens,
    "wallet_nonces": wallet_nonces,
    "rate_attempts": rate_attempts,
    "signed_nonces": signed_nonces,
}


def contents(engine: Engine) -> dict[str, Counter[Any]]:
    """Every table's rows, by key (rate attempts by scope and key), with multiplicity."""
    out: dict[str, Counter[Any]] = {}
    with engine.connect() as conn:
        for name, table in TABLES.items():
            if name == "rate_attempts":
                keys = [tuple(r) for r in conn.execute(select(table.c.scope, table.c.key))]
            elif name == "event_deliveries":
                keys = [tuple(r) for r in conn.execute(select(table.c.event_id, table.c.subscriber))]
            else:
                keys = list(conn.execute(select(*table.primary_key.columns)).scalars())
            out[name] = Counter(keys)
    return out


def expected_remaining() -> dict[str, Counter[Any]]:
    out = {name: Counter(keys) for name, keys in REMAINING.items()}
    out["rate_attempts"] = Counter({("login-ip", "203.0.113.5"): 2})
    return out


def test_plan_counts_and_prune_deletes_exactly_the_old_finished_rows_in_batches(engine: Engine) -> None:
    seed(engine)
    before = contents(engine)
    retention = Retention(engine, keep_days=30, batch=3)

    assert retention.plan() == EXPECTED
    assert contents(engine) == before  # counting deletes nothing

    deletes: Counter[str] = Counter()

    def count_deletes(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        found = re.match(r"\s*DELETE FROM (\w+)", statement, re.IGNORECASE)
        if found:
            deletes[found[1]] += 1

    event.listen(engine, "before_cursor_execute", count_deletes)
    try:
        deleted = retention.prune()
    finally:
        event.remove(engine, "before_cursor_execute", count_deletes)

    assert deleted == EXPECTED
    assert contents(engine) == expected_remaining()
    # batch=3: each batch is its own DELETE of at most 3 rows, so a table with n rows to go
    # takes ceil(n / 3) of them, and nothing is deleted from a table with none to go.
    assert deletes == Counter(
        {
            "mail_outbox": 2,  # 4 rows
            "event_deliveries": 1,
            "events": 1,
            "jobs": 1,
            "user_tokens": 1,
            "wallet_nonces": 1,
            "rate_attempts": 3,  # 7 rows
            "signed_nonces": 1,
        }
    )
    # Nothing is left to go: a second prune deletes nothing.
    assert retention.plan() == dict.fromkeys(EXPECTED, 0)
    assert retention.prune() == dict.fromkeys(EXPECTED, 0)


def test_an_event_goes_only_once_none_of_its_deliveries_remain(engine: Engine) -> None:
    seed(engine)
    retention = Retention(engine, keep_days=30, batch=3)
    retention.prune()
    with engine.connect() as conn:
        left = set(conn.execute(select(events.c.id)).scalars())
        delivered = set(conn.execute(select(event_deliveries.c.event_id)).scalars())
    # Every old event still standing has a delivery left (or is recent), and no delivery lost
    # its event.
    assert delivered <= left
    assert {e for e in left if e != "ev-none-recent"} == delivered

    # The dead delivery is replayed and done; once it too is old, its event goes with it.
    with engine.begin() as conn:
        conn.execute(
            event_deliveries.update()
            .where(event_deliveries.c.event_id == "ev-mixed-old")
            .values(status="done", updated_at=OLD + timedelta(days=1))
        )
    assert retention.plan()["events (all deliveries done)"] == 1
    deleted = retention.prune()
    assert (deleted["event_deliveries (done)"], deleted["events (all deliveries done)"]) == (1, 1)
    with engine.connect() as conn:
        assert "ev-mixed-old" not in set(conn.execute(select(events.c.id)).scalars())


def test_a_shorter_retention_reaches_recent_rows_too(engine: Engine) -> None:
    """The cutoff is what decides: with half a day kept, yesterday's finished rows go as well."""
    seed(engine)
    counts = Retention(engine, keep_days=0.5).plan()
    assert counts == {
        **EXPECTED,
        "mail_outbox (sent)": 5,
        "event_deliveries (done)": 4,
        "events (all deliveries done)": 4,  # + ev-done-recently, ev-none-recent
        "jobs (done)": 2,
        "user_tokens (used or expired)": 5,  # + used-recent, expired-recent
        "wallet_nonces (used or expired)": 3,
        "rate_attempts": 8,
    }


def prune_lines(output: str, verb: str) -> dict[str, int]:
    found = re.findall(rf"^  (.+?)\s+{verb} (\d+)$", output, re.MULTILINE)
    return {name: int(n) for name, n in found}


def test_db_prune_command(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(engine)
    before = contents(engine)
    monkeypatch.setenv("DATABASE_URL", db_url)
    runner = CliRunner()

    dry = runner.invoke(app, ["db", "prune", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "(30 days)" in dry.output
    assert prune_lines(dry.output, "would delete") == EXPECTED, dry.output
    assert contents(engine) == before

    done = runner.invoke(app, ["db", "prune"])
    assert done.exit_code == 0, done.output
    assert prune_lines(done.output, "deleted") == EXPECTED, done.output
    assert contents(engine) == expected_remaining()

    again = runner.invoke(app, ["db", "prune", "--dry-run"])
    assert prune_lines(again.output, "would delete") == dict.fromkeys(EXPECTED, 0), again.output
