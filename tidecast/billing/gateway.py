"""Stripe, through its own library: Checkout Sessions out, signed webhook events in.

Only the billing function imports `stripe` (about half a second of CPU on this machine, so it
stays off every other function's cold start). STRIPE_API_BASE points the client elsewhere
(the tests' local fake of Stripe's API); unset, it is Stripe's own.

Webhooks are verified over the raw body with `WebhookSignature.verify_header` and a tolerance
of 300 s (Stripe's own default): a body changed by one byte, a header signed with another
secret, or a delivery older than five minutes is refused. STRIPE_WEBHOOK_SECRET may list
several secrets while an endpoint's secret is rolled: a delivery verifying under any of them
is taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tidecast.errors import InvalidInput, Unavailable
from tidecast.imports import sane_import

#: Seconds a webhook's signed timestamp may lag the clock (Stripe's libraries' default).
TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


class BadSignature(InvalidInput):
    """A webhook delivery that does not verify (forged, altered, stale or unsigned)."""


class StripeGateway:
    def __init__(self, secret_key: str, webhook_secrets: list[str], *, api_base: str | None = None) -> None:
        self._secret_key = secret_key
        self._webhook_secrets = webhook_secrets
        self.api_base = api_base
        self._client: Any = None

    def _stripe(self) -> Any:
        return sane_import("stripe")

    def client(self) -> Any:
        if self._client is None:
            stripe = self._stripe()
            addresses = {"api": self.api_base.rstrip("/")} if self.api_base else None
            self._client = stripe.StripeClient(
                self._secret_key, base_addresses=addresses, max_network_retries=2
            )
        return self._client

    def create_checkout(
        self,
        *,
        amount_minor: int,
        currency: str,
        product: str,
        user_id: str,
        email: str | None,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
    ) -> CheckoutSession:
        """A Checkout Session for one payment of `amount_minor`; 503 when Stripe cannot be reached
        or refuses (its message, never the key)."""
        stripe = self._stripe()
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": currency,
                        "unit_amount": amount_minor,
                        "product_data": {"name": product},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": user_id,
            "metadata": {"tidecast_user": user_id},
            "payment_intent_data": {"metadata": {"tidecast_user": user_id}},
        }
        if email:
            params["customer_email"] = email
        try:
            session = self.client().v1.checkout.sessions.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise Unavailable(
                f"The card payment could not be started: {exc.user_message or type(exc).__name__}"
            ) from None
        return CheckoutSession(id=str(session.id), url=str(session.url))

    def verify(self, payload: bytes, header: str | None) -> None:
        """Return when the delivery's signature verifies under one of the secrets, else 400.
        Nothing of the body is parsed before: the caller parses it after, with the runtime's
        depth-limited JSON reader."""
        if not header:
            raise BadSignature("Missing 'Stripe-Signature' header")
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            raise BadSignature("Webhook body is not UTF-8") from None
        signature = sane_import("stripe._webhook").WebhookSignature
        error = sane_import("stripe").SignatureVerificationError
        last = "no webhook secret configured"
        for secret in self._webhook_secrets:
            try:
                signature.verify_header(text, header, secret, TOLERANCE_SECONDS)
                break
            except error as exc:
                last = str(exc.user_message or exc)
        else:
            raise BadSignature(f"Invalid 'Stripe-Signature': {last}")
