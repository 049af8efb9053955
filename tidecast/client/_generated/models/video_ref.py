from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="VideoRef")


@_attrs_define
class VideoRef:
    """
    Attributes:
        id (str):
        title (None | str): null: the video was deleted since
    """

    id: str
    title: str | None

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        title: str | None
        title = self.title

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "title": title,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        def _parse_title(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        title = _parse_title(d.pop("title"))

        video_ref = cls(
            id=id,
            title=title,
        )

        return video_ref
