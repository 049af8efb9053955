from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.public_user import PublicUser


T = TypeVar("T", bound="Login")


@_attrs_define
class Login:
    """The reference's login body: no `data` envelope.

    Attributes:
        success (bool):
        token (str): A login token (HS256 JWT): send it as 'Authorization: Bearer <token>'
        user (PublicUser):
    """

    success: bool
    token: str
    user: PublicUser

    def to_dict(self) -> dict[str, Any]:
        success = self.success

        token = self.token

        user = self.user.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "success": success,
                "token": token,
                "user": user,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.public_user import PublicUser

        d = dict(src_dict)
        success = d.pop("success")

        token = d.pop("token")

        user = PublicUser.from_dict(d.pop("user"))

        login = cls(
            success=success,
            token=token,
            user=user,
        )

        return login
