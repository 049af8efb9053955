from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="RegisterBody")


@_attrs_define
class RegisterBody:
    """
    Attributes:
        username (str): 3-32 characters of A-Z, a-z, 0-9 and _ (stored lower-case)
        email (str): An email address (RFC 5322 syntax, ASCII local part)
        password (str): At least 10 characters, at most 72 bytes in UTF-8, 4 or more different characters; not a common
            password, not containing the username or the address
    """

    username: str
    email: str
    password: str

    def to_dict(self) -> dict[str, Any]:
        username = self.username

        email = self.email

        password = self.password

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "username": username,
                "email": email,
                "password": password,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        username = d.pop("username")

        email = d.pop("email")

        password = d.pop("password")

        register_body = cls(
            username=username,
            email=email,
            password=password,
        )

        return register_body
