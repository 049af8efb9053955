"""Per-account upload quotas, as PeerTube has them: bytes stored (`videoQuota`) and bytes
uploaded in the last 24 hours (`videoQuotaDaily`).

What counts is the bytes of the account's uploads, as declared in Upload-Length: known before
the first byte arrives, so a creation over quota is refused at once (and a tus client never
sends gigabytes only to be refused at the end). Published output is not counted: its size is
known only after the transcode, and it is bounded by the ladder's bitrates over the video's
duration, which the media limits bound.
- stored: every unfinished upload (its declared length is reserved, so parallel uploads cannot
  overshoot together), and every complete upload whose stream still exists. Deleting a stream
  frees its bytes; an abandoned upload frees them when it is deleted, evicted or expires.
- daily: every upload created in the last 24 hours, unfinished or complete, whether or not its
  stream has been deleted since: deleting and uploading again is new work for the platform.
  (Uploads refused as not a video, or abandoned and discarded, are gone and do not count.)

A limit of -1 is unlimited; 0 allows no upload at all (PeerTube's convention).

The check runs after the new upload's row is inserted, in its transaction and under an
advisory lock on the account (tidecast/db/tx.py), and a refusal rolls the row back: two
creations at once are checked one after the other, each seeing the other's reservation, on
PostgreSQL and on SQLite (where the insert takes the one write lock first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, func, or_, select

from tidecast.db.schema import streams, uploads
from tidecast.db.times import now_utc
from tidecast.errors import NotAllowed

UNLIMITED = -1
DAY = timedelta(hours=24)


class QuotaExceeded(NotAllowed):
    """An upload would take the account past a quota; the message has the figures."""


@dataclass(frozen=True)
class Usage:
    stored: int
    daily: int


@dataclass(frozen=True)
class Quotas:
    """TIDECAST_QUOTA_STORAGE_BYTES and TIDECAST_QUOTA_DAILY_BYTES, in bytes (-1: unlimited)."""

    storage_bytes: int = UNLIMITED
    daily_bytes: int = UNLIMITED

    def usage(self, conn: Connection, owner_id: str, *, now: datetime | None = None) -> Usage:
        """Bytes the account stores and bytes it uploaded in the 24 hours before `now`."""
        since = (now or now_utc()) - DAY
        stored = conn.execute(
            select(func.coalesce(func.sum(uploads.c.length), 0))
            .select_from(uploads.outerjoin(streams, streams.c.id == uploads.c.stream_id))
            .where(
                and_(
                    uploads.c.owner_id == owner_id,
                    or_(uploads.c.status == "receiving", streams.c.id.is_not(None)),
                )
            )
        ).scalar_one()
        daily = conn.execute(
            select(func.coalesce(func.sum(uploads.c.length), 0)).where(
                (uploads.c.owner_id == owner_id) & (uploads.c.created_at > since)
            )
        ).scalar_one()
        return Usage(int(stored), int(daily))

    def check(self, conn: Connection, owner_id: str, length: int) -> None:
        """QuotaExceeded when the account's usage (which includes the upload of `length`
        bytes, already inserted in this transaction) is over a quota."""
        if self.storage_bytes == UNLIMITED and self.daily_bytes == UNLIMITED:
            return
        used = self.usage(conn, owner_id)
        if self.storage_bytes != UNLIMITED and used.stored > self.storage_bytes:
            raise QuotaExceeded(
                f"quota exceeded: this upload of {_size(length)} would make {_size(used.stored)} of "
                f"video stored; the storage quota is {_size(self.storage_bytes)} "
                f"(TIDECAST_QUOTA_STORAGE_BYTES). Delete streams you no longer need"
            )
        if self.daily_bytes != UNLIMITED and used.daily > self.daily_bytes:
            raise QuotaExceeded(
                f"quota exceeded: this upload of {_size(length)} would make {_size(used.daily)} "
                f"uploaded in 24 hours; the daily quota is {_size(self.daily_bytes)} "
                "(TIDECAST_QUOTA_DAILY_BYTES). Try again later"
            )


def _size(count: int) -> str:
    """Bytes, then the nearest binary unit: `5368709120 bytes (5.0 GiB)`."""
    value, unit = float(count), "bytes"
    for bigger in ("KiB", "MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{count} bytes" if unit == "bytes" else f"{count} bytes ({value:.1f} {unit})"
