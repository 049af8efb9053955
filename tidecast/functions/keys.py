"""GET /api/keys/<streamId>/<period>: one HLS AES-128 content key, for a paid playback token.

The player's key URI (`#EXT-X-KEY:...URI="/api/keys/<id>/<period>"`) lands here with
`Authorization: Bearer <playback token>`. The answer is the 16 raw key bytes, never cached by
anyone (`Cache-Control: no-store`): a key is released per viewer and per moment of payment,
so a shared cache would hand it to whoever asks next. The conditions are in
tidecast/payments/playback.py; this module only translates HTTP.
"""

from __future__ import annotations

from tidecast.accounts.tokens import bearer_token
from tidecast.container import from_environment
from tidecast.runtime import Function, Request, Response
from tidecast.runtime.contract import Contract, Header, Reply

app = Function("keys", services=from_environment)

KEY = Reply(
    200,
    "The key: 16 raw bytes (AES-128), never cached",
    media_type="application/octet-stream",
    schema={
        "type": "string",
        "contentMediaType": "application/octet-stream",
        "minLength": 16,
        "maxLength": 16,
    },
    headers=(Header("Cache-Control", "no-store: a key is released per viewer and moment of payment", True),),
)


@app.route(
    "GET",
    "{stream_id}/{period}",
    Contract(
        "getKey",
        "One HLS AES-128 content key, for a paid playback token",
        (KEY,),
        errors=(400, 402, 403, 404, 409, 503),
        auth="bearer",
        description="The Bearer is a playback token (POST /api/streams/{stream_id}/playback), not a login.",
        path={
            "stream_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$"},
            "period": {"type": "string", "pattern": "^[0-9]{1,9}$"},
        },
    ),
)
def key(request: Request, stream_id: str, period: str) -> Response:
    token = bearer_token(request.headers.get("authorization"))
    body = request.services.playback.release(token, stream_id, period)
    return Response(
        200,
        body,
        {"Content-Type": "application/octet-stream", "Cache-Control": "no-store", "Vary": "Authorization"},
    )


handler = app.handler
