"""The credit ledger against random histories, on the embedded chain and on Anvil.

A hypothesis state machine buys credit, opens and stops playback on credit (real treasury
streams, real cancels), lets the chain's clock run, refunds, opens and closes disputes, runs
reconcile, and delivers Stripe's events late, out of order and more than once (each signed as
Stripe signs it, through the billing function). After every step:
- every balance row equals the sum of its account's rows, and no viewer account is negative;
- every ledger transaction sums to zero (double entry), so all rows together sum to zero;
- each paid checkout was credited exactly once, and never one that was not paid;
- what the viewer holds (available + held + disputed) plus what they were charged, refunded and
  written off equals what their paid purchases bought;
- every settled playback's charge equals what its payment stream streamed on chain, and never
  exceeds its hold.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, select, update

from tests.support.accounts import add_user
from tests.support.billing import (
    WEBHOOK_SECRET,
    checkout_on_record,
    completed,
    deliver,
    dispute,
    event,
    refunded,
)
from tests.support.chain import Chain, deployed, link_wallet
from tidecast.billing import ledger
from tidecast.container import Services
from tidecast.db.schema import billing_checkouts, credit_playbacks, ledger_entries, streams
from tidecast.errors import PaymentRequired

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
TOKENS = 10**18
PRICE = "0.5"  # tokens a second
PERIOD = 10.0
_users = itertools.count(1)
#: What the examples did, over the run (printed with -s; a run that never settled proves little).
SEEN: Counter[str] = Counter()


@pytest.fixture
def svc(engine: Engine, node: str, make_services: Callable[..., Services]) -> Services:
    chain: Chain = deployed(node)
    services = make_services(
        engine,
        quiet=("events", "outbox"),
        bind=True,
        **chain.env(
            TIDECAST_PAYMENT_CACHE_SECONDS="0",
            TREASURY_PRIVATE_KEY=chain.accounts[5].private_key,
            STRIPE_SECRET_KEY="sk_test_unused",
            STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            TIDECAST_CREDIT_HOLD_SECONDS="60",
        ),
    )
    services.billing.kick_reconcile = None
    add_user(engine, "creator", "cara", "cara@example.com")
    link_wallet(engine, "creator", chain.accounts[3].address, chain.deployment.chain_id)
    sid = services.streams.create(title="Film", owner_id="creator").id
    with engine.begin() as conn:
        conn.execute(
            update(streams)
            .where(streams.c.id == sid)
            .values(status="ready", price_per_second=PRICE, key_period_seconds=PERIOD, key_periods=100)
        )
        services.media_keys.store(conn, sid, [services.media_keys.new_key() for _ in range(4)])
    services.stream_id = sid  # type: ignore[attr-defined]
    return services


class Ledger(RuleBasedStateMachine):
    svc: Services

    def __init__(self) -> None:
        super().__init__()
        self.user = f"pv{next(_users)}"
        add_user(self.svc.engine, self.user, self.user, f"{self.user}@example.com")
        #: Stripe's events not yet delivered (delivered in any order, some twice).
        self.outbox: list[dict[str, Any]] = []
        self.purchases: list[tuple[str, str, int, int]] = []  # (session, intent, minor, credit)
        self.refunded: dict[str, int] = defaultdict(int)  # intent -> cumulative refunded minor
        self.disputes: list[tuple[str, str]] = []  # (dispute id, intent)
        self.paid: set[str] = set()  # sessions whose paid completion was emitted
        self.active: str | None = None

    # -- Stripe's side ---------------------------------------------------------------------------

    @rule(tokens=st.integers(1, 400), paid=st.booleans())
    def buy(self, tokens: int, paid: bool) -> None:
        minor = tokens * 5
        session = checkout_on_record(self.svc.engine, self.user, credit=tokens * TOKENS, amount_minor=minor)
        intent = f"pi_{session}"
        self.purchases.append((session, intent, minor, tokens * TOKENS))
        self.outbox.append(completed(session, intent, paid=paid))
        if paid:
            self.paid.add(session)
        else:  # a delayed method: it succeeds later (or fails) by its own event
            kind = "checkout.session.async_payment_" + ("succeeded" if tokens % 3 else "failed")
            self.outbox.append(event(kind, {"id": session, "payment_intent": intent}))
            if tokens % 3:
                self.paid.add(session)

    @initialize(tokens=st.integers(20, 400))
    def first_purchase(self, tokens: int) -> None:
        self.buy_and_pay_now(tokens)

    @rule(tokens=st.integers(20, 400))
    def buy_and_pay_now(self, tokens: int) -> None:
        """The common case: paid by card, the webhook in at once."""
        self.buy(tokens, True)
        status, body = deliver(self.outbox.pop())
        assert status == 200 and body["data"]["outcome"] == "applied", body

    @precondition(lambda self: self.purchases)
    @rule(which=st.integers(0, 100), share=st.integers(1, 100))
    def refund(self, which: int, share: int) -> None:
        _, intent, minor, _ = self.purchases[which % len(self.purchases)]
        total = min(minor, self.refunded[intent] + max(1, minor * share // 100))
        self.refunded[intent] = total
        self.outbox.append(refunded(intent, minor, total))

    @precondition(lambda self: self.purchases)
    @rule(which=st.integers(0, 100))
    def open_dispute(self, which: int) -> None:
        _, intent, minor, _ = self.purchases[which % len(self.purchases)]
        dispute_id = f"dp_{intent}_{len(self.disputes)}"
        self.disputes.append((dispute_id, intent))
        self.outbox.append(dispute("charge.dispute.created", dispute_id, intent, minor))

    @precondition(lambda self: self.disputes)
    @rule(which=st.integers(0, 100), won=st.booleans())
    def close_dispute(self, which: int, won: bool) -> None:
        dispute_id, intent = self.disputes[which % len(self.disputes)]
        status = "won" if won else "lost"
        self.outbox.append(dispute("charge.dispute.closed", dispute_id, intent, 0, status=status))

    @precondition(lambda self: self.outbox)
    @rule(which=st.integers(0, 100), again=st.booleans())
    def deliver_one(self, which: int, again: bool) -> None:
        evt = self.outbox[which % len(self.outbox)]
        status, body = deliver(evt)
        assert status == 200, body
        SEEN["delivery " + body["data"]["outcome"]] += 1
        if not again:  # else it stays, to be delivered once more later
            self.outbox.remove(evt)

    # -- the viewer's side -----------------------------------------------------------------------

    @rule()
    def play(self) -> None:
        try:
            self.active = self.svc.credit.open(self.user, self.svc.stream_id).id  # type: ignore[attr-defined]
            SEEN["play"] += 1
        except PaymentRequired as exc:
            SEEN["play refused: " + exc.message[:30]] += (
                1  # no credit, or a dispute open: refused, and nothing held
            )
            assert "credit" in exc.message or "dispute" in exc.message, exc.message

    @precondition(lambda self: self.active is not None)
    @rule()
    def watch_a_second(self) -> None:
        time.sleep(1.05)

    @precondition(lambda self: self.active is not None)
    @rule()
    def stop(self) -> None:
        assert self.active is not None
        done = self.svc.credit.stop(self.user, self.active)
        assert done.status in ("settled", "failed"), done
        SEEN["stopped, charged" if done.charged else "stopped, nothing streamed"] += 1
        self.active = None

    @rule()
    def reconcile(self) -> None:
        report = self.svc.credit.reconcile()
        assert report.mismatches == [] and report.balance_mismatches == [], report
        if self.active is not None and self.svc.credit.get(self.active).status != "active":
            self.active = None

    def teardown(self) -> None:
        while self.outbox:  # everything Stripe sent arrives in the end
            deliver(self.outbox.pop())
        if self.active is not None:
            self.svc.credit.settle(self.active, "stopped")
        self.svc.credit.reconcile()
        self.check_conservation()

    # -- what must always hold -------------------------------------------------------------------

    @invariant()
    def balances_are_their_rows_and_never_negative(self) -> None:
        with self.svc.engine.connect() as conn:
            for account in (ledger.available(self.user), ledger.held(self.user), ledger.disputed(self.user)):
                stored = ledger.balance(conn, account)
                assert stored == ledger.sum_of_rows(conn, account) and stored >= 0, account
            totals: dict[str, int] = defaultdict(int)
            for txn, amount in conn.execute(select(ledger_entries.c.txn, ledger_entries.c.amount)):
                totals[txn] += int(amount)
        assert all(total == 0 for total in totals.values())

    @invariant()
    def each_paid_checkout_is_credited_once(self) -> None:
        with self.svc.engine.connect() as conn:
            credited = list(
                conn.execute(
                    select(ledger_entries.c.ref).where(
                        (ledger_entries.c.kind == "purchase") & (ledger_entries.c.user_id == self.user)
                    )
                ).scalars()
            )
            paid_rows = set(
                conn.execute(
                    select(billing_checkouts.c.id).where(
                        (billing_checkouts.c.user_id == self.user) & (billing_checkouts.c.status == "paid")
                    )
                ).scalars()
            )
        assert len(credited) == len(set(credited)) and set(credited) == paid_rows
        assert paid_rows <= self.paid

    @invariant()
    def settled_playbacks_charge_what_streamed(self) -> None:
        with self.svc.engine.connect() as conn:
            rows = conn.execute(
                select(credit_playbacks).where(
                    (credit_playbacks.c.user_id == self.user) & (credit_playbacks.c.status == "settled")
                )
            ).all()
        for row in rows:
            on_chain = self.svc.chain.get_payment_stream_details(int(row.payment_stream_id))
            assert not on_chain.active and on_chain.withdrawn == int(row.charged) <= int(row.deposit)

    def check_conservation(self) -> None:
        with self.svc.engine.connect() as conn:
            mine = conn.execute(
                select(ledger_entries.c.account, ledger_entries.c.kind, ledger_entries.c.amount).where(
                    ledger_entries.c.user_id == self.user
                )
            ).all()
            bought = sum(
                int(c)
                for c in conn.execute(
                    select(billing_checkouts.c.credit).where(
                        (billing_checkouts.c.user_id == self.user) & (billing_checkouts.c.status == "paid")
                    )
                ).scalars()
            )
        held_now = sum(int(a) for _, _, a in mine)  # the viewer's three accounts together
        gone = -sum(int(a) for acc, kind, a in mine if kind in ("settlement", "refund", "write_off"))
        assert held_now + gone == bought, (held_now, gone, bought)


@pytest.mark.slow
def test_the_ledger_holds_over_random_histories_of_payments_and_playback(svc: Services) -> None:
    Ledger.svc = svc
    SEEN.clear()
    started = time.monotonic()
    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=10,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            print_blob=True,
        ),
    )
    print(f"\n{time.monotonic() - started:.1f} s: {dict(SEEN)}")
    assert SEEN["play"] and SEEN["delivery applied"], SEEN  # the run did reach the chain and the ledger
