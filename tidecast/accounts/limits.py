"""Rate limits on attempts: logins per name typed and per source address, registrations per
source address, account notices per mailbox. Counted in the database, not in a process.

Function instances come and go and run side by side, so a limit must hold across all of them.
Each attempt is *reserved* before the expensive or sensitive work it guards (a bcrypt check, a
registration): the reservation writes the attempt's row and counts the window in one
transaction that no other reservation of the same key can interleave with, so a burst of 100
parallel logins lets exactly the limit through, never more. On PostgreSQL a transaction-scoped
advisory lock per key serialises them; SQLite has one writer at a time, and the row is written
before the count, so the write lock is held while counting.

A reservation that turns out to be a success is released (`forget`); a failure's row stays and
counts until it leaves the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, delete, func, insert, select

from tidecast.db.schema import rate_attempts
from tidecast.db.times import as_utc, now_utc
from tidecast.db.tx import advisory_lock
from tidecast.errors import RateLimited

#: Account notices (mail to the owner of an address someone tried to register) per address an hour.
NOTICES_PER_HOUR = 3


@dataclass(frozen=True)
class AttemptLimit:
    login_max: int
    login_window: int
    register_max: int
    register_window: int = 3600

    def reserve_login(self, conn: Connection, identifier: str, source_ip: str) -> list[int]:
        """Reserve one login attempt for the name or address typed (as typed: a lockout must
        not tell which address belongs to which name) and for the source address."""
        ids = [self.reserve(conn, "login", identifier, limit=self.login_max, window=self.login_window)]
        if source_ip:
            ids.append(
                self.reserve(conn, "login-ip", source_ip, limit=self.login_max, window=self.login_window)
            )
        return ids

    def reserve_registration(self, conn: Connection, source_ip: str) -> None:
        if source_ip:
            self.reserve(conn, "register-ip", source_ip, limit=self.register_max, window=self.register_window)

    def reserve(
        self,
        conn: Connection,
        scope: str,
        key: str,
        *,
        limit: int,
        window: int,
        now: datetime | None = None,
    ) -> int:
        """Record an attempt for (scope, key), or raise RateLimited when the window holds
        `limit` already. Must be the first write of its transaction (see the module's note);
        a RateLimited rolls the transaction back, so a refused attempt records nothing."""
        now = now or now_utc()
        since = now - timedelta(seconds=window)
        advisory_lock(conn, scope, key)
        row_id = conn.execute(
            insert(rate_attempts).values(scope=scope, key=key, at=now).returning(rate_attempts.c.id)
        ).scalar_one()
        mine = and_(rate_attempts.c.scope == scope, rate_attempts.c.key == key)
        conn.execute(delete(rate_attempts).where(mine & (rate_attempts.c.at <= since)))
        count = conn.execute(
            select(func.count()).select_from(rate_attempts).where(mine & (rate_attempts.c.at > since))
        ).scalar_one()
        if count > limit:
            oldest = conn.execute(
                select(rate_attempts.c.at)
                .where(mine & (rate_attempts.c.at > since) & (rate_attempts.c.id != row_id))
                .order_by(rate_attempts.c.at.desc())
                .offset(limit - 1)
                .limit(1)
            ).scalar_one()
            # Free again once the oldest of the last `limit` attempts leaves the window.
            retry_after = max(1, int((as_utc(oldest) - since).total_seconds() + 0.999))
            # Not counted: the caller may catch this and go on with its transaction.
            conn.execute(delete(rate_attempts).where(rate_attempts.c.id == row_id))
            raise RateLimited(_message(scope, retry_after), retry_after=retry_after)
        return int(row_id)

    def forget(self, conn: Connection, ids: list[int]) -> None:
        """Release reservations that turned out to be successes."""
        if ids:
            conn.execute(delete(rate_attempts).where(rate_attempts.c.id.in_(ids)))

    def clear(self, conn: Connection, scope: str, keys: list[str]) -> None:
        """Forget every attempt of `keys` (a name that logged in, an account that was reset)."""
        conn.execute(
            delete(rate_attempts).where((rate_attempts.c.scope == scope) & rate_attempts.c.key.in_(keys))
        )


def _message(scope: str, retry_after: int) -> str:
    what = {
        "login": "Too many failed logins for this name",
        "login-ip": "Too many failed logins from this address",
        "register-ip": "Too many registrations from this address",
    }.get(scope, "Too many attempts")
    return f"{what}; try again in {retry_after} s"
