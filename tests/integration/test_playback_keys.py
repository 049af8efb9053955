"""Gated playback against real nodes (the embedded chain and Anvil): playback tokens, the keys
function, every 402 reason, the release budget, a cancel seen within the cache's lifetime, and
hostile tokens, paths and bodies. In-process through AWS's sample event, SQLite."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select, update

from tests.support.accounts import add_user
from tests.support.chain import Chain, chain_services, deployed, link_wallet, sign_status
from tests.support.events import aws_event
from tests.support.functions import bind_functions
from tidecast.chain import gas
from tidecast.chain.deploy import connect, deploy_all, fund_demo_accounts
from tidecast.chain.service import BlockchainDataService
from tidecast.chain.signer import ChainSigner
from tidecast.chain.units import format_units
from tidecast.config import load_settings
from tidecast.container import Services
from tidecast.db.schema import key_grants, streams, users
from tidecast.db.times import now_utc
from tidecast.errors import ConfigError
from tidecast.functions.auth import handler as auth_handler
from tidecast.functions.keys import handler as keys_handler
from tidecast.functions.models.payments import Config, Status
from tidecast.functions.payments import handler as payments_handler
from tidecast.functions.streams import handler as streams_handler
from tidecast.payments.playback import LOOKAHEAD_MEMORY, OTHER_PAYMENTS
from tidecast.payments.playback_tokens import PlaybackTokens

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
PERIOD = 30.0  # long against the test's own run time, so budgets are exact
PERIODS = 12
CACHE_SECONDS = 1.0


@pytest.fixture
def chain(node: str) -> Chain:
    return deployed(node)


@pytest.fixture
def svc(engine: Engine, chain: Chain, make_services: Callable[..., Services]) -> Services:
    # The tests run the event and mail drains themselves.
    return make_services(
        engine,
        quiet=("events", "outbox"),
        bind=True,
        **chain.env(TIDECAST_PAYMENT_CACHE_SECONDS=str(CACHE_SECONDS), TIDECAST_KEY_LOOKAHEAD_PERIODS="2"),
    )


class World:
    """A creator with a priced, encrypted, ready stream; a viewer; a stranger without a wallet."""

    def __init__(self, svc: Services, chain: Chain) -> None:
        self.svc, self.chain, engine = svc, chain, svc.engine
        self.creator, self.viewer, self.walletless = (
            add_user(engine, "uc", "cara", "cara@example.com"),
            add_user(engine, "uv", "vic", "vic@example.com"),
            add_user(engine, "un", "nora", "nora@example.com"),
        )
        self.creator_key, self.viewer_key = chain.accounts[3], chain.accounts[2]
        link_wallet(engine, "uc", self.creator_key.address, chain.deployment.chain_id)
        link_wallet(engine, "uv", self.viewer_key.address, chain.deployment.chain_id)
        self.login = {u: svc.accounts.issue_login(u).token for u in ("uc", "uv", "un")}
        self.keys = [svc.media_keys.new_key() for _ in range(PERIODS)]
        self.stream_id = self.media_stream("0.25", self.keys)

    def media_stream(
        self, price: str, keys: list[bytes] | None, status: str = "ready", *, playable: bool = False
    ) -> str:
        sid = self.svc.streams.create(title="Paid film", owner_id="uc").id
        with self.svc.engine.begin() as conn:
            conn.execute(
                update(streams)
                .where(streams.c.id == sid)
                .values(
                    status=status,
                    playable=playable,
                    price_per_second=price,
                    key_period_seconds=PERIOD if keys is not None else None,
                    key_periods=len(keys) if keys is not None else None,
                )
            )
            if keys is not None:
                self.svc.media_keys.store(conn, sid, keys)
        return sid

    def pay(self, rate: str = "0.25", deposit: str = "100", sender: Any = None, to: Any = None) -> int:
        return self.svc.chain_signer.open_stream(
            (sender or self.viewer_key).private_key, (to or self.creator_key).address, rate, deposit
        )


@pytest.fixture
def world(svc: Services, chain: Chain) -> World:
    return World(svc, chain)


def reply(raw: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
    body: Any = raw["body"]
    if raw.get("isBase64Encoded"):
        import base64

        body = base64.b64decode(body)
    elif body:
        body = json.loads(body)
    return raw["statusCode"], body, raw["headers"]


def playback(
    stream_id: str, token: str | None, body: Any = None, raw: str | None = None
) -> tuple[int, Any, dict[str, str]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
    event = aws_event(
        "1.0", "POST", f"/.netlify/functions/streams/{stream_id}/playback", body=payload, headers=headers
    )
    return reply(streams_handler(event, None))


def key(stream_id: str, period: str | int, token: str | None) -> tuple[int, Any, dict[str, str]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    event = aws_event("2.0", "GET", f"/.netlify/functions/keys/{stream_id}/{period}", headers=headers)
    return reply(keys_handler(event, None))


def paid_token(world: World, pay: int, stream_id: str | None = None) -> str:
    status, body, _ = playback(stream_id or world.stream_id, world.login["uv"], {"paymentStreamId": pay})
    assert status == 200, body
    return str(body["data"]["token"])


def grants(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(key_grants)).scalar_one())


# -- free playback ------------------------------------------------------------------------------


@SQLITE
def test_the_owner_and_free_streams_play_without_a_payment(world: World) -> None:
    status, body, _ = playback(world.stream_id, world.login["uc"])  # no body at all
    assert status == 200, body
    data = body["data"]
    assert (data["free"], data["reason"], data["payment"]) == (True, "owner", None)
    assert data["keyPeriodSeconds"] == PERIOD and data["expiresIn"] == 60  # 2 key periods
    status, got, headers = key(world.stream_id, 3, data["token"])
    assert status == 200 and got == world.keys[3]
    assert headers["Content-Type"] == "application/octet-stream" and headers["Cache-Control"] == "no-store"

    free = world.media_stream("0", [world.svc.media_keys.new_key()])
    status, body, _ = playback(free, world.login["un"], {})  # no wallet needed either
    assert status == 200 and (body["data"]["free"], body["data"]["reason"]) == (True, "price 0")
    assert key(free, 0, body["data"]["token"])[0] == 200

    legacy = world.media_stream("0.25", None)
    status, body, _ = playback(legacy, world.login["un"])
    assert status == 200 and body["data"]["reason"] == "unencrypted"
    assert body["data"]["expiresIn"] == 10
    assert key(legacy, 0, body["data"]["token"])[0] == 404  # there are no keys to give
    assert grants(world.svc.engine) == 0  # free plays spend no budget


@SQLITE
def test_streams_not_ready_are_409(world: World) -> None:
    for state, words in (("processing", "still processing"), ("failed", "failed")):
        sid = world.media_stream("0.25", [], status=state)
        status, body, _ = playback(sid, world.login["uc"])
        assert status == 409 and words in body["error"], body
    assert playback("nosuchstream", world.login["uv"])[0] == 404
    assert playback(world.stream_id, None)[0] == 401


# -- paid playback: every reason to refuse -------------------------------------------------------


@SQLITE
def test_a_stream_still_processing_but_playable_is_paid_for_as_it_grows(world: World) -> None:
    """Its first key periods are published (their keys stored) while the rest is made: a paying
    viewer gets those, within the budget; a period not made yet is a 404, spending nothing."""
    made = world.keys[:2]
    sid = world.media_stream("0.25", made, status="processing", playable=True)
    assert playback(sid, world.login["uv"])[0] == 402  # still paid for: no payment, no token
    pay = world.pay()
    status, body, _ = playback(sid, world.login["uv"], {"paymentStreamId": str(pay)})
    assert status == 200 and body["data"]["free"] is False, body
    token = body["data"]["token"]
    assert key(sid, 0, token)[1] == made[0] and key(sid, 1, token)[1] == made[1]
    before = grants(world.svc.engine)
    assert key(sid, 2, token)[0] == 404  # not made yet
    assert grants(world.svc.engine) == before
    # The job fails: what it published is withdrawn, and the token opens nothing more.
    world.svc.pipeline.failed(type("Job", (), {"subject": sid, "payload": {}})(), "the encode failed")
    assert key(sid, 1, token)[0] == 404
    assert playback(sid, world.login["uv"], {"paymentStreamId": str(pay)})[0] == 409


@SQLITE
def test_every_reason_a_payment_does_not_count_is_a_402_naming_it(world: World, chain: Chain) -> None:
    sid, creator = world.stream_id, world.creator_key.address

    def refused(user: str, body: Any, *words: str) -> None:
        status, got, _ = playback(sid, world.login[user], body)
        assert status == 402 and got["code"] == "PAYMENT_REQUIRED", got
        for word in words:
            assert word in got["error"], (word, got["error"])

    refused("un", {}, "Link a wallet first")
    refused("uv", {}, f"Open a payment stream to {creator}", "0.25")
    refused("uv", {"paymentStreamId": "999999"}, "999999", "does not exist")
    stranger_pays = world.pay(sender=chain.accounts[4])
    refused("uv", {"paymentStreamId": stranger_pays}, chain.accounts[4].address, "not a wallet linked")
    elsewhere = world.pay(to=chain.accounts[5])
    refused("uv", {"paymentStreamId": elsewhere}, "recipient is not the creator's wallet", creator)
    cheap = world.pay(rate="0.1")
    refused("uv", {"paymentStreamId": str(cheap)}, "flow rate 0.1 tokens/s is below the price 0.25 tokens/s")
    # Another ERC-20 on the same PaymentStream contract.
    w3 = connect(chain.url)
    other = deploy_all(w3, chain.deployer.private_key, platform_address=chain.platform.address)
    fund_demo_accounts(w3, chain.deployer.private_key, other.token, [world.viewer_key.address])
    foreign = BlockchainDataService(
        chain.url, payment_stream_address=chain.deployment.payment_stream, token_address=other.token
    )
    wrong_token = ChainSigner(foreign).open_stream(world.viewer_key.private_key, creator, "0.25", "10")
    refused("uv", {"paymentStreamId": wrong_token}, "token is not the platform token")
    cancelled = world.pay()
    world.svc.chain_signer.cancel(world.viewer_key.private_key, cancelled)
    refused("uv", {"paymentStreamId": cancelled}, f"Payment stream {cancelled} was cancelled")
    dry = world.pay(rate="0.25", deposit="1")  # 4 seconds of money
    chain.advance(10)
    refused("uv", {"paymentStreamId": dry}, f"Payment stream {dry} ran dry at 20")
    assert grants(world.svc.engine) == 0


@SQLITE
def test_a_paying_viewer_gets_keys_within_the_budget(world: World) -> None:
    pay = world.pay()
    status, body, _ = playback(world.stream_id, world.login["uv"], {"paymentStreamId": str(pay)})
    assert status == 200, body
    data = body["data"]
    assert (data["free"], data["reason"]) == (False, None)
    payment = data["payment"]
    assert payment["id"] == str(pay) and payment["active"] is True
    assert payment["sender"] == world.viewer_key.address and payment["recipient"] == world.creator_key.address
    assert payment["flowRate"] == "0.25" and 0 <= payment["paidSeconds"] < PERIOD
    token = data["token"]
    # Paid < 1 period: floor(paid / period) + 2 look-ahead = 2 distinct periods.
    assert key(world.stream_id, 0, token)[1] == world.keys[0]
    assert key(world.stream_id, 1, token)[1] == world.keys[1]
    status, body, _ = key(world.stream_id, 5, token)
    assert status == 402 and "2 key periods" in body["error"] and "period 5" in body["error"], body
    assert key(world.stream_id, 0, token)[0] == 200  # granted before: free again
    assert grants(world.svc.engine) == 2
    assert key(world.stream_id, PERIODS + 3, token)[0] == 404  # no such period: no budget spent
    assert grants(world.svc.engine) == 2
    # Two periods of paid time later (the wall clock moved on): 2 + 2 periods.
    world.svc.playback.wall_clock = lambda: time.time() + 2 * PERIOD + 1
    assert key(world.stream_id, 5, token)[1] == world.keys[5]
    assert key(world.stream_id, 6, token)[0] == 200
    status, body, _ = key(world.stream_id, 7, token)
    assert status == 402 and "4 key periods" in body["error"]
    assert grants(world.svc.engine) == 4


@SQLITE
def test_a_deposit_that_runs_past_year_9999_buys_only_what_has_streamed(world: World, chain: Chain) -> None:
    """Issue 18: a deposit whose depletion lies beyond 9999-12-31 counted the seconds past that
    date as paid at once (paidSeconds 200002 and every key of the film for one wei a second)."""
    price = "0.000001"
    film = world.media_stream(price, world.keys)
    now = int(connect(chain.url).eth.get_block("latest")["timestamp"])
    rate = 10**12  # the price, in token units a second
    deposit = rate * (253402300799 - now + 200_000)
    balance_before = world.svc.chain.get_token_balance(world.viewer_key.address, chain.deployment.token)
    pay = world.pay(rate=price, deposit=format_units(deposit, 18))
    status, body, _ = playback(film, world.login["uv"], {"paymentStreamId": pay})
    assert status == 200, body
    payment = body["data"]["payment"]
    assert payment["depletionTime"] is None  # past what a date can say
    assert 0 <= payment["paidSeconds"] < 60, payment  # a few seconds streamed, not 200,002
    token = body["data"]["token"]
    got = [key(film, p, token)[0] for p in range(PERIODS)]
    assert got == [200, 200] + [402] * (PERIODS - 2), got  # paid < 1 period: the look-ahead only
    # Every other reader of a stream says the same of it, and none trips over the date.
    status, body, _ = payments(f"streams/{pay}")
    assert status == 200 and body["data"]["depletionTime"] is None, body
    world.svc.watcher.drain()  # the index's row: no date it cannot store
    status, body, _ = payments("mine", world.login["uv"])
    assert status == 200 and [s["id"] for s in body["data"]["sent"]] == [str(pay)], body
    nonce, expires = "0x" + "ab" * 32, int(time.time()) + 120
    typed = world.svc.payment_status.typed_data(pay, nonce, expires)
    answer = world.svc.payment_status.status(pay, nonce, expires, sign_status(world.viewer_key, typed))
    assert answer.stream.active is True and Status.from_domain(answer).depletionTime is None
    world.svc.chain_signer.cancel(world.viewer_key.private_key, pay)
    balance_after = world.svc.chain.get_token_balance(world.viewer_key.address, chain.deployment.token)
    spent = balance_before - balance_after
    # What streamed, a minute or two at most (nothing, when Anvil mined the open and the cancel
    # in the same second).
    assert 0 <= spent <= rate * 120
    assert grants(world.svc.engine) == 2


@SQLITE
def test_the_look_ahead_is_lent_per_viewer_not_per_payment_stream(world: World) -> None:
    """Open, take the look-ahead, cancel, open again: the second payment stream gets no second
    look-ahead on the same film, though the keys the viewer holds are theirs again for free."""
    first = world.pay()
    token = paid_token(world, first)
    assert [key(world.stream_id, p, token)[0] for p in (4, 5, 6)] == [200, 200, 402]
    world.svc.chain_signer.cancel(world.viewer_key.private_key, first)
    time.sleep(CACHE_SECONDS)  # the cancel is what the server reads now
    second = world.pay()
    token = paid_token(world, second)
    assert key(world.stream_id, 5, token)[1] == world.keys[5]  # held already: free again
    assert key(world.stream_id, 4, token)[1] == world.keys[4]
    assert grants(world.svc.engine) == 2
    status, body, _ = key(world.stream_id, 6, token)
    assert status == 402 and "2 periods your earlier payment streams took" in body["error"], body
    assert "keys for 0 key periods" in body["error"]
    assert grants(world.svc.engine) == 2  # a refusal takes nothing
    # What the second stream pays for, it gets: one period of paid time, one new period.
    world.svc.playback.wall_clock = lambda: time.time() + PERIOD + 1
    assert key(world.stream_id, 6, token)[1] == world.keys[6]
    assert key(world.stream_id, 7, token)[0] == 402
    # Another viewer's look-ahead is their own: the creator's free, so a second paying viewer.
    other = add_user(world.svc.engine, "uw", "walt", "walt@example.com")
    link_wallet(
        world.svc.engine, other["id"], world.chain.accounts[4].address, world.chain.deployment.chain_id
    )
    login = world.svc.accounts.issue_login("uw").token
    theirs = world.pay(sender=world.chain.accounts[4])
    status, body, _ = playback(world.stream_id, login, {"paymentStreamId": theirs})
    assert status == 200, body
    walt = body["data"]["token"]
    assert [key(world.stream_id, p, walt)[0] for p in (6, 7, 8, 9)] == [200, 200, 200, 402]  # 1 paid + 2


@SQLITE
def test_a_viewer_with_many_recent_payment_streams_on_a_film_gets_no_look_ahead(world: World) -> None:
    """More other payment streams on one film in a day than a player makes: none is read (these
    ids are not on the chain; reading one would be a 404), and there is no look-ahead."""
    chain_id = world.chain.deployment.chain_id
    deployment = world.svc.chain.deployment().key
    with world.svc.engine.begin() as conn:
        conn.execute(
            insert(key_grants),
            [
                {
                    "deployment": deployment,
                    "chain_id": chain_id,
                    "payment_stream_id": str(9000 + n),
                    "media_stream_id": world.stream_id,
                    "period": 100 + n,
                    "user_id": "uv",
                    "granted_at": now_utc(),
                }
                for n in range(OTHER_PAYMENTS + 1)
            ],
        )
    token = paid_token(world, world.pay())
    reads = world.svc.payment_reader.reads
    status, body, _ = key(world.stream_id, 0, token)
    assert status == 402 and "keys for 0 key periods" in body["error"], body
    assert world.svc.payment_reader.reads == reads  # the cached payment only
    # A day later they are forgotten: the look-ahead is back.
    with world.svc.engine.begin() as conn:
        conn.execute(
            update(key_grants).values(granted_at=now_utc() - LOOKAHEAD_MEMORY - timedelta(minutes=1))
        )
    assert key(world.stream_id, 0, token)[1] == world.keys[0]


@SQLITE
def test_a_cancelled_payment_stops_keys_within_the_cache_lifetime(world: World) -> None:
    pay = world.pay()
    token = paid_token(world, pay)
    assert key(world.stream_id, 0, token)[0] == 200  # the payment is cached now
    world.svc.chain_signer.cancel(world.viewer_key.private_key, pay)
    cancelled_at = time.monotonic()
    while True:
        status, body, _ = key(world.stream_id, 0, token)
        if status != 200:
            break
        assert time.monotonic() - cancelled_at < CACHE_SECONDS + 0.5, "keys still released after the TTL"
        time.sleep(0.05)
    assert status == 402 and f"Payment stream {pay} was cancelled" in body["error"]
    assert time.monotonic() - cancelled_at <= CACHE_SECONDS + 0.5
    status, body, _ = playback(world.stream_id, world.login["uv"], {"paymentStreamId": pay})  # renewal
    assert status == 402 and "was cancelled" in body["error"]


@SQLITE
def test_a_payment_that_runs_dry_stops_keys(world: World, chain: Chain) -> None:
    pay = world.pay(deposit="20")  # 80 s of money
    token = paid_token(world, pay)
    assert key(world.stream_id, 0, token)[0] == 200
    chain.advance(120)
    time.sleep(CACHE_SECONDS)
    status, body, _ = key(world.stream_id, 1, token)
    assert status == 402 and f"Payment stream {pay} ran dry at" in body["error"], body


@SQLITE
def test_the_cache_spares_the_chain_and_a_price_change_applies_at_once(world: World) -> None:
    pay = world.pay()
    token = paid_token(world, pay)
    reads = world.svc.payment_reader.reads
    for _ in range(5):
        assert key(world.stream_id, 0, token)[0] == 200
    assert world.svc.payment_reader.reads - reads <= 1
    with world.svc.engine.begin() as conn:
        conn.execute(update(streams).where(streams.c.id == world.stream_id).values(price_per_second="0.5"))
    status, body, _ = key(world.stream_id, 0, token)
    assert status == 402 and "below the price 0.5 tokens/s" in body["error"]


# -- tokens -------------------------------------------------------------------------------------


@SQLITE
def test_tokens_that_are_not_this_streams_playback_tokens_are_refused(world: World) -> None:
    pay = world.pay()
    token = paid_token(world, pay)
    other = world.media_stream("0.25", [world.svc.media_keys.new_key()])
    secret = world.svc.settings.jwt_secret_value
    claims = dict(user_id="uv", stream_id=world.stream_id, payment_stream_id=str(pay), session_version=0)
    chain_id = world.chain.deployment.chain_id
    dep = world.svc.chain.deployment().key
    claims["deployment"] = dep
    forged = PlaybackTokens("another secret of at least 32 bytes!!").issue(
        **claims, chain_id=chain_id, ttl=60
    )[0]
    expired = PlaybackTokens(secret).issue(**claims, chain_id=chain_id, ttl=10, now=time.time() - 60)[0]
    wrong_chain = PlaybackTokens(secret).issue(**claims, chain_id=chain_id + 1, ttl=60)[0]
    other_deployment = PlaybackTokens(secret).issue(
        **{**claims, "deployment": "0x" + "ab" * 32}, chain_id=chain_id, ttl=60
    )[0]
    import jwt

    unsigned = jwt.encode(
        {"sub": "uv", "str": world.stream_id, "pay": str(pay), "cid": chain_id, "aud": "tidecast-playback",
         "sv": 0, "iat": int(time.time()), "exp": int(time.time()) + 60, "jti": "x"},
        key=None, algorithm="none",
    )  # fmt: skip
    import hashlib
    import hmac

    playback_key = hmac.new(secret.encode(), b"playback", hashlib.sha256).digest()
    wrong_audience = jwt.encode(
        {"sub": "uv", "str": world.stream_id, "pay": str(pay), "cid": chain_id, "aud": "tidecast-api",
         "sv": 0, "iat": int(time.time()), "exp": int(time.time()) + 60, "jti": "x"},
        playback_key, algorithm="HS256",
    )  # fmt: skip
    signed = {"sub": "uv", "str": world.stream_id, "pay": str(pay), "cid": chain_id, "dep": dep,
              "aud": "tidecast-playback", "iat": int(time.time()), "exp": int(time.time()) + 60,
              "jti": "x"}  # fmt: skip
    no_session = jwt.encode(signed, playback_key, algorithm="HS256")
    no_deployment = jwt.encode(
        {k: v for k, v in {**signed, "sv": 0}.items() if k != "dep"}, playback_key, algorithm="HS256"
    )
    number_deployment = jwt.encode({**signed, "sv": 0, "dep": 7}, playback_key, algorithm="HS256")
    bool_session = jwt.encode({**signed, "sv": False}, playback_key, algorithm="HS256")
    text_session = jwt.encode({**signed, "sv": "0"}, playback_key, algorithm="HS256")
    cases = [
        (None, 401, "Missing playback token"),
        ("garbage", 401, "malformed"),
        (forged, 401, "signature"),
        (expired, 401, "expired"),
        (world.login["uv"], 401, "signature"),  # a login token is not a playback token
        (wrong_audience, 401, "audience"),
        (unsigned, 401, ""),
        (wrong_chain, 401, "another chain"),
        (other_deployment, 401, "another chain or deployment"),
        (no_deployment, 401, "missing the 'dep' claim"),
        (number_deployment, 401, "malformed"),
        ("x" * 5000, 401, "malformed"),
        (no_session, 401, "missing the 'sv' claim"),
        (bool_session, 401, "malformed"),
        (text_session, 401, "malformed"),
    ]
    for bad, status, words in cases:
        got = key(world.stream_id, 0, bad)
        assert got[0] == status and words in got[1]["error"], (bad, got)
        assert got[2].get("WWW-Authenticate", "").startswith("Bearer")
    got = key(other, 0, token)  # a good token for another stream
    assert got[0] == 403 and "another stream" in got[1]["error"]
    # ... and a playback token is not a login token.
    me = auth_handler(
        aws_event("1.0", "GET", "/.netlify/functions/auth/me", headers={"Authorization": f"Bearer {token}"}),
        None,
    )
    assert me["statusCode"] == 401
    assert grants(world.svc.engine) == 0
    assert key(world.stream_id, 0, token)[0] == 200  # the real one still works


@SQLITE
def test_a_password_change_revokes_playback_tokens(world: World) -> None:
    """As with login tokens: a token carries the account's session version, which a password
    reset bumps (tests/integration/test_accounts*.py drive the reset itself)."""
    free = playback(world.stream_id, world.login["uc"])[1]["data"]["token"]  # the owner: free
    paid = paid_token(world, world.pay())
    assert key(world.stream_id, 0, free)[0] == key(world.stream_id, 0, paid)[0] == 200
    with world.svc.engine.begin() as conn:
        conn.execute(update(users).values(session_version=users.c.session_version + 1))
    for token in (free, paid):
        status, body, headers = key(world.stream_id, 1, token)
        assert status == 401 and "password was last changed" in body["error"], body
        assert headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert grants(world.svc.engine) == 1  # period 0 only: a refused token takes nothing
    # The old login token cannot ask for a new playback token either; a new login can.
    assert playback(world.stream_id, world.login["uv"])[0] == 401
    login = world.svc.accounts.issue_login("uv").token
    status, body, _ = playback(world.stream_id, login, {"paymentStreamId": str(world.pay())})
    assert status == 200 and key(world.stream_id, 1, body["data"]["token"])[0] == 200
    # A token for an account that no longer exists (well signed: as if issued before it went).
    ghost = PlaybackTokens(world.svc.settings.jwt_secret_value).issue(
        user_id="gone",
        stream_id=world.stream_id,
        payment_stream_id=None,
        chain_id=world.chain.deployment.chain_id,
        session_version=0,
        ttl=60,
    )[0]
    status, body, _ = key(world.stream_id, 0, ghost)
    assert status == 401 and "no longer exists" in body["error"], body


# -- hostile paths and bodies -------------------------------------------------------------------


@SQLITE
def test_hostile_periods_and_bodies_are_clear_4xx_and_change_nothing(world: World) -> None:
    pay = world.pay()
    token = paid_token(world, pay)
    for period, status in [
        ("-1", 400), ("abc", 400), ("1.5", 400), ("%00", 400), ("1%00", 400), ("٣", 400), ("0x1", 400),
        ("99999999999999999999999999", 404), (str(2**31), 404), ("999999999", 404), (PERIODS, 404),
    ]:  # fmt: skip
        got = key(world.stream_id, period, token)
        assert got[0] == status, (period, got)
        assert "period" in got[1]["error"].lower()
    for path_id in ("nosuch", "a" * 40, "%00"):
        assert key(path_id, 0, token)[0] == 403  # the token names its stream; this is not it
    assert grants(world.svc.engine) == 0

    bodies: list[tuple[Any, str]] = [
        ({"paymentStreamId": -1}, "paymentStreamId"),
        ({"paymentStreamId": 0}, "paymentStreamId"),
        ({"paymentStreamId": "abc"}, "paymentStreamId"),
        ({"paymentStreamId": str(2**256)}, "paymentStreamId"),
        ({"paymentStreamId": "1" * 100}, "paymentStreamId"),
        ({"paymentStreamId": True}, "paymentStreamId"),
        ({"paymentStreamId": [1]}, "paymentStreamId"),
        ({"paymentStreamId": "1\u0000"}, "paymentStreamId"),
        ({"paymentStreamId": 1.5}, "paymentStreamId"),
        ({"extra": 1}, "extra"),
    ]
    for body, words in bodies:
        status, got, _ = playback(world.stream_id, world.login["uv"], body)
        assert status == 400 and words in got["error"], (body, got)
    for raw in ("[", "[]", '"x"', "{" * 100, "\u0000"):
        status, got, _ = playback(world.stream_id, world.login["uv"], raw=raw)
        assert status == 400, (raw, got)


# -- PATCH, the price and the stream JSON -------------------------------------------------------


def patch(
    stream_id: str, token: str | None, body: Any = None, raw: str | None = None
) -> tuple[int, Any, dict[str, str]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    payload = raw if raw is not None else json.dumps(body)
    event = aws_event(
        "1.0", "PATCH", f"/.netlify/functions/streams/{stream_id}", body=payload, headers=headers
    )
    return reply(streams_handler(event, None))


def get_stream(stream_id: str) -> dict[str, Any]:
    status, body, _ = reply(
        streams_handler(aws_event("1.0", "GET", f"/.netlify/functions/streams/{stream_id}"), None)
    )
    assert status == 200, body
    return dict(body["data"])


@SQLITE
def test_the_owner_sets_the_price_normalised_and_nobody_else_can(world: World) -> None:
    sid = world.stream_id
    before = get_stream(sid)
    assert before["pricePerSecond"] == "0.25"
    assert before["creator"] == {"username": "cara", "wallet": world.creator_key.address}
    status, body, _ = patch(sid, world.login["uc"], {"pricePerSecond": "0.0020", "title": "  Renamed  "})
    assert status == 200, body
    assert body["data"]["pricePerSecond"] == "0.002" and body["data"]["title"] == "Renamed"
    assert patch(sid, world.login["uc"], {"pricePerSecond": "000"})[1]["data"]["pricePerSecond"] == "0"
    assert patch(sid, world.login["uc"], {"pricePerSecond": "7.50"})[1]["data"]["pricePerSecond"] == "7.5"
    after = get_stream(sid)
    cases: list[tuple[str | None, Any, int, str]] = [
        (None, {"pricePerSecond": "1"}, 401, ""),
        ("uv", {"pricePerSecond": "1"}, 403, "owner"),
        ("uc", {"pricePerSecond": "-1"}, 400, "pricePerSecond"),
        ("uc", {"pricePerSecond": "1e3"}, 400, "pricePerSecond"),
        ("uc", {"pricePerSecond": "0." + "0" * 18 + "1"}, 400, "decimal places"),
        ("uc", {"pricePerSecond": "1" * 5000}, 400, "pricePerSecond"),
        ("uc", {"pricePerSecond": 1}, 400, "pricePerSecond"),
        ("uc", {"pricePerSecond": ""}, 400, "pricePerSecond"),
        ("uc", {"pricePerSecond": "1\u0000"}, 400, "pricePerSecond"),
        ("uc", {"title": ""}, 400, "title"),
        ("uc", {"title": "x" * 250}, 400, "title"),
        ("uc", {"description": "a\u0000b"}, 400, "description"),
        ("uc", {}, 400, "at least one"),
        ("uc", {"ownerId": "uv"}, 400, "ownerId"),
        ("uc", {"status": "ready"}, 400, "status"),
    ]
    for user, body, status, words in cases:
        got = patch(sid, world.login[user] if user else None, body)
        assert got[0] == status and words in got[1]["error"], (body, got)
    assert patch("nosuchstream", world.login["uc"], {"pricePerSecond": "1"})[0] == 404
    assert patch(sid, world.login["uc"], raw="[1]")[0] == 400
    assert get_stream(sid) == after  # nothing changed


@SQLITE
def test_new_streams_get_the_default_price_and_lists_filter(world: World) -> None:
    svc = world.svc
    assert svc.streams.create(title="t", owner_id="uv").price_per_second == "0.001"
    processing = world.media_stream("1", None, status="processing")

    def listing(query: dict[str, str], token: str | None = None) -> tuple[int, Any, dict[str, str]]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        event = aws_event("1.0", "GET", "/.netlify/functions/streams", query=query, headers=headers)
        return reply(streams_handler(event, None))

    status, body, _ = listing({"status": "ready"})
    ids = [s["id"] for s in body["data"]["items"]]
    assert status == 200 and world.stream_id in ids and processing not in ids
    assert all(s["status"] == "ready" for s in body["data"]["items"])
    status, body, _ = listing({"owner": "me"}, world.login["uc"])
    mine = {s["id"] for s in body["data"]["items"]}
    assert status == 200 and {world.stream_id, processing} <= mine
    assert all(s["ownerId"] == "uc" for s in body["data"]["items"])
    status, body, _ = listing({"owner": "me", "status": "processing"}, world.login["uc"])
    assert [s["id"] for s in body["data"]["items"]] == [processing]
    assert listing({"owner": "me"})[0] == 401
    for query, words in (
        ({"status": "bogus"}, "status"),
        ({"owner": "uc"}, "owner"),
        ({"status": "\u0000"}, "status"),
    ):
        status, body, _ = listing(query, world.login["uc"])
        assert status == 400 and words in body["error"], (query, body)


# -- /api/payments ------------------------------------------------------------------------------


def payments(route: str, token: str | None = None) -> tuple[int, Any, dict[str, str]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    event = aws_event("1.0", "GET", f"/.netlify/functions/payments/{route}", headers=headers)
    return reply(payments_handler(event, None))


@SQLITE
def test_payment_endpoints(world: World, chain: Chain) -> None:
    status, body, _ = payments("config")
    assert status == 200
    assert body["data"] == {
        "chainId": chain.deployment.chain_id,
        "paymentStream": chain.deployment.payment_stream,
        "registry": chain.deployment.registry,
        "token": {"address": chain.deployment.token, "symbol": "TIDE", "decimals": 18},
        "development": True,
        "gas": {"headroomPercent": gas.HEADROOM_PERCENT, "headroomGas": gas.HEADROOM_GAS},
        "chain": None,  # nothing published for wallets to add
    }
    assert "KEY" not in json.dumps(body).upper()
    # What an operator publishes for wallets to add the chain (EIP-3085), and a bad URL refused.
    published = chain_services(
        world.svc.engine,
        chain,
        TIDECAST_PUBLIC_RPC_URL="https://rpc.example.com",
        TIDECAST_CHAIN_NAME="Tide testnet",
    )
    try:
        assert Config.from_domain(published.payments.config()).model_dump()["chain"] == {
            "chainName": "Tide testnet",
            "rpcUrls": ["https://rpc.example.com"],
            "blockExplorerUrls": [],
            "nativeCurrency": {"name": "Ether", "symbol": "ETH", "decimals": 18},
        }
    finally:
        published.close()
    with pytest.raises(ConfigError, match="TIDECAST_PUBLIC_RPC_URL"):
        load_settings(env_file=None, overrides={"TIDECAST_PUBLIC_RPC_URL": "javascript:alert(1)"})
    pay = world.pay(rate="0.25", deposit="100")
    chain.advance(8)
    status, body, _ = payments(f"streams/{pay}")
    data = body["data"]
    assert status == 200 and data["id"] == str(pay) and data["active"] is True
    assert data["deposit"] == "100" and data["flowRate"] == "0.25" and data["withdrawn"] == "0"
    assert float(data["withdrawable"]) >= 2 and float(data["remainingBalance"]) <= 98
    assert data["depletionTime"].endswith("Z") and data["startTime"].endswith("Z")
    assert payments("streams/999999")[0] == 404
    for bad in ("abc", "-1", "0", "%00", "9" * 100):
        assert payments(f"streams/{bad}")[0] == 400, bad

    # A playback on it ties the payment stream to the video; another stream, never played,
    # stays untied; a third still names its video once that is deleted, without a title.
    assert key(world.stream_id, 0, paid_token(world, pay))[0] == 200
    # The viewer pays for the film again, from the start: keys it had already are released again
    # without new grants, and the payment stream is still the film's.
    again = world.pay(rate="0.25", deposit="10")
    assert key(world.stream_id, 0, paid_token(world, again))[0] == 200
    untied = world.pay(rate="0.5", deposit="10")
    gone = world.media_stream("0.25", [world.svc.media_keys.new_key() for _ in range(PERIODS)])
    paid_gone = world.pay(rate="0.25", deposit="5")
    assert key(gone, 0, paid_token(world, paid_gone, gone))[0] == 200
    world.svc.streams.delete(gone, "uc")
    chain.advance(4)
    world.svc.watcher.drain()
    status, body, _ = payments("mine", world.login["uv"])
    assert status == 200 and body["data"]["wallets"] == [world.viewer_key.address]
    sent = {s["id"]: s for s in body["data"]["sent"]}
    assert set(sent) == {str(pay), str(again), str(untied), str(paid_gone)}
    assert body["data"]["received"] == []
    assert sent[str(pay)]["video"] == {"id": world.stream_id, "title": "Paid film"}
    assert sent[str(again)]["video"] == {"id": world.stream_id, "title": "Paid film"}
    assert sent[str(untied)]["video"] is None
    assert sent[str(paid_gone)]["video"] == {"id": gone, "title": None}
    # What flowed, exactly: seconds paid for at the rate, and the total spent is their sum.
    spent = sum(Fraction(s["streamed"]) for s in sent.values())
    assert Fraction(body["data"]["spent"]) == spent > 0
    for item in sent.values():
        assert item["seconds"] == int(Fraction(item["streamed"]) / Fraction(item["flowRate"]))
    status, body, _ = payments("mine", world.login["uc"])
    data = body["data"]
    assert {s["id"] for s in data["received"]} == set(sent)
    assert Fraction(data["withdrawable"]) >= 2 and Fraction(data["earned"]) == spent
    by_video = {(e["video"] or {}).get("id"): e for e in data["earnings"]}
    assert set(by_video) == {world.stream_id, gone, None} and by_video[None]["paymentStreams"] == 1
    film = by_video[world.stream_id]
    film_paid = [sent[str(pay)], sent[str(again)]]
    assert film["paymentStreams"] == 2 and film["video"]["title"] == "Paid film"
    assert Fraction(film["earned"]) == sum(Fraction(p["streamed"]) for p in film_paid)
    assert film["seconds"] == sum(p["seconds"] for p in film_paid)
    assert sum(Fraction(e["earned"]) for e in data["earnings"]) == Fraction(data["earned"])
    earned = [Fraction(e["earned"]) for e in data["earnings"]]
    assert earned == sorted(earned, reverse=True)
    status, body, _ = payments("mine", world.login["un"])
    assert body["data"] == {
        "wallets": [],
        "sent": [],
        "received": [],
        "withdrawable": "0",
        "earnings": [],
        "earned": "0",
        "spent": "0",
    }
    assert payments("mine")[0] == 401


def test_the_budget_holds_under_racing_requests(engine: Engine, chain: Chain) -> None:
    """Both databases: eight requests for eight new periods at once get exactly the budget."""
    import threading

    svc = chain_services(engine, chain, TIDECAST_KEY_LOOKAHEAD_PERIODS="3")
    bind_functions(svc)
    try:
        world = World(svc, chain)
        token = paid_token(world, world.pay())
        results: list[int] = []
        barrier = threading.Barrier(8)

        def fetch(period: int) -> None:
            barrier.wait()
            results.append(key(world.stream_id, period, token)[0])

        threads = [threading.Thread(target=fetch, args=(p,)) for p in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [200] * 3 + [402] * 5, results
        assert grants(engine) == 3
    finally:
        svc.close()
