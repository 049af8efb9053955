"""Accounts for tests that need a user row but are not about registering one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, insert

from tidecast.db.schema import users
from tidecast.db.times import now_utc


def add_user(
    engine: Engine,
    user_id: str = "u1",
    username: str = "ann",
    email: str = "ann@example.com",
    *,
    verified: bool = False,
) -> dict[str, Any]:
    """Insert a user directly (no validation, no events): the event payload's `user`.
    `verified`: their email address is verified (uploading needs it)."""
    now = now_utc()
    with engine.begin() as conn:
        conn.execute(
            insert(users).values(
                id=user_id,
                username=username,
                email=email,
                email_key=email.lower(),
                password_hash="$2b$04$" + "x" * 53,  # never matches: these users do not log in
                password_changed_at=now,
                email_verified_at=now if verified else None,
                created_at=now,
                updated_at=now,
            )
        )
    return {"id": user_id, "username": username, "email": email}
