from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="ResetBody")


@_attrs_define
class ResetBody:
    """
    Attributes:
        token (str): The token of the mail's link
        password (str): At least 10 characters, at most 72 bytes in UTF-8, 4 or more different characters; not a common
            password, not containing the username or the address
    """

    token: str
    password: str

    def to_dict(self) -> dict[str, Any]:
        token = self.token

        password = self.password

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "token": token,
                "password": password,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        token = d.pop("token")

        password = d.pop("password")

        reset_body = cls(
            token=token,
            password=password,
        )

        return reset_body
