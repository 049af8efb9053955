from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.channel import Channel


T = TypeVar("T", bound="GetCreatorResponse200")


@_attrs_define
class GetCreatorResponse200:
    """
    Attributes:
        success (Literal[True]):
        data (Channel): A creator's channel header (GET /api/creators/{username}).
    """

    success: Literal[True]
    data: Channel

    def to_dict(self) -> dict[str, Any]:
        success = self.success

        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "success": success,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.channel import Channel

        d = dict(src_dict)
        success = cast(Literal[True], d.pop("success"))
        if not success:
            raise ValueError(f"success must match const True, got '{success}'")

        data = Channel.from_dict(d.pop("data"))

        get_creator_response_200 = cls(
            success=success,
            data=data,
        )

        return get_creator_response_200
