from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="SignedBody")


@_attrs_define
class SignedBody:
    """
    Attributes:
        message (str):
        signature (str): 65 bytes (r, s, v) as 0x and 130 hex digits
    """

    message: str
    signature: str

    def to_dict(self) -> dict[str, Any]:
        message = self.message

        signature = self.signature

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "message": message,
                "signature": signature,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        message = d.pop("message")

        signature = d.pop("signature")

        signed_body = cls(
            message=message,
            signature=signature,
        )

        return signed_body
