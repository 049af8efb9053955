from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Wallet")


@_attrs_define
class Wallet:
    """
    Attributes:
        address (str): EIP-55 checksummed
        chain_id (int):
        linked_at (str):
    """

    address: str
    chain_id: int
    linked_at: str

    def to_dict(self) -> dict[str, Any]:
        address = self.address

        chain_id = self.chain_id

        linked_at = self.linked_at

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "address": address,
                "chainId": chain_id,
                "linkedAt": linked_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        address = d.pop("address")

        chain_id = d.pop("chainId")

        linked_at = d.pop("linkedAt")

        wallet = cls(
            address=address,
            chain_id=chain_id,
            linked_at=linked_at,
        )

        return wallet
