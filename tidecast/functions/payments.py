"""/api/payments/*: payment streams (reference: "Payment Processing").

`GET config` is what a browser needs to pay (chain id, contracts, token; no secrets);
`GET streams/<id>` one payment stream's live figures (public on chain anyway); `GET mine` the
caller's streams, sent and received, from the watcher's index with live figures
(tidecast/payments/streams.py).

`POST status` answers the reference's body for a stream whose sender or recipient signed the
request (EIP-712; see tidecast/payments/status.py); `GET domain` gives clients the
domain and types to sign. web3 is imported only when a request here needs it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from tidecast.container import from_environment
from tidecast.functions.models.payments import Config, Domain, Mine, PaymentStream, Status
from tidecast.functions.models.request_fields import (
    POSITIVE_ID_PATTERN,
    SIGNATURE_PATTERN,
    PositiveId,
    UnixTime,
)
from tidecast.runtime import Function, Request, Response, ok
from tidecast.runtime.contract import Contract, Reply
from tidecast.runtime.validation import Body, parse_body

app = Function("payments", services=from_environment)


class StatusBody(Body):
    streamId: PositiveId
    signature: Annotated[str, Field(pattern=SIGNATURE_PATTERN)]
    nonce: Annotated[str, Field(pattern="^0x[0-9a-fA-F]{64}$", description="32 random bytes")]
    expiresAt: UnixTime


@app.route(
    "POST",
    "status",
    Contract(
        "paymentStatus",
        "A payment stream's status, for its sender or recipient (EIP-712 signed request)",
        (Reply(200, "The stream's live status", Status),),
        errors=(401, 403, 404, 503),
        body=StatusBody,
    ),
)
def status(request: Request) -> Response:
    body = parse_body(request, StatusBody)
    answer = request.services.payment_status.status(body.streamId, body.nonce, body.expiresAt, body.signature)
    return ok(Status.from_domain(answer))


@app.route(
    "GET",
    "config",
    Contract(
        "paymentConfig",
        "What a browser needs to pay: chain, contracts, token (no secrets)",
        (Reply(200, "The payment configuration", Config),),
        errors=(503,),
    ),
)
def config(request: Request) -> Response:
    return ok(Config.from_domain(request.services.payments.config()))


@app.route(
    "GET",
    "streams/{stream_id}",
    Contract(
        "getPaymentStream",
        "One payment stream's live figures (public on chain anyway)",
        (Reply(200, "The payment stream", PaymentStream),),
        errors=(400, 404, 503),
        path={"stream_id": {"type": "string", "pattern": POSITIVE_ID_PATTERN}},
    ),
)
def payment_stream(request: Request, stream_id: str) -> Response:
    return ok(PaymentStream.from_domain(request.services.payments.stream(stream_id)))


@app.route(
    "GET",
    "mine",
    Contract(
        "myPayments",
        "The caller's payment streams, sent and received, with live figures",
        (Reply(200, "Sent and received streams and what can be withdrawn", Mine),),
        errors=(503,),
        auth="bearer",
    ),
)
def mine(request: Request) -> Response:
    from tidecast.functions._auth import authenticate  # lazy: accounts, bcrypt: only /api/payments/mine

    user = authenticate(request)
    return ok(Mine.from_domain(request.services.payments.mine(user.user_id)))


@app.route(
    "GET",
    "domain",
    Contract(
        "paymentDomain",
        "The EIP-712 domain and types to sign for POST /api/payments/status",
        (Reply(200, "Domain and types", Domain),),
        errors=(503,),
    ),
)
def domain(request: Request) -> Response:
    return ok(Domain.from_domain(request.services.payment_status.domain()))


handler = app.handler
