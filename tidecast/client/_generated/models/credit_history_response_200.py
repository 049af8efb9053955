from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.history_page import HistoryPage


T = TypeVar("T", bound="CreditHistoryResponse200")


@_attrs_define
class CreditHistoryResponse200:
    """
    Attributes:
        success (Literal[True]):
        data (HistoryPage):
    """

    success: Literal[True]
    data: HistoryPage

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
        from ..models.history_page import HistoryPage

        d = dict(src_dict)
        success = cast(Literal[True], d.pop("success"))
        if not success:
            raise ValueError(f"success must match const True, got '{success}'")

        data = HistoryPage.from_dict(d.pop("data"))

        credit_history_response_200 = cls(
            success=success,
            data=data,
        )

        return credit_history_response_200
