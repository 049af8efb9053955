"""Streams: the catalogue of videos, with search, sorting and keyset (cursor) pagination.

Keyset rather than OFFSET pagination: a page costs the same at any depth and a stream added
while a client pages does not shift or repeat rows. The cursor is opaque to clients (base64url
of the sort's name, the last row's sort key and its id) and is checked strictly on the way back
in: a cursor is only good for the sort that issued it.

Search (`q`) is a case-insensitive substring of the title, the description or the creator's
username, with LIKE's wildcards escaped: the catalogue a laptop or a small platform holds is
scanned in milliseconds; a full-text index (PostgreSQL's tsvector) is the step when it is not.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, and_, delete, func, insert, literal_column, or_, select, update

from tidecast.db.schema import STREAM_STATUSES, streams, user_wallets, users
from tidecast.db.times import as_utc, now_utc
from tidecast.db.tx import transaction
from tidecast.errors import InvalidInput, NotAllowed, NotFound
from tidecast.media import stream_events

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
TITLE_MAX = 200
DESCRIPTION_MAX = 5000
#: What `new_id` makes (and what the column holds): anything else cannot be a stream, and is
#: never sent to the database (PostgreSQL refuses NUL characters with an error, not a miss).
STREAM_ID = re.compile(r"[A-Za-z0-9_\-]{1,32}", re.ASCII)
#: A cursor this API issues is ~100 characters (base64 of a timestamp and an id). Longer ones
#: are refused before decoding: the JSON inside is the client's, and a few thousand nested `[`
#: were a RecursionError (a 500), or worse under a raised recursion limit (tidecast/imports.py).
#: 256 characters hold at most 192 bytes of JSON, so at most 192 levels: far from any limit.
MAX_CURSOR_CHARS = 256
#: The longest search the listing takes (a search box's worth; LIKE over longer is waste).
MAX_QUERY_CHARS = 100
#: `sort=` values: name -> (the column or expression, ascending?). Each ties on the id in the
#: same direction, so the order is total and a keyset cursor names one place in it.
SORTS = ("newest", "oldest", "title", "price", "duration")
#: `price_key`'s widths: a uint256 has 78 digits, so no price has more whole digits than 80;
#: the token's decimals (18 for most) are far below 36.
_WHOLE_DIGITS = 80
_FRACTION_DIGITS = 36


#: A username as accounts make them (tidecast/accounts/service.py): anything else names nobody
#: and is never sent to the database.
USERNAME = re.compile(r"[a-z0-9_]{3,32}", re.ASCII)


@dataclass(frozen=True)
class Creator:
    """A channel's header: who, since when, how many videos ready to watch."""

    user_id: str
    username: str
    joined_at: datetime
    ready_streams: int


@dataclass(frozen=True)
class Page:
    items: list[Stream]
    next_cursor: str | None


def new_id() -> str:
    """16 URL-safe characters (96 random bits): unguessable, fine in a path segment. Never a
    leading '-': the id names the stream's directory, and the HLS service refuses names that
    a command-line tool could read as an option (one id in 64 would otherwise fail its job)."""
    while True:
        candidate = secrets.token_urlsafe(12)
        if not candidate.startswith("-"):
            return candidate


@dataclass(frozen=True)
class Stream:
    """A stream as the service knows it. The API's camelCase shape is the edge's to render
    (tidecast/functions/models/streams.py); the CLI renders its own way."""

    id: str
    title: str
    description: str
    owner_id: str | None
    status: str
    progress: float
    eta_seconds: float | None
    error: str | None
    duration: float | None
    master_playlist: str | None
    #: The HLS renditions as the pipeline recorded them (the JSON column's objects).
    variants: tuple[dict[str, Any], ...]
    thumbnail: str | None
    #: The pictures `thumbnail` may be chosen from (the pipeline's; the thumbnail alone for
    #: streams published before there was a choice).
    thumbnails: tuple[str, ...]
    cid: str | None
    #: Published HLS AES-128, a key per key period (tidecast/media/keys.py); None: unencrypted
    #: (published before encryption, or not published yet).
    key_period_seconds: float | None
    key_periods: int | None
    #: A player can start: ready, or still processing with its first segments published
    #: (tidecast/media/live.py).
    playable: bool
    #: Whole tokens, a normalised decimal string (money is never a float).
    price_per_second: str
    #: None when the row was read without the creator's columns (a deleted stream).
    creator_username: str | None
    creator_wallet: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def encrypted(self) -> bool:
        return self.key_period_seconds is not None

    @classmethod
    def of(cls, row: Any) -> Stream:
        """From a `streams` row, with or without `with_creator`'s columns."""
        return cls(
            id=row.id,
            title=row.title,
            description=row.description,
            owner_id=row.owner_id,
            status=row.status,
            progress=row.progress,
            eta_seconds=row.eta_seconds,
            error=row.error,
            duration=row.duration,
            master_playlist=row.master_playlist,
            variants=tuple(row.variants or ()),
            thumbnail=row.thumbnail,
            thumbnails=tuple(row.thumbnails or ([row.thumbnail] if row.thumbnail else [])),
            cid=row.cid,
            key_period_seconds=row.key_period_seconds,
            key_periods=row.key_periods,
            playable=row.status == "ready" or (row.status == "processing" and bool(row.playable)),
            price_per_second=row.price_per_second,
            creator_username=getattr(row, "creator_username", None),
            creator_wallet=getattr(row, "creator_wallet", None),
            created_at=as_utc(row.created_at),
            updated_at=as_utc(row.updated_at),
        )


def with_creator() -> Any:
    """Streams with their creator's username and earliest linked wallet (what a viewer pays).

    One statement (a join and a correlated subquery on the indexed user id), so listing stays
    one round trip. Wallets are stored EIP-55 checksummed by the link (siwe), so no web3 here."""
    wallet = (
        select(user_wallets.c.address)
        .where(user_wallets.c.user_id == streams.c.owner_id)
        .order_by(user_wallets.c.linked_at, user_wallets.c.address)
        .limit(1)
        .scalar_subquery()
    )
    return select(
        streams, users.c.username.label("creator_username"), wallet.label("creator_wallet")
    ).select_from(streams.outerjoin(users, users.c.id == streams.c.owner_id))


def price_key(price: str) -> str:
    """A normalised decimal price ("0.01") as a string that sorts as the number does: the whole
    part left-padded, the fraction right-padded, to fixed widths (so "10" after "9.5")."""
    whole, _, frac = price.partition(".")
    return whole.rjust(_WHOLE_DIGITS, "0") + "." + frac.ljust(_FRACTION_DIGITS, "0")


def _sort_key(sort: str) -> tuple[Any, bool]:
    """The expression a sort orders by, and whether ascending."""
    if sort == "newest":
        return streams.c.created_at, False
    if sort == "oldest":
        return streams.c.created_at, True
    if sort == "title":
        return func.lower(streams.c.title), True
    if sort == "price":
        return streams.c.price_key, True
    # A processing stream has no duration yet: it sorts last, as 0 s. A literal, not a bound
    # parameter, so the expression is the index's (ix_streams_duration_sort) and the planner
    # can walk it.
    return func.coalesce(streams.c.duration, literal_column("0.0")), False


def _cursor_value(sort: str, row: Any) -> Any:
    if sort in ("newest", "oldest"):
        return as_utc(row.created_at).isoformat()
    if sort == "title":
        return row.title.lower()
    if sort == "price":
        return row.price_key
    return float(row.duration or 0.0)


def encode_cursor(created_at: datetime, stream_id: str) -> str:
    """The newest-first cursor (the listing's default)."""
    return _encode(["newest", as_utc(created_at).isoformat(), stream_id])


def _encode(fields: list[Any]) -> str:
    raw = json.dumps(fields, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str = "newest") -> tuple[Any, str]:
    """The sort key and id a cursor names; 400 unless this API issued it for `sort`."""
    if len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidInput("Invalid 'cursor' parameter: not a cursor this API issued")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        fields = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if isinstance(fields, list) and len(fields) == 2:
            fields = ["newest", *fields]  # issued before sorting existed: newest first
        issued_for, value, stream_id = fields
        if not isinstance(stream_id, str) or not STREAM_ID.fullmatch(stream_id):
            raise ValueError("cursor fields")
        if issued_for != sort:
            raise InvalidInput("Invalid 'cursor' parameter: issued for another sort")
        if sort in ("newest", "oldest"):
            if not isinstance(value, str):
                raise ValueError("cursor fields")
            return as_utc(datetime.fromisoformat(value)), stream_id
        if sort == "duration":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError("cursor fields")
            return float(value), stream_id
        if not isinstance(value, str):
            raise ValueError("cursor fields")
        return value, stream_id
    except (ValueError, TypeError, UnicodeError, binascii.Error):
        raise InvalidInput("Invalid 'cursor' parameter: not a cursor this API issued") from None


def _search(query: Any, q: str) -> Any:
    """Streams whose title, description or creator's username holds `q` (any case)."""
    if "\x00" in q:
        raise InvalidInput("Invalid 'q' parameter: NUL characters are not allowed")
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidInput(f"Invalid 'q' parameter: at most {MAX_QUERY_CHARS} characters")
    words = q.split()
    for word in words:
        pattern = "%" + word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                func.lower(streams.c.title).like(pattern, escape="\\"),
                func.lower(streams.c.description).like(pattern, escape="\\"),
                func.lower(func.coalesce(users.c.username, "")).like(pattern, escape="\\"),
            )
        )
    return query


def checked_title(title: str) -> str:
    title = title.strip()
    if "\x00" in title:
        raise InvalidInput("Invalid 'title': NUL characters are not allowed")
    if not title:
        raise InvalidInput("Invalid 'title': must not be empty")
    if len(title) > TITLE_MAX:
        raise InvalidInput(f"Invalid 'title': at most {TITLE_MAX} characters")
    return title


def checked_description(description: str) -> str:
    if "\x00" in description:
        raise InvalidInput("Invalid 'description': NUL characters are not allowed")
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput(f"Invalid 'description': at most {DESCRIPTION_MAX} characters")
    return description


def insert_stream(
    conn: Connection,
    *,
    title: str,
    description: str = "",
    owner_id: str | None = None,
    price_per_second: str = "0",
) -> str:
    """A new stream in `processing`, in the caller's transaction; its id. `price_per_second` is
    a normalised decimal string of whole tokens (the caller's default, TIDECAST_DEFAULT_PRICE)."""
    title = checked_title(title)
    description = checked_description(description)
    now = now_utc()
    stream_id = new_id()
    conn.execute(
        insert(streams).values(
            id=stream_id,
            title=title,
            description=description,
            owner_id=owner_id,
            price_per_second=price_per_second,
            price_key=price_key(price_per_second),
            status="processing",
            progress=0.0,
            created_at=now,
            updated_at=now,
        )
    )
    return stream_id


class EventRecorder(Protocol):
    """What records an event in the caller's transaction: the event bus (tidecast/event_bus.py),
    named by its shape so that reading streams never imports the bus (a cold start's cost)."""

    def publish(self, conn: Connection, name: str, payload: dict[str, Any]) -> str: ...


class StreamService:
    def __init__(self, engine: Engine, *, events: EventRecorder, default_price: str = "0") -> None:
        self._engine = engine
        self.events = events
        self.default_price = default_price

    def get(self, stream_id: str) -> Stream:
        if not STREAM_ID.fullmatch(stream_id):
            raise NotFound("Stream not found")
        with self._engine.connect() as conn:
            row = conn.execute(with_creator().where(streams.c.id == stream_id)).first()
        if row is None:
            raise NotFound("Stream not found")
        return Stream.of(row)

    def list(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        status: str | None = None,
        owner_id: str | None = None,
        q: str | None = None,
        sort: str = "newest",
    ) -> Page:
        """A page of streams in `sort`'s order (newest first by default); only those in
        `status`, only `owner_id`'s, only those matching `q`, when given."""
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"Invalid 'limit' parameter: must be between 1 and {MAX_LIMIT}")
        if sort not in SORTS:
            raise InvalidInput(f"Invalid 'sort' parameter: one of {', '.join(SORTS)}")
        key, ascending = _sort_key(sort)
        if ascending:
            query = with_creator().order_by(key.asc(), streams.c.id.asc())
        else:
            query = with_creator().order_by(key.desc(), streams.c.id.desc())
        if q is not None and q.strip():
            query = _search(query, q)
        if status is not None:
            if status not in STREAM_STATUSES:
                raise InvalidInput(f"Invalid 'status' parameter: one of {', '.join(STREAM_STATUSES)}")
            query = query.where(streams.c.status == status)
        if owner_id is not None:
            query = query.where(streams.c.owner_id == owner_id)
        if cursor is not None:
            value, last_id = decode_cursor(cursor, sort)
            if ascending:
                after = or_(key > value, and_(key == value, streams.c.id > last_id))
            else:
                after = or_(key < value, and_(key == value, streams.c.id < last_id))
            query = query.where(after)
        with self._engine.connect() as conn:
            rows = conn.execute(query.limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = _encode([sort, _cursor_value(sort, rows[-1]), rows[-1].id]) if more else None
        return Page([Stream.of(r) for r in rows], next_cursor)

    def owner_of_name(self, username: str) -> Creator:
        """The creator named `username` (a channel's header): NotFound when nobody is."""
        username = username.lower()  # accounts store them lower-cased
        if not USERNAME.fullmatch(username):
            raise NotFound(f"No creator named {username!r}")
        ready = (
            select(func.count())
            .select_from(streams)
            .where((streams.c.owner_id == users.c.id) & (streams.c.status == "ready"))
            .scalar_subquery()
        )
        with self._engine.connect() as conn:
            row = conn.execute(
                select(users.c.id, users.c.username, users.c.created_at, ready.label("ready")).where(
                    users.c.username == username
                )
            ).first()
        if row is None:
            raise NotFound(f"No creator named {username!r}")
        return Creator(row.id, row.username, as_utc(row.created_at), int(row.ready))

    def create(self, *, title: str, description: str = "", owner_id: str | None = None) -> Stream:
        with self._engine.begin() as conn:
            stream_id = insert_stream(
                conn,
                title=title,
                description=description,
                owner_id=owner_id,
                price_per_second=self.default_price,
            )
        return self.get(stream_id)

    def check_owner(self, stream_id: str, user_id: str) -> None:
        """NotFound for no such stream, NotAllowed when `user_id` does not own it."""
        if not STREAM_ID.fullmatch(stream_id):
            raise NotFound("Stream not found")
        with self._engine.connect() as conn:
            owner = conn.execute(select(streams.c.owner_id).where(streams.c.id == stream_id)).first()
        if owner is None:
            raise NotFound("Stream not found")
        if owner.owner_id != user_id:
            raise NotAllowed("Only the stream's owner may change it")

    def update(self, stream_id: str, user_id: str, changes: dict[str, Any]) -> Stream:
        """Change a stream's title, description, price (`price_per_second`, normalised by the
        caller, which knows the token's decimals) or thumbnail (one of its `thumbnails`); its
        owner only (others NotAllowed)."""
        allowed = {"title", "description", "price_per_second", "thumbnail"}
        if not changes or set(changes) - allowed:
            raise InvalidInput(
                "Invalid request body: give at least one of title, description, price, thumbnail"
            )
        values = dict(changes)
        if "title" in values:
            values["title"] = checked_title(values["title"])
        if "description" in values:
            values["description"] = checked_description(values["description"])
        if not STREAM_ID.fullmatch(stream_id):
            raise NotFound("Stream not found")
        with transaction(self._engine) as conn:
            owner = conn.execute(select(streams.c.owner_id).where(streams.c.id == stream_id)).first()
            if owner is None:
                raise NotFound("Stream not found")
            if owner.owner_id != user_id:
                raise NotAllowed("Only the stream's owner may change it")
            if "thumbnail" in values:
                current = Stream.of(conn.execute(select(streams).where(streams.c.id == stream_id)).one())
                if values["thumbnail"] not in current.thumbnails:
                    raise InvalidInput("Invalid 'thumbnail': one of the stream's thumbnailChoices")
            if "price_per_second" in values:
                values["price_key"] = price_key(values["price_per_second"])
            conn.execute(
                update(streams).where(streams.c.id == stream_id).values(**values, updated_at=now_utc())
            )
        return self.get(stream_id)

    def delete(self, stream_id: str, user_id: str) -> Stream:
        """Delete a stream its owner asks to delete, recording `stream.deleted` (whose subscriber
        removes its files and pin) in the same transaction. Someone else's stream is NotAllowed."""
        if not STREAM_ID.fullmatch(stream_id):
            raise NotFound("Stream not found")
        with transaction(self._engine) as conn:
            row = conn.execute(select(streams).where(streams.c.id == stream_id)).first()
            if row is None:
                raise NotFound("Stream not found")
            if row.owner_id != user_id:
                raise NotAllowed("Only the stream's owner may delete it")
            conn.execute(delete(streams).where(streams.c.id == stream_id))
            gone = Stream.of(row)
            self.events.publish(conn, stream_events.DELETED, stream_events.deleted(gone))
        return gone

    def set_status(
        self, stream_id: str, status: str, *, progress: float | None = None, error: str | None = None
    ) -> Stream:
        """Move a stream along its lifecycle; the video pipeline calls this."""
        if status not in STREAM_STATUSES:
            raise InvalidInput(f"Invalid 'status': one of {', '.join(STREAM_STATUSES)}")
        if progress is not None and not 0 <= progress <= 100:
            raise InvalidInput("Invalid 'progress': between 0 and 100")
        if not STREAM_ID.fullmatch(stream_id):
            raise NotFound("Stream not found")
        changes: dict[str, Any] = {"status": status, "updated_at": now_utc(), "error": error}
        if progress is not None:
            changes["progress"] = progress
        with self._engine.begin() as conn:
            done = conn.execute(update(streams).where(streams.c.id == stream_id).values(**changes))
        if done.rowcount == 0:
            raise NotFound("Stream not found")
        return self.get(stream_id)
