from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.registered import Registered


T = TypeVar("T", bound="RegisterResponse202")


@_attrs_define
class RegisterResponse202:
    """
    Attributes:
        success (Literal[True]):
        data (Registered): Accepted: the verification mail is on its way (the same answer for a taken address).
    """

    success: Literal[True]
    data: Registered

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
        from ..models.registered import Registered

        d = dict(src_dict)
        success = cast(Literal[True], d.pop("success"))
        if not success:
            raise ValueError(f"success must match const True, got '{success}'")

        data = Registered.from_dict(d.pop("data"))

        register_response_202 = cls(
            success=success,
            data=data,
        )

        return register_response_202
