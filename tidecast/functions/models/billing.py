"""What /api/billing answers: amounts in whole tokens and currency units, as decimal strings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from tidecast.billing.amounts import from_minor
from tidecast.chain.units import format_units
from tidecast.db.times import iso
from tidecast.functions.models.common import Amount, Out, Timestamp, TokenInfo
from tidecast.functions.models.payments import token_info

if TYPE_CHECKING:  # the models stay importable without the services
    from tidecast.billing.playbacks import CreditPlayback as DomainPlayback
    from tidecast.billing.service import Account, BillingConfig, Checkout, History, Received


def _signed(value: int, decimals: int) -> str:
    return ("-" if value < 0 else "") + format_units(abs(value), decimals)


class BillingOffer(Out):
    currency: str = Field(description="ISO 4217, lower-case, as Stripe writes it")
    amounts: list[str] | None = Field(description="The amounts one may buy (whole currency units)")
    minimum: str | None
    maximum: str | None
    rate: Amount = Field(description="Platform tokens one whole currency unit buys")
    token: TokenInfo

    @classmethod
    def from_domain(cls, config: BillingConfig) -> BillingOffer:
        offer, currency = config.offer, config.currency
        return cls(
            currency=currency,
            amounts=[from_minor(c, currency) for c in offer.choices] or None,
            minimum=from_minor(offer.minimum, currency) if offer.minimum is not None else None,
            maximum=from_minor(offer.maximum, currency) if offer.maximum is not None else None,
            rate=config.rate,
            token=token_info(config.token),
        )


class CheckoutStarted(Out):
    id: str = Field(description="Stripe's Checkout Session id")
    url: str = Field(description="Stripe's hosted payment page: send the viewer there")
    amount: str
    currency: str
    credit: Amount = Field(description="What the payment buys, in whole platform tokens")

    @classmethod
    def from_domain(cls, checkout: Checkout) -> CheckoutStarted:
        return cls(
            id=checkout.id,
            url=checkout.url,
            amount=from_minor(checkout.amount_minor, checkout.currency),
            currency=checkout.currency,
            credit=format_units(checkout.credit, checkout.token.decimals),
        )


class WebhookReceived(Out):
    received: bool
    eventId: str
    outcome: str = Field(description="applied, ignored, deferred (its payment is not known yet) or duplicate")

    @classmethod
    def from_domain(cls, received: Received) -> WebhookReceived:
        return cls(received=True, eventId=received.event_id, outcome=received.outcome)


class Balance(Out):
    available: Amount = Field(description="Credit that can pay for playback now")
    held: Amount = Field(description="Held by running playbacks until they settle")
    disputed: Amount = Field(description="Held back while a card payment's dispute is open")
    disputeOpen: bool
    token: TokenInfo

    @classmethod
    def from_domain(cls, account: Account) -> Balance:
        d, b = account.token.decimals, account.balances
        return cls(
            available=format_units(b.available, d),
            held=format_units(b.held, d),
            disputed=format_units(b.disputed, d),
            disputeOpen=account.disputed_open,
            token=token_info(account.token),
        )


class LedgerRow(Out):
    id: int
    account: str = Field(description="available, held or disputed")
    kind: str = Field(
        description="purchase, hold, settlement, release, refund, dispute, reinstate or write_off"
    )
    amount: str = Field(description="Signed, in whole tokens: what this row added to the account")
    ref: str = Field(description="What caused it: a checkout, a playback or a dispute id")
    createdAt: Timestamp


class HistoryPage(Out):
    entries: list[LedgerRow]
    nextBefore: int | None = Field(description="Pass as ?before= for older rows; null at the end")
    token: TokenInfo

    @classmethod
    def from_domain(cls, history: History) -> HistoryPage:
        d = history.token.decimals
        return cls(
            entries=[
                LedgerRow(
                    id=e.id,
                    account=e.account.rsplit(":", 1)[-1],
                    kind=e.kind,
                    amount=_signed(e.amount, d),
                    ref=e.ref,
                    createdAt=iso(e.created_at),
                )
                for e in history.entries
            ],
            nextBefore=history.next_before,
            token=token_info(history.token),
        )


class CreditPlayback(Out):
    id: str
    streamId: str
    paymentStreamId: str | None
    status: str = Field(description="opening, active, stopping, settled or failed")
    held: Amount = Field(description="The deposit held from the viewer's credit")
    charged: Amount | None = Field(description="What streamed on chain, charged at settlement")
    stopReason: str | None

    @classmethod
    def from_domain(cls, playback: DomainPlayback) -> CreditPlayback:
        d = playback.decimals
        return cls(
            id=playback.id,
            streamId=playback.media_stream_id,
            paymentStreamId=str(playback.payment_stream_id)
            if playback.payment_stream_id is not None
            else None,
            status=playback.status,
            held=format_units(playback.deposit, d),
            charged=format_units(playback.charged, d) if playback.charged is not None else None,
            stopReason=playback.stop_reason,
        )
