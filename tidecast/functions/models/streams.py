"""What /api/streams answers, and the rendering of the service's `Stream` into it."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from tidecast.chain.timestamps import timestamp_iso
from tidecast.chain.units import format_units
from tidecast.db.times import iso
from tidecast.functions.models.common import Amount, Out, Timestamp

if TYPE_CHECKING:  # the models stay importable without the services (the client, the docs)
    from tidecast.billing.playbacks import CreditPlayback
    from tidecast.media import streams as media
    from tidecast.payments import playback as playbacks


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
    playable: bool = Field(
        description="A player can start now: ready, or still processing with its first segments "
        "published (the playlists grow until the job ends; play from the start)"
    )
    progress: float = Field(ge=0, le=100)
    etaSeconds: float | None
    error: str | None
    duration: float | None
    masterPlaylist: str | None
    variants: list[Variant]
    thumbnail: str | None
    thumbnailChoices: list[str] = Field(description="What `thumbnail` may be changed to (PATCH)")
    cid: str | None
    encrypted: bool = Field(description="HLS AES-128, a key per key period (GET /api/keys/...)")
    keyPeriodSeconds: float | None
    keyPeriods: int | None
    pricePerSecond: Amount
    priceTotal: Amount | None = Field(
        description="The whole video at its price: what a viewer pays at most (null: duration unknown)"
    )
    creator: Creator
    createdAt: Timestamp
    updatedAt: Timestamp

    @classmethod
    def from_domain(cls, stream: media.Stream) -> Stream:
        """The API's camelCase shape of a stream (as the reference's JSON is)."""
        return cls(
            id=stream.id,
            title=stream.title,
            description=stream.description,
            ownerId=stream.owner_id,
            status=stream.status,  # type: ignore[arg-type]  # the column's CHECK holds it to the three
            playable=stream.playable,
            progress=stream.progress,
            etaSeconds=stream.eta_seconds,
            error=stream.error,
            duration=stream.duration,
            masterPlaylist=stream.master_playlist,
            variants=[Variant.model_validate(v) for v in stream.variants],
            thumbnail=stream.thumbnail,
            thumbnailChoices=list(stream.thumbnails),
            cid=stream.cid,
            encrypted=stream.encrypted,
            keyPeriodSeconds=stream.key_period_seconds,
            keyPeriods=stream.key_periods,
            pricePerSecond=stream.price_per_second,
            priceTotal=price_total(stream.price_per_second, stream.duration),
            creator=Creator(username=stream.creator_username, wallet=stream.creator_wallet),
            createdAt=iso(stream.created_at),
            updatedAt=iso(stream.updated_at),
        )


def price_total(price: str, duration: float | None) -> str | None:
    """The whole video at `price` a second: what a viewer pays at most (a key period is paid
    for whole, so the seconds are rounded up). Exact: integers at the price's own decimals."""
    if duration is None:
        return None
    decimals = len(price.partition(".")[2])
    return format_units(int(price.replace(".", "")) * math.ceil(duration), decimals)


class Channel(Out):
    """A creator's channel header (GET /api/creators/{username})."""

    username: str
    joinedAt: Timestamp
    streams: int = Field(description="Videos ready to watch")

    @classmethod
    def from_domain(cls, creator: media.Creator) -> Channel:
        return cls(username=creator.username, joinedAt=iso(creator.joined_at), streams=creator.ready_streams)


class Position(Out):
    """Where the viewer stopped in a stream (GET/PUT /api/streams/{id}/position)."""

    seconds: float | None = Field(description="Seconds into the video; null: never watched")
    updatedAt: Timestamp | None


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

    @classmethod
    def from_domain(cls, payment: playbacks.PlaybackPayment) -> PlaybackPayment:
        d, decimals = payment.state.details, payment.decimals
        return cls(
            id=str(d.stream_id),
            sender=d.sender,
            recipient=d.recipient,
            token=d.token,
            flowRate=format_units(d.flow_rate, decimals),
            remainingBalance=format_units(d.remaining_balance, decimals),
            depletionTime=timestamp_iso(d.depletion_time),
            active=d.active,
            # Exact (a fraction of integers) until here, shown to the millisecond.
            paidSeconds=float(round(payment.paid_seconds, 3)),
        )


class CreditPlaybackRef(Out):
    id: str
    held: Amount = Field(description="Credit held while it runs, in whole tokens")


class Playback(Out):
    token: str = Field(description="A playback token: the Bearer of GET /api/keys/{streamId}/{period}")
    expiresAt: Timestamp
    expiresIn: int
    keyPeriodSeconds: float | None
    free: bool
    reason: str | None
    payment: PlaybackPayment | None
    creditPlayback: CreditPlaybackRef | None = Field(
        None,
        description="Paid from card credit: the playback to stop (POST /api/billing/playbacks/{id}/stop)",
    )

    @classmethod
    def from_domain(cls, grant: playbacks.PlaybackGrant, credit: CreditPlayback | None = None) -> Playback:
        return cls(
            token=grant.token,
            expiresAt=iso(grant.expires_at),
            expiresIn=int(grant.lifetime_seconds),
            keyPeriodSeconds=grant.key_period_seconds,
            free=grant.free,
            reason=grant.reason,
            payment=PlaybackPayment.from_domain(grant.payment) if grant.payment is not None else None,
            creditPlayback=CreditPlaybackRef(id=credit.id, held=format_units(credit.deposit, credit.decimals))
            if credit is not None
            else None,
        )
