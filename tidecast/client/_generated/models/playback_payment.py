from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="PlaybackPayment")


@_attrs_define
class PlaybackPayment:
    """
    Attributes:
        id (str):
        sender (str):
        recipient (str):
        token (str):
        flow_rate (str):
        remaining_balance (str):
        depletion_time (None | str):
        active (bool):
        paid_seconds (float):
    """

    id: str
    sender: str
    recipient: str
    token: str
    flow_rate: str
    remaining_balance: str
    depletion_time: str | None
    active: bool
    paid_seconds: float

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        sender = self.sender

        recipient = self.recipient

        token = self.token

        flow_rate = self.flow_rate

        remaining_balance = self.remaining_balance

        depletion_time: str | None
        depletion_time = self.depletion_time

        active = self.active

        paid_seconds = self.paid_seconds

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "sender": sender,
                "recipient": recipient,
                "token": token,
                "flowRate": flow_rate,
                "remainingBalance": remaining_balance,
                "depletionTime": depletion_time,
                "active": active,
                "paidSeconds": paid_seconds,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        sender = d.pop("sender")

        recipient = d.pop("recipient")

        token = d.pop("token")

        flow_rate = d.pop("flowRate")

        remaining_balance = d.pop("remainingBalance")

        def _parse_depletion_time(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        depletion_time = _parse_depletion_time(d.pop("depletionTime"))

        active = d.pop("active")

        paid_seconds = d.pop("paidSeconds")

        playback_payment = cls(
            id=id,
            sender=sender,
            recipient=recipient,
            token=token,
            flow_rate=flow_rate,
            remaining_balance=remaining_balance,
            depletion_time=depletion_time,
            active=active,
            paid_seconds=paid_seconds,
        )

        return playback_payment
