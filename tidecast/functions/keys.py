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

app = Function("keys", services=from_environment)


@app.route("GET", "{stream_id}/{period}")
def key(request: Request, stream_id: str, period: str) -> Response:
    token = bearer_token(request.headers.get("authorization"))
    body = request.services.playback.release(token, stream_id, period)
    return Response(
        200,
        body,
        {"Content-Type": "application/octet-stream", "Cache-Control": "no-store", "Vary": "Authorization"},
    )


handler = app.handler
