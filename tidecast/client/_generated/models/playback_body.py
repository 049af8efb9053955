from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PlaybackBody")


@_attrs_define
class PlaybackBody:
    """
    Attributes:
        payment_stream_id (int | None | str | Unset):
        credit (bool | Unset): Pay from card credit: the platform's treasury opens the payment stream (no wallet)
            Default: False.
    """

    payment_stream_id: int | str | Unset | None = UNSET
    credit: bool | Unset = False

    def to_dict(self) -> dict[str, Any]:
        payment_stream_id: int | str | Unset | None
        if isinstance(self.payment_stream_id, Unset):
            payment_stream_id = UNSET
        else:
            payment_stream_id = self.payment_stream_id

        credit = self.credit

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if payment_stream_id is not UNSET:
            field_dict["paymentStreamId"] = payment_stream_id
        if credit is not UNSET:
            field_dict["credit"] = credit

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_payment_stream_id(data: object) -> int | str | Unset | None:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | str | Unset | None, data)

        payment_stream_id = _parse_payment_stream_id(d.pop("paymentStreamId", UNSET))

        credit = d.pop("credit", UNSET)

        playback_body = cls(
            payment_stream_id=payment_stream_id,
            credit=credit,
        )

        return playback_body
