from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Gas")


@_attrs_define
class Gas:
    """
    Attributes:
        headroom_percent (int):
        headroom_gas (int):
    """

    headroom_percent: int
    headroom_gas: int

    def to_dict(self) -> dict[str, Any]:
        headroom_percent = self.headroom_percent

        headroom_gas = self.headroom_gas

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "headroomPercent": headroom_percent,
                "headroomGas": headroom_gas,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        headroom_percent = d.pop("headroomPercent")

        headroom_gas = d.pop("headroomGas")

        gas = cls(
            headroom_percent=headroom_percent,
            headroom_gas=headroom_gas,
        )

        return gas
