from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.wallet import Wallet


T = TypeVar("T", bound="Me")


@_attrs_define
class Me:
    """
    Attributes:
        id (str):
        username (str):
        email (str):
        email_verified (bool):
        created_at (str):
        wallets (list[Wallet]):
    """

    id: str
    username: str
    email: str
    email_verified: bool
    created_at: str
    wallets: list[Wallet]

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        username = self.username

        email = self.email

        email_verified = self.email_verified

        created_at = self.created_at

        wallets = []
        for wallets_item_data in self.wallets:
            wallets_item = wallets_item_data.to_dict()
            wallets.append(wallets_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "username": username,
                "email": email,
                "emailVerified": email_verified,
                "createdAt": created_at,
                "wallets": wallets,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.wallet import Wallet

        d = dict(src_dict)
        id = d.pop("id")

        username = d.pop("username")

        email = d.pop("email")

        email_verified = d.pop("emailVerified")

        created_at = d.pop("createdAt")

        wallets = []
        _wallets = d.pop("wallets")
        for wallets_item_data in _wallets:
            wallets_item = Wallet.from_dict(wallets_item_data)

            wallets.append(wallets_item)

        me = cls(
            id=id,
            username=username,
            email=email,
            email_verified=email_verified,
            created_at=created_at,
            wallets=wallets,
        )

        return me
