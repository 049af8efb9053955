"""Single-use links mailed to users (email verification, password reset).

A link's token is `secrets.token_urlsafe(32)`; only its SHA-256 is stored, so a database reader
cannot use a link that is still live. A link is single use (`UPDATE … WHERE used_at IS NULL`),
expires, and a new link of a purpose voids the older unused ones. All methods work inside the
caller's transaction: a link is issued in the transaction that queues its mail.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, func, insert, select, update

from tidecast.db.schema import user_tokens
from tidecast.db.times import as_utc, now_utc
from tidecast.errors import InvalidInput

LINK_TOKEN = re.compile(r"[A-Za-z0-9_\-]{20,100}", re.ASCII)
PURPOSES = ("verify_email", "reset_password")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LinkService:
    verify_ttl: timedelta
    reset_ttl: timedelta

    def ttl(self, purpose: str) -> timedelta:
        return self.verify_ttl if purpose == "verify_email" else self.reset_ttl

    def issue(self, conn: Connection, user_id: str, purpose: str) -> str:
        """A new token for `purpose`; the user's older unused ones of that purpose stop working."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown link purpose {purpose!r}")
        now = now_utc()
        self.void(conn, user_id, purpose, now)
        token = secrets.token_urlsafe(32)
        conn.execute(
            insert(user_tokens).values(
                token_hash=token_hash(token),
                user_id=user_id,
                purpose=purpose,
                created_at=now,
                expires_at=now + self.ttl(purpose),
            )
        )
        return token

    def void(self, conn: Connection, user_id: str, purpose: str, now: datetime | None = None) -> None:
        """End every unused link of `purpose` the user holds."""
        conn.execute(
            update(user_tokens)
            .where(
                and_(
                    user_tokens.c.user_id == user_id,
                    user_tokens.c.purpose == purpose,
                    user_tokens.c.used_at.is_(None),
                )
            )
            .values(used_at=now or now_utc())
        )

    def live(self, conn: Connection, token: str, purpose: str, what: str, now: datetime) -> str:
        """The user id of a link that can still be used; 400 naming why not otherwise."""
        if not LINK_TOKEN.fullmatch(token):
            raise InvalidInput(f"{what} is not valid")
        row = conn.execute(
            select(user_tokens).where(
                and_(user_tokens.c.token_hash == token_hash(token), user_tokens.c.purpose == purpose)
            )
        ).first()
        if row is None:
            raise InvalidInput(f"{what} is not valid")
        if row.used_at is not None:
            raise InvalidInput(f"{what} has already been used or was replaced by a newer one")
        if as_utc(row.expires_at) <= now:
            raise InvalidInput(f"{what} has expired; ask for a new one")
        return str(row.user_id)

    def consume(self, conn: Connection, token: str, purpose: str, what: str, now: datetime) -> str:
        """Use a live link up; its user id. A concurrent use of the same link loses (400)."""
        user_id = self.live(conn, token, purpose, what, now)
        used = conn.execute(
            update(user_tokens)
            .where(and_(user_tokens.c.token_hash == token_hash(token), user_tokens.c.used_at.is_(None)))
            .values(used_at=now)
        )
        if used.rowcount != 1:
            raise InvalidInput(f"{what} has already been used or was replaced by a newer one")
        return user_id

    def issued_since(self, conn: Connection, user_id: str, purpose: str, since: datetime) -> int:
        return int(
            conn.execute(
                select(func.count())
                .select_from(user_tokens)
                .where(
                    and_(
                        user_tokens.c.user_id == user_id,
                        user_tokens.c.purpose == purpose,
                        user_tokens.c.created_at > since,
                    )
                )
            ).scalar_one()
        )


def expires_in(ttl: timedelta) -> str:
    """`in 2 hours`, `in 30 minutes`: for the mail that carries the link."""
    hours = ttl.total_seconds() / 3600
    if hours >= 1 and hours == int(hours):
        return f"in {int(hours)} hour{'s' if hours != 1 else ''}"
    return f"in {int(ttl.total_seconds() // 60)} minutes"
