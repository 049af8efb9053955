"""Wallets: a user proves an Ethereum address with a Sign-In with Ethereum message, then may
sign in with it. The payments work finds a viewer's on-chain streams through this link.

A nonce is single use and lives ten minutes. It is consumed in the same transaction as the
link (or the login), guarded by `used_at IS NULL`, so a replayed message loses the race and a
failed check leaves the nonce for the real wallet to use.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, and_, delete, func, insert, select, update

from tidecast.accounts.service import AccountService, LinkedWallet, Login
from tidecast.db.schema import user_wallets, users, wallet_nonces
from tidecast.db.times import as_utc, now_utc
from tidecast.db.tx import transaction
from tidecast.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from tidecast.lib import siwe

NONCE_TTL = timedelta(minutes=10)
ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}", re.ASCII)
PURPOSES = ("link", "login")
STATEMENTS = {
    "link": "Link this wallet to your tidecast account.",
    "login": "Sign in to tidecast with this wallet.",
}


@dataclass(frozen=True)
class WalletNonce:
    """A fresh nonce and the fields of the Sign-In with Ethereum message (EIP-4361) that must
    carry it; `message` is that whole message when the caller named its address."""

    nonce: str
    purpose: str  # one of PURPOSES
    domain: str
    uri: str
    chain_id: int
    version: str
    statement: str
    issued_at: datetime
    expires_at: datetime
    message: str | None = None


class WalletService:
    def __init__(
        self, engine: Engine, accounts: AccountService, *, domain: str, origin: str, chain_id: int
    ) -> None:
        self.engine = engine
        self.accounts = accounts
        self.domain = domain
        self.origin = origin.rstrip("/")
        self.chain_id = chain_id

    def nonce(self, purpose: str, user_id: str | None, address: str | None = None) -> WalletNonce:
        """A fresh nonce and what the message must say; with `address`, the message to sign."""
        if purpose not in PURPOSES:
            raise InvalidInput("purpose must be 'link' or 'login'")
        if purpose == "link" and user_id is None:
            raise NotAuthenticated("Linking a wallet needs a login token (Authorization: Bearer)")
        if address is not None and not siwe.ADDRESS.match(address):
            raise InvalidInput("address must be 0x and 40 hex digits")
        now = now_utc()
        nonce = secrets.token_hex(16)
        with transaction(self.engine) as conn:
            conn.execute(delete(wallet_nonces).where(wallet_nonces.c.expires_at < now - NONCE_TTL))
            conn.execute(
                insert(wallet_nonces).values(
                    nonce=nonce,
                    purpose=purpose,
                    user_id=user_id if purpose == "link" else None,
                    created_at=now,
                    expires_at=now + NONCE_TTL,
                )
            )
        return WalletNonce(
            nonce=nonce,
            purpose=purpose,
            domain=self.domain,
            uri=self.origin,
            chain_id=self.chain_id,
            version="1",
            statement=STATEMENTS[purpose],
            issued_at=now,
            expires_at=now + NONCE_TTL,
            message=self.message(nonce, purpose, address, now).text() if address is not None else None,
        )

    def message(self, nonce: str, purpose: str, address: str, issued_at: datetime) -> siwe.SiweMessage:
        return siwe.SiweMessage(
            scheme=self.origin.split("://", 1)[0],
            domain=self.domain,
            address=siwe.checksummed(address),
            statement=STATEMENTS[purpose],
            uri=self.origin,
            version="1",
            chain_id=self.chain_id,
            nonce=nonce,
            issued_at=issued_at,
            expiration_time=issued_at + NONCE_TTL,
        )

    def link(self, user_id: str, message: str, signature: str) -> LinkedWallet:
        parsed, now = self._verified(message, signature, "link")
        with transaction(self.engine) as conn:
            self._use_nonce(conn, parsed.nonce, "link", user_id, now)
            owner = conn.execute(
                select(user_wallets.c.user_id).where(user_wallets.c.address == parsed.address)
            ).scalar_one_or_none()
            if owner is not None and owner != user_id:
                raise Conflict("This wallet is already linked to another account")
            if owner is None:
                conn.execute(
                    insert(user_wallets).values(
                        address=parsed.address, user_id=user_id, chain_id=parsed.chain_id, linked_at=now
                    )
                )
            row = conn.execute(select(user_wallets).where(user_wallets.c.address == parsed.address)).one()
        return LinkedWallet(row.address, row.chain_id, as_utc(row.linked_at))

    def unlink(self, user_id: str, address: str) -> LinkedWallet:
        """Unlink one of `user_id`'s wallets (any letter case); NotFound when it is not theirs.
        Payment streams already open keep paying that address on chain: the link only says
        which account it belongs to (a creator's new viewers pay the earliest wallet left)."""
        if not ADDRESS.fullmatch(address):
            raise InvalidInput("Invalid 'address': 0x and 40 hexadecimal digits")
        with transaction(self.engine) as conn:
            row = conn.execute(
                select(user_wallets).where(
                    (func.lower(user_wallets.c.address) == address.lower())
                    & (user_wallets.c.user_id == user_id)
                )
            ).first()
            if row is None:
                raise NotFound("No such wallet is linked to your account")
            conn.execute(delete(user_wallets).where(user_wallets.c.address == row.address))
        return LinkedWallet(row.address, row.chain_id, as_utc(row.linked_at))

    def login(self, message: str, signature: str) -> Login:
        parsed, now = self._verified(message, signature, "login")
        with transaction(self.engine) as conn:
            self._use_nonce(conn, parsed.nonce, "login", None, now)
            user_id = conn.execute(
                select(users.c.id)
                .join(user_wallets, user_wallets.c.user_id == users.c.id)
                .where(user_wallets.c.address == parsed.address)
            ).scalar_one_or_none()
            if user_id is None:
                raise NotAuthenticated("No account is linked to this wallet; log in and link it first")
        return self.accounts.issue_login(user_id)

    def _verified(self, message: str, signature: str, purpose: str) -> tuple[siwe.SiweMessage, datetime]:
        """The parsed message once it is proven, with the statement this site issues for
        `purpose`: a message signed for signing in cannot link a wallet, nor the reverse."""
        parsed = siwe.parse(message)
        now = now_utc()
        siwe.verify(
            parsed,
            signature,
            domain=self.domain,
            origin=self.origin,
            chain_id=self.chain_id,
            statement=STATEMENTS[purpose],
            now=now,
        )
        return parsed, now

    def _use_nonce(
        self, conn: Connection, nonce: str, purpose: str, user_id: str | None, now: datetime
    ) -> None:
        row = conn.execute(select(wallet_nonces).where(wallet_nonces.c.nonce == nonce)).first()
        if row is None or row.purpose != purpose or (purpose == "link" and row.user_id != user_id):
            raise NotAuthenticated(f"Nonce was not issued for this {purpose}")
        if row.used_at is not None:
            raise NotAuthenticated("Nonce has already been used")
        if as_utc(row.expires_at) <= now:
            raise NotAuthenticated("Nonce has expired; ask for a new one")
        used = conn.execute(
            update(wallet_nonces)
            .where(and_(wallet_nonces.c.nonce == nonce, wallet_nonces.c.used_at.is_(None)))
            .values(used_at=now)
        )
        if used.rowcount != 1:
            raise NotAuthenticated("Nonce has already been used")
