"""Leased claims on due rows: how several workers share a table of work without doing it twice.

A worker moves due rows (waiting, next attempt in the past) or abandoned ones (working, lease
expired) to "working" under a fresh claim token and a lease, in one transaction, then reads back
the rows carrying its token. Whatever it later writes about a row is conditioned on that token, so a
worker whose lease ran out cannot overwrite the one that took over.

Leases are short (TIDECAST_LEASE_SECONDS, 20 s) and renewed: while a worker works, a
`Heartbeat` thread pushes its rows' lease forward every quarter lease. Work that takes minutes (a
transcode, a slow relay) keeps its claim as long as its worker lives; a worker that dies stops
renewing, and its rows are taken over within one lease.

An operator's retry puts a `failed` row back to waiting with `WorkTable.requeue_failed`: one
UPDATE conditioned on the row still being `failed`, never a read and then a write, so a retry
racing another retry, and the worker that has already claimed the row the other queued, changes
nothing (it does not reset a row being worked on to waiting, which would let a second worker
send the same mail or run the same job beside the first).

On PostgreSQL the SELECT takes `FOR UPDATE SKIP LOCKED`, so concurrent claimers pass over
each other's rows instead of queueing. SQLite has one writer at a time, but its SELECT runs
before the write lock is taken: a claimer whose UPDATE finds every selected row gone to another
looks again, under the lock, instead of coming back empty while other rows are due.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, Row, Select, Table, and_, func, or_, select, true, tuple_, update

from tidecast.db.times import as_utc, now_utc
from tidecast.retry import backoff_delay

log = logging.getLogger(__name__)

#: The status of a row whose work gave up: only an operator's retry puts it back.
FAILED = "failed"


@dataclass(frozen=True)
class WorkPolicy:
    """How a table of durable work is retried and leased (mail and event deliveries each have one)."""

    max_attempts: int = 8
    retry_base: float = 2.0
    retry_max: float = 900.0
    lease_seconds: float = 20.0
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
    only: Any = None,
    where: Any = None,
) -> str:
    """Claim up to `limit` rows and return the claim token they now carry.

    With `only`, only the row with that primary key qualifies (a job woken by its id); with
    `where`, only rows it holds for (the job kinds one worker pool runs).

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
    if only is not None:
        due = and_(due, key[0] == only)
    if where is not None:
        due = and_(due, where)
    # Select, then update the keys found: an UPDATE … WHERE key IN (SELECT … LIMIT n) may run
    # its subquery more than once on PostgreSQL and so claim more than n rows.
    for _ in range(3):
        found = conn.execute(
            select(*key).where(due).order_by(next_at).limit(limit).with_for_update(skip_locked=True)
        ).all()
        if not found:
            break
        target = key[0] if len(key) == 1 else tuple_(*key)
        keys = [row[0] for row in found] if len(key) == 1 else [tuple(row) for row in found]
        claimed = conn.execute(
            update(table)
            .where(target.in_(keys))
            .where(due)
            .values(status=working, claim=token, lease_until=now + lease)
        ).rowcount
        if claimed:
            break
        # On SQLite the SELECT reads outside the write lock, so a concurrent claimer can take
        # every row found before our UPDATE gets the lock; now that we hold it, look again
        # rather than report no work while other rows are due.
    return token


def next_due(
    conn: Connection, table: Table, *, waiting: str, working: str, where: Any = None
) -> datetime | None:
    """When the earliest waiting row falls due, or a working row's lease runs out (of the rows
    `where` holds for, when given)."""
    extra = where if where is not None else true()
    waiting_at = conn.execute(
        select(func.min(table.c.next_attempt_at)).where(table.c.status == waiting).where(extra)
    ).scalar()
    lease_at = conn.execute(
        select(func.min(table.c.lease_until)).where(table.c.status == working).where(extra)
    ).scalar()
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
        self,
        *,
        due_by: datetime,
        limit: int,
        read: Callable[[str], Select[Any]],
        only: Any = None,
        where: Any = None,
    ) -> tuple[str, Sequence[Row[Any]]]:
        """Claim a batch (or the row whose key is `only`; of the rows `where` holds for) and read
        it back (`read(token)`) in one transaction: (token, rows)."""
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
                only=only,
                where=where,
            )
            return token, conn.execute(read(token)).all()

    def requeue_failed(self, conn: Connection, key: Any, **values: Any) -> str | None:
        """Put the row `key` back to waiting, in the transaction on `conn`, if and only if it is
        still `failed`, with `values` (attempts, next attempt, lifetime) set too.

        Returns "failed" when it was requeued; otherwise the status it has now, or None when
        there is no such row (read after the UPDATE, only to name the problem). Atomic on both
        databases: the condition is in the UPDATE, which PostgreSQL re-checks on the row it
        locks, so there is no window between a check and a write for a worker to claim the row.
        """
        table = self.table
        primary = next(iter(table.primary_key.columns))
        done = conn.execute(
            update(table)
            .where((primary == key) & (table.c.status == FAILED))
            .values(status=self.waiting, claim=None, lease_until=None, **values)
        )
        if done.rowcount == 1:
            return FAILED
        status: str | None = conn.execute(select(table.c.status).where(primary == key)).scalar()
        return status

    def renew(self, token: str) -> tuple[int, datetime]:
        """Push the lease of every row still under `token` to a full lease from now: (rows
        renewed, the new end). Rows finished or released since the claim no longer count."""
        now = self.policy.clock()
        until = now + self.policy.lease
        with self.engine.begin() as conn:
            renewed = conn.execute(
                update(self.table)
                .where((self.table.c.claim == token) & (self.table.c.status == self.working))
                .values(lease_until=until)
            )
        return renewed.rowcount, until

    def heartbeat(self, token: str, lease_until: datetime) -> Heartbeat:
        """A context manager renewing `token`'s lease while the work under it runs."""
        return Heartbeat(self, token, lease_until)

    def seconds_to_next(self, where: Any = None) -> float | None:
        """Seconds until a row falls due or a lease runs out (None: no work left); only rows
        `where` holds for, when given."""
        with self.engine.connect() as conn:
            due = next_due(conn, self.table, waiting=self.waiting, working=self.working, where=where)
        return self.policy.seconds_until(due)


class Heartbeat:
    """Renews a claim's lease from a thread, every quarter lease, while work is in progress.

    `held_until` is the end of the lease the worker knows it holds (the last renewal that
    succeeded). A worker checks it before starting anything that must finish under the
    lease: if renewals fail (the database is unreachable), the lease runs out and the worker
    stops, because another worker may take the rows over. `lost` is set when a renewal finds
    none of the rows under the token any more while the worker still holds some (taken over).
    """

    def __init__(self, work: WorkTable, token: str, lease_until: datetime) -> None:
        self.work = work
        self.token = token
        self.held_until = lease_until
        self.lost = False
        self.renewals = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{token[:8]}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()

    def seconds_left(self) -> float:
        return (self.held_until - self.work.policy.clock()).total_seconds()

    def _run(self) -> None:
        interval = self.work.policy.lease_seconds / 4
        while not self._stop.wait(interval):
            try:
                renewed, until = self.work.renew(self.token)
            except Exception:
                log.warning("lease renewal for claim %s failed", self.token[:8], exc_info=True)
                continue
            self.renewals += 1
            if renewed:
                self.held_until = until
            elif not self._stop.is_set():
                # Nothing under the token: all finished (a batch releases rows as it goes), or
                # taken over. The worker tells which from its own rows' conditioned writes.
                self.lost = True
