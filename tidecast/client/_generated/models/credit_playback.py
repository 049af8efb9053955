from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="CreditPlayback")


@_attrs_define
class CreditPlayback:
    """
    Attributes:
        id (str):
        stream_id (str):
        payment_stream_id (None | str):
        status (str): opening, active, stopping, settled or failed
        held (str): The deposit held from the viewer's credit
        charged (None | str): What streamed on chain, charged at settlement
        stop_reason (None | str):
    """

    id: str
    stream_id: str
    payment_stream_id: str | None
    status: str
    held: str
    charged: str | None
    stop_reason: str | None

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        stream_id = self.stream_id

        payment_stream_id: str | None
        payment_stream_id = self.payment_stream_id

        status = self.status

        held = self.held

        charged: str | None
        charged = self.charged

        stop_reason: str | None
        stop_reason = self.stop_reason

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "streamId": stream_id,
                "paymentStreamId": payment_stream_id,
                "status": status,
                "held": held,
                "charged": charged,
                "stopReason": stop_reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        stream_id = d.pop("streamId")

        def _parse_payment_stream_id(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        payment_stream_id = _parse_payment_stream_id(d.pop("paymentStreamId"))

        status = d.pop("status")

        held = d.pop("held")

        def _parse_charged(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        charged = _parse_charged(d.pop("charged"))

        def _parse_stop_reason(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        stop_reason = _parse_stop_reason(d.pop("stopReason"))

        credit_playback = cls(
            id=id,
            stream_id=stream_id,
            payment_stream_id=payment_stream_id,
            status=status,
            held=held,
            charged=charged,
            stop_reason=stop_reason,
        )

        return credit_playback
