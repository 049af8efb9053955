from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="Creator")


@_attrs_define
class Creator:
    """
    Attributes:
        username (None | str):
        wallet (None | str): The creator's earliest linked wallet: where payments go
    """

    username: str | None
    wallet: str | None

    def to_dict(self) -> dict[str, Any]:
        username: str | None
        username = self.username

        wallet: str | None
        wallet = self.wallet

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "username": username,
                "wallet": wallet,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_username(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        username = _parse_username(d.pop("username"))

        def _parse_wallet(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        wallet = _parse_wallet(d.pop("wallet"))

        creator = cls(
            username=username,
            wallet=wallet,
        )

        return creator
