from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="Position")


@_attrs_define
class Position:
    """Where the viewer stopped in a stream (GET/PUT /api/streams/{id}/position).

    Attributes:
        seconds (float | None): Seconds into the video; null: never watched
        updated_at (None | str):
    """

    seconds: float | None
    updated_at: str | None

    def to_dict(self) -> dict[str, Any]:
        seconds: float | None
        seconds = self.seconds

        updated_at: str | None
        updated_at = self.updated_at

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "seconds": seconds,
                "updatedAt": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        seconds = _parse_seconds(d.pop("seconds"))

        def _parse_updated_at(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        updated_at = _parse_updated_at(d.pop("updatedAt"))

        position = cls(
            seconds=seconds,
            updated_at=updated_at,
        )

        return position
