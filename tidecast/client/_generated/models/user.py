from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="User")


@_attrs_define
class User:
    """
    Attributes:
        id (str):
        username (str):
        email (str):
        email_verified (bool):
        created_at (str):
    """

    id: str
    username: str
    email: str
    email_verified: bool
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        username = self.username

        email = self.email

        email_verified = self.email_verified

        created_at = self.created_at

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "username": username,
                "email": email,
                "emailVerified": email_verified,
                "createdAt": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        username = d.pop("username")

        email = d.pop("email")

        email_verified = d.pop("emailVerified")

        created_at = d.pop("createdAt")

        user = cls(
            id=id,
            username=username,
            email=email,
            email_verified=email_verified,
            created_at=created_at,
        )

        return user
