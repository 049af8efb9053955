"""What /api/streams answers, and the rendering of a stream row into it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from tidecast.functions.models.common import Amount, Out, Timestamp


class Variant(Out):
    """One HLS rendition. Streams published before a field existed lack it (null)."""

    quality: str
    playlist: str
    width: int | None = None
    height: int | None = None
    bandwidth: int | None = None
    averageBandwidth: int | None = None
    codecs: str | None = None


class Creator(Out):
    username: str | None
    wallet: str | None = Field(description="The creator's earliest linked wallet: where payments go")


class Stream(Out):
    id: str
    title: str
    description: str
    ownerId: str | None
    status: Literal["processing", "ready", "failed"]
    progress: float = Field(ge=0, le=100)
    etaSeconds: float | None
    error: str | None
    duration: float | None
    masterPlaylist: str | None
    variants: list[Variant]
    thumbnail: str | None
    cid: str | None
    encrypted: bool = Field(description="HLS AES-128, a key per key period (GET /api/keys/...)")
    keyPeriodSeconds: float | None
    keyPeriods: int | None
    pricePerSecond: Amount
    creator: Creator
    createdAt: Timestamp
    updatedAt: Timestamp


class StreamPage(Out):
    items: list[Stream]
    nextCursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last")


class Deleted(Out):
    id: str
    deleted: Literal[True]


class PlaybackPayment(Out):
    id: str
    sender: str
    recipient: str
    token: str
    flowRate: Amount
    remainingBalance: Amount
    depletionTime: Timestamp | None
    active: bool
    paidSeconds: float


class Playback(Out):
    token: str = Field(description="A playback token: the Bearer of GET /api/keys/{streamId}/{period}")
    expiresAt: Timestamp
    expiresIn: int
    keyPeriodSeconds: float | None
    free: bool
    reason: str | None
    payment: PlaybackPayment | None


def stream_out(data: dict[str, Any]) -> Stream:
    """A stream as the API shows it, from the service's camelCase dict."""
    return Stream.model_validate(data)
