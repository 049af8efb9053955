from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="PublicUser")


@_attrs_define
class PublicUser:
    """
    Attributes:
        id (str):
        username (str):
        email (str):
    """

    id: str
    username: str
    email: str

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        username = self.username

        email = self.email

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "username": username,
                "email": email,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        username = d.pop("username")

        email = d.pop("email")

        public_user = cls(
            id=id,
            username=username,
            email=email,
        )

        return public_user
