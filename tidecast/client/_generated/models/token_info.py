from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="TokenInfo")


@_attrs_define
class TokenInfo:
    """
    Attributes:
        address (str):
        symbol (str):
        decimals (int):
    """

    address: str
    symbol: str
    decimals: int

    def to_dict(self) -> dict[str, Any]:
        address = self.address

        symbol = self.symbol

        decimals = self.decimals

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "address": address,
                "symbol": symbol,
                "decimals": decimals,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        address = d.pop("address")

        symbol = d.pop("symbol")

        decimals = d.pop("decimals")

        token_info = cls(
            address=address,
            symbol=symbol,
            decimals=decimals,
        )

        return token_info
