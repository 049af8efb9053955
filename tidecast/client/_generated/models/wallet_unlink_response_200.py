from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.wallet import Wallet


T = TypeVar("T", bound="WalletUnlinkResponse200")


@_attrs_define
class WalletUnlinkResponse200:
    """
    Attributes:
        success (Literal[True]):
        data (Wallet):
    """

    success: Literal[True]
    data: Wallet

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
        from ..models.wallet import Wallet

        d = dict(src_dict)
        success = cast(Literal[True], d.pop("success"))
        if not success:
            raise ValueError(f"success must match const True, got '{success}'")

        data = Wallet.from_dict(d.pop("data"))

        wallet_unlink_response_200 = cls(
            success=success,
            data=data,
        )

        return wallet_unlink_response_200
