"""Timestamps: everything tidecast stores is UTC; SQLite hands datetimes back naive."""

from __future__ import annotations

from datetime import UTC, datetime


def now_utc() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def iso(value: datetime) -> str:
    """ISO 8601 with a `Z`, the API's timestamp format."""
    return as_utc(value).isoformat().replace("+00:00", "Z")
