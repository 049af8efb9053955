from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="CheckoutBody")


@_attrs_define
class CheckoutBody:
    """
    Attributes:
        amount (str): Whole currency units, one of GET /api/billing/config's amounts or in its range
    """

    amount: str

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        amount = d.pop("amount")

        checkout_body = cls(
            amount=amount,
        )

        return checkout_body
