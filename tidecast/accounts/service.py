"""Accounts: register, log in, tokens, email verification and password reset.

Mail never goes out from a request. A registration or a reset request publishes an event in
its own transaction; the event's subscriber (tidecast/accounts/mail.py, run by a
worker) makes the single-use link and queues the mail. So the raw link is never stored (only its
SHA-256), the event payload holds no secret, and the requests that take an email address
(`register`, `forgot-password`) do the same work and give the same answer whether or not the
address has an account: neither tells anybody which addresses are registered.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tidecast.accounts.limits import AttemptLimit
from tidecast.accounts.links import LinkService
from tidecast.accounts.tokens import TokenIssuer
from tidecast.db.schema import user_wallets, users
from tidecast.db.times import as_utc, iso, now_utc
from tidecast.db.tx import transaction
from tidecast.errors import Conflict, InvalidInput, NotAuthenticated
from tidecast.event_bus import EventBus
from tidecast.lib import passwords
from tidecast.lib.passwords import PasswordHasher

# Checked before lower-casing, and ASCII only: "K" (Kelvin sign) lower-cases to "k", and
# look-alike letters from other scripts must not make a second "alice".
USERNAME = re.compile(r"[A-Za-z0-9_]{3,32}", re.ASCII)
EMAIL_MAX = 254  # RFC 5321's path limit


@dataclass(frozen=True)
class Principal:
    """Who a valid token speaks for."""

    user_id: str
    username: str
    claims: dict[str, Any]


def normalize_username(value: str) -> str:
    if not USERNAME.fullmatch(value):
        raise InvalidInput("username must be 3-32 characters of a-z, 0-9 and _")
    return value.lower()


def normalize_email(value: str, field: str = "email") -> str:
    """The address with its domain normalised, in ASCII: an internationalised domain is kept
    in its IDNA (`xn--`) form, which every relay can carry; a non-ASCII local part is refused
    (that needs SMTPUTF8, which the relays we target may not speak)."""
    from email_validator import EmailNotValidError, validate_email  # lazy: idna tables ~90 ms; not on login

    if len(value) > EMAIL_MAX:
        raise InvalidInput(f"{field} must be at most {EMAIL_MAX} characters")
    try:
        found = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InvalidInput(f"{field} is not a valid email address: {exc}") from exc
    return str(found.ascii_email or found.normalized)


@dataclass(frozen=True)
class User:
    """An account as its owner sees it (the password and the session version stay inside)."""

    id: str
    username: str
    email: str
    #: When the address was proven (a verification link or a reset link reached it); None: not yet.
    email_verified_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: Any) -> User:
        return cls(
            id=row.id,
            username=row.username,
            email=row.email,
            email_verified_at=as_utc(row.email_verified_at) if row.email_verified_at is not None else None,
            created_at=as_utc(row.created_at),
        )


@dataclass(frozen=True)
class LinkedWallet:
    """An Ethereum address an account proved it holds (tidecast/accounts/wallets.py)."""

    address: str  # EIP-55 checksummed
    chain_id: int
    linked_at: datetime


@dataclass(frozen=True)
class Profile:
    """The logged-in user and their linked wallets, the earliest linked first."""

    user: User
    wallets: tuple[LinkedWallet, ...]


@dataclass(frozen=True)
class Registration:
    """What a registration request was taken as: the name and the address, normalised. The same
    whether or not the address already had an account (see the module's docstring)."""

    username: str
    email: str


@dataclass(frozen=True)
class Login:
    """A login token and the account it speaks for."""

    token: str
    user: User


def event_user(row: Any) -> dict[str, Any]:
    """The user as the account events carry it (their subscribers address mail with it)."""
    return {"id": row.id, "username": row.username, "email": row.email}


def login_keys(row: Any) -> list[str]:
    """The names an account can be typed as at login: its rate-limit keys."""
    return [f"name:{row.username}", f"email:{row.email_key}"]


class AccountService:
    def __init__(
        self,
        engine: Engine,
        events: EventBus,
        *,
        hasher: PasswordHasher,
        tokens: TokenIssuer,
        limits: AttemptLimit,
        links: LinkService,
    ) -> None:
        self.engine = engine
        self.events = events
        self.hasher = hasher
        self.tokens = tokens
        self.limits = limits
        self.links = links

    # -- registration and login -------------------------------------------------------------

    def register(self, username: str, email: str, password: str, source_ip: str = "") -> Registration:
        """Create an account, or, when the address already has one, mail its owner instead.

        Both answer the same (and take the same time: each hashes the password). Only a taken
        username is a 409: usernames are public. Registrations are limited per source address.
        """
        name = normalize_username(username)
        address = normalize_email(email)
        passwords.require_acceptable(password, username=name, email=address)
        with transaction(self.engine) as conn:
            self.limits.reserve_registration(conn, source_ip)
        with self.engine.connect() as conn:
            if conn.execute(select(users.c.id).where(users.c.username == name)).first():
                raise Conflict("Username is already taken")
        hashed = self.hasher.hash(password)
        now = now_utc()
        user_id = secrets.token_urlsafe(12)
        try:
            with transaction(self.engine) as conn:
                taken = conn.execute(select(users.c.id).where(users.c.email_key == address.lower())).first()
                if taken is not None:
                    self._attempted(conn, address)
                else:
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
        except IntegrityError:
            # Someone registered the same name or address between the checks and the insert.
            with transaction(self.engine) as conn:
                if conn.execute(select(users.c.id).where(users.c.username == name)).first():
                    raise Conflict("Username is already taken") from None
                self._attempted(conn, address)
        return Registration(username=name, email=address)

    def _attempted(self, conn: Connection, address: str) -> None:
        self.events.publish(conn, "user.registration_attempted", {"emailKey": address.lower()})

    def login(self, identifier: str, password: str, source_ip: str = "") -> Login:
        """A token and the user, or 401 "Invalid credentials" (unknown name and wrong password
        alike, in the same time), or 429 once the name typed or the address has failed too often.

        The attempt is reserved before the hash is checked, so a parallel burst lets at most
        the limit through; a success releases its reservation and clears the name's failures.
        """
        wanted = identifier.strip().lower()
        is_email = "@" in wanted
        if is_email:
            # The form the address was stored in (an internationalised domain in IDNA), so that
            # `ann@bücher.example` finds its account and shares its failure count.
            try:
                wanted = normalize_email(identifier.strip()).lower()
            except InvalidInput:
                pass  # no account can have this address: the lookup below finds none
        key = f"email:{wanted}" if is_email else f"name:{wanted}"
        with transaction(self.engine) as conn:
            reserved = self.limits.reserve_login(conn, key, source_ip)
            column = users.c.email_key if is_email else users.c.username
            row = conn.execute(select(users).where(column == wanted)).first()
        if not self.hasher.check(password, row.password_hash if row else None) or row is None:
            raise NotAuthenticated("Invalid credentials")
        rehash = self.hasher.hash(password) if self.hasher.needs_rehash(row.password_hash) else None
        with transaction(self.engine) as conn:
            self.limits.forget(conn, reserved)
            self.limits.clear(conn, "login", [key])
            if rehash:  # unless a reset changed the password meanwhile
                conn.execute(
                    update(users)
                    .where(and_(users.c.id == row.id, users.c.password_hash == row.password_hash))
                    .values(password_hash=rehash)
                )
        token = self.tokens.issue(user_id=row.id, username=row.username, session_version=row.session_version)
        return Login(token=token, user=User.of(row))

    def authenticate(self, token: str) -> Principal:
        """The principal of a valid token whose account still exists and has not changed its
        password since the token was issued; 401 naming the reason otherwise."""
        claims = self.tokens.decode(token)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users.c.username, users.c.session_version).where(users.c.id == claims["sub"])
            ).first()
        if row is None:
            raise NotAuthenticated("Token's account no longer exists")
        if row.session_version != claims["sv"]:
            raise NotAuthenticated("Token was issued before the password was last changed; log in again")
        return Principal(user_id=claims["sub"], username=row.username, claims=claims)

    def me(self, user_id: str) -> Profile:
        with self.engine.connect() as conn:
            row = self._user(conn, user_id)
            wallets = conn.execute(
                select(user_wallets.c.address, user_wallets.c.chain_id, user_wallets.c.linked_at)
                .where(user_wallets.c.user_id == user_id)
                .order_by(user_wallets.c.linked_at)
            ).all()
        return Profile(
            user=User.of(row),
            wallets=tuple(LinkedWallet(w.address, w.chain_id, as_utc(w.linked_at)) for w in wallets),
        )

    def issue_login(self, user_id: str) -> Login:
        """A login token for an account proven some other way (a wallet signature)."""
        with self.engine.connect() as conn:
            row = self._user(conn, user_id)
        token = self.tokens.issue(user_id=row.id, username=row.username, session_version=row.session_version)
        return Login(token=token, user=User.of(row))

    # -- email verification and password reset ----------------------------------------------

    def verify_email(self, token: str) -> User:
        now = now_utc()
        with transaction(self.engine) as conn:
            user_id = self.links.consume(conn, token, "verify_email", "Verification link", now)
            conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(email_verified_at=func.coalesce(users.c.email_verified_at, now), updated_at=now)
            )
            return User.of(self._user(conn, user_id))

    def request_verification(self, user_id: str) -> None:
        """Mail a fresh verification link (the old one expired or was lost)."""
        with transaction(self.engine) as conn:
            row = self._user(conn, user_id)
            if row.email_verified_at is not None:
                raise Conflict("Email address is already verified")
            self.events.publish(conn, "user.verification_requested", {"user": event_user(row)})

    def request_password_reset(self, email: str) -> None:
        """Record the request; the subscriber mails a link only if the account exists."""
        address = normalize_email(email)
        with transaction(self.engine) as conn:
            self.events.publish(conn, "user.password_reset_requested", {"emailKey": address.lower()})

    def reset_password(self, token: str, password: str) -> User:
        now = now_utc()
        with self.engine.connect() as conn:
            user_id = self.links.live(conn, token, "reset_password", "Reset link", now)
            row = self._user(conn, user_id)
        passwords.require_acceptable(password, username=row.username, email=row.email)
        hashed = self.hasher.hash(password)
        now = now_utc()
        with transaction(self.engine) as conn:
            self.links.consume(conn, token, "reset_password", "Reset link", now)
            # The reset ends every other live reset link and every login token issued before it.
            self.links.void(conn, user_id, "reset_password", now)
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
            self.limits.clear(conn, "login", login_keys(row))
            self.events.publish(
                conn, "user.password_changed", {"user": event_user(row), "changedAt": iso(now)}
            )
            return User.of(self._user(conn, user_id))

    # -- helpers ----------------------------------------------------------------------------

    def _user(self, conn: Connection, user_id: str) -> Any:
        row = conn.execute(select(users).where(users.c.id == user_id)).first()
        if row is None:
            raise NotAuthenticated("Account no longer exists")
        return row
