"""The login rate limit: failed attempts counted in the database, per account name and per IP.

A sliding window over rows (one per failure and scope) rather than an in-process counter:
function instances come and go and run side by side, and the limit must hold across all of
them. Rows older than the window are deleted whenever a failure is written, so the table stays
the size of one window. Two instances checking at the same moment can each let one more
attempt through; the limit is a brake on guessing, not an exact count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, delete, insert, select

from tidecast.db.schema import login_failures
from tidecast.db.times import as_utc, now_utc
from tidecast.errors import RateLimited


@dataclass(frozen=True)
class LoginLimit:
    max_failures: int
    window_seconds: int

    def check(self, conn: Connection, keys: dict[str, str], now: datetime | None = None) -> dict[str, int]:
        """Recent failures by scope; RateLimited (with Retry-After) when a key has used them up."""
        now = now or now_utc()
        counts: dict[str, int] = {}
        since = now - timedelta(seconds=self.window_seconds)
        for scope, key in keys.items():
            recent = conn.execute(
                select(login_failures.c.at)
                .where(
                    and_(
                        login_failures.c.scope == scope,
                        login_failures.c.key == key,
                        login_failures.c.at > since,
                    )
                )
                .order_by(login_failures.c.at.desc())
                .limit(self.max_failures)
            ).scalars()
            stamps = list(recent)
            counts[scope] = len(stamps)
            if len(stamps) >= self.max_failures:
                # Free again once the oldest of the last `max_failures` failures leaves the window.
                free_at = as_utc(stamps[-1]) + timedelta(seconds=self.window_seconds)
                retry_after = max(1, int((free_at - now).total_seconds() + 0.999))
                what = "this account" if scope == "user" else "this address"
                raise RateLimited(
                    f"Too many failed logins for {what}; try again in {retry_after} s",
                    retry_after=retry_after,
                )
        return counts

    def record_failure(self, conn: Connection, keys: dict[str, str], now: datetime | None = None) -> None:
        now = now or now_utc()
        conn.execute(
            delete(login_failures).where(login_failures.c.at <= now - timedelta(seconds=self.window_seconds))
        )
        conn.execute(insert(login_failures), [{"scope": s, "key": k, "at": now} for s, k in keys.items()])

    def clear(self, conn: Connection, scope: str, key: str) -> None:
        """Forget an account's failures (after it logs in or resets its password); never an IP's."""
        conn.execute(
            delete(login_failures).where(and_(login_failures.c.scope == scope, login_failures.c.key == key))
        )
