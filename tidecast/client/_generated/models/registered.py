from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Registered")


@_attrs_define
class Registered:
    """Accepted: the verification mail is on its way (the same answer for a taken address).

    Attributes:
        username (str):
        email (str):
        message (str):
    """

    username: str
    email: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        username = self.username

        email = self.email

        message = self.message

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "username": username,
                "email": email,
                "message": message,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        username = d.pop("username")

        email = d.pop("email")

        message = d.pop("message")

        registered = cls(
            username=username,
            email=email,
            message=message,
        )

        return registered
