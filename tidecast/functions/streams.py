"""GET /api/streams, GET /api/streams/:id (reference: "API handlers") and DELETE /api/streams/:id.

DELETE is for the stream's owner (others 403, no login 401): the row goes, and `stream.deleted`
is published in the same transaction; its subscriber removes the HLS files and unpins the CID,
retried until done. The removal is also tried right away, so a 200 usually means the files are
gone already. A stream still processing is deleted the same way: its transcode job notices at
its next progress report (or before publishing), stops, removes what it made and publishes
nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection

from tidecast.errors import DomainError
from tidecast.runtime import Function, Request, Response, ok
from tidecast.services.streams import DEFAULT_LIMIT, MAX_LIMIT

app = Function("streams")
log = logging.getLogger(__name__)


@app.route("GET", "")
def list_streams(request: Request) -> Response:
    limit = request.query_int("limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    cursor = request.query.get("cursor")
    page = request.services.streams.list(limit=limit, cursor=cursor)
    return ok({"items": page.items, "nextCursor": page.next_cursor})


@app.route("GET", "{stream_id}")
def get_stream(request: Request, stream_id: str) -> Response:
    return ok(request.services.streams.get(stream_id))


@app.route("DELETE", "{stream_id}")
def delete_stream(request: Request, stream_id: str) -> Response:
    # Imported here: reading streams must not load the accounts code (test_cold_path).
    from tidecast.functions._auth import authenticate

    user = authenticate(request)
    services = request.services

    def publish(conn: Connection, stream: dict[str, Any]) -> None:
        services.events.publish(conn, "stream.deleted", {"stream": stream})

    gone = services.streams.delete(stream_id, user.user_id, publish=publish)
    try:
        from tidecast.services.pipeline import remove_stream_media

        remove_stream_media(services.hls, services.ipfs, gone)
    except DomainError as exc:  # the subscriber retries; the delete itself is done
        log.warning("stream %s deleted; removing its media failed for now: %s", stream_id, exc.message)
    return ok({"id": stream_id, "deleted": True})


handler = app.handler
