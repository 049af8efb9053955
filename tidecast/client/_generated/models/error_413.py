from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="Error413")


@_attrs_define
class Error413:
    """The error envelope of a 413: `code` is always PAYLOAD_TOO_LARGE

    Attributes:
        success (Literal[False]):
        error (str): What went wrong, for people
        code (Literal['PAYLOAD_TOO_LARGE']):
    """

    success: Literal[False]
    error: str
    code: Literal["PAYLOAD_TOO_LARGE"]

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

        code = cast(Literal["PAYLOAD_TOO_LARGE"], d.pop("code"))
        if code != "PAYLOAD_TOO_LARGE":
            raise ValueError(f"code must match const 'PAYLOAD_TOO_LARGE', got '{code}'")

        error_413 = cls(
            success=success,
            error=error,
            code=code,
        )

        return error_413
