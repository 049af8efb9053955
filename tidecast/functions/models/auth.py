"""What /api/auth answers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tidecast.functions.models.common import Out, Timestamp


class Registered(Out):
    """Accepted: the verification mail is on its way (the same answer for a taken address)."""

    username: str
    email: str
    message: str


class PublicUser(Out):
    id: str
    username: str
    email: str


class Login(Out):
    """The reference's login body: no `data` envelope."""

    success: Literal[True]
    token: str = Field(description="A login token (HS256 JWT): send it as 'Authorization: Bearer <token>'")
    user: PublicUser


class Claims(Out):
    userId: str
    username: str
    sub: str
    iat: int
    exp: int
    iss: str
    aud: str
    jti: str
    sv: int = Field(
        description="The session version: a password reset or logout-everywhere ends older tokens"
    )


class User(PublicUser):
    emailVerified: bool
    createdAt: Timestamp


class Wallet(Out):
    address: str = Field(description="EIP-55 checksummed")
    chainId: int
    linkedAt: Timestamp


class Me(User):
    wallets: list[Wallet]


class Nonce(Out):
    """The fields of a Sign-In with Ethereum message (EIP-4361) to sign."""

    nonce: str
    purpose: Literal["link", "login"]
    domain: str
    uri: str
    chainId: int
    version: str
    statement: str
    issuedAt: Timestamp
    expiresAt: Timestamp
    message: str | None = Field(None, description="The whole message, when an address was given")
