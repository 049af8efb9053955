"""/api/billing/*: card payments (reference: payment processing "with traditional payment gateways").

`GET config` what may be bought and at what rate; `POST checkout` a Stripe Checkout Session for
the signed-in viewer (its URL: the page goes there and comes back to /credit/); `POST webhook`
Stripe's deliveries, verified over the raw body; `GET balance` and `GET history` the viewer's
credit and its ledger rows; `POST playbacks/{id}/stop` settles a credit playback now (the
charge is what streamed). Playback on credit starts at POST /api/streams/{id}/playback with
`{"credit": true}`. The domain is tidecast/billing.

The function's services are built with billing's parts at once: in production, missing Stripe
secrets or treasury key stop the function from starting (naming them), as a bad setting does.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from tidecast.container import Services, from_environment
from tidecast.functions.models.billing import (
    Balance,
    BillingOffer,
    CheckoutStarted,
    CreditPlayback,
    HistoryPage,
    WebhookReceived,
)
from tidecast.runtime import Function, Request, Response, ok
from tidecast.runtime.contract import Contract, Header, Reply
from tidecast.runtime.validation import Body, parse_body


def billing_services() -> Services:
    """The container, with billing checked at start (production refuses without its secrets)."""
    services = from_environment()
    services.billing  # noqa: B018 - built now: a ConfigError stops the start
    return services


app = Function("billing", services=billing_services)

PLAYBACK_ID = {"type": "string", "pattern": "^[0-9a-f]{16}$"}


class CheckoutBody(Body):
    amount: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}(\.[0-9]{1,3})?$")] = Field(
        description="Whole currency units, one of GET /api/billing/config's amounts or in its range"
    )


class StopBody(Body):
    """Nothing to say: a body, if any, must be `{}` (a client sending more is told so)."""


class HistoryQuery(BaseModel):
    limit: int = Field(50, ge=1, le=200, description="Rows per page")
    before: int | None = Field(
        None, ge=1, le=10**15, description="Rows older than this id (a page's nextBefore)"
    )


def _user(request: Request) -> str:
    from tidecast.functions._auth import authenticate  # lazy: accounts, bcrypt: not for the webhook

    return authenticate(request).user_id


@app.route(
    "GET",
    "config",
    Contract(
        "billingConfig",
        "What credit may be bought with a card, in which currency, at which rate",
        (Reply(200, "The offer", BillingOffer),),
        errors=(503,),
    ),
)
def config(request: Request) -> Response:
    return ok(BillingOffer.from_domain(request.services.billing.config()))


@app.route(
    "POST",
    "checkout",
    Contract(
        "startCheckout",
        "Start buying credit: a Stripe Checkout Session for the signed-in viewer",
        (Reply(201, "The session: send the viewer to its url", CheckoutStarted),),
        errors=(400, 429, 503),
        auth="bearer",
        body=CheckoutBody,
    ),
)
def checkout(request: Request) -> Response:
    user = _user(request)
    body = parse_body(request, CheckoutBody)
    return ok(CheckoutStarted.from_domain(request.services.billing.checkout(user, body.amount)), 201)


@app.route(
    "POST",
    "webhook",
    Contract(
        "stripeWebhook",
        "Stripe's event deliveries (signed; idempotent by event id)",
        (Reply(200, "Taken (applied, ignored, deferred, or seen before)", WebhookReceived),),
        errors=(400, 503),
        headers=(Header("Stripe-Signature", "t=<unix time>,v1=<HMAC-SHA256 of '<t>.<raw body>'>", True),),
        body_schema={"type": "object", "description": "A Stripe event, verified over its raw bytes"},
    ),
)
def webhook(request: Request) -> Response:
    billing = request.services.billing
    # The signature is over the raw bytes: checked before anything of the body is read.
    billing.gateway.verify(request.body, request.headers.get("stripe-signature"))
    return ok(WebhookReceived.from_domain(billing.receive(request.json_object())))


@app.route(
    "GET",
    "balance",
    Contract(
        "creditBalance",
        "The signed-in viewer's card credit: available, held by playbacks, held back by disputes",
        (Reply(200, "The balances", Balance),),
        errors=(503,),
        auth="bearer",
    ),
)
def balance(request: Request) -> Response:
    return ok(Balance.from_domain(request.services.billing.account(_user(request))))


@app.route(
    "GET",
    "history",
    Contract(
        "creditHistory",
        "The signed-in viewer's ledger rows, newest first",
        (Reply(200, "A page of rows", HistoryPage),),
        errors=(400, 503),
        auth="bearer",
        query=HistoryQuery,
    ),
)
def history(request: Request) -> Response:
    user = _user(request)
    limit = request.query_int("limit", 50, minimum=1, maximum=200)
    before = request.query_int("before", 0, minimum=1, maximum=10**15) if "before" in request.query else None
    page = request.services.billing.history(user, limit=limit, before=before)
    return ok(HistoryPage.from_domain(page))


@app.route(
    "POST",
    "playbacks/{playback_id}/stop",
    Contract(
        "stopCreditPlayback",
        "Stop a card-paid playback now: charged what streamed, the rest of the hold released",
        (Reply(200, "The settled playback", CreditPlayback),),
        errors=(403, 404, 409, 503),
        auth="bearer",
        body=StopBody,
        body_required=False,
        path={"playback_id": PLAYBACK_ID},
    ),
)
def stop(request: Request, playback_id: str) -> Response:
    user = _user(request)
    if request.body.strip():
        parse_body(request, StopBody)
    return ok(CreditPlayback.from_domain(request.services.credit.stop(user, playback_id)))


handler = app.handler
