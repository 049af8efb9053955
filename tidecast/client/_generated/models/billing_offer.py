from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.token_info import TokenInfo


T = TypeVar("T", bound="BillingOffer")


@_attrs_define
class BillingOffer:
    """
    Attributes:
        currency (str): ISO 4217, lower-case, as Stripe writes it
        amounts (list[str] | None): The amounts one may buy (whole currency units)
        minimum (None | str):
        maximum (None | str):
        rate (str): Platform tokens one whole currency unit buys
        token (TokenInfo):
    """

    currency: str
    amounts: list[str] | None
    minimum: str | None
    maximum: str | None
    rate: str
    token: TokenInfo

    def to_dict(self) -> dict[str, Any]:
        currency = self.currency

        amounts: list[str] | None
        if isinstance(self.amounts, list):
            amounts = self.amounts

        else:
            amounts = self.amounts

        minimum: str | None
        minimum = self.minimum

        maximum: str | None
        maximum = self.maximum

        rate = self.rate

        token = self.token.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "currency": currency,
                "amounts": amounts,
                "minimum": minimum,
                "maximum": maximum,
                "rate": rate,
                "token": token,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.token_info import TokenInfo

        d = dict(src_dict)
        currency = d.pop("currency")

        def _parse_amounts(data: object) -> list[str] | None:
            if data is None:
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                amounts_type_0 = cast(list[str], data)

                return amounts_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None, data)

        amounts = _parse_amounts(d.pop("amounts"))

        def _parse_minimum(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        minimum = _parse_minimum(d.pop("minimum"))

        def _parse_maximum(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        maximum = _parse_maximum(d.pop("maximum"))

        rate = d.pop("rate")

        token = TokenInfo.from_dict(d.pop("token"))

        billing_offer = cls(
            currency=currency,
            amounts=amounts,
            minimum=minimum,
            maximum=maximum,
            rate=rate,
            token=token,
        )

        return billing_offer
