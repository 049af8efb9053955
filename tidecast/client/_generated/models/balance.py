from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.token_info import TokenInfo


T = TypeVar("T", bound="Balance")


@_attrs_define
class Balance:
    """
    Attributes:
        available (str): Credit that can pay for playback now
        held (str): Held by running playbacks until they settle
        disputed (str): Held back while a card payment's dispute is open
        dispute_open (bool):
        token (TokenInfo):
    """

    available: str
    held: str
    disputed: str
    dispute_open: bool
    token: TokenInfo

    def to_dict(self) -> dict[str, Any]:
        available = self.available

        held = self.held

        disputed = self.disputed

        dispute_open = self.dispute_open

        token = self.token.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "available": available,
                "held": held,
                "disputed": disputed,
                "disputeOpen": dispute_open,
                "token": token,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.token_info import TokenInfo

        d = dict(src_dict)
        available = d.pop("available")

        held = d.pop("held")

        disputed = d.pop("disputed")

        dispute_open = d.pop("disputeOpen")

        token = TokenInfo.from_dict(d.pop("token"))

        balance = cls(
            available=available,
            held=held,
            disputed=disputed,
            dispute_open=dispute_open,
            token=token,
        )

        return balance
