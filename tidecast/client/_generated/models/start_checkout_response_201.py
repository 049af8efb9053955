from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.checkout_started import CheckoutStarted


T = TypeVar("T", bound="StartCheckoutResponse201")


@_attrs_define
class StartCheckoutResponse201:
    """
    Attributes:
        success (Literal[True]):
        data (CheckoutStarted):
    """

    success: Literal[True]
    data: CheckoutStarted

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
        from ..models.checkout_started import CheckoutStarted

        d = dict(src_dict)
        success = cast(Literal[True], d.pop("success"))
        if not success:
            raise ValueError(f"success must match const True, got '{success}'")

        data = CheckoutStarted.from_dict(d.pop("data"))

        start_checkout_response_201 = cls(
            success=success,
            data=data,
        )

        return start_checkout_response_201
