from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="Error504")


@_attrs_define
class Error504:
    """The error envelope of a 504: `code` is always FUNCTION_TIMEOUT

    Attributes:
        success (Literal[False]):
        error (str): What went wrong, for people
        code (Literal['FUNCTION_TIMEOUT']):
        request_id (str):
    """

    success: Literal[False]
    error: str
    code: Literal["FUNCTION_TIMEOUT"]
    request_id: str

    def to_dict(self) -> dict[str, Any]:
        success = self.success

        error = self.error

        code = self.code

        request_id = self.request_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "success": success,
                "error": error,
                "code": code,
                "requestId": request_id,
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

        code = cast(Literal["FUNCTION_TIMEOUT"], d.pop("code"))
        if code != "FUNCTION_TIMEOUT":
            raise ValueError(f"code must match const 'FUNCTION_TIMEOUT', got '{code}'")

        request_id = d.pop("requestId")

        error_504 = cls(
            success=success,
            error=error,
            code=code,
            request_id=request_id,
        )

        return error_504
