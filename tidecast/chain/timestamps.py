"""Chain timestamps (uint256 seconds) as datetimes and ISO 8601 strings: a block's time, a
stream's start and the time a deposit runs dry."""

from __future__ import annotations

from datetime import UTC, datetime

from tidecast.db.times import iso

_MAX_TIMESTAMP = 253402300799  # 9999-12-31T23:59:59Z


def chain_datetime(seconds: int) -> datetime | None:
    """A chain timestamp as a datetime; None for 0 and for anything past 9999-12-31, which a
    datetime cannot hold (a deposit can run dry there: a depletion time is any uint256)."""
    if seconds <= 0 or seconds > _MAX_TIMESTAMP:
        return None
    return datetime.fromtimestamp(seconds, UTC)


def timestamp_iso(seconds: int) -> str | None:
    when = chain_datetime(seconds)
    return iso(when) if when is not None else None
