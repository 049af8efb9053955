from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.position import Position


T = TypeVar("T", bound="SavePositionResponse200")


@_attrs_define
class SavePositionResponse200:
    """
    Attributes:
        success (Literal[True]):
        data (Position): Where the viewer stopped in a stream (GET/PUT /api/streams/{id}/position).
    """

    success: Literal[True]
    data: Position

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
        from ..models.position import Position

        d = dict(src_dict)
        success = cast(Literal[True], d.pop("success"))
        if not success:
            raise ValueError(f"success must match const True, got '{success}'")

        data = Position.from_dict(d.pop("data"))

        save_position_response_200 = cls(
            success=success,
            data=data,
        )

        return save_position_response_200
