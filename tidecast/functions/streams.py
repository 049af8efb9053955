"""GET /api/streams, GET /api/streams/:id (reference: "API handlers"), PATCH and DELETE
/api/streams/:id, and POST /api/streams/:id/playback (a playback token; tidecast/payments/playback.py).

Listing takes `?status=` (one of the stream statuses), `?owner=me` (the caller's own streams,
every status; needs a login), `?creator=<username>` (one creator's: a channel), `?q=` (search)
and `?sort=` (newest, oldest, title, price, duration). GET and PUT /api/streams/:id/position are
where the signed-in viewer stopped (tidecast/media/positions.py).

PATCH changes the title, description or price (owner only); the price is checked against the
platform token's decimals, so only that route reads the chain.

DELETE is for the stream's owner (others 403, no login 401): the row goes, and `stream.deleted`
is published in the same transaction; its subscriber removes the HLS files and unpins the CID,
retried until done. The removal is also tried right away, so a 200 usually means the files are
gone already. A stream still processing is deleted the same way: its transcode job notices at
its next progress report (or before publishing), stops, removes what it made and publishes
nothing.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tidecast.chain.units import format_units, parse_units
from tidecast.container import from_environment
from tidecast.db.times import iso
from tidecast.errors import DomainError, InvalidInput
from tidecast.functions.models.request_fields import PositiveId
from tidecast.functions.models.streams import Deleted, Playback, Position, Stream, StreamPage
from tidecast.media.streams import (
    DEFAULT_LIMIT,
    DESCRIPTION_MAX,
    MAX_CURSOR_CHARS,
    MAX_LIMIT,
    MAX_QUERY_CHARS,
    SORTS,
    STREAM_ID,
    TITLE_MAX,
)
from tidecast.runtime import Function, Request, Response, ok
from tidecast.runtime.contract import Contract, Link, Reply
from tidecast.runtime.validation import Body, parse_body, publish_no_nul

app = Function("streams", services=from_environment)
log = logging.getLogger(__name__)


#: A username as accounts make them (any case: a channel's link may be typed).
Username = Annotated[str, StringConstraints(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_]+$")]

#: A price as typed: decimal digits and a point; the length bound keeps int() away from
#: thousands of digits (Python refuses over 4300 with a ValueError, not a 400).
Price = Annotated[str, StringConstraints(min_length=1, max_length=80)]


def _at_least_one(schema: dict[str, Any]) -> None:
    """The handler's rule "give at least one field", said in the schema (a null is "no change")."""
    publish_no_nul(schema)
    schema["minProperties"] = 1


class PatchBody(Body):
    # "At least one field" is the handler's rule; the schema says it too.
    model_config = ConfigDict(json_schema_extra=_at_least_one)

    pricePerSecond: Price | None = None
    title: Annotated[str, StringConstraints(max_length=TITLE_MAX + 100)] | None = None
    description: Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX)] | None = None
    thumbnail: Annotated[str, StringConstraints(max_length=1024)] | None = Field(
        None, description="One of the stream's thumbnailChoices"
    )


class PlaybackBody(Body):
    paymentStreamId: PositiveId | None = None
    credit: bool = Field(
        default=False,
        description="Pay from card credit: the platform's treasury opens the payment stream (no wallet)",
    )


class ListQuery(BaseModel):
    """GET /api/streams's query (read by the handler with the same bounds)."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Streams per page")
    cursor: str | None = Field(
        None, max_length=MAX_CURSOR_CHARS, description="The previous page's nextCursor"
    )
    status: Literal["processing", "ready", "failed"] | None = Field(
        None, description="Only streams in this status"
    )
    owner: Literal["me"] | None = Field(None, description="'me': the caller's own streams (needs a login)")
    creator: (
        Annotated[str, StringConstraints(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_]+$")] | None
    ) = Field(None, description="One creator's streams, by username (a channel); 404 when nobody has it")
    q: Annotated[str, StringConstraints(max_length=MAX_QUERY_CHARS)] | None = Field(
        None, description="Search: streams whose title, description or creator's username holds every word"
    )
    sort: Literal[SORTS] = Field(  # type: ignore[valid-type]  # the tuple's values, for the schema
        "newest",
        description="newest (default), oldest, title (A to Z), price (cheapest first), duration (longest)",
    )


class PositionBody(Body):
    seconds: float = Field(ge=0, le=10**7, description="Seconds into the video")


ID = {"type": "string", "pattern": "^" + STREAM_ID.pattern + "$"}
STREAM_ID_PARAM = {"stream_id": ID}
#: The stateful chain a client walks: a stream, then change it, play it, delete it.
FROM_STREAM = {"stream_id": "$response.body#/data/id"}
STREAM_LINKS = {
    200: {
        "PatchStream": Link("patchStream", FROM_STREAM),
        "StartPlayback": Link("startPlayback", FROM_STREAM),
        "DeleteStream": Link("deleteStream", FROM_STREAM),
    }
}


@app.route(
    "GET",
    "",
    Contract(
        "listStreams",
        "List streams: search, sort, one creator's, newest first by default",
        (Reply(200, "A page of streams", StreamPage),),
        errors=(400, 401, 404),
        auth="optional",
        query=ListQuery,
        description=(
            "Keyset pagination: follow `nextCursor` (good for the sort that issued it) until it is "
            "null. `owner=me` needs a login; `creator` is 404 when no user has that name."
        ),
    ),
)
def list_streams(request: Request) -> Response:
    limit = request.query_int("limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    cursor = request.query.get("cursor")
    status = request.query.get("status")
    owner = request.query.get("owner")
    creator = request.query.get("creator")
    owner_id = None
    if owner is not None:
        if owner != "me":
            raise InvalidInput("Invalid 'owner' parameter: only 'me' is supported")
        from tidecast.functions._auth import authenticate  # lazy: a read loads no accounts code (cold path)

        owner_id = authenticate(request).user_id
    if creator is not None:
        channel = request.services.streams.owner_of_name(creator)
        if owner_id is not None and owner_id != channel.user_id:
            raise InvalidInput("Give either 'owner' or 'creator', not both")
        owner_id = channel.user_id
    page = request.services.streams.list(
        limit=limit,
        cursor=cursor,
        status=status,
        owner_id=owner_id,
        q=request.query.get("q"),
        sort=request.query.get("sort") or "newest",
    )
    items = [Stream.from_domain(item) for item in page.items]
    return ok(StreamPage(items=items, nextCursor=page.next_cursor))


@app.route(
    "GET",
    "{stream_id}",
    Contract(
        "getStream",
        "One stream",
        (Reply(200, "The stream", Stream),),
        errors=(404,),
        path=STREAM_ID_PARAM,
        links=STREAM_LINKS,
    ),
)
def get_stream(request: Request, stream_id: str) -> Response:
    return ok(Stream.from_domain(request.services.streams.get(stream_id)))


@app.route(
    "PATCH",
    "{stream_id}",
    Contract(
        "patchStream",
        "Change a stream's title, description, price or thumbnail (its owner only)",
        (Reply(200, "The stream as changed", Stream),),
        errors=(403, 404, 503),
        auth="bearer",
        body=PatchBody,
        path=STREAM_ID_PARAM,
        links={200: {"GetStream": Link("getStream", FROM_STREAM)}},
    ),
)
def patch_stream(request: Request, stream_id: str) -> Response:
    from tidecast.functions._auth import authenticate  # lazy: a read loads no accounts code (cold path)

    user = authenticate(request)
    body = parse_body(request, PatchBody)
    changes: dict[str, Any] = {
        k: v
        for k, v in (("title", body.title), ("description", body.description), ("thumbnail", body.thumbnail))
        if v is not None
    }
    if body.pricePerSecond is None and not changes:
        raise InvalidInput(
            "Invalid request body: give at least one of pricePerSecond, title, description, thumbnail"
        )
    services = request.services
    # The owner is checked before the price touches the chain: a stranger learns nothing and
    # costs no chain read. `update` checks it again, in its transaction.
    services.streams.check_owner(stream_id, user.user_id)
    if body.pricePerSecond is not None:
        decimals = services.chain.token().decimals
        units = parse_units(body.pricePerSecond, decimals, field="pricePerSecond")
        changes["price_per_second"] = format_units(units, decimals)
    return ok(Stream.from_domain(services.streams.update(stream_id, user.user_id, changes)))


@app.route(
    "POST",
    "{stream_id}/playback",
    Contract(
        "startPlayback",
        "A playback token for a stream: free, paid by a payment stream, or paid from card credit",
        (Reply(200, "The playback token and why the viewer may play", Playback),),
        errors=(402, 403, 404, 409, 503),
        auth="bearer",
        body=PlaybackBody,
        body_required=False,
        path=STREAM_ID_PARAM,
        links={
            200: {
                "FirstKey": Link(
                    "getKey",
                    {"stream_id": "$request.path.stream_id", "period": "0"},
                    description="The first key period's key (send the playback token as the Bearer)",
                )
            }
        },
    ),
)
def playback(request: Request, stream_id: str) -> Response:
    from tidecast.functions._auth import authenticate  # lazy: a read loads no accounts code (cold path)

    user = authenticate(request)
    body = parse_body(request, PlaybackBody) if request.body.strip() else PlaybackBody()
    pay = body.paymentStreamId
    credit = None
    if body.credit:
        if pay is not None:
            raise InvalidInput("Send either 'credit' or 'paymentStreamId', not both")
        credit = request.services.credit.open(user.user_id, stream_id)
        pay = str(credit.payment_stream_id)
    playback = request.services.playback.start(
        user.user_id, stream_id, pay, session_version=user.claims["sv"]
    )
    return ok(Playback.from_domain(playback, credit))


@app.route(
    "DELETE",
    "{stream_id}",
    Contract(
        "deleteStream",
        "Delete a stream, its files and its pin (its owner only)",
        (Reply(200, "Deleted", Deleted),),
        errors=(403, 404),
        auth="bearer",
        path=STREAM_ID_PARAM,
    ),
)
def delete_stream(request: Request, stream_id: str) -> Response:
    # Imported here: reading streams must not load the accounts code (test_cold_path).
    from tidecast.functions._auth import authenticate  # lazy: a read loads no accounts code (cold path)

    user = authenticate(request)
    services = request.services

    gone = services.streams.delete(stream_id, user.user_id)
    try:
        from tidecast.media.pipeline import remove_stream_media  # lazy: pipeline only to delete media

        remove_stream_media(
            services.hls, services.ipfs, services.uploads, gone.id, gone.cid, services.published
        )
    except DomainError as exc:  # the subscriber retries; the delete itself is done
        log.warning("stream %s deleted; removing its media failed for now: %s", stream_id, exc.message)
    return ok(Deleted(id=stream_id, deleted=True))


@app.route(
    "GET",
    "{stream_id}/position",
    Contract(
        "getPosition",
        "Where the signed-in viewer stopped in a stream (resume on any device)",
        (Reply(200, "The position; seconds null when never watched", Position),),
        errors=(404,),
        auth="bearer",
        path=STREAM_ID_PARAM,
    ),
)
def get_position(request: Request, stream_id: str) -> Response:
    from tidecast.functions._auth import authenticate  # lazy: a read loads no accounts code (cold path)

    user = authenticate(request)
    found = request.services.positions.get(user.user_id, stream_id)
    return ok(Position(seconds=found.seconds, updatedAt=iso(found.updated_at) if found.updated_at else None))


@app.route(
    "PUT",
    "{stream_id}/position",
    Contract(
        "savePosition",
        "Record where the signed-in viewer is in a stream",
        (Reply(200, "The position as saved", Position),),
        errors=(404,),
        auth="bearer",
        body=PositionBody,
        path=STREAM_ID_PARAM,
    ),
)
def save_position(request: Request, stream_id: str) -> Response:
    from tidecast.functions._auth import authenticate  # lazy: a read loads no accounts code (cold path)

    user = authenticate(request)
    body = parse_body(request, PositionBody)
    saved = request.services.positions.save(user.user_id, stream_id, body.seconds)
    return ok(Position(seconds=saved.seconds, updatedAt=iso(saved.updated_at) if saved.updated_at else None))


handler = app.handler
