from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Unsubscribed")


@_attrs_define
class Unsubscribed:
    """
    Attributes:
        address (str):
        unsubscribed (bool):
        already_unsubscribed (bool):
    """

    address: str
    unsubscribed: bool
    already_unsubscribed: bool

    def to_dict(self) -> dict[str, Any]:
        address = self.address

        unsubscribed = self.unsubscribed

        already_unsubscribed = self.already_unsubscribed

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "address": address,
                "unsubscribed": unsubscribed,
                "alreadyUnsubscribed": already_unsubscribed,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        address = d.pop("address")

        unsubscribed = d.pop("unsubscribed")

        already_unsubscribed = d.pop("alreadyUnsubscribed")

        unsubscribed = cls(
            address=address,
            unsubscribed=unsubscribed,
            already_unsubscribed=already_unsubscribed,
        )

        return unsubscribed
