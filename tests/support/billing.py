"""Card payments in tests: Stripe events signed as Stripe signs them, checkouts on record.

Events are signed with the `stripe` library's own `WebhookSignature.generate_signature_header`,
so the function verifies exactly what Stripe would send. `checkout_on_record` writes the row a
`POST /api/billing/checkout` writes, without a Stripe to create the session: for tests of the
webhook and the ledger that do not need the page (tests/support/stripe_fake.py runs localstripe
for those that do).
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from sqlalchemy import Engine, insert

from tests.support.events import aws_event
from tidecast.db.schema import billing_checkouts
from tidecast.db.times import now_utc
from tidecast.functions.billing import handler as billing_handler

WEBHOOK_SECRET = "whsec_test_tidecast_0123456789"
_ids = itertools.count(1)


def event(
    kind: str, obj: dict[str, Any], *, event_id: str | None = None, created: int | None = None
) -> dict[str, Any]:
    """A Stripe event envelope around `obj`."""
    return {
        "id": event_id or f"evt_test_{next(_ids):06d}_{int(time.time() * 1000)}",
        "object": "event",
        "type": kind,
        "created": created or int(time.time()),
        "livemode": False,
        "api_version": "2025-01-27.acacia",
        "data": {"object": obj},
    }


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    from stripe._webhook import WebhookSignature

    return str(WebhookSignature.generate_signature_header(payload, secret, timestamp))


def deliver(
    evt: dict[str, Any] | str,
    *,
    secret: str = WEBHOOK_SECRET,
    timestamp: int | None = None,
    header: str | None = None,
) -> tuple[int, Any]:
    """POST the event to the billing function's webhook as Stripe does: (status, JSON body)."""
    payload = evt if isinstance(evt, str) else json.dumps(evt)
    signature = header if header is not None else sign(payload, secret, timestamp)
    headers = {"Stripe-Signature": signature, "Content-Type": "application/json"} if signature else {}
    raw = billing_handler(
        aws_event("2.0", "POST", "/.netlify/functions/billing/webhook", body=payload, headers=headers), None
    )
    return raw["statusCode"], json.loads(raw["body"])


def checkout_on_record(
    engine: Engine, user_id: str, *, credit: int, amount_minor: int = 500, session: str | None = None
) -> str:
    """The row POST /api/billing/checkout writes for a session; its id."""
    session_id = session or f"cs_test_{next(_ids):06d}"
    now = now_utc()
    with engine.begin() as conn:
        conn.execute(
            insert(billing_checkouts).values(
                id=session_id,
                user_id=user_id,
                amount_minor=amount_minor,
                currency="usd",
                credit=str(credit),
                status="open",
                created_at=now,
                updated_at=now,
            )
        )
    return session_id


def completed(session_id: str, intent: str, *, paid: bool = True) -> dict[str, Any]:
    return event(
        "checkout.session.completed",
        {
            "id": session_id,
            "object": "checkout.session",
            "payment_status": "paid" if paid else "unpaid",
            "status": "complete",
            "payment_intent": intent,
        },
    )


def refunded(intent: str, amount: int, refunded_total: int) -> dict[str, Any]:
    return event(
        "charge.refunded",
        {
            "id": f"ch_{intent}",
            "object": "charge",
            "payment_intent": intent,
            "amount": amount,
            "amount_refunded": refunded_total,
            "refunded": refunded_total >= amount,
        },
    )


def dispute(
    kind: str, dispute_id: str, intent: str, amount: int, status: str = "needs_response"
) -> dict[str, Any]:
    return event(
        kind,
        {
            "id": dispute_id,
            "object": "dispute",
            "payment_intent": intent,
            "charge": f"ch_{intent}",
            "amount": amount,
            "status": status,
        },
    )
