from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="CheckoutStarted")


@_attrs_define
class CheckoutStarted:
    """
    Attributes:
        id (str): Stripe's Checkout Session id
        url (str): Stripe's hosted payment page: send the viewer there
        amount (str):
        currency (str):
        credit (str): What the payment buys, in whole platform tokens
    """

    id: str
    url: str
    amount: str
    currency: str
    credit: str

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        url = self.url

        amount = self.amount

        currency = self.currency

        credit = self.credit

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "url": url,
                "amount": amount,
                "currency": currency,
                "credit": credit,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        url = d.pop("url")

        amount = d.pop("amount")

        currency = d.pop("currency")

        credit = d.pop("credit")

        checkout_started = cls(
            id=id,
            url=url,
            amount=amount,
            currency=currency,
            credit=credit,
        )

        return checkout_started
