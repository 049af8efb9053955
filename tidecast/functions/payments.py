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

from typing import Annotated, Any

from pydantic import StringConstraints

from tidecast.container import from_environment
from tidecast.runtime import Function, Request, Response, ok
from tidecast.runtime.validation import Body, parse_body

app = Function("payments", services=from_environment)

Hex = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class StatusBody(Body):
    streamId: int | Annotated[str, StringConstraints(min_length=1, max_length=80)]
    signature: Hex
    nonce: Hex
    expiresAt: int


@app.route("POST", "status")
def status(request: Request) -> Response:
    body = parse_body(request, StatusBody)
    data: dict[str, Any] = request.services.payment_status.status(
        body.streamId, body.nonce, body.expiresAt, body.signature
    )
    return ok(data)


@app.route("GET", "config")
def config(request: Request) -> Response:
    return ok(request.services.payments.config())


@app.route("GET", "streams/{stream_id}")
def payment_stream(request: Request, stream_id: str) -> Response:
    return ok(request.services.payments.stream(stream_id))


@app.route("GET", "mine")
def mine(request: Request) -> Response:
    from tidecast.functions._auth import authenticate

    user = authenticate(request)
    return ok(request.services.payments.mine(user.user_id))


@app.route("GET", "domain")
def domain(request: Request) -> Response:
    return ok(request.services.payment_status.domain())


handler = app.handler
