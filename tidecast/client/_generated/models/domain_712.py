from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Domain712")


@_attrs_define
class Domain712:
    """
    Attributes:
        name (str):
        version (str):
        chain_id (int):
        verifying_contract (str):
    """

    name: str
    version: str
    chain_id: int
    verifying_contract: str

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        version = self.version

        chain_id = self.chain_id

        verifying_contract = self.verifying_contract

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "version": version,
                "chainId": chain_id,
                "verifyingContract": verifying_contract,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        version = d.pop("version")

        chain_id = d.pop("chainId")

        verifying_contract = d.pop("verifyingContract")

        domain_712 = cls(
            name=name,
            version=version,
            chain_id=chain_id,
            verifying_contract=verifying_contract,
        )

        return domain_712
