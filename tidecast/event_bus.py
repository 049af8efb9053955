"""The durable event bus: the reference's ServiceBus, without losing events when a process ends.

`publish(conn, name, payload)` writes the event and one delivery per subscriber in the caller's
transaction: the event exists exactly when the change that caused it does. Workers drain due
deliveries (at-least-once), each in its own transaction together with the subscriber's own
writes and the row that marks it done; a subscriber that fails has its writes rolled back and is
retried with backoff, and after `max_attempts` its delivery is dead-lettered (status `dead`),
where `tidecast events list --failed` shows it and `tidecast events retry` replays it.

A subscriber is `fn(event, conn)`. Writes through `conn` happen exactly once per event. Effects
outside the database must be idempotent by `event.id` (mail uses it as the outbox's
idempotency key).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from tidecast.db.claims import WorkPolicy, WorkTable
from tidecast.db.schema import event_deliveries, events
from tidecast.db.times import as_utc, iso
from tidecast.db.tx import after_commit, transaction
from tidecast.errors import NotFound

log = logging.getLogger(__name__)

#: Event names: dotted lower-case words, as the reference's (`payment.created`).
NAME_MAX = 100


@dataclass(frozen=True)
class Event:
    id: str
    name: str
    payload: dict[str, Any]
    created_at: datetime


Subscriber = Callable[[Event, Connection], None]


class _LeaseLost(Exception):
    """Another worker took the delivery over (our lease ran out): undo this attempt."""


class EventBus:
    def __init__(
        self,
        engine: Engine,
        *,
        kick: Callable[[], None] | None = None,
        policy: WorkPolicy | None = None,
    ) -> None:
        self.engine = engine
        self.kick = kick
        self.policy = policy or WorkPolicy()
        self.clock = self.policy.clock
        self.work = WorkTable(engine, event_deliveries, "pending", "running", self.policy)
        self._subscribers: dict[str, dict[str, Subscriber]] = {}

    # -- wiring -------------------------------------------------------------------------------

    def subscribe(self, name: str, subscriber: str, fn: Subscriber) -> None:
        """Register `fn` under a stable `subscriber` name (deliveries are tracked by it)."""
        self._subscribers.setdefault(name, {})[subscriber] = fn

    def subscribers(self, name: str) -> list[str]:
        return sorted(self._subscribers.get(name, {}))

    # -- publishing ---------------------------------------------------------------------------

    def publish(self, conn: Connection, name: str, payload: dict[str, Any]) -> str:
        """Record `name` with `payload` in the transaction on `conn`; returns the event id.

        Commits or rolls back with the caller's change. The payload must be JSON. A bad name or
        payload is the calling code's bug, not the client's: it raises ValueError (a 500).
        """
        if not name or len(name) > NAME_MAX or not all(p.isidentifier() for p in name.split(".")):
            raise ValueError(f"event name {name!r} must be dotted words, at most {NAME_MAX} characters")
        if not isinstance(payload, dict):
            raise ValueError("event payload must be a JSON object")
        now = self.clock()
        event_id = secrets.token_hex(12)
        conn.execute(insert(events).values(id=event_id, name=name, payload=payload, created_at=now))
        subscribers = self.subscribers(name)
        if subscribers:
            conn.execute(
                insert(event_deliveries),
                [
                    {"event_id": event_id, "subscriber": s, "next_attempt_at": now, "updated_at": now}
                    for s in subscribers
                ],
            )
            if self.kick is not None:
                after_commit(conn, self.kick)
        return event_id

    # -- delivering ---------------------------------------------------------------------------

    def deliver_due(self, *, batch_size: int = 50) -> float | None:
        """Run every delivery due now; returns seconds until the next one falls due (None: none).

        Only deliveries due when the call starts are taken, so a failing subscriber waits for its
        backoff instead of being retried within the same call.
        """
        started = self.clock()
        while True:
            token, rows = self.work.claim(
                due_by=started,
                limit=batch_size,
                read=lambda token: (
                    select(
                        event_deliveries.c.subscriber,
                        event_deliveries.c.attempts,
                        event_deliveries.c.lease_until,
                        events,
                    )
                    .join(events, events.c.id == event_deliveries.c.event_id)
                    .where(event_deliveries.c.claim == token)
                    .order_by(events.c.created_at)
                ),
            )
            if not rows:
                break
            with self.work.heartbeat(token, as_utc(rows[0].lease_until)) as lease:
                for index, row in enumerate(rows):
                    if lease.seconds_left() < self.policy.lease_seconds / 2:
                        # Renewals are failing (the database is unreachable): stop before the
                        # lease runs out and another worker takes these over.
                        self._release(rows[index:], token)
                        return self.work.seconds_to_next()
                    event = Event(row.id, row.name, row.payload, as_utc(row.created_at))
                    self._deliver(event, row.subscriber, row.attempts, token)
        return self.work.seconds_to_next()

    def _release(self, rows: Any, token: str) -> None:
        with self.engine.begin() as conn:
            for row in rows:
                conn.execute(
                    update(event_deliveries)
                    .where(
                        (event_deliveries.c.event_id == row.id)
                        & (event_deliveries.c.subscriber == row.subscriber)
                        & (event_deliveries.c.claim == token)
                    )
                    .values(status="pending", claim=None, lease_until=None)
                )

    def _deliver(self, event: Event, subscriber: str, attempts: int, token: str) -> None:
        mine = (
            (event_deliveries.c.event_id == event.id)
            & (event_deliveries.c.subscriber == subscriber)
            & (event_deliveries.c.claim == token)
        )
        fn = self._subscribers.get(event.name, {}).get(subscriber)
        try:
            if fn is None:
                raise LookupError(f"no subscriber {subscriber!r} for {event.name!r} in this build")
            with transaction(self.engine) as conn:
                fn(event, conn)
                done = conn.execute(
                    update(event_deliveries)
                    .where(mine)
                    .values(
                        status="done",
                        attempts=attempts + 1,
                        claim=None,
                        lease_until=None,
                        last_error=None,
                        updated_at=self.clock(),
                    )
                )
                if done.rowcount != 1:
                    raise _LeaseLost
        except _LeaseLost:
            log.warning(
                "event %s → %s: lease lost to another worker; its attempt stands", event.id, subscriber
            )
        except Exception as exc:  # noqa: BLE001 - any subscriber failure is retried, then dead-lettered
            attempts += 1
            dead = attempts >= self.policy.max_attempts or isinstance(exc, LookupError)
            now = self.clock()
            wait = self.policy.retry_delay(attempts)
            with transaction(self.engine) as conn:
                conn.execute(
                    update(event_deliveries)
                    .where(mine)
                    .values(
                        status="dead" if dead else "pending",
                        attempts=attempts,
                        next_attempt_at=now + timedelta(seconds=0 if dead else wait),
                        claim=None,
                        lease_until=None,
                        last_error=f"{type(exc).__name__}: {exc}"[:2000],
                        updated_at=now,
                    )
                )
            level = logging.ERROR if dead else logging.WARNING
            log.log(
                level,
                "event %s → %s failed (attempt %d%s): %s",
                event.id,
                subscriber,
                attempts,
                ", dead-lettered" if dead else f", retry in {wait:.1f}s",
                exc,
            )

    # -- operating ----------------------------------------------------------------------------

    def list(self, *, failed: bool = False, limit: int = 50) -> list[dict[str, Any]]:
        """Newest events first with their deliveries; `failed` keeps those with a dead or
        retrying delivery."""
        query = select(events).order_by(events.c.created_at.desc(), events.c.id.desc()).limit(limit)
        if failed:
            troubled = select(event_deliveries.c.event_id).where(
                (event_deliveries.c.status == "dead")
                | ((event_deliveries.c.status == "pending") & (event_deliveries.c.attempts > 0))
            )
            query = query.where(events.c.id.in_(troubled))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            ids = [r.id for r in rows]
            deliveries: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
            for d in conn.execute(
                select(event_deliveries)
                .where(event_deliveries.c.event_id.in_(ids))
                .order_by(event_deliveries.c.subscriber)
            ):
                deliveries[d.event_id].append(
                    {
                        "subscriber": d.subscriber,
                        "status": d.status,
                        "attempts": d.attempts,
                        "nextAttemptAt": iso(d.next_attempt_at),
                        "lastError": d.last_error,
                    }
                )
        return [
            {
                "id": r.id,
                "name": r.name,
                "payload": r.payload,
                "createdAt": iso(r.created_at),
                "deliveries": deliveries[r.id],
            }
            for r in rows
        ]

    def retry(self, event_id: str) -> int:
        """Put an event's dead deliveries back in the queue now; returns how many."""
        with transaction(self.engine) as conn:
            if conn.execute(select(events.c.id).where(events.c.id == event_id)).first() is None:
                raise NotFound(f"no event {event_id!r}")
            result = conn.execute(
                update(event_deliveries)
                .where((event_deliveries.c.event_id == event_id) & (event_deliveries.c.status == "dead"))
                .values(status="pending", attempts=0, next_attempt_at=self.clock(), updated_at=self.clock())
            )
            if result.rowcount and self.kick is not None:
                after_commit(conn, self.kick)
        return result.rowcount
