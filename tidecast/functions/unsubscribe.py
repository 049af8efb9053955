"""GET/POST /api/unsubscribe?token=…: the target of non-essential mail's List-Unsubscribe.

POST is RFC 8058's one-click unsubscribe (mail clients send `List-Unsubscribe=One-Click`); it
takes effect at once. GET only shows a page with a button that POSTs: link scanners and
prefetchers follow GET links, and must not unsubscribe anybody.
"""

from __future__ import annotations

import html

from pydantic import BaseModel, Field

from tidecast.container import from_environment
from tidecast.errors import InvalidInput
from tidecast.functions.models.unsubscribe import Unsubscribed
from tidecast.runtime import Function, Request, Response, ok
from tidecast.runtime.contract import Contract, Reply

app = Function("unsubscribe", services=from_environment)


class TokenQuery(BaseModel):
    token: str = Field(min_length=1, description="The token of the mail's List-Unsubscribe link")


def _address(request: Request) -> tuple[str, str]:
    token = request.query.get("token", "")
    if not token:
        raise InvalidInput("token: the unsubscribe link is missing its token")
    return token, request.services.email.address_from_unsubscribe_token(token)


@app.route(
    "POST",
    "",
    Contract(
        "unsubscribe",
        "One-click unsubscribe (RFC 8058) from non-essential mail",
        (Reply(200, "Unsubscribed", Unsubscribed),),
        errors=(400,),
        query=TokenQuery,
    ),
)
def unsubscribe(request: Request) -> Response:
    _token, address = _address(request)
    newly = request.services.outbox.suppress(address)
    return ok(Unsubscribed(address=address, unsubscribed=True, alreadyUnsubscribed=not newly))


@app.route(
    "GET",
    "",
    Contract(
        "unsubscribePage",
        "A page with a button that unsubscribes (GET itself changes nothing)",
        (Reply(200, "The page", media_type="text/html", schema={"type": "string"}),),
        errors=(400,),
        query=TokenQuery,
    ),
)
def confirm_page(request: Request) -> Response:
    token, address = _address(request)
    page = (
        "<!doctype html><html><head><meta charset=utf-8><title>Unsubscribe</title></head><body>"
        f"<h1>Unsubscribe {html.escape(address)}?</h1>"
        "<p>You will still get mail about your account and payments.</p>"
        f'<form method="post" action="?token={html.escape(token)}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form></body></html>'
    )
    return Response(200, page, {"Content-Type": "text/html; charset=utf-8"})


handler = app.handler
