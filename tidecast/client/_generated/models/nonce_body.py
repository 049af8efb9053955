from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.nonce_body_purpose import NonceBodyPurpose, check_nonce_body_purpose
from ..types import UNSET, Unset

T = TypeVar("T", bound="NonceBody")


@_attrs_define
class NonceBody:
    """
    Attributes:
        purpose (NonceBodyPurpose | Unset):  Default: 'login'.
        address (None | str | Unset):
    """

    purpose: NonceBodyPurpose | Unset = "login"
    address: str | Unset | None = UNSET

    def to_dict(self) -> dict[str, Any]:
        purpose: str | Unset = UNSET
        if not isinstance(self.purpose, Unset):
            purpose = self.purpose

        address: str | Unset | None
        if isinstance(self.address, Unset):
            address = UNSET
        else:
            address = self.address

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if purpose is not UNSET:
            field_dict["purpose"] = purpose
        if address is not UNSET:
            field_dict["address"] = address

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        _purpose = d.pop("purpose", UNSET)
        purpose: NonceBodyPurpose | Unset
        if isinstance(_purpose, Unset):
            purpose = UNSET
        else:
            purpose = check_nonce_body_purpose(_purpose)

        def _parse_address(data: object) -> str | Unset | None:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(str | Unset | None, data)

        address = _parse_address(d.pop("address", UNSET))

        nonce_body = cls(
            purpose=purpose,
            address=address,
        )

        return nonce_body
