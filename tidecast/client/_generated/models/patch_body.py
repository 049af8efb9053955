from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PatchBody")


@_attrs_define
class PatchBody:
    """
    Attributes:
        price_per_second (None | str | Unset):
        title (None | str | Unset):
        description (None | str | Unset):
        thumbnail (None | str | Unset): One of the stream's thumbnailChoices
    """

    price_per_second: str | Unset | None = UNSET
    title: str | Unset | None = UNSET
    description: str | Unset | None = UNSET
    thumbnail: str | Unset | None = UNSET

    def to_dict(self) -> dict[str, Any]:
        price_per_second: str | Unset | None
        if isinstance(self.price_per_second, Unset):
            price_per_second = UNSET
        else:
            price_per_second = self.price_per_second

        title: str | Unset | None
        if isinstance(self.title, Unset):
            title = UNSET
        else:
            title = self.title

        description: str | Unset | None
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        thumbnail: str | Unset | None
        if isinstance(self.thumbnail, Unset):
            thumbnail = UNSET
        else:
            thumbnail = self.thumbnail

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if price_per_second is not UNSET:
            field_dict["pricePerSecond"] = price_per_second
        if title is not UNSET:
            field_dict["title"] = title
        if description is not UNSET:
            field_dict["description"] = description
        if thumbnail is not UNSET:
            field_dict["thumbnail"] = thumbnail

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_price_per_second(data: object) -> str | Unset | None:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(str | Unset | None, data)

        price_per_second = _parse_price_per_second(d.pop("pricePerSecond", UNSET))

        def _parse_title(data: object) -> str | Unset | None:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(str | Unset | None, data)

        title = _parse_title(d.pop("title", UNSET))

        def _parse_description(data: object) -> str | Unset | None:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(str | Unset | None, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_thumbnail(data: object) -> str | Unset | None:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(str | Unset | None, data)

        thumbnail = _parse_thumbnail(d.pop("thumbnail", UNSET))

        patch_body = cls(
            price_per_second=price_per_second,
            title=title,
            description=description,
            thumbnail=thumbnail,
        )

        return patch_body
