"""The mail accounts cause: event subscribers, run by workers in the delivery's transaction.

Each makes what the mail needs (a single-use link) and queues the mail in the same
transaction as the delivery's "done" mark, with the event id in its idempotency key. A
subscriber that runs again after its mail was queued (a redelivery) must not issue a new link:
that would void the one already mailed. So each first asks the email service whether its mail
is already queued. The wiring (which event reaches which method) is in tidecast/container.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, select

from tidecast.accounts.limits import NOTICES_PER_HOUR, AttemptLimit
from tidecast.accounts.links import LinkService, expires_in
from tidecast.db.schema import users
from tidecast.db.times import now_utc
from tidecast.errors import RateLimited
from tidecast.event_bus import Event
from tidecast.mail.email import EmailService

log = logging.getLogger(__name__)

#: Links mailed per account and purpose within an hour, at most (mail-bombing brake).
LINKS_PER_HOUR = 5


def _public(row: object) -> dict[str, str]:
    return {"id": row.id, "username": row.username, "email": row.email}  # type: ignore[attr-defined]


@dataclass(frozen=True)
class AccountMail:
    email: EmailService
    links: LinkService
    limits: AttemptLimit

    def on_registered(self, event: Event, conn: Connection) -> None:
        user, key = event.payload["user"], f"{event.id}:welcome"
        if self.email.already_queued(conn, key) or not _exists(conn, user["id"]):
            return
        token = self.links.issue(conn, user["id"], "verify_email")
        self.email.send_welcome_email({**user, "verificationToken": token}, conn=conn, idempotency_key=key)

    def on_verification(self, event: Event, conn: Connection) -> None:
        user, key = event.payload["user"], f"{event.id}:verification"
        if self.email.already_queued(conn, key) or not _exists(conn, user["id"]):
            return
        if self._too_many(conn, user["id"], "verify_email"):
            return
        token = self.links.issue(conn, user["id"], "verify_email")
        self.email.send_verification_email(
            user, token, expires_in=expires_in(self.links.verify_ttl), conn=conn, idempotency_key=key
        )

    def on_reset_requested(self, event: Event, conn: Connection) -> None:
        key = f"{event.id}:password-reset"
        row = conn.execute(select(users).where(users.c.email_key == event.payload["emailKey"])).first()
        if row is None or self.email.already_queued(conn, key):
            return  # no account: nothing to send, and the requester was told nothing either way
        if self._too_many(conn, row.id, "reset_password"):
            return
        token = self.links.issue(conn, row.id, "reset_password")
        self.email.send_password_reset(
            _public(row), token, expires_in=expires_in(self.links.reset_ttl), conn=conn, idempotency_key=key
        )

    def on_registration_attempted(self, event: Event, conn: Connection) -> None:
        """Someone tried to register an address that has an account: tell its owner (the
        registration itself answered as if the address were new)."""
        key = f"{event.id}:account-exists"
        row = conn.execute(select(users).where(users.c.email_key == event.payload["emailKey"])).first()
        if row is None or self.email.already_queued(conn, key):
            return
        try:
            self.limits.reserve(conn, "notice", row.email_key, limit=NOTICES_PER_HOUR, window=3600)
        except RateLimited:
            log.warning("account notice for user %s skipped: %d this hour", row.id, NOTICES_PER_HOUR)
            return
        self.email.send_account_exists(_public(row), conn=conn, idempotency_key=key)

    def on_payment_created(self, event: Event, conn: Connection) -> None:
        """A new payment stream or top-up: confirm it to the sender's account, when the sending
        wallet is linked to one (`userId`; the watcher looks it up). A payload may also carry
        the `user` itself (the reference's shape)."""
        user = event.payload.get("user")
        if user is None and event.payload.get("userId"):
            row = conn.execute(select(users).where(users.c.id == event.payload["userId"])).first()
            user = _public(row) if row is not None else None
        if user is None:
            return  # a wallet nobody linked: nobody to tell
        self.email.send_payment_confirmation(
            user, event.payload["payment"], conn=conn, idempotency_key=f"{event.id}:payment-confirmation"
        )

    def on_password_changed(self, event: Event, conn: Connection) -> None:
        changed = event.payload["changedAt"].replace("T", " ")[:16]
        self.email.send_password_changed(
            event.payload["user"], changed, conn=conn, idempotency_key=f"{event.id}:password-changed"
        )

    def _too_many(self, conn: Connection, user_id: str, purpose: str) -> bool:
        issued = self.links.issued_since(conn, user_id, purpose, now_utc() - timedelta(hours=1))
        if issued >= LINKS_PER_HOUR:
            log.warning("%s mail for user %s skipped: %d links this hour", purpose, user_id, issued)
            return True
        return False


def _exists(conn: Connection, user_id: str) -> bool:
    """False for an account deleted since its event was published: nothing to mail."""
    return conn.execute(select(users.c.id).where(users.c.id == user_id)).first() is not None
