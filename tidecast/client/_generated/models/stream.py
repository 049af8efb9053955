from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.stream_status import StreamStatus, check_stream_status

if TYPE_CHECKING:
    from ..models.creator import Creator
    from ..models.variant import Variant


T = TypeVar("T", bound="Stream")


@_attrs_define
class Stream:
    """
    Attributes:
        id (str):
        title (str):
        description (str):
        owner_id (None | str):
        status (StreamStatus):
        playable (bool): A player can start now: ready, or still processing with its first segments published (the
            playlists grow until the job ends; play from the start)
        progress (float):
        eta_seconds (float | None):
        error (None | str):
        duration (float | None):
        master_playlist (None | str):
        variants (list[Variant]):
        thumbnail (None | str):
        thumbnail_choices (list[str]): What `thumbnail` may be changed to (PATCH)
        cid (None | str):
        encrypted (bool): HLS AES-128, a key per key period (GET /api/keys/...)
        key_period_seconds (float | None):
        key_periods (int | None):
        price_per_second (str):
        price_total (None | str): The whole video at its price: what a viewer pays at most (null: duration unknown)
        creator (Creator):
        created_at (str):
        updated_at (str):
    """

    id: str
    title: str
    description: str
    owner_id: str | None
    status: StreamStatus
    playable: bool
    progress: float
    eta_seconds: float | None
    error: str | None
    duration: float | None
    master_playlist: str | None
    variants: list[Variant]
    thumbnail: str | None
    thumbnail_choices: list[str]
    cid: str | None
    encrypted: bool
    key_period_seconds: float | None
    key_periods: int | None
    price_per_second: str
    price_total: str | None
    creator: Creator
    created_at: str
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        title = self.title

        description = self.description

        owner_id: str | None
        owner_id = self.owner_id

        status: str = self.status

        playable = self.playable

        progress = self.progress

        eta_seconds: float | None
        eta_seconds = self.eta_seconds

        error: str | None
        error = self.error

        duration: float | None
        duration = self.duration

        master_playlist: str | None
        master_playlist = self.master_playlist

        variants = []
        for variants_item_data in self.variants:
            variants_item = variants_item_data.to_dict()
            variants.append(variants_item)

        thumbnail: str | None
        thumbnail = self.thumbnail

        thumbnail_choices = self.thumbnail_choices

        cid: str | None
        cid = self.cid

        encrypted = self.encrypted

        key_period_seconds: float | None
        key_period_seconds = self.key_period_seconds

        key_periods: int | None
        key_periods = self.key_periods

        price_per_second = self.price_per_second

        price_total: str | None
        price_total = self.price_total

        creator = self.creator.to_dict()

        created_at = self.created_at

        updated_at = self.updated_at

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "title": title,
                "description": description,
                "ownerId": owner_id,
                "status": status,
                "playable": playable,
                "progress": progress,
                "etaSeconds": eta_seconds,
                "error": error,
                "duration": duration,
                "masterPlaylist": master_playlist,
                "variants": variants,
                "thumbnail": thumbnail,
                "thumbnailChoices": thumbnail_choices,
                "cid": cid,
                "encrypted": encrypted,
                "keyPeriodSeconds": key_period_seconds,
                "keyPeriods": key_periods,
                "pricePerSecond": price_per_second,
                "priceTotal": price_total,
                "creator": creator,
                "createdAt": created_at,
                "updatedAt": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.creator import Creator
        from ..models.variant import Variant

        d = dict(src_dict)
        id = d.pop("id")

        title = d.pop("title")

        description = d.pop("description")

        def _parse_owner_id(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        owner_id = _parse_owner_id(d.pop("ownerId"))

        status = check_stream_status(d.pop("status"))

        playable = d.pop("playable")

        progress = d.pop("progress")

        def _parse_eta_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        eta_seconds = _parse_eta_seconds(d.pop("etaSeconds"))

        def _parse_error(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        error = _parse_error(d.pop("error"))

        def _parse_duration(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        duration = _parse_duration(d.pop("duration"))

        def _parse_master_playlist(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        master_playlist = _parse_master_playlist(d.pop("masterPlaylist"))

        variants = []
        _variants = d.pop("variants")
        for variants_item_data in _variants:
            variants_item = Variant.from_dict(variants_item_data)

            variants.append(variants_item)

        def _parse_thumbnail(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        thumbnail = _parse_thumbnail(d.pop("thumbnail"))

        thumbnail_choices = cast(list[str], d.pop("thumbnailChoices"))

        def _parse_cid(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        cid = _parse_cid(d.pop("cid"))

        encrypted = d.pop("encrypted")

        def _parse_key_period_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        key_period_seconds = _parse_key_period_seconds(d.pop("keyPeriodSeconds"))

        def _parse_key_periods(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        key_periods = _parse_key_periods(d.pop("keyPeriods"))

        price_per_second = d.pop("pricePerSecond")

        def _parse_price_total(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        price_total = _parse_price_total(d.pop("priceTotal"))

        creator = Creator.from_dict(d.pop("creator"))

        created_at = d.pop("createdAt")

        updated_at = d.pop("updatedAt")

        stream = cls(
            id=id,
            title=title,
            description=description,
            owner_id=owner_id,
            status=status,
            playable=playable,
            progress=progress,
            eta_seconds=eta_seconds,
            error=error,
            duration=duration,
            master_playlist=master_playlist,
            variants=variants,
            thumbnail=thumbnail,
            thumbnail_choices=thumbnail_choices,
            cid=cid,
            encrypted=encrypted,
            key_period_seconds=key_period_seconds,
            key_periods=key_periods,
            price_per_second=price_per_second,
            price_total=price_total,
            creator=creator,
            created_at=created_at,
            updated_at=updated_at,
        )

        return stream
