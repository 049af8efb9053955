"""What /api/auth answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from tidecast.db.times import iso
from tidecast.functions.models.common import Out, Timestamp

if TYPE_CHECKING:  # the models stay importable without the services (the client, the docs)
    from tidecast.accounts import service as accounts
    from tidecast.accounts.wallets import WalletNonce

#: What a registration answers, for people: the same words whether or not the address is taken.
REGISTERED = "Check your mailbox: we sent a message to {email} to finish creating your account."


class Registered(Out):
    """Accepted: the verification mail is on its way (the same answer for a taken address)."""

    username: str
    email: str
    message: str

    @classmethod
    def from_domain(cls, registration: accounts.Registration) -> Registered:
        return cls(
            username=registration.username,
            email=registration.email,
            message=REGISTERED.format(email=registration.email),
        )


# The login response's user: exactly the reference's three fields. (A comment, not a docstring:
# a model's docstring is its schema's description, and this schema has none.)
class PublicUser(Out):
    id: str
    username: str
    email: str

    @classmethod
    def from_domain(cls, user: accounts.User) -> PublicUser:
        return cls(id=user.id, username=user.username, email=user.email)


class Login(Out):
    """The reference's login body: no `data` envelope."""

    success: Literal[True]
    token: str = Field(description="A login token (HS256 JWT): send it as 'Authorization: Bearer <token>'")
    user: PublicUser

    @classmethod
    def from_domain(cls, login: accounts.Login) -> Login:
        return cls(success=True, token=login.token, user=PublicUser.from_domain(login.user))


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

    @classmethod
    def from_domain(cls, user: accounts.User) -> User:
        return cls(
            id=user.id,
            username=user.username,
            email=user.email,
            emailVerified=user.email_verified_at is not None,
            createdAt=iso(user.created_at),
        )


class Wallet(Out):
    address: str = Field(description="EIP-55 checksummed")
    chainId: int
    linkedAt: Timestamp

    @classmethod
    def from_domain(cls, wallet: accounts.LinkedWallet) -> Wallet:
        return cls(address=wallet.address, chainId=wallet.chain_id, linkedAt=iso(wallet.linked_at))


class Me(User):
    wallets: list[Wallet]

    # A profile is a user and their wallets, not a kind of user: this builder takes another type
    # than User's (the schema's inheritance is the JSON's: Me's body is User's fields and more).
    @classmethod
    def from_domain(cls, profile: accounts.Profile) -> Me:  # type: ignore[override]
        return cls(
            **User.from_domain(profile.user).model_dump(),
            wallets=[Wallet.from_domain(w) for w in profile.wallets],
        )


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

    @classmethod
    def from_domain(cls, nonce: WalletNonce) -> Nonce:
        return cls(
            nonce=nonce.nonce,
            purpose=nonce.purpose,  # type: ignore[arg-type]  # the service refuses any other
            domain=nonce.domain,
            uri=nonce.uri,
            chainId=nonce.chain_id,
            version=nonce.version,
            statement=nonce.statement,
            issuedAt=iso(nonce.issued_at),
            expiresAt=iso(nonce.expires_at),
            message=nonce.message,
        )
