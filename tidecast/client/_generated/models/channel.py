from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Channel")


@_attrs_define
class Channel:
    """A creator's channel header (GET /api/creators/{username}).

    Attributes:
        username (str):
        joined_at (str):
        streams (int): Videos ready to watch
    """

    username: str
    joined_at: str
    streams: int

    def to_dict(self) -> dict[str, Any]:
        username = self.username

        joined_at = self.joined_at

        streams = self.streams

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "username": username,
                "joinedAt": joined_at,
                "streams": streams,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        username = d.pop("username")

        joined_at = d.pop("joinedAt")

        streams = d.pop("streams")

        channel = cls(
            username=username,
            joined_at=joined_at,
            streams=streams,
        )

        return channel
