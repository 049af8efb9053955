from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.nonce import Nonce


T = TypeVar("T", bound="WalletNonceResponse201")


@_attrs_define
class WalletNonceResponse201:
    """
    Attributes:
        success (Literal[True]):
        data (Nonce): The fields of a Sign-In with Ethereum message (EIP-4361) to sign.
    """

    success: Literal[True]
    data: Nonce

    def to_dict(self) -> dict[str, Any]:
        success = self.success

        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "success": success,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.nonce import Nonce

        d = dict(src_dict)
        success = cast(Literal[True], d.pop("success"))
        if not success:
            raise ValueError(f"success must match const True, got '{success}'")

        data = Nonce.from_dict(d.pop("data"))

        wallet_nonce_response_201 = cls(
            success=success,
            data=data,
        )

        return wallet_nonce_response_201
