"""Card credit end to end against real nodes (the embedded chain and Anvil) and real databases:
Stripe's webhook (signed with the stripe library, forged, stale, replayed, rotated, out of order),
the ledger, playback on credit through the treasury, settlement by what streamed on chain,
refunds, disputes, reconcile, a treasury that cannot pay, and production's refusal to start
without the secrets. Stripe itself is not reached: events are signed here as Stripe signs them
(tests/support/billing.py); the Checkout page is tested on localstripe in test_billing_checkout.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from tests.integration.test_playback_keys import key, playback
from tests.support.accounts import add_user
from tests.support.billing import (
    WEBHOOK_SECRET,
    checkout_on_record,
    completed,
    deliver,
    dispute,
    event,
    refunded,
    sign,
)
from tests.support.chain import Chain, deployed, link_wallet
from tests.support.events import aws_event
from tidecast.billing import ledger
from tidecast.chain.units import format_units, parse_units
from tidecast.container import Services
from tidecast.db.schema import billing_events, credit_playbacks, ledger_entries, streams
from tidecast.functions.billing import handler as billing_handler

PERIOD = 30.0
PERIODS = 12
TOKENS = 10**18
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def chain(node: str) -> Chain:
    return deployed(node)


@pytest.fixture
def svc(engine: Engine, chain: Chain, make_services: Callable[..., Services]) -> Services:
    services = make_services(
        engine,
        quiet=("events", "outbox"),
        bind=True,
        **chain.env(
            TIDECAST_PAYMENT_CACHE_SECONDS="0",
            TIDECAST_KEY_LOOKAHEAD_PERIODS="2",
            TREASURY_PRIVATE_KEY=chain.accounts[5].private_key,
            STRIPE_SECRET_KEY="sk_test_unused",
            STRIPE_WEBHOOK_SECRET=f"whsec_old_secret_rolled_out,{WEBHOOK_SECRET}",
            TIDECAST_CREDIT_HOLD_SECONDS="120",
        ),
    )
    services.billing.kick_reconcile = None  # the tests reconcile themselves
    return services


class World:
    """A creator with a priced, encrypted, ready stream; two viewers without wallets."""

    def __init__(self, svc: Services, chain: Chain) -> None:
        self.svc, self.chain, engine = svc, chain, svc.engine
        add_user(engine, "uc", "cara", "cara@example.com")
        add_user(engine, "uv", "vic", "vic@example.com")
        add_user(engine, "uw", "wes", "wes@example.com")
        self.creator = chain.accounts[3]
        link_wallet(engine, "uc", self.creator.address, chain.deployment.chain_id)
        self.login = {u: svc.accounts.issue_login(u).token for u in ("uc", "uv", "uw")}
        self.keys = [svc.media_keys.new_key() for _ in range(PERIODS)]
        self.stream_id = svc.streams.create(title="Paid film", owner_id="uc").id
        with engine.begin() as conn:
            conn.execute(
                update(streams)
                .where(streams.c.id == self.stream_id)
                .values(
                    status="ready", price_per_second="0.25", key_period_seconds=PERIOD, key_periods=PERIODS
                )
            )
            svc.media_keys.store(conn, self.stream_id, self.keys)

    def buy(self, user: str, tokens: int, intent: str) -> str:
        session = checkout_on_record(self.svc.engine, user, credit=tokens * TOKENS)
        status, body = deliver(completed(session, intent))
        assert status == 200 and body["data"]["outcome"] == "applied", body
        return session

    def balances(self, user: str) -> ledger.Balances:
        with self.svc.engine.connect() as conn:
            return ledger.balances(conn, user)

    def token_balance(self, address: str) -> int:
        return self.svc.chain.get_token_balance(address, self.chain.deployment.token)


@pytest.fixture
def world(svc: Services, chain: Chain) -> World:
    return World(svc, chain)


def billing(
    method: str, path: str, token: str | None = None, body: Any = None, query: dict[str, str] | None = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    raw = billing_handler(
        aws_event(
            "2.0",
            method,
            f"/.netlify/functions/billing/{path}",
            query=query,
            body=json.dumps(body) if body is not None else None,
            headers=headers,
        ),
        None,
    )
    return raw["statusCode"], json.loads(raw["body"])


def rows(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


# -- the webhook's door ---------------------------------------------------------------------------


@SQLITE
def test_forged_stale_altered_and_unsigned_deliveries_are_refused_and_change_nothing(world: World) -> None:
    session = checkout_on_record(world.svc.engine, "uv", credit=50 * TOKENS)
    evt = completed(session, "pi_forged")
    payload = json.dumps(evt)
    cases = {
        "another secret": dict(secret="whsec_someone_else"),
        "stale": dict(timestamp=int(time.time()) - 301),
        "unsigned": dict(header=""),
        "garbage header": dict(header="t=abc,v1=zz"),
        "altered body": dict(header=sign(payload.replace("paid", "pai d"))),
    }
    for name, how in cases.items():
        status, body = deliver(evt, **how)  # type: ignore[arg-type]
        assert status == 400, (name, body)
        assert "Stripe-Signature" in body["error"], (name, body)
    assert world.balances("uv").available == 0
    assert rows(world.svc.engine, billing_events) == 0


@SQLITE
def test_a_secret_being_rolled_verifies_beside_the_new_one(world: World) -> None:
    session = checkout_on_record(world.svc.engine, "uv", credit=5 * TOKENS)
    status, body = deliver(completed(session, "pi_rolled"), secret="whsec_old_secret_rolled_out")
    assert status == 200 and body["data"]["outcome"] == "applied", body
    assert world.balances("uv").available == 5 * TOKENS


@SQLITE
def test_a_delivery_seen_before_changes_nothing_and_other_payments_are_ignored(world: World) -> None:
    session = checkout_on_record(world.svc.engine, "uv", credit=50 * TOKENS)
    evt = completed(session, "pi_twice")
    assert deliver(evt)[1]["data"]["outcome"] == "applied"
    for _ in range(3):  # Stripe retries; an attacker replays inside the tolerance
        status, body = deliver(evt)
        assert status == 200 and body["data"]["outcome"] == "duplicate"
    # The same session completed again under a new event id (completed + async succeeded): once.
    assert deliver(completed(session, "pi_twice"))[1]["data"]["outcome"] == "applied"
    assert world.balances("uv").available == 50 * TOKENS
    foreign = completed("cs_not_ours", "pi_not_ours")
    assert deliver(foreign)[1]["data"]["outcome"] == "ignored"
    assert deliver(event("customer.created", {"id": "cus_1"}))[1]["data"]["outcome"] == "ignored"
    status, body = deliver("not json at all")
    assert status == 400 and "JSON" in body["error"]


@SQLITE
def test_a_delayed_payment_credits_only_when_it_succeeds(world: World) -> None:
    ok_session = checkout_on_record(world.svc.engine, "uv", credit=20 * TOKENS)
    bad_session = checkout_on_record(world.svc.engine, "uv", credit=30 * TOKENS)
    for session in (ok_session, bad_session):
        assert deliver(completed(session, f"pi_{session}", paid=False))[1]["data"]["outcome"] == "applied"
    assert world.balances("uv").available == 0
    deliver(
        event(
            "checkout.session.async_payment_failed",
            {"id": bad_session, "payment_intent": f"pi_{bad_session}"},
        )
    )
    deliver(
        event(
            "checkout.session.async_payment_succeeded",
            {"id": ok_session, "payment_intent": f"pi_{ok_session}"},
        )
    )
    assert world.balances("uv").available == 20 * TOKENS


@SQLITE
def test_refunds_take_back_their_share_and_never_overdraw(world: World) -> None:
    world.buy("uv", 100, "pi_refund")  # $5.00 -> 100 tokens
    status, body = deliver(refunded("pi_refund", 500, 100))  # $1.00 of $5.00
    assert status == 200 and body["data"]["outcome"] == "applied"
    assert world.balances("uv").available == 80 * TOKENS
    # An older partial refund arriving late does not take again (Stripe's amount is cumulative).
    deliver(refunded("pi_refund", 500, 50))
    assert world.balances("uv").available == 80 * TOKENS
    with world.svc.engine.begin() as conn:  # spend 70 of the 80 (as a settlement would)
        ledger.post(
            conn,
            "settlement",
            "spent",
            "uv",
            [(ledger.available("uv"), -70 * TOKENS), (ledger.CREATORS, 70 * TOKENS)],
        )
    deliver(refunded("pi_refund", 500, 500))  # the rest refunded: 80 due, 10 left
    got = world.balances("uv")
    assert got.available == 0
    with world.svc.engine.connect() as conn:
        assert ledger.sum_of_rows(conn, ledger.LOSSES) == -70 * TOKENS
        assert ledger.sum_of_rows(conn, ledger.available("uv")) == 0


@SQLITE
def test_events_that_overtake_their_purchase_wait_for_it(world: World) -> None:
    session = checkout_on_record(world.svc.engine, "uv", credit=100 * TOKENS)
    assert deliver(refunded("pi_late", 500, 250))[1]["data"]["outcome"] == "deferred"
    assert world.balances("uv").available == 0
    assert deliver(completed(session, "pi_late"))[1]["data"]["outcome"] == "applied"
    assert world.balances("uv").available == 50 * TOKENS  # bought 100, half refunded


# -- watching on credit ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_viewer_without_a_wallet_watches_on_credit_and_is_charged_what_streamed(
    world: World, chain: Chain
) -> None:
    svc = world.svc
    world.buy("uv", 100, "pi_watch")
    creator_before = world.token_balance(world.creator.address)
    status, body, _ = playback(world.stream_id, world.login["uv"], {"credit": True})
    assert status == 200, body
    data = body["data"]
    treasury = chain.accounts[5].address
    assert data["payment"]["sender"] == treasury and data["payment"]["recipient"] == world.creator.address
    assert data["creditPlayback"]["held"] == "30"  # 120 s at 0.25/s
    assert world.balances("uv") == ledger.Balances(70 * TOKENS, 30 * TOKENS, 0)
    token = data["token"]
    status, got, _ = key(world.stream_id, 0, token)
    assert status == 200 and got == world.keys[0]
    # Pressing play again while it runs is the same playback, not a second hold.
    again = playback(world.stream_id, world.login["uv"], {"credit": True})[1]["data"]
    assert again["creditPlayback"]["id"] == data["creditPlayback"]["id"]
    # Nobody else rides on it.
    stranger = playback(world.stream_id, world.login["uw"], {"paymentStreamId": data["payment"]["id"]})
    assert stranger[0] == 402 and "not a card-paid playback of yours" in stranger[1]["error"]

    time.sleep(1.5)
    status, body = billing("POST", f"playbacks/{data['creditPlayback']['id']}/stop", world.login["uw"])
    assert status == 403
    status, body = billing("POST", f"playbacks/{data['creditPlayback']['id']}/stop", world.login["uv"])
    assert status == 200 and body["data"]["status"] == "settled", body
    charged = parse_units(body["data"]["charged"], 18)
    on_chain = svc.chain.get_payment_stream_details(int(data["payment"]["id"]))
    assert on_chain.withdrawn == charged > 0  # the cancel froze what streamed: that is the charge
    assert world.token_balance(world.creator.address) - creator_before == charged
    assert world.balances("uv") == ledger.Balances(100 * TOKENS - charged, 0, 0)
    assert key(world.stream_id, 1, token)[0] == 402  # ended: no more keys
    # Stopping again changes nothing.
    assert (
        billing("POST", f"playbacks/{data['creditPlayback']['id']}/stop", world.login["uv"])[1]["data"][
            "charged"
        ]
        == body["data"]["charged"]
    )

    status, page = billing("GET", "history", world.login["uv"])
    assert status == 200
    kinds = [(e["kind"], e["account"]) for e in page["data"]["entries"]]
    assert (
        kinds[-1] == ("purchase", "available")
        and ("settlement", "held") in kinds
        and ("release", "available") in kinds
    )
    status, bal = billing("GET", "balance", world.login["uv"])
    assert status == 200 and parse_units(bal["data"]["available"], 18) == 100 * TOKENS - charged
    assert svc.credit.reconcile().mismatches == []


@SQLITE
def test_credit_refusals_name_what_is_missing_and_hold_nothing(
    world: World, make_services: Callable[..., Services], chain: Chain
) -> None:
    status, body, _ = playback(world.stream_id, world.login["uv"], {"credit": True})
    assert status == 402 and "Not enough credit" in body["error"] and "buy credit" in body["error"]
    status, body, _ = playback(world.stream_id, world.login["uv"], {"credit": True, "paymentStreamId": "1"})
    assert status == 400 and "either" in body["error"]
    status, body, _ = playback(world.stream_id, world.login["uc"], {"credit": True})
    assert status == 409 and "free for you" in body["error"]
    world.buy("uv", 100, "pi_broke")
    # A treasury with no tokens: 503 saying so, and the viewer's credit untouched.
    poor = make_services(
        world.svc.engine,
        quiet=("events", "outbox"),
        bind=True,
        **chain.env(TREASURY_PRIVATE_KEY="0x" + "11" * 32, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET),
    )
    status, body, _ = playback(world.stream_id, world.login["uv"], {"credit": True})
    assert status == 503 and "cannot fund" in body["error"], body
    assert world.balances("uv") == ledger.Balances(100 * TOKENS, 0, 0)
    assert rows(poor.engine, credit_playbacks) == 0


@SQLITE
def test_a_dispute_stops_playback_holds_credit_back_and_a_won_one_gives_it_back(world: World) -> None:
    world.buy("uv", 100, "pi_dispute")
    data = playback(world.stream_id, world.login["uv"], {"credit": True})[1]["data"]
    assert key(world.stream_id, 0, data["token"])[0] == 200
    status, body = deliver(dispute("charge.dispute.created", "dp_1", "pi_dispute", 250))  # half the payment
    assert status == 200 and body["data"]["outcome"] == "applied"
    assert key(world.stream_id, 1, data["token"])[0] == 402  # keys stop at once
    report = world.svc.credit.reconcile()
    assert report.retried == 1 and report.mismatches == []
    settled = world.svc.credit.get(data["creditPlayback"]["id"])
    assert settled.status == "settled" and settled.stop_reason == "dispute"
    got = world.balances("uv")
    assert got.disputed == 50 * TOKENS and got.held == 0
    assert got.available == 100 * TOKENS - (settled.charged or 0) - 50 * TOKENS
    status, body, _ = playback(world.stream_id, world.login["uv"], {"credit": True})
    assert status == 402 and "dispute" in body["error"]
    deliver(dispute("charge.dispute.closed", "dp_1", "pi_dispute", 250, status="won"))
    assert world.balances("uv").disputed == 0
    assert world.balances("uv").available == 100 * TOKENS - (settled.charged or 0)


@SQLITE
def test_a_lost_dispute_writes_the_held_back_credit_off(world: World) -> None:
    world.buy("uv", 100, "pi_lost")
    deliver(dispute("charge.dispute.created", "dp_2", "pi_lost", 500))
    deliver(dispute("charge.dispute.created", "dp_2", "pi_lost", 500))  # a second event, same dispute
    assert world.balances("uv") == ledger.Balances(0, 0, 100 * TOKENS)
    deliver(dispute("charge.dispute.closed", "dp_2", "pi_lost", 500, status="lost"))
    assert world.balances("uv") == ledger.Balances(0, 0, 0)


@SQLITE
def test_reconcile_settles_idle_and_half_settled_playbacks_and_charges_once(world: World) -> None:
    svc = world.svc
    world.buy("uv", 100, "pi_rec")
    data = playback(world.stream_id, world.login["uv"], {"credit": True})[1]["data"]
    pid = data["creditPlayback"]["id"]
    # The process settling it died after the cancel was mined, before anything was recorded.
    with svc.engine.begin() as conn:
        conn.execute(
            update(credit_playbacks)
            .where(credit_playbacks.c.id == pid)
            .values(status="stopping", stop_reason="stopped")
        )
    time.sleep(1.1)  # a second streams, so the settlement has rows to count
    ended = svc.treasury.cancel(int(data["payment"]["id"]))
    assert ended.streamed > 0
    report = svc.credit.reconcile()
    assert report.retried == 1 and report.mismatches == [] and report.balance_mismatches == []
    assert svc.credit.get(pid).charged == ended.streamed
    assert svc.credit.reconcile().retried == 0  # nothing left to do: charged once
    with svc.engine.connect() as conn:
        settlements = conn.execute(
            select(func.count())
            .select_from(ledger_entries)
            .where((ledger_entries.c.kind == "settlement") & (ledger_entries.c.ref == pid))
        ).scalar_one()
    assert settlements == 2  # one transaction: held -> creators
    # An idle playback (no key asked for in three key periods) is ended by reconcile.
    other = playback(world.stream_id, world.login["uv"], {"credit": True})[1]["data"]
    with svc.engine.begin() as conn:
        conn.execute(
            update(credit_playbacks)
            .where(credit_playbacks.c.id == other["creditPlayback"]["id"])
            .values(updated_at=func.datetime("now", "-1 hour"))
        )
    report = svc.credit.reconcile()
    assert report.settled == 1
    assert svc.credit.get(other["creditPlayback"]["id"]).stop_reason == "idle"
    assert world.balances("uv").held == 0


@SQLITE
def test_a_low_treasury_mails_the_operators_once_a_day(
    world: World, chain: Chain, make_services: Callable[..., Services]
) -> None:
    svc = make_services(
        world.svc.engine,
        quiet=("events", "outbox"),
        **chain.env(
            TREASURY_PRIVATE_KEY=chain.accounts[5].private_key,
            TIDECAST_TREASURY_LOW_BALANCE="1000000000",
            TIDECAST_OPERATOR_EMAIL="ops@example.com",
        ),
    )
    for _ in range(2):
        report = svc.credit.reconcile()
        assert report.treasury_low and report.treasury_balance is not None
    from tidecast.db.schema import mail_outbox

    with svc.engine.connect() as conn:
        mails = conn.execute(select(mail_outbox.c.recipients, mail_outbox.c.subject)).all()
    assert len(mails) == 1 and "treasury" in mails[0].subject and mails[0].recipients == ["ops@example.com"]


def test_production_refuses_to_start_billing_without_its_secrets(
    engine: Engine, chain: Chain, make_services: Callable[..., Services]
) -> None:
    from tidecast.errors import ConfigError

    production = make_services(
        engine,
        **chain.env(
            TIDECAST_ENV="production",
            JWT_SECRET="j" * 40,
            DATABASE_URL=str(engine.url),
            TIDECAST_MEDIA_KEY_SECRET="m" * 40,
            PLATFORM_PRIVATE_KEY="0x" + "22" * 32,
        ),
    )
    with pytest.raises(ConfigError, match="STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, TREASURY_PRIVATE_KEY"):
        production.billing  # noqa: B018
    from tidecast.chain.devnet import demo_accounts

    with pytest.raises(ConfigError, match="TREASURY_PRIVATE_KEY is a well-known development key"):
        make_services(
            engine,
            **chain.env(
                TIDECAST_ENV="production",
                JWT_SECRET="j" * 40,
                DATABASE_URL=str(engine.url),
                TIDECAST_MEDIA_KEY_SECRET="m" * 40,
                PLATFORM_PRIVATE_KEY="0x" + "22" * 32,
                TREASURY_PRIVATE_KEY=demo_accounts(10)[9].private_key,
            ),
        )


@SQLITE
def test_operators_read_the_ledger_and_reconcile_from_a_terminal(
    world: World, chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from tidecast.cli import app

    world.buy("uv", 100, "pi_cli")
    data = playback(world.stream_id, world.login["uv"], {"credit": True})[1]["data"]
    time.sleep(1.1)
    world.svc.credit.stop("uv", data["creditPlayback"]["id"])
    for name, value in chain.env(
        DATABASE_URL=str(world.svc.engine.url), TREASURY_PRIVATE_KEY=chain.accounts[5].private_key
    ).items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    shown = runner.invoke(app, ["billing", "ledger", "vic"])
    assert shown.exit_code == 0, shown.output
    charged = world.svc.credit.get(data["creditPlayback"]["id"]).charged or 0
    left = format_units(100 * TOKENS - charged, 18)
    assert f"available {left} TIDE" in shown.output and "held      0 TIDE" in shown.output, shown.output
    assert "settlement" in shown.output and "purchase" in shown.output and "MISMATCH" not in shown.output
    assert runner.invoke(app, ["billing", "ledger", "nobody"]).exit_code == 1
    checked = runner.invoke(app, ["billing", "reconcile"])
    assert checked.exit_code == 0 and "checked 1 settled playbacks" in checked.output, checked.output
    assert f"treasury {chain.accounts[5].address}" in checked.output
    # A tampered charge and a tampered balance are found, and the exit status says so.
    with world.svc.engine.begin() as conn:
        conn.execute(update(credit_playbacks).values(charged="1"))
        conn.execute(
            update(ledger.ledger_balances)
            .where(ledger.ledger_balances.c.account == ledger.available("uv"))
            .values(balance="5")
        )
    checked = runner.invoke(app, ["billing", "reconcile"])
    assert checked.exit_code == 1 and "charged 1" in checked.output and "rows sum to" in checked.output
    assert runner.invoke(app, ["billing", "ledger", "vic"]).exit_code == 1


@SQLITE
def test_a_treasury_stream_no_playback_names_is_cancelled_once_it_is_old(
    world: World, chain: Chain, make_services: Callable[..., Services]
) -> None:
    from tidecast.db.schema import payment_streams

    svc = make_services(
        world.svc.engine,
        quiet=("events", "outbox"),
        **chain.env(TREASURY_PRIVATE_KEY=chain.accounts[5].private_key, TIDECAST_CHAIN_CONFIRMATIONS="0"),
    )
    # The process that sent this open died before recording it: no credit_playbacks row.
    opened = svc.treasury.open(world.creator.address, parse_units("0.25", 18), parse_units("30", 18))
    svc.watcher.poll()
    with svc.engine.connect() as conn:
        indexed = conn.execute(
            select(payment_streams.c.stream_id).where(payment_streams.c.stream_id == str(opened.stream_id))
        ).first()
    assert indexed is not None
    assert svc.credit.reconcile().orphans == 0  # young: it may still be recorded
    with svc.engine.begin() as conn:
        conn.execute(update(payment_streams).values(start_time=func.datetime("now", "-1 hour")))
    assert svc.credit.reconcile().orphans == 1
    assert not svc.chain.get_payment_stream_details(opened.stream_id).active
    svc.watcher.poll()
    assert svc.credit.reconcile().orphans == 0  # cancelled: nothing more to do


@pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_chain_that_goes_away_mid_playback_loses_no_credit_and_charges_once(
    world: World, chain: Chain, make_services: Callable[..., Services]
) -> None:
    from urllib.parse import urlsplit

    from tests.support.proxy import TcpProxy

    node = urlsplit(chain.url)
    proxy = TcpProxy((node.hostname or "127.0.0.1", node.port or 80)).up()
    try:
        svc = make_services(
            world.svc.engine,
            quiet=("events", "outbox"),
            bind=True,
            **{
                **chain.env(
                    TIDECAST_PAYMENT_CACHE_SECONDS="0",
                    TREASURY_PRIVATE_KEY=chain.accounts[5].private_key,
                    STRIPE_SECRET_KEY="sk_test_unused",
                    STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                    TIDECAST_CREDIT_HOLD_SECONDS="120",
                    TIDECAST_CHAIN_TIMEOUT="2",
                ),
                "RPC_URL": proxy.url,
            },
        )
        svc.billing.kick_reconcile = None
        world.buy("uv", 100, "pi_fault")
        data = playback(world.stream_id, world.login["uv"], {"credit": True})[1]["data"]
        assert key(world.stream_id, 0, data["token"])[0] == 200
        pid = data["creditPlayback"]["id"]
        time.sleep(1.1)
        proxy.down()  # the node is out of reach
        status, body = billing("POST", f"playbacks/{pid}/stop", world.login["uv"])
        assert status == 503, body
        assert svc.credit.get(pid).status == "stopping"  # committed before the chain was asked
        assert key(world.stream_id, 1, data["token"])[0] in (402, 503)  # no key while it is stopping
        status, body, _ = playback(world.stream_id, world.login["uw"], {"credit": True})
        assert status in (402, 503)
        assert world.balances("uv") == ledger.Balances(70 * TOKENS, 30 * TOKENS, 0)  # held, not lost
        report = svc.credit.reconcile()
        assert report.errors and svc.credit.get(pid).status == "stopping"  # still down: it waits
        proxy.up()
        report = svc.credit.reconcile()
        assert report.retried == 1 and report.mismatches == [] and report.balance_mismatches == [], report
        settled = svc.credit.get(pid)
        on_chain = svc.chain.get_payment_stream_details(int(data["payment"]["id"]))
        assert settled.status == "settled" and settled.charged == on_chain.withdrawn > 0
        assert world.balances("uv") == ledger.Balances(100 * TOKENS - on_chain.withdrawn, 0, 0)
        assert svc.credit.reconcile().retried == 0
    finally:
        proxy.down()


@SQLITE
def test_a_second_press_of_play_holds_nothing_more_and_a_reset_chain_releases_the_hold(world: World) -> None:
    svc = world.svc
    world.buy("uv", 100, "pi_twice_play")
    first = svc.credit.open("uv", world.stream_id)
    assert svc.credit.open("uv", world.stream_id).id == first.id
    # One still opening (another request's, mid-transaction): refused, nothing more held.
    with svc.engine.begin() as conn:
        conn.execute(
            update(credit_playbacks).where(credit_playbacks.c.id == first.id).values(status="opening")
        )
    with pytest.raises(Exception, match="starting; try again"):
        svc.credit.open("uv", world.stream_id)
    assert world.balances("uv") == ledger.Balances(70 * TOKENS, 30 * TOKENS, 0)
    # The chain was reset under a running playback: its stream is gone, nothing is charged.
    with svc.engine.begin() as conn:
        conn.execute(
            update(credit_playbacks)
            .where(credit_playbacks.c.id == first.id)
            .values(status="active", deployment="0x" + "00" * 32)
        )
    report = svc.credit.reconcile()
    assert report.settled == 1 and report.errors == []
    gone = svc.credit.get(first.id)
    assert (gone.status, gone.charged, gone.stop_reason) == ("settled", 0, "chain reset")
    assert world.balances("uv") == ledger.Balances(100 * TOKENS, 0, 0)


@SQLITE
def test_checkouts_are_limited_per_viewer_and_hour(world: World) -> None:
    from tidecast.billing.service import CHECKOUTS_PER_HOUR

    for _ in range(CHECKOUTS_PER_HOUR):
        checkout_on_record(world.svc.engine, "uv", credit=TOKENS)
    status, body = billing("POST", "checkout", world.login["uv"], {"amount": "5"})
    assert status == 429 and "last hour" in body["error"], body
    world.svc.billing._limit_checkouts("uw")  # per viewer: another may still start one


@SQLITE
@pytest.mark.parametrize("node", ["anvil"], indirect=True)
def test_a_playback_that_runs_out_of_credit_is_settled_for_all_it_held(world: World) -> None:
    svc = world.svc
    world.buy("uv", 100, "pi_dry")
    running = svc.credit.open("uv", world.stream_id)  # 30 tokens held: 120 s at 0.25/s
    w3 = svc.chain.w3
    w3.provider.make_request("evm_increaseTime", [600])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    report = svc.credit.reconcile()
    assert report.settled == 1 and report.mismatches == [], report
    done = svc.credit.get(running.id)
    assert (done.status, done.stop_reason, done.charged) == ("settled", "ran dry", 30 * TOKENS)
    assert svc.chain.get_payment_stream_details(running.payment_stream_id or 0).withdrawn == 30 * TOKENS
    assert world.balances("uv") == ledger.Balances(70 * TOKENS, 0, 0)


@SQLITE
def test_hostile_bodies_signed_as_stripe_signs_are_400s_naming_the_problem(world: World) -> None:
    from tests.integration.test_hostile_bodies import HOSTILE, row_counts

    before = row_counts(world.svc.engine)
    for hostile in HOSTILE:
        if hostile.base64 or hostile.name == "lone surrogate":
            continue  # Stripe signs UTF-8 text; these are the runtime's, tested there
        status, body = deliver(hostile.body)
        assert status == 400, (hostile.name, body)
        assert hostile.problem in body["error"] or "Stripe event" in body["error"], (hostile.name, body)
    # Valid JSON that is not an event, and an event whose id is not a string: 400s too.
    status, body = deliver("[]")
    assert status == 400 and "expected an object" in body["error"], body
    for odd in ('{"id": 7, "type": "x"}', '{"type": "checkout.session.completed"}'):
        status, body = deliver(odd)
        assert status == 400 and "Stripe event" in body["error"], (odd, body)
    assert row_counts(world.svc.engine) == before
