from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="Variant")


@_attrs_define
class Variant:
    """One HLS rendition. Streams published before a field existed lack it (null).

    Attributes:
        quality (str):
        playlist (str):
        width (int | None | Unset):
        height (int | None | Unset):
        bandwidth (int | None | Unset):
        average_bandwidth (int | None | Unset):
        codecs (None | str | Unset):
    """

    quality: str
    playlist: str
    width: int | Unset | None = UNSET
    height: int | Unset | None = UNSET
    bandwidth: int | Unset | None = UNSET
    average_bandwidth: int | Unset | None = UNSET
    codecs: str | Unset | None = UNSET

    def to_dict(self) -> dict[str, Any]:
        quality = self.quality

        playlist = self.playlist

        width: int | Unset | None
        if isinstance(self.width, Unset):
            width = UNSET
        else:
            width = self.width

        height: int | Unset | None
        if isinstance(self.height, Unset):
            height = UNSET
        else:
            height = self.height

        bandwidth: int | Unset | None
        if isinstance(self.bandwidth, Unset):
            bandwidth = UNSET
        else:
            bandwidth = self.bandwidth

        average_bandwidth: int | Unset | None
        if isinstance(self.average_bandwidth, Unset):
            average_bandwidth = UNSET
        else:
            average_bandwidth = self.average_bandwidth

        codecs: str | Unset | None
        if isinstance(self.codecs, Unset):
            codecs = UNSET
        else:
            codecs = self.codecs

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "quality": quality,
                "playlist": playlist,
            }
        )
        if width is not UNSET:
            field_dict["width"] = width
        if height is not UNSET:
            field_dict["height"] = height
        if bandwidth is not UNSET:
            field_dict["bandwidth"] = bandwidth
        if average_bandwidth is not UNSET:
            field_dict["averageBandwidth"] = average_bandwidth
        if codecs is not UNSET:
            field_dict["codecs"] = codecs

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        quality = d.pop("quality")

        playlist = d.pop("playlist")

        def _parse_width(data: object) -> int | Unset | None:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | Unset | None, data)

        width = _parse_width(d.pop("width", UNSET))

        def _parse_height(data: object) -> int | Unset | None:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | Unset | None, data)

        height = _parse_height(d.pop("height", UNSET))

        def _parse_bandwidth(data: object) -> int | Unset | None:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | Unset | None, data)

        bandwidth = _parse_bandwidth(d.pop("bandwidth", UNSET))

        def _parse_average_bandwidth(data: object) -> int | Unset | None:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | Unset | None, data)

        average_bandwidth = _parse_average_bandwidth(d.pop("averageBandwidth", UNSET))

        def _parse_codecs(data: object) -> str | Unset | None:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(str | Unset | None, data)

        codecs = _parse_codecs(d.pop("codecs", UNSET))

        variant = cls(
            quality=quality,
            playlist=playlist,
            width=width,
            height=height,
            bandwidth=bandwidth,
            average_bandwidth=average_bandwidth,
            codecs=codecs,
        )

        return variant
