"""Where each viewer stopped in each stream: the watch page's "resume from 1:23", on any device.

One row a viewer and stream, overwritten while they watch (the page saves every ~10 s and when
it stops or leaves). A position is a hint, not money: nothing is charged or released by it, so
the last write wins and no history is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from tidecast.db.schema import streams, watch_positions
from tidecast.db.times import as_utc, now_utc
from tidecast.db.tx import transaction
from tidecast.errors import InvalidInput, NotFound
from tidecast.media.streams import STREAM_ID

#: Seconds past the known duration still taken (a player reports its end a little late).
END_SLACK = 1.0


@dataclass(frozen=True)
class Position:
    seconds: float | None
    updated_at: datetime | None


class PositionService:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, user_id: str, stream_id: str) -> Position:
        """Where `user_id` stopped in the stream; `seconds` None when they never watched it."""
        self._exists(stream_id)
        with self._engine.connect() as conn:
            row = conn.execute(
                select(watch_positions.c.seconds, watch_positions.c.updated_at).where(
                    (watch_positions.c.user_id == user_id) & (watch_positions.c.stream_id == stream_id)
                )
            ).first()
        if row is None:
            return Position(None, None)
        return Position(row.seconds, as_utc(row.updated_at))

    def save(self, user_id: str, stream_id: str, seconds: float) -> Position:
        """Record where `user_id` is in the stream: 0 up to its duration (400 outside it)."""
        if not math.isfinite(seconds) or seconds < 0:
            raise InvalidInput("Invalid 'seconds': a number of seconds, 0 or more")
        duration = self._exists(stream_id)
        if duration is not None and seconds > duration + END_SLACK:
            raise InvalidInput(f"Invalid 'seconds': the video is {duration:.1f} s long")
        if duration is not None:
            seconds = min(seconds, duration)
        now = now_utc()
        key = (watch_positions.c.user_id == user_id) & (watch_positions.c.stream_id == stream_id)
        change = watch_positions.update().where(key).values(seconds=seconds, updated_at=now)
        with transaction(self._engine) as conn:
            if conn.execute(change).rowcount:
                return Position(seconds, now)
            try:
                # A savepoint: two first saves at once (two tabs) race to insert; the loser's
                # error must not abort the transaction (PostgreSQL), so it updates instead.
                with conn.begin_nested():
                    conn.execute(
                        watch_positions.insert().values(
                            user_id=user_id, stream_id=stream_id, seconds=seconds, updated_at=now
                        )
                    )
            except IntegrityError:
                if not conn.execute(change).rowcount:
                    raise NotFound("Stream not found") from None  # deleted meanwhile
        return Position(seconds, now)

    def _exists(self, stream_id: str) -> float | None:
        """The stream's duration (None while unknown); NotFound when there is no such stream."""
        if not STREAM_ID.fullmatch(stream_id):
            raise NotFound("Stream not found")
        with self._engine.connect() as conn:
            row = conn.execute(select(streams.c.duration).where(streams.c.id == stream_id)).first()
        if row is None:
            raise NotFound("Stream not found")
        return row.duration  # type: ignore[no-any-return]
