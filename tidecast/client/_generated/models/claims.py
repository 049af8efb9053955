from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Claims")


@_attrs_define
class Claims:
    """
    Attributes:
        user_id (str):
        username (str):
        sub (str):
        iat (int):
        exp (int):
        iss (str):
        aud (str):
        jti (str):
        sv (int): The session version: a password reset or logout-everywhere ends older tokens
    """

    user_id: str
    username: str
    sub: str
    iat: int
    exp: int
    iss: str
    aud: str
    jti: str
    sv: int

    def to_dict(self) -> dict[str, Any]:
        user_id = self.user_id

        username = self.username

        sub = self.sub

        iat = self.iat

        exp = self.exp

        iss = self.iss

        aud = self.aud

        jti = self.jti

        sv = self.sv

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "userId": user_id,
                "username": username,
                "sub": sub,
                "iat": iat,
                "exp": exp,
                "iss": iss,
                "aud": aud,
                "jti": jti,
                "sv": sv,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        user_id = d.pop("userId")

        username = d.pop("username")

        sub = d.pop("sub")

        iat = d.pop("iat")

        exp = d.pop("exp")

        iss = d.pop("iss")

        aud = d.pop("aud")

        jti = d.pop("jti")

        sv = d.pop("sv")

        claims = cls(
            user_id=user_id,
            username=username,
            sub=sub,
            iat=iat,
            exp=exp,
            iss=iss,
            aud=aud,
            jti=jti,
            sv=sv,
        )

        return claims
