"""Transactions with after-commit hooks: how an outbox row and its wake-up call stay in order.

A service that writes an outbox row (an event, a mail) inside the caller's transaction also
wants a worker woken once that row is visible. Waking it before the commit would let the worker
look too early and go back to sleep; so the wake-up is registered on the connection and run by
`transaction()` after the commit succeeds. A rollback drops it. Callers that use a plain
`engine.begin()` lose only the prompt wake-up: the workers' periodic sweep finds the row.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)
_HOOKS = "tidecast.after_commit"


def after_commit(conn: Connection, hook: Callable[[], None]) -> None:
    """Run `hook` once the transaction on `conn` commits (no-op outside `transaction()`)."""
    hooks: list[Callable[[], None]] = conn.info.setdefault(_HOOKS, [])
    if hook not in hooks:
        hooks.append(hook)


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """`engine.begin()`, then the hooks registered during it. A hook's failure is logged, not
    raised: the data is committed and the sweep will find it."""
    with engine.begin() as conn:
        conn.info.pop(_HOOKS, None)  # pooled connections keep `info`; start clean
        try:
            yield conn
        except BaseException:
            # A connection lost mid-transaction is invalidated: asking it for `info` would raise
            # PendingRollbackError over the error that lost it (a 503 turned 500). Its hooks
            # went with it.
            if not conn.invalidated:
                conn.info.pop(_HOOKS, None)
            raise
        hooks: list[Callable[[], None]] = conn.info.pop(_HOOKS, [])
    for hook in hooks:
        try:
            hook()
        except Exception:
            log.warning("after-commit hook %r failed; the periodic sweep will catch up", hook, exc_info=True)


def advisory_lock(conn: Connection, scope: str, key: str) -> None:
    """Serialise the transactions on `conn` that name the same (scope, key), until commit:
    PostgreSQL's transaction-scoped advisory lock. SQLite needs none, since it lets one writer
    at a time and these transactions write first. Count-then-insert budgets (rate limits, key
    grants, open uploads) rely on it."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(scope, key)})


def lock_key(scope: str, key: str) -> int:
    """A signed 64-bit number for the (scope, key) pair: PostgreSQL's advisory lock key (a hash
    of 64 bits, so unrelated pairs practically never share a lock, as 32-bit hashtext's can)."""
    digest = hashlib.sha256(f"{scope}\n{key}".encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
