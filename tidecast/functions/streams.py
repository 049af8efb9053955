"""GET /api/streams, GET /api/streams/:id (reference: "API handlers"), PATCH and DELETE
/api/streams/:id, and POST /api/streams/:id/playback (a playback token; tidecast/payments/playback.py).

Listing takes `?status=` (one of the stream statuses) and `?owner=me` (the caller's own streams,
every status; needs a login). PATCH changes the title, description or price (owner only); the
price is checked against the platform token's decimals, so only that route reads the chain.

DELETE is for the stream's owner (others 403, no login 401): the row goes, and `stream.deleted`
is published in the same transaction; its subscriber removes the HLS files and unpins the CID,
retried until done. The removal is also tried right away, so a 200 usually means the files are
gone already. A stream still processing is deleted the same way: its transcode job notices at
its next progress report (or before publishing), stops, removes what it made and publishes
nothing.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from pydantic import StringConstraints
from sqlalchemy import Connection

from tidecast.container import from_environment
from tidecast.errors import DomainError, InvalidInput
from tidecast.media.streams import DEFAULT_LIMIT, DESCRIPTION_MAX, MAX_LIMIT, TITLE_MAX
from tidecast.runtime import Function, Request, Response, ok
from tidecast.runtime.validation import Body, parse_body

app = Function("streams", services=from_environment)
log = logging.getLogger(__name__)


#: A price as typed: decimal digits and a point; the length bound keeps int() away from
#: thousands of digits (Python refuses over 4300 with a ValueError, not a 400).
Price = Annotated[str, StringConstraints(min_length=1, max_length=80)]


class PatchBody(Body):
    pricePerSecond: Price | None = None
    title: Annotated[str, StringConstraints(max_length=TITLE_MAX + 100)] | None = None
    description: Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX)] | None = None


class PlaybackBody(Body):
    paymentStreamId: int | Annotated[str, StringConstraints(min_length=1, max_length=80)] | None = None


@app.route("GET", "")
def list_streams(request: Request) -> Response:
    limit = request.query_int("limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    cursor = request.query.get("cursor")
    status = request.query.get("status")
    owner = request.query.get("owner")
    owner_id = None
    if owner is not None:
        if owner != "me":
            raise InvalidInput("Invalid 'owner' parameter: only 'me' is supported")
        from tidecast.functions._auth import authenticate

        owner_id = authenticate(request).user_id
    page = request.services.streams.list(limit=limit, cursor=cursor, status=status, owner_id=owner_id)
    return ok({"items": page.items, "nextCursor": page.next_cursor})


@app.route("GET", "{stream_id}")
def get_stream(request: Request, stream_id: str) -> Response:
    return ok(request.services.streams.get(stream_id))


@app.route("PATCH", "{stream_id}")
def patch_stream(request: Request, stream_id: str) -> Response:
    from tidecast.functions._auth import authenticate

    user = authenticate(request)
    body = parse_body(request, PatchBody)
    changes: dict[str, Any] = {
        k: v for k, v in (("title", body.title), ("description", body.description)) if v is not None
    }
    if body.pricePerSecond is None and not changes:
        raise InvalidInput("Invalid request body: give at least one of pricePerSecond, title, description")
    services = request.services
    # The owner is checked before the price touches the chain: a stranger learns nothing and
    # costs no chain read. `update` checks it again, in its transaction.
    services.streams.check_owner(stream_id, user.user_id)
    if body.pricePerSecond is not None:
        from tidecast.chain.units import format_units, parse_units

        decimals = services.chain.token().decimals
        units = parse_units(body.pricePerSecond, decimals, field="pricePerSecond")
        changes["price_per_second"] = format_units(units, decimals)
    return ok(services.streams.update(stream_id, user.user_id, changes))


@app.route("POST", "{stream_id}/playback")
def playback(request: Request, stream_id: str) -> Response:
    from tidecast.functions._auth import authenticate

    user = authenticate(request)
    body = parse_body(request, PlaybackBody) if request.body.strip() else PlaybackBody()
    playback = request.services.playback.start(
        user.user_id, stream_id, body.paymentStreamId, session_version=user.claims["sv"]
    )
    return ok(playback)


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
        from tidecast.media.pipeline import remove_stream_media

        remove_stream_media(services.hls, services.ipfs, services.uploads, gone)
    except DomainError as exc:  # the subscriber retries; the delete itself is done
        log.warning("stream %s deleted; removing its media failed for now: %s", stream_id, exc.message)
    return ok({"id": stream_id, "deleted": True})


handler = app.handler
