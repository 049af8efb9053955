"""The services answer domain objects and the function edge renders them, unchanged on the wire.

Accounts, wallets, payment status and playback once returned camelCase API dicts. Each now
returns a frozen dataclass, and the reply models' `from_domain` write the JSON. The expected
bodies below are written out by hand from the published contract (openapi.json: field names,
their order, timestamps as ISO 8601 with a `Z`, token amounts as decimal strings in whole
tokens), byte for byte as the edge sends them (compact separators): a body that changes at all
fails here.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import Engine, insert, update

from tests.support.accounts import add_user
from tests.support.auth import KEY, PASSWORD, sign
from tests.support.chain import chain_services, deployed, sign_status
from tests.support.events import aws_event
from tests.support.functions import bind_functions
from tidecast.accounts.service import LinkedWallet, Login, Profile, Registration, User
from tidecast.accounts.wallets import WalletNonce
from tidecast.billing.playbacks import CreditPlayback
from tidecast.chain.service import StreamDetails, TokenInfo
from tidecast.container import Services
from tidecast.db.schema import streams, user_wallets, users
from tidecast.db.tx import transaction
from tidecast.functions import auth, payments
from tidecast.functions import streams as streams_function
from tidecast.functions.models.auth import Me, Nonce, Registered, Wallet
from tidecast.functions.models.auth import User as UserReply
from tidecast.functions.models.payments import Domain, Status
from tidecast.functions.models.streams import Playback
from tidecast.payments.playback import PlaybackGrant, PlaybackPayment
from tidecast.payments.status import PaymentStatus, SigningDomain
from tidecast.payments.streams import PaymentState
from tidecast.runtime import ok

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

CREATED = datetime(2026, 1, 31, 12, 0, 0, tzinfo=UTC)
LINKED = datetime(2026, 2, 1, 8, 30, 15, 250000, tzinfo=UTC)
ANN = User(id="u1", username="ann", email="ann@example.com", email_verified_at=None, created_at=CREATED)
WALLET = LinkedWallet(address="0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A", chain_id=31337, linked_at=LINKED)
TOKEN = TokenInfo(address="0x5FbDB2315678afecb367f032d93F642f64180aa3", symbol="TIDE", decimals=18)
SENDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
RECIPIENT = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
E18 = 10**18


def details(*, depletion_time: int = 1769864448) -> StreamDetails:
    return StreamDetails(
        stream_id=7,
        sender=SENDER,
        recipient=RECIPIENT,
        token=TOKEN.address,
        flow_rate=E18 // 4,  # 0.25 tokens a second
        deposit=12 * E18,
        start_time=1769864400,
        withdrawn=0,
        remaining_balance=11 * E18 + E18 // 2,  # 11.5
        active=True,
        depletion_time=depletion_time,
    )


def body(data: Any, status: int = 200) -> str:
    """What the edge sends for `data` (a reply model): the standard envelope."""
    reply = ok(data, status)
    assert reply.status == status
    return str(reply.body)


def frozen(value: Any) -> None:
    """A frozen dataclass, not a dict (nor a pydantic model)."""
    assert dataclasses.is_dataclass(value) and not isinstance(value, type), type(value)
    field = dataclasses.fields(value)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, field, None)


# -- rendering: fixed domain objects, the bytes the contract says ------------------------------


def test_accounts_render_as_the_contract_says() -> None:
    assert body(Registered.from_domain(Registration("ann_1", "Ann@example.com")), 202) == (
        '{"success":true,"data":{"username":"ann_1","email":"Ann@example.com",'
        '"message":"Check your mailbox: we sent a message to Ann@example.com '
        'to finish creating your account."}}'
    )
    login = auth.login_response(Login(token="t0k.en", user=ANN))
    assert (login.status, login.body) == (
        200,
        '{"success":true,"token":"t0k.en","user":{"id":"u1","username":"ann","email":"ann@example.com"}}',
    )
    verified = dataclasses.replace(ANN, email_verified_at=LINKED)
    assert body(UserReply.from_domain(verified)) == (
        '{"success":true,"data":{"id":"u1","username":"ann","email":"ann@example.com",'
        '"emailVerified":true,"createdAt":"2026-01-31T12:00:00Z"}}'
    )
    assert body(Me.from_domain(Profile(ANN, (WALLET,)))) == (
        '{"success":true,"data":{"id":"u1","username":"ann","email":"ann@example.com",'
        '"emailVerified":false,"createdAt":"2026-01-31T12:00:00Z","wallets":[{'
        '"address":"0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A","chainId":31337,'
        '"linkedAt":"2026-02-01T08:30:15.250000Z"}]}}'
    )
    assert body(Me.from_domain(Profile(ANN, ()))).endswith('"wallets":[]}}')


def test_wallets_render_as_the_contract_says() -> None:
    assert body(Wallet.from_domain(WALLET)) == (
        '{"success":true,"data":{"address":"0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A",'
        '"chainId":31337,"linkedAt":"2026-02-01T08:30:15.250000Z"}}'
    )
    offer = WalletNonce(
        nonce="0123456789abcdef0123456789abcdef",
        purpose="login",
        domain="localhost:8888",
        uri="http://localhost:8888",
        chain_id=31337,
        version="1",
        statement="Sign in to tidecast with this wallet.",
        issued_at=CREATED,
        expires_at=datetime(2026, 1, 31, 12, 10, tzinfo=UTC),
    )
    fields = (
        '"nonce":"0123456789abcdef0123456789abcdef","purpose":"login","domain":"localhost:8888",'
        '"uri":"http://localhost:8888","chainId":31337,"version":"1",'
        '"statement":"Sign in to tidecast with this wallet.",'
        '"issuedAt":"2026-01-31T12:00:00Z","expiresAt":"2026-01-31T12:10:00Z"'
    )
    # Without an address the message is null, as it always was (the field is declared).
    assert body(Nonce.from_domain(offer), 201) == '{"success":true,"data":{' + fields + ',"message":null}}'
    with_message = dataclasses.replace(offer, message="localhost:8888 wants you to sign in…\nline 2")
    assert body(Nonce.from_domain(with_message), 201) == (
        '{"success":true,"data":{' + fields + ',"message":"localhost:8888 wants you to sign in…\\nline 2"}}'
    )


def test_payment_status_renders_as_the_contract_says() -> None:
    domain = SigningDomain(chain_id=131277322940537, verifying_contract=TOKEN.address)
    assert body(Domain.from_domain(domain)) == (
        '{"success":true,"data":{"domain":{"name":"tidecast","version":"1","chainId":131277322940537,'
        '"verifyingContract":"0x5FbDB2315678afecb367f032d93F642f64180aa3"},'
        '"primaryType":"PaymentStatusRequest","types":{"EIP712Domain":['
        '{"name":"name","type":"string"},{"name":"version","type":"string"},'
        '{"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}],'
        '"PaymentStatusRequest":[{"name":"streamId","type":"uint256"},{"name":"nonce","type":"bytes32"},'
        '{"name":"expiresAt","type":"uint256"}]}}}'
    )
    token = '"token":{"address":"0x5FbDB2315678afecb367f032d93F642f64180aa3","symbol":"TIDE","decimals":18}'
    assert body(Status.from_domain(PaymentStatus(details(), TOKEN))) == (
        '{"success":true,"data":{"streamId":"7","isActive":true,"currentBalance":"11.5",'
        f'"recipient":"{RECIPIENT}","flowRate":"0.25 tokens/sec",'
        f'"depletionTime":"2026-01-31T13:00:48Z","sender":"{SENDER}",{token}}}}}'
    )
    # A deposit can run dry past year 9999 (any uint256): no date, null.
    far = PaymentStatus(details(depletion_time=2**255), TOKEN)
    assert '"depletionTime":null,' in body(Status.from_domain(far))


def test_playback_renders_as_the_contract_says() -> None:
    free = PlaybackGrant(
        token="pl.ay",
        expires_at=datetime(2026, 1, 31, 12, 0, 20, tzinfo=UTC),
        lifetime_seconds=20.0,
        key_period_seconds=10.0,
        free=True,
        reason="owner",
        payment=None,
    )
    assert body(Playback.from_domain(free)) == (
        '{"success":true,"data":{"token":"pl.ay","expiresAt":"2026-01-31T12:00:20Z","expiresIn":20,'
        '"keyPeriodSeconds":10.0,"free":true,"reason":"owner","payment":null,"creditPlayback":null}}'
    )
    paid = dataclasses.replace(
        free,
        lifetime_seconds=12.75,  # written whole, as it always was
        free=False,
        reason=None,
        payment=PlaybackPayment(PaymentState(details(), False), 18, Fraction(10, 3)),
    )
    assert body(Playback.from_domain(paid)) == (
        '{"success":true,"data":{"token":"pl.ay","expiresAt":"2026-01-31T12:00:20Z","expiresIn":12,'
        '"keyPeriodSeconds":10.0,"free":false,"reason":null,"payment":{"id":"7",'
        f'"sender":"{SENDER}","recipient":"{RECIPIENT}","token":"{TOKEN.address}",'
        '"flowRate":"0.25","remainingBalance":"11.5","depletionTime":"2026-01-31T13:00:48Z",'
        '"active":true,"paidSeconds":3.333},"creditPlayback":null}}'
    )
    # Paid from card credit: the playback to stop, and what it holds, in whole tokens.
    credit = CreditPlayback(
        "0123456789abcdef", "uv", "s1", 7, "active", 30 * 10**18, None, None, 25 * 10**16, 18
    )
    assert body(Playback.from_domain(paid, credit)).endswith(
        '"creditPlayback":{"id":"0123456789abcdef","held":"30"}}}'
    )


# -- the services: each answers its dataclass, and the edge sends the contract's bytes --------


@pytest.fixture
def svc(engine: Engine, make_services: Callable[..., Services]) -> Services:
    return make_services(engine, quiet=("events", "outbox"), bind=True, TIDECAST_BCRYPT_ROUNDS=4)


def call(handler: Any, method: str, path: str, data: Any = None, token: str | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    raw = json.dumps(data) if data is not None else None
    reply = handler(aws_event("1.0", method, path, body=raw, headers=headers), None)
    return reply["statusCode"], reply["body"]


@SQLITE
def test_accounts_and_wallets_answer_dataclasses(svc: Services) -> None:
    registered = svc.accounts.register("Ann", "Ann@example.com", PASSWORD)
    frozen(registered)
    assert registered == Registration(username="ann", email="Ann@example.com")
    login = svc.accounts.login("ann", PASSWORD)
    frozen(login)
    assert isinstance(login.user, User) and login.user.username == "ann" and login.token.count(".") == 2
    uid = login.user.id
    assert svc.accounts.issue_login(uid).user == login.user

    with transaction(svc.engine) as conn:
        verify = svc.accounts.links.issue(conn, uid, "verify_email")
    verified = svc.accounts.verify_email(verify)
    frozen(verified)
    assert isinstance(verified, User) and verified.email_verified_at is not None
    with transaction(svc.engine) as conn:
        reset = svc.accounts.links.issue(conn, uid, "reset_password")
    changed = svc.accounts.reset_password(reset, "another horse battery")
    assert isinstance(changed, User) and changed.id == uid

    offer = svc.wallets.nonce("link", uid, KEY.address)
    frozen(offer)
    assert (
        isinstance(offer, WalletNonce)
        and offer.message is not None
        and offer.chain_id == svc.wallets.chain_id
    )
    linked = svc.wallets.link(uid, offer.message, sign(offer.message))
    frozen(linked)
    assert isinstance(linked, LinkedWallet) and linked.address == KEY.address
    profile = svc.accounts.me(uid)
    frozen(profile)
    assert isinstance(profile, Profile) and profile.wallets == (linked,)
    signin = svc.wallets.nonce("login", None, KEY.address)
    assert signin.message is not None
    wallet_login = svc.wallets.login(signin.message, sign(signin.message))
    assert isinstance(wallet_login, Login) and wallet_login.user.id == uid


@SQLITE
def test_the_auth_edge_sends_the_contracts_bytes(svc: Services) -> None:
    status, sent = call(
        auth.handler,
        "POST",
        "/api/auth/register",
        {"username": "Bo_b", "email": "bo@Example.COM", "password": PASSWORD},
    )
    assert (status, sent) == (
        202,
        '{"success":true,"data":{"username":"bo_b","email":"bo@example.com",'
        '"message":"Check your mailbox: we sent a message to bo@example.com '
        'to finish creating your account."}}',
    )
    add_user(svc.engine, "u1", "ann", "ann@example.com")
    with transaction(svc.engine) as conn:
        conn.execute(update(users).where(users.c.id == "u1").values(created_at=CREATED))
        conn.execute(
            insert(user_wallets).values(
                address=WALLET.address, user_id="u1", chain_id=31337, linked_at=LINKED
            )
        )
    status, sent = call(auth.handler, "GET", "/api/auth/me", token=svc.accounts.issue_login("u1").token)
    assert (status, sent) == (
        200,
        '{"success":true,"data":{"id":"u1","username":"ann","email":"ann@example.com",'
        '"emailVerified":false,"createdAt":"2026-01-31T12:00:00Z","wallets":[{'
        '"address":"0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A","chainId":31337,'
        '"linkedAt":"2026-02-01T08:30:15.250000Z"}]}}',
    )


@SQLITE
def test_a_free_playback_answers_a_grant(svc: Services) -> None:
    add_user(svc.engine, "u1", "ann", "ann@example.com")
    film = svc.streams.create(title="mine", owner_id="u1")
    with transaction(svc.engine) as conn:
        conn.execute(
            update(streams).where(streams.c.id == film.id).values(status="ready", key_period_seconds=6.0)
        )
    grant = svc.playback.start("u1", film.id, None, session_version=0)
    frozen(grant)
    assert isinstance(grant, PlaybackGrant)
    assert (grant.free, grant.reason, grant.payment, grant.lifetime_seconds) == (True, "owner", None, 12.0)
    status, sent = call(
        streams_function.handler,
        "POST",
        f"/api/streams/{film.id}/playback",
        token=svc.accounts.issue_login("u1").token,
    )
    data = json.loads(sent)["data"]
    assert status == 200 and (data["free"], data["reason"], data["expiresIn"], data["payment"]) == (
        True,
        "owner",
        12,
        None,
    )


@SQLITE
def test_payment_status_answers_dataclasses(engine: Engine, deployed_embedded_chain: str) -> None:
    chain = deployed(deployed_embedded_chain)
    svc = chain_services(engine, chain)
    try:
        bind_functions(svc)
        domain = svc.payment_status.domain()
        frozen(domain)
        assert domain == SigningDomain(
            chain_id=chain.deployment.chain_id, verifying_contract=chain.deployment.payment_stream
        )
        status, sent = call(payments.handler, "GET", "/api/payments/domain")
        assert status == 200 and sent.startswith(
            '{"success":true,"data":{"domain":{"name":"tidecast","version":"1",'
            f'"chainId":{chain.deployment.chain_id},"verifyingContract":"{chain.deployment.payment_stream}"}},'
            '"primaryType":"PaymentStatusRequest","types":{"EIP712Domain":['
        )
        sender, recipient = chain.accounts[2], chain.accounts[3]
        pay = svc.chain_signer.open_stream(sender.private_key, recipient.address, "0.25", "12")
        nonce, expires = "0x" + "cd" * 32, int(datetime.now(UTC).timestamp()) + 120
        answer = svc.payment_status.status(
            pay, nonce, expires, sign_status(sender, svc.payment_status.typed_data(pay, nonce, expires))
        )
        frozen(answer)
        assert isinstance(answer, PaymentStatus) and isinstance(answer.token, TokenInfo)
        assert (answer.stream.stream_id, answer.stream.sender, answer.stream.flow_rate) == (
            pay,
            sender.address,
            E18 // 4,
        )
    finally:
        bind_functions(None)
        svc.close()
