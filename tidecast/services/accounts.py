"""Accounts: register, log in, tokens, email verification and password reset.

Mail never goes out from a request. A registration or a reset request publishes an event in
its own transaction; the event's subscriber (a worker) makes the single-use link and queues
the mail. So the raw link is never stored (only its SHA-256), the event payload holds no
secret, and `forgot-password` does the same work whether or not the account exists: its
answer and its timing tell nobody which addresses have accounts.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tidecast.db.schema import user_tokens, user_wallets, users
from tidecast.db.times import as_utc, iso, now_utc
from tidecast.db.tx import transaction
from tidecast.errors import BadRequest, Conflict, Unauthorized
from tidecast.events import Event, EventBus
from tidecast.services import passwords
from tidecast.services.email import EmailService
from tidecast.services.login_limit import LoginLimit
from tidecast.services.passwords import PasswordHasher
from tidecast.services.tokens import TokenIssuer

log = logging.getLogger(__name__)

# Checked before lower-casing, and ASCII only: "K" (Kelvin sign) lower-cases to "k", and
# look-alike letters from other scripts must not make a second "alice".
USERNAME = re.compile(r"[A-Za-z0-9_]{3,32}", re.ASCII)
EMAIL_MAX = 254  # RFC 5321's path limit
LINK_TOKEN = re.compile(r"[A-Za-z0-9_\-]{20,100}", re.ASCII)
#: Links mailed per account and purpose within an hour, at most (mail-bombing brake).
LINKS_PER_HOUR = 5


@dataclass(frozen=True)
class Principal:
    """Who a valid token speaks for."""

    user_id: str
    username: str
    claims: dict[str, Any]


def normalize_username(value: str) -> str:
    if not USERNAME.fullmatch(value):
        raise BadRequest("username must be 3-32 characters of a-z, 0-9 and _")
    return value.lower()


def normalize_email(value: str, field: str = "email") -> str:
    """The address with its domain normalised (email-validator, syntax only, ASCII only)."""
    from email_validator import EmailNotValidError, validate_email

    if len(value) > EMAIL_MAX:
        raise BadRequest(f"{field} must be at most {EMAIL_MAX} characters")
    try:
        return str(validate_email(value, check_deliverability=False, allow_smtputf8=False).normalized)
    except EmailNotValidError as exc:
        raise BadRequest(f"{field} is not a valid email address: {exc}") from None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def public_user(row: Any) -> dict[str, Any]:
    """The login response's user: exactly the reference's three fields."""
    return {"id": row.id, "username": row.username, "email": row.email}


def user_json(row: Any, wallets: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out = {
        **public_user(row),
        "emailVerified": row.email_verified_at is not None,
        "createdAt": iso(row.created_at),
    }
    if wallets is not None:
        out["wallets"] = wallets
    return out


class AccountService:
    def __init__(
        self,
        engine: Engine,
        events: EventBus,
        email: EmailService,
        *,
        hasher: PasswordHasher,
        tokens: TokenIssuer,
        login_limit: LoginLimit,
        verify_ttl: timedelta,
        reset_ttl: timedelta,
    ) -> None:
        self.engine = engine
        self.events = events
        self.email = email
        self.hasher = hasher
        self.tokens = tokens
        self.login_limit = login_limit
        self.verify_ttl = verify_ttl
        self.reset_ttl = reset_ttl

    # -- registration and login -------------------------------------------------------------

    def register(self, username: str, email: str, password: str) -> dict[str, Any]:
        name = normalize_username(username)
        address = normalize_email(email)
        passwords.require_acceptable(password, username=name, email=address)
        with self.engine.connect() as conn:
            self._refuse_taken(conn, name, address)  # before spending a hash on it
        hashed = self.hasher.hash(password)
        now = now_utc()
        user_id = secrets.token_urlsafe(12)
        try:
            with transaction(self.engine) as conn:
                conn.execute(
                    insert(users).values(
                        id=user_id,
                        username=name,
                        email=address,
                        email_key=address.lower(),
                        password_hash=hashed,
                        password_changed_at=now,
                        created_at=now,
                        updated_at=now,
                    )
                )
                self.events.publish(
                    conn, "user.registered", {"user": {"id": user_id, "username": name, "email": address}}
                )
                row = self._user(conn, user_id)
        except IntegrityError:
            # Someone registered the same name or address between the check and the insert.
            with self.engine.connect() as conn:
                self._refuse_taken(conn, name, address)
            raise
        return user_json(row)

    def login(self, identifier: str, password: str, source_ip: str = "") -> tuple[str, dict[str, Any]]:
        """A token and the user, or 401 "Invalid credentials" (unknown name and wrong password
        alike, in the same time), or 429 once the name or the address has failed too often."""
        wanted = identifier.strip().lower()
        column = users.c.email_key if "@" in wanted else users.c.username
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(column == wanted)).first()
            keys = {"user": f"id:{row.id}" if row else f"name:{wanted}"}
            if source_ip:
                keys["ip"] = source_ip
            failures = self.login_limit.check(conn, keys)
        if not self.hasher.check(password, row.password_hash if row else None):
            with transaction(self.engine) as conn:
                self.login_limit.record_failure(conn, keys)
            raise Unauthorized("Invalid credentials")
        assert row is not None
        rehash = self.hasher.hash(password) if self.hasher.needs_rehash(row.password_hash) else None
        if failures.get("user") or rehash:
            with transaction(self.engine) as conn:
                self.login_limit.clear(conn, "user", keys["user"])
                if rehash:  # unless a reset changed the password meanwhile
                    conn.execute(
                        update(users)
                        .where(and_(users.c.id == row.id, users.c.password_hash == row.password_hash))
                        .values(password_hash=rehash)
                    )
        token = self.tokens.issue(user_id=row.id, username=row.username, session_version=row.session_version)
        return token, public_user(row)

    def authenticate(self, token: str) -> Principal:
        """The principal of a valid token whose account still exists and has not changed its
        password since the token was issued; 401 naming the reason otherwise."""
        claims = self.tokens.decode(token)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users.c.username, users.c.session_version).where(users.c.id == claims["sub"])
            ).first()
        if row is None:
            raise Unauthorized("Token's account no longer exists")
        if row.session_version != claims["sv"]:
            raise Unauthorized("Token was issued before the password was last changed; log in again")
        return Principal(user_id=claims["sub"], username=row.username, claims=claims)

    def me(self, user_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = self._user(conn, user_id)
            wallets = conn.execute(
                select(user_wallets.c.address, user_wallets.c.chain_id, user_wallets.c.linked_at)
                .where(user_wallets.c.user_id == user_id)
                .order_by(user_wallets.c.linked_at)
            ).all()
        return user_json(
            row,
            [{"address": w.address, "chainId": w.chain_id, "linkedAt": iso(w.linked_at)} for w in wallets],
        )

    def issue_login(self, user_id: str) -> tuple[str, dict[str, Any]]:
        """A login token for an account proven some other way (a wallet signature)."""
        with self.engine.connect() as conn:
            row = self._user(conn, user_id)
        token = self.tokens.issue(user_id=row.id, username=row.username, session_version=row.session_version)
        return token, public_user(row)

    # -- email verification and password reset ----------------------------------------------

    def verify_email(self, token: str) -> dict[str, Any]:
        now = now_utc()
        with transaction(self.engine) as conn:
            user_id = self._consume(conn, token, "verify_email", "Verification link", now)
            conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(email_verified_at=func.coalesce(users.c.email_verified_at, now), updated_at=now)
            )
            return user_json(self._user(conn, user_id))

    def request_verification(self, user_id: str) -> None:
        """Mail a fresh verification link (the old one expired or was lost)."""
        with transaction(self.engine) as conn:
            row = self._user(conn, user_id)
            if row.email_verified_at is not None:
                raise Conflict("Email address is already verified")
            self.events.publish(conn, "user.verification_requested", {"user": public_user(row)})

    def request_password_reset(self, email: str) -> None:
        """Record the request; the subscriber mails a link only if the account exists."""
        address = normalize_email(email)
        with transaction(self.engine) as conn:
            self.events.publish(conn, "user.password_reset_requested", {"emailKey": address.lower()})

    def reset_password(self, token: str, password: str) -> dict[str, Any]:
        now = now_utc()
        with self.engine.connect() as conn:
            user_id = self._live_token(conn, token, "reset_password", "Reset link", now)
            row = self._user(conn, user_id)
        passwords.require_acceptable(password, username=row.username, email=row.email)
        hashed = self.hasher.hash(password)
        now = now_utc()
        with transaction(self.engine) as conn:
            self._consume(conn, token, "reset_password", "Reset link", now)
            # The reset ends every other live reset link and every login token issued before it.
            conn.execute(
                update(user_tokens)
                .where(
                    and_(
                        user_tokens.c.user_id == user_id,
                        user_tokens.c.purpose == "reset_password",
                        user_tokens.c.used_at.is_(None),
                    )
                )
                .values(used_at=now)
            )
            conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(
                    password_hash=hashed,
                    password_changed_at=now,
                    session_version=users.c.session_version + 1,
                    # The link reached the mailbox: the address is proven.
                    email_verified_at=func.coalesce(users.c.email_verified_at, now),
                    updated_at=now,
                )
            )
            self.login_limit.clear(conn, "user", f"id:{user_id}")
            self.events.publish(
                conn, "user.password_changed", {"user": public_user(row), "changedAt": iso(now)}
            )
            return user_json(self._user(conn, user_id))

    # -- event subscribers (run by workers, in the delivery's transaction) ------------------

    def subscribe(self, events: EventBus) -> None:
        events.subscribe("user.registered", "email.welcome", self._on_registered)
        events.subscribe("user.verification_requested", "email.verification", self._on_verification)
        events.subscribe("user.password_reset_requested", "email.password_reset", self._on_reset_requested)
        events.subscribe("user.password_changed", "email.password_changed", self._on_password_changed)

    # A subscriber that runs again after its mail was queued (a redelivery) must not issue a
    # new link: that would void the one already mailed. So each first asks the outbox.

    def _on_registered(self, event: Event, conn: Connection) -> None:
        user, key = event.payload["user"], f"{event.id}:welcome"
        if self.email.outbox.has(conn, key) or not self._exists(conn, user["id"]):
            return
        token = self.issue_link(conn, user["id"], "verify_email")
        self.email.send_welcome_email({**user, "verificationToken": token}, conn=conn, idempotency_key=key)

    def _on_verification(self, event: Event, conn: Connection) -> None:
        user, key = event.payload["user"], f"{event.id}:verification"
        if self.email.outbox.has(conn, key) or not self._exists(conn, user["id"]):
            return
        if self._recent_links(conn, user["id"], "verify_email") >= LINKS_PER_HOUR:
            log.warning(
                "verification mail for user %s skipped: %d links this hour", user["id"], LINKS_PER_HOUR
            )
            return
        token = self.issue_link(conn, user["id"], "verify_email")
        self.email.send_verification_email(
            user,
            token,
            expires_in=_in(self.verify_ttl),
            conn=conn,
            idempotency_key=key,
        )

    def _on_reset_requested(self, event: Event, conn: Connection) -> None:
        key = f"{event.id}:password-reset"
        row = conn.execute(select(users).where(users.c.email_key == event.payload["emailKey"])).first()
        if row is None or self.email.outbox.has(conn, key):
            return  # no account: nothing to send, and the requester was told nothing either way
        if self._recent_links(conn, row.id, "reset_password") >= LINKS_PER_HOUR:
            log.warning("reset mail for user %s skipped: %d links this hour", row.id, LINKS_PER_HOUR)
            return
        token = self.issue_link(conn, row.id, "reset_password")
        self.email.send_password_reset(
            public_user(row),
            token,
            expires_in=_in(self.reset_ttl),
            conn=conn,
            idempotency_key=key,
        )

    def _on_password_changed(self, event: Event, conn: Connection) -> None:
        changed = event.payload["changedAt"].replace("T", " ")[:16]
        self.email.send_password_changed(
            event.payload["user"], changed, conn=conn, idempotency_key=f"{event.id}:password-changed"
        )

    def issue_link(self, conn: Connection, user_id: str, purpose: str) -> str:
        """A new single-use token for `purpose`; older unused ones of that purpose stop working."""
        now = now_utc()
        ttl = self.verify_ttl if purpose == "verify_email" else self.reset_ttl
        conn.execute(
            update(user_tokens)
            .where(
                and_(
                    user_tokens.c.user_id == user_id,
                    user_tokens.c.purpose == purpose,
                    user_tokens.c.used_at.is_(None),
                )
            )
            .values(used_at=now)
        )
        token = secrets.token_urlsafe(32)
        conn.execute(
            insert(user_tokens).values(
                token_hash=token_hash(token),
                user_id=user_id,
                purpose=purpose,
                created_at=now,
                expires_at=now + ttl,
            )
        )
        return token

    # -- helpers ----------------------------------------------------------------------------

    def _refuse_taken(self, conn: Connection, name: str, address: str) -> None:
        if conn.execute(select(users.c.id).where(users.c.username == name)).first():
            raise Conflict("Username is already taken")
        if conn.execute(select(users.c.id).where(users.c.email_key == address.lower())).first():
            raise Conflict("An account with this email address already exists")

    def _exists(self, conn: Connection, user_id: str) -> bool:
        """False for an account deleted since its event was published: nothing to mail."""
        return conn.execute(select(users.c.id).where(users.c.id == user_id)).first() is not None

    def _user(self, conn: Connection, user_id: str) -> Any:
        row = conn.execute(select(users).where(users.c.id == user_id)).first()
        if row is None:
            raise Unauthorized("Account no longer exists")
        return row

    def _live_token(self, conn: Connection, token: str, purpose: str, what: str, now: datetime) -> str:
        if not LINK_TOKEN.fullmatch(token):
            raise BadRequest(f"{what} is not valid")
        row = conn.execute(
            select(user_tokens).where(
                and_(user_tokens.c.token_hash == token_hash(token), user_tokens.c.purpose == purpose)
            )
        ).first()
        if row is None:
            raise BadRequest(f"{what} is not valid")
        if row.used_at is not None:
            raise BadRequest(f"{what} has already been used or was replaced by a newer one")
        if as_utc(row.expires_at) <= now:
            raise BadRequest(f"{what} has expired; ask for a new one")
        return str(row.user_id)

    def _consume(self, conn: Connection, token: str, purpose: str, what: str, now: datetime) -> str:
        user_id = self._live_token(conn, token, purpose, what, now)
        used = conn.execute(
            update(user_tokens)
            .where(and_(user_tokens.c.token_hash == token_hash(token), user_tokens.c.used_at.is_(None)))
            .values(used_at=now)
        )
        if used.rowcount != 1:  # a concurrent request used it first
            raise BadRequest(f"{what} has already been used or was replaced by a newer one")
        return user_id

    def _recent_links(self, conn: Connection, user_id: str, purpose: str) -> int:
        since = now_utc() - timedelta(hours=1)
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


def _in(ttl: timedelta) -> str:
    hours = ttl.total_seconds() / 3600
    if hours >= 1 and hours == int(hours):
        return f"in {int(hours)} hour{'s' if hours != 1 else ''}"
    return f"in {int(ttl.total_seconds() // 60)} minutes"
