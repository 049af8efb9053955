from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="Error400")


@_attrs_define
class Error400:
    """The error envelope of a 400: `code` is always BAD_REQUEST

    Attributes:
        success (Literal[False]):
        error (str): What went wrong, for people
        code (Literal['BAD_REQUEST']):
    """

    success: Literal[False]
    error: str
    code: Literal["BAD_REQUEST"]

    def to_dict(self) -> dict[str, Any]:
        success = self.success

        error = self.error

        code = self.code

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "success": success,
                "error": error,
                "code": code,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        success = cast(Literal[False], d.pop("success"))
        if success:
            raise ValueError(f"success must match const False, got '{success}'")

        error = d.pop("error")

        code = cast(Literal["BAD_REQUEST"], d.pop("code"))
        if code != "BAD_REQUEST":
            raise ValueError(f"code must match const 'BAD_REQUEST', got '{code}'")

        error_400 = cls(
            success=success,
            error=error,
            code=code,
        )

        return error_400
