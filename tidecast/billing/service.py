"""Buying credit with a card and taking in Stripe's word about it.

`checkout` fixes what a payment buys when the Checkout Session is made (amount, currency,
credit at today's rate and the token's decimals), so a webhook applies it without asking the
chain. `receive` takes one webhook event, once the function has verified its signature over the
raw body (tidecast/billing/gateway.py) and read it with the runtime's depth-limited JSON reader,
and applies it in one transaction that first inserts the event's id, so a delivery seen before
changes nothing and answers 200 (Stripe delivers at least once and retries for days).

Stripe delivers in any order. An event about a payment whose purchase is not recorded yet (a
refund or a dispute that overtook `checkout.session.completed`) is kept as "deferred" and
applied, in order, when that purchase lands. Events about payments that are not tidecast's
(other products on the same Stripe account) are recorded as "ignored".

Refunds and disputes take credit back from what the viewer still has: a dispute holds back its
share of the purchase (available -> disputed; running playbacks stop and no new one starts while
it is open), a won dispute gives it back and a lost one writes it off. A refund takes its share;
what the viewer had already spent on playback (paid to creators on chain) is a platform loss,
written down as such, never a negative balance.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tidecast.billing import ledger
from tidecast.billing.amounts import Offer, credit_for, from_minor, share, to_minor
from tidecast.billing.gateway import StripeGateway
from tidecast.billing.playbacks import open_dispute
from tidecast.chain.service import BlockchainDataService, TokenInfo
from tidecast.chain.units import format_units
from tidecast.db.schema import billing_checkouts, billing_disputes, billing_events, credit_playbacks, users
from tidecast.db.times import now_utc
from tidecast.db.tx import after_commit, transaction
from tidecast.errors import InvalidInput, NotFound, RateLimited

log = logging.getLogger(__name__)

HISTORY_LIMIT = 50
#: Checkout Sessions one viewer may start an hour (each is a call to Stripe on the platform's key).
CHECKOUTS_PER_HOUR = 20


@dataclass(frozen=True)
class Checkout:
    id: str
    url: str
    amount_minor: int
    currency: str
    credit: int
    token: TokenInfo


@dataclass(frozen=True)
class BillingConfig:
    currency: str
    offer: Offer
    rate: str
    token: TokenInfo


@dataclass(frozen=True)
class Received:
    event_id: str
    type: str
    outcome: str  # applied | ignored | deferred | duplicate


@dataclass(frozen=True)
class Account:
    balances: ledger.Balances
    token: TokenInfo
    disputed_open: bool


@dataclass(frozen=True)
class History:
    entries: list[ledger.Entry]
    token: TokenInfo
    next_before: int | None


class BillingService:
    def __init__(
        self,
        engine: Engine,
        chain: BlockchainDataService,
        gateway: StripeGateway,
        *,
        offer: Offer,
        rate: str,
        public_url: str,
        kick_reconcile: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.chain = chain
        self.gateway = gateway
        self.offer = offer
        self.rate = rate
        self.public_url = public_url.rstrip("/")
        self.kick_reconcile = kick_reconcile

    def config(self) -> BillingConfig:
        return BillingConfig(self.offer.currency, self.offer, self.rate, self.chain.token())

    # -- buying ------------------------------------------------------------------------------

    def checkout(self, user_id: str, amount: str) -> Checkout:
        """A Checkout Session for `amount` (whole currency units); 400 naming what may be bought."""
        currency = self.offer.currency
        minor = self.offer.check(to_minor(amount, currency))
        self._limit_checkouts(user_id)
        token = self.chain.token()
        credit = credit_for(minor, currency, self.rate, token.decimals)
        with self.engine.connect() as conn:
            email = conn.execute(select(users.c.email).where(users.c.id == user_id)).scalar()
        if email is None:
            raise NotFound("No such user")
        attempt = secrets.token_hex(12)
        shown = f"{from_minor(minor, currency)} {currency.upper()}"
        session = self.gateway.create_checkout(
            amount_minor=minor,
            currency=currency,
            product=f"tidecast credit: {shown} buys {_tokens(credit, token)}",
            user_id=user_id,
            email=email,
            success_url=f"{self.public_url}/credit/?checkout=success&session={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{self.public_url}/credit/?checkout=cancelled",
            idempotency_key=f"tidecast-checkout-{attempt}",
        )
        now = now_utc()
        with transaction(self.engine) as conn:
            conn.execute(
                insert(billing_checkouts).values(
                    id=session.id,
                    user_id=user_id,
                    amount_minor=minor,
                    currency=currency,
                    credit=str(credit),
                    status="open",
                    created_at=now,
                    updated_at=now,
                )
            )
        return Checkout(session.id, session.url, minor, currency, credit, token)

    def _limit_checkouts(self, user_id: str) -> None:
        """Each checkout is a call to Stripe's API on the platform's key: a viewer may start
        CHECKOUTS_PER_HOUR of them an hour (paid or not), then 429."""
        since = now_utc() - timedelta(hours=1)
        with self.engine.connect() as conn:
            started = conn.execute(
                select(func.count())
                .select_from(billing_checkouts)
                .where((billing_checkouts.c.user_id == user_id) & (billing_checkouts.c.created_at >= since))
            ).scalar_one()
        if started >= CHECKOUTS_PER_HOUR:
            raise RateLimited(
                f"You started {started} card payments in the last hour; try again later", retry_after=600
            )

    # -- Stripe's word -----------------------------------------------------------------------

    def receive(self, event: dict[str, Any]) -> Received:
        """Apply one verified Stripe event (the function verifies it over the raw body first)."""
        event_id, kind = event.get("id"), event.get("type")
        if not isinstance(event_id, str) or not isinstance(kind, str) or not 0 < len(event_id) <= 255:
            raise InvalidInput("Webhook body is not a Stripe event (an object with 'id' and 'type')")
        obj = (event.get("data") or {}).get("object") or {}
        if not isinstance(obj, dict):
            obj = {}
        try:
            with transaction(self.engine) as conn:
                conn.execute(
                    insert(billing_events).values(
                        id=event_id,
                        type=kind,
                        outcome="applied",
                        payload=event,
                        created_at=_when(event.get("created")),
                        received_at=now_utc(),
                    )
                )
                outcome, subject = self._apply(conn, event_id, kind, obj)
                conn.execute(
                    update(billing_events)
                    .where(billing_events.c.id == event_id)
                    .values(outcome=outcome, subject=subject)
                )
        except IntegrityError:
            with self.engine.connect() as conn:
                seen = conn.execute(
                    select(billing_events.c.id).where(billing_events.c.id == event_id)
                ).first()
            if seen is None:
                raise
            return Received(event_id, kind, "duplicate")
        return Received(event_id, kind, outcome)

    def _apply(
        self, conn: Connection, event_id: str, kind: str, obj: dict[str, Any]
    ) -> tuple[str, str | None]:
        """What one event does, inside its transaction: (outcome, subject)."""
        if kind in (
            "checkout.session.completed",
            "checkout.session.async_payment_succeeded",
            "checkout.session.async_payment_failed",
        ):
            return self._session_event(conn, kind, obj), None
        if kind == "charge.refunded":
            intent = _text(obj.get("payment_intent"))
            checkout = self._by_intent(conn, intent)
            if checkout is None:
                return ("deferred" if intent else "ignored"), intent
            self._refund(conn, event_id, checkout, _int(obj.get("amount_refunded")))
            return "applied", intent
        if kind in ("charge.dispute.created", "charge.dispute.closed"):
            intent = _text(obj.get("payment_intent"))
            checkout = self._by_intent(conn, intent)
            if checkout is None:
                return ("deferred" if intent else "ignored"), intent
            if kind == "charge.dispute.created":
                self._dispute_opened(conn, obj, checkout)
            else:
                self._dispute_closed(conn, obj)
            return "applied", intent
        return "ignored", None

    def _session_event(self, conn: Connection, kind: str, obj: dict[str, Any]) -> str:
        session_id = _text(obj.get("id"))
        row = conn.execute(select(billing_checkouts).where(billing_checkouts.c.id == session_id)).first()
        if row is None:
            return "ignored"  # not a session tidecast made
        intent = _text(obj.get("payment_intent"))
        if kind == "checkout.session.async_payment_failed":
            if row.status != "paid":
                conn.execute(
                    update(billing_checkouts)
                    .where(billing_checkouts.c.id == row.id)
                    .values(status="failed", updated_at=now_utc())
                )
            return "applied"
        paid = kind == "checkout.session.async_payment_succeeded" or obj.get("payment_status") in (
            "paid",
            "no_payment_required",
        )
        if not paid:
            if row.status == "open":
                conn.execute(
                    update(billing_checkouts)
                    .where(billing_checkouts.c.id == row.id)
                    .values(
                        status="awaiting", payment_intent=intent or row.payment_intent, updated_at=now_utc()
                    )
                )
            return "applied"
        ledger.lock_user(conn, row.user_id)
        # Read again under the viewer's lock: completed and async_payment_succeeded of one
        # session may arrive at once, and only one of them credits it.
        row = conn.execute(select(billing_checkouts).where(billing_checkouts.c.id == session_id)).one()
        if row.status == "paid":
            return "applied"  # the other of completed/async_succeeded came first
        conn.execute(
            update(billing_checkouts)
            .where(billing_checkouts.c.id == row.id)
            .values(status="paid", payment_intent=intent or row.payment_intent, updated_at=now_utc())
        )
        credit = int(row.credit)
        ledger.post(
            conn,
            "purchase",
            row.id,
            row.user_id,
            [(ledger.STRIPE, -credit), (ledger.available(row.user_id), credit)],
        )
        if intent:
            self._apply_deferred(conn, intent)
        return "applied"

    def _apply_deferred(self, conn: Connection, intent: str) -> None:
        """Events about this payment that came before its purchase, in Stripe's order."""
        waiting = conn.execute(
            select(billing_events)
            .where((billing_events.c.subject == intent) & (billing_events.c.outcome == "deferred"))
            .order_by(billing_events.c.created_at, billing_events.c.received_at)
        ).all()
        for row in waiting:
            obj = ((row.payload or {}).get("data") or {}).get("object") or {}
            outcome, _ = self._apply(conn, row.id, row.type, obj)
            conn.execute(update(billing_events).where(billing_events.c.id == row.id).values(outcome=outcome))

    def _by_intent(self, conn: Connection, intent: str | None) -> Any:
        if not intent:
            return None
        return conn.execute(
            select(billing_checkouts).where(
                (billing_checkouts.c.payment_intent == intent) & (billing_checkouts.c.status == "paid")
            )
        ).first()

    def _refund(self, conn: Connection, event_id: str, checkout: Any, refunded_minor: int) -> None:
        """Take back the refunded share of the purchase's credit (cumulative, as Stripe counts)."""
        user = checkout.user_id
        ledger.lock_user(conn, user)
        current = conn.execute(select(billing_checkouts).where(billing_checkouts.c.id == checkout.id)).one()
        total = share(int(current.credit), refunded_minor, int(current.amount_minor))
        due = total - int(current.clawed)
        if due <= 0:
            return  # an older refund event, or one already counted
        take = min(due, ledger.balance(conn, ledger.available(user)))
        ledger.post(conn, "refund", event_id, user, [(ledger.available(user), -take), (ledger.STRIPE, take)])
        if due > take:  # spent on playback already: the platform's loss, never a negative balance
            ledger.post(
                conn,
                "write_off",
                event_id,
                user,
                [(ledger.LOSSES, -(due - take)), (ledger.STRIPE, due - take)],
            )
        conn.execute(
            update(billing_checkouts)
            .where(billing_checkouts.c.id == checkout.id)
            .values(
                refunded_minor=max(refunded_minor, int(current.refunded_minor)),
                clawed=str(total),
                updated_at=now_utc(),
            )
        )

    def _dispute_opened(self, conn: Connection, obj: dict[str, Any], checkout: Any) -> None:
        dispute_id = _text(obj.get("id"))
        if not dispute_id:
            return
        user = checkout.user_id
        ledger.lock_user(conn, user)
        if conn.execute(select(billing_disputes.c.id).where(billing_disputes.c.id == dispute_id)).first():
            return
        amount = _int(obj.get("amount")) or int(checkout.amount_minor)
        credit = share(int(checkout.credit), amount, int(checkout.amount_minor))
        frozen = min(credit, ledger.balance(conn, ledger.available(user)))
        conn.execute(
            insert(billing_disputes).values(
                id=dispute_id,
                user_id=user,
                checkout_id=checkout.id,
                amount_minor=amount,
                credit=str(credit),
                frozen=str(frozen),
                status="open",
                created_at=now_utc(),
            )
        )
        ledger.post(
            conn,
            "dispute",
            dispute_id,
            user,
            [(ledger.available(user), -frozen), (ledger.disputed(user), frozen)],
        )
        stopped = conn.execute(
            update(credit_playbacks)
            .where((credit_playbacks.c.user_id == user) & (credit_playbacks.c.status == "active"))
            .values(status="stopping", stop_reason="dispute", updated_at=now_utc())
        ).rowcount
        if stopped and self.kick_reconcile is not None:
            after_commit(conn, self.kick_reconcile)

    def _dispute_closed(self, conn: Connection, obj: dict[str, Any]) -> None:
        dispute_id = _text(obj.get("id"))
        row = conn.execute(select(billing_disputes).where(billing_disputes.c.id == dispute_id)).first()
        if row is None or row.status != "open":
            return
        won = obj.get("status") == "won"
        user, frozen = row.user_id, int(row.frozen)
        ledger.lock_user(conn, user)
        conn.execute(
            update(billing_disputes)
            .where(billing_disputes.c.id == row.id)
            .values(status="won" if won else "lost", closed_at=now_utc())
        )
        if won:
            ledger.post(
                conn,
                "reinstate",
                row.id,
                user,
                [(ledger.disputed(user), -frozen), (ledger.available(user), frozen)],
            )
        else:  # the money went back to the card: what was held back goes with it, and what had
            # been spent on playback already (paid to creators on chain) is the platform's loss
            spent = int(row.credit) - frozen
            ledger.post(
                conn,
                "write_off",
                row.id,
                user,
                [(ledger.disputed(user), -frozen), (ledger.LOSSES, -spent), (ledger.STRIPE, frozen + spent)],
            )

    # -- the viewer's view -------------------------------------------------------------------

    def account(self, user_id: str) -> Account:
        with self.engine.connect() as conn:
            found = ledger.balances(conn, user_id)
            disputed = open_dispute(conn, user_id)
        return Account(found, self.chain.token(), disputed)

    def history(self, user_id: str, *, limit: int = HISTORY_LIMIT, before: int | None = None) -> History:
        with self.engine.connect() as conn:
            rows = ledger.user_entries(conn, user_id, limit=limit + 1, before=before)
        more = len(rows) > limit
        rows = rows[:limit]
        return History(rows, self.chain.token(), rows[-1].id if more and rows else None)


def _tokens(units: int, token: TokenInfo) -> str:
    return f"{format_units(units, token.decimals)} {token.symbol}"


def _text(value: Any) -> str | None:
    if isinstance(value, dict):  # an expanded object: its id
        value = value.get("id")
    return value if isinstance(value, str) and 0 < len(value) <= 255 else None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _when(value: Any) -> datetime:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**40:
        return datetime.fromtimestamp(value, UTC)
    return now_utc()
