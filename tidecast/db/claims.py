"""Leased claims on due rows: how several workers share an outbox table without sending twice.

A worker moves due rows (waiting, next attempt in the past) or abandoned ones (working, lease
expired) to "working" under a fresh claim token and a lease, in one transaction, then reads back
the rows carrying its token. Whatever it later writes about a row is conditioned on that token, so a
worker whose lease ran out cannot overwrite the one that took over.

On PostgreSQL the SELECT takes `FOR UPDATE SKIP LOCKED`, so concurrent claimers pass over
each other's rows instead of queueing; SQLite has one writer at a time and needs nothing more.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Row, Select, Table, and_, func, or_, select, tuple_, update

from tidecast.db.times import as_utc, now_utc
from tidecast.retry import backoff_delay


@dataclass(frozen=True)
class WorkPolicy:
    """How a table of durable work is retried and leased (mail and event deliveries each have one)."""

    max_attempts: int = 8
    retry_base: float = 2.0
    retry_max: float = 900.0
    lease_seconds: float = 120.0
    clock: Callable[[], datetime] = now_utc
    rng: random.Random | None = field(default=None, compare=False)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)

    def retry_delay(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failure."""
        return backoff_delay(attempts, base=self.retry_base, cap=self.retry_max, rng=self.rng)

    def seconds_until(self, due: datetime | None) -> float | None:
        return None if due is None else max(0.0, (due - self.clock()).total_seconds())


def claim_due(
    conn: Connection,
    table: Table,
    *,
    waiting: str,
    working: str,
    due_by: datetime,
    now: datetime,
    lease: timedelta,
    limit: int,
) -> str:
    """Claim up to `limit` rows and return the claim token they now carry.

    Waiting rows qualify when due by `due_by` (a drain passes the time it started, so work it
    deferred itself waits for its turn); working rows when their lease ran out before `now`. The
    new lease runs from `now`, never from an earlier time, or a long drain would hand out leases
    already expired and let another worker take rows that are being sent.
    """
    token = secrets.token_hex(16)
    status, next_at, lease_until = table.c.status, table.c.next_attempt_at, table.c.lease_until
    due = or_(
        and_(status == waiting, next_at <= due_by),
        and_(status == working, lease_until < now),
    )
    key = list(table.primary_key.columns)
    # Select, then update the keys found: an UPDATE … WHERE key IN (SELECT … LIMIT n) may run
    # its subquery more than once on PostgreSQL and so claim more than n rows.
    found = conn.execute(
        select(*key).where(due).order_by(next_at).limit(limit).with_for_update(skip_locked=True)
    ).all()
    if found:
        target = key[0] if len(key) == 1 else tuple_(*key)
        keys = [row[0] for row in found] if len(key) == 1 else [tuple(row) for row in found]
        conn.execute(
            update(table)
            .where(target.in_(keys))
            .where(due)
            .values(status=working, claim=token, lease_until=now + lease)
        )
    return token


def next_due(conn: Connection, table: Table, *, waiting: str, working: str) -> datetime | None:
    """When the earliest waiting row falls due, or a working row's lease runs out."""
    waiting_at = conn.execute(
        select(func.min(table.c.next_attempt_at)).where(table.c.status == waiting)
    ).scalar()
    lease_at = conn.execute(select(func.min(table.c.lease_until)).where(table.c.status == working)).scalar()
    found = [as_utc(t) for t in (waiting_at, lease_at) if t is not None]
    return min(found) if found else None


@dataclass(frozen=True)
class WorkTable:
    """A table of durable work (the mail outbox, event deliveries): the status that means waiting,
    the one that means a worker has it, and how it is retried and leased."""

    engine: Engine
    table: Table
    waiting: str
    working: str
    policy: WorkPolicy

    def claim(
        self, *, due_by: datetime, limit: int, read: Callable[[str], Select[Any]]
    ) -> tuple[str, Sequence[Row[Any]]]:
        """Claim a batch and read it back (`read(token)`) in one transaction: (token, rows)."""
        with self.engine.begin() as conn:
            token = claim_due(
                conn,
                self.table,
                waiting=self.waiting,
                working=self.working,
                due_by=due_by,
                now=self.policy.clock(),
                lease=self.policy.lease,
                limit=limit,
            )
            return token, conn.execute(read(token)).all()

    def seconds_to_next(self) -> float | None:
        """Seconds until a row falls due or a lease runs out (None: no work left)."""
        with self.engine.connect() as conn:
            due = next_due(conn, self.table, waiting=self.waiting, working=self.working)
        return self.policy.seconds_until(due)
