"""GET /api/streams and GET /api/streams/:id (reference: "API handlers")."""

from __future__ import annotations

from tidecast.runtime import Function, Request, Response, ok
from tidecast.services.streams import DEFAULT_LIMIT, MAX_LIMIT

app = Function("streams")


@app.route("GET", "")
def list_streams(request: Request) -> Response:
    limit = request.query_int("limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    cursor = request.query.get("cursor")
    page = request.services.streams.list(limit=limit, cursor=cursor)
    return ok({"items": page.items, "nextCursor": page.next_cursor})


@app.route("GET", "{stream_id}")
def get_stream(request: Request, stream_id: str) -> Response:
    return ok(request.services.streams.get(stream_id))


handler = app.handler
