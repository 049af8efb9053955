from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="CreditPlaybackRef")


@_attrs_define
class CreditPlaybackRef:
    """
    Attributes:
        id (str):
        held (str): Credit held while it runs, in whole tokens
    """

    id: str
    held: str

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        held = self.held

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "held": held,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        held = d.pop("held")

        credit_playback_ref = cls(
            id=id,
            held=held,
        )

        return credit_playback_ref
