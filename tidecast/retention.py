"""Retention: finished records are deleted once older than TIDECAST_RETENTION_DAYS (30).

The work tables keep every row they ever held: sent mail (with its whole message), done event
deliveries and their events, finished jobs, used or expired link hashes, old wallet nonces and
rate-limit attempts. None of it is needed once finished and old, and some of it is personal
data. An hourly job (and `tidecast db prune`, with `--dry-run` to only count) deletes them in
batches of `batch` rows, each its own short transaction, so a large backlog never holds a lock
for long or builds one huge transaction. Nothing unfinished is touched: queued, deferred or
failed mail, pending or dead deliveries and running or failed jobs stay until someone acts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, Table, and_, delete, exists, func, or_, select, tuple_

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

log = logging.getLogger(__name__)


def _rules(
    cutoff: datetime, *, now: datetime, planning: bool = False
) -> dict[str, tuple[Table, ColumnElement[bool]]]:
    """What is old enough to go, per table, in the order it is deleted (deliveries before
    the events they belong to).

    An event goes once none of its deliveries remain. A prune deletes the deliveries first, so
    a plan (which deletes nothing) counts the events whose remaining deliveries would all go in
    the same prune.
    """
    delivery_done = and_(event_deliveries.c.status == "done", event_deliveries.c.updated_at < cutoff)
    remaining = event_deliveries.c.event_id == events.c.id
    if planning:
        remaining = and_(remaining, ~delivery_done)
    return {
        "mail_outbox (sent)": (
            mail_outbox,
            and_(mail_outbox.c.status == "sent", mail_outbox.c.sent_at < cutoff),
        ),
        "event_deliveries (done)": (event_deliveries, delivery_done),
        "events (all deliveries done)": (
            events,
            and_(events.c.created_at < cutoff, ~exists().where(remaining)),
        ),
        "jobs (done)": (jobs, and_(jobs.c.status == "done", jobs.c.finished_at < cutoff)),
        "user_tokens (used or expired)": (
            user_tokens,
            or_(user_tokens.c.used_at < cutoff, user_tokens.c.expires_at < cutoff),
        ),
        "wallet_nonces (used or expired)": (
            wallet_nonces,
            or_(wallet_nonces.c.used_at < cutoff, wallet_nonces.c.expires_at < cutoff),
        ),
        "rate_attempts": (rate_attempts, rate_attempts.c.at < cutoff),
        # A nonce only has to outlive its message (an hour at most): gone once expired.
        "signed_nonces (expired)": (signed_nonces, signed_nonces.c.expires_at < now),
    }


@dataclass(frozen=True)
class Retention:
    engine: Engine
    keep_days: float = 30.0
    batch: int = 500
    clock: Callable[[], datetime] = now_utc

    @property
    def cutoff(self) -> datetime:
        return self.clock() - timedelta(days=self.keep_days)

    def plan(self) -> dict[str, int]:
        """How many rows of each table a prune would delete now."""
        with self.engine.connect() as conn:
            return {
                name: int(conn.execute(select(func.count()).select_from(table).where(where)).scalar_one())
                for name, (table, where) in _rules(self.cutoff, now=self.clock(), planning=True).items()
            }

    def prune(self) -> dict[str, int]:
        """Delete what `plan` counts, `batch` rows per transaction; rows deleted per table."""
        deleted: dict[str, int] = {}
        for name, (table, where) in _rules(self.cutoff, now=self.clock()).items():
            deleted[name] = self._prune(table, where)
        if any(deleted.values()):
            log.info("retention: deleted %s", ", ".join(f"{n}: {c}" for n, c in deleted.items() if c))
        return deleted

    def _prune(self, table: Table, where: ColumnElement[bool]) -> int:
        key = list(table.primary_key.columns)
        total = 0
        while True:
            with self.engine.begin() as conn:
                found = conn.execute(select(*key).where(where).limit(self.batch)).all()
                if not found:
                    return total
                target: Any = key[0] if len(key) == 1 else tuple_(*key)
                keys = [r[0] for r in found] if len(key) == 1 else [tuple(r) for r in found]
                # `where` again: a row that changed since it was selected is left alone.
                total += conn.execute(delete(table).where(target.in_(keys)).where(where)).rowcount
