from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="StatusBody")


@_attrs_define
class StatusBody:
    """
    Attributes:
        stream_id (int | str):
        signature (str):
        nonce (str): 32 random bytes
        expires_at (int):
    """

    stream_id: int | str
    signature: str
    nonce: str
    expires_at: int

    def to_dict(self) -> dict[str, Any]:
        stream_id: int | str
        stream_id = self.stream_id

        signature = self.signature

        nonce = self.nonce

        expires_at = self.expires_at

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "streamId": stream_id,
                "signature": signature,
                "nonce": nonce,
                "expiresAt": expires_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_stream_id(data: object) -> int | str:
            return cast(int | str, data)

        stream_id = _parse_stream_id(d.pop("streamId"))

        signature = d.pop("signature")

        nonce = d.pop("nonce")

        expires_at = d.pop("expiresAt")

        status_body = cls(
            stream_id=stream_id,
            signature=signature,
            nonce=nonce,
            expires_at=expires_at,
        )

        return status_body
