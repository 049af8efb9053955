from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.token_info import TokenInfo


T = TypeVar("T", bound="Status")


@_attrs_define
class Status:
    """The reference's payment status body.

    Attributes:
        stream_id (str):
        is_active (bool):
        current_balance (str):
        recipient (str):
        flow_rate (str): '<amount> tokens/sec', as the reference writes it
        depletion_time (None | str):
        sender (str):
        token (TokenInfo):
    """

    stream_id: str
    is_active: bool
    current_balance: str
    recipient: str
    flow_rate: str
    depletion_time: str | None
    sender: str
    token: TokenInfo

    def to_dict(self) -> dict[str, Any]:
        stream_id = self.stream_id

        is_active = self.is_active

        current_balance = self.current_balance

        recipient = self.recipient

        flow_rate = self.flow_rate

        depletion_time: str | None
        depletion_time = self.depletion_time

        sender = self.sender

        token = self.token.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "streamId": stream_id,
                "isActive": is_active,
                "currentBalance": current_balance,
                "recipient": recipient,
                "flowRate": flow_rate,
                "depletionTime": depletion_time,
                "sender": sender,
                "token": token,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.token_info import TokenInfo

        d = dict(src_dict)
        stream_id = d.pop("streamId")

        is_active = d.pop("isActive")

        current_balance = d.pop("currentBalance")

        recipient = d.pop("recipient")

        flow_rate = d.pop("flowRate")

        def _parse_depletion_time(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        depletion_time = _parse_depletion_time(d.pop("depletionTime"))

        sender = d.pop("sender")

        token = TokenInfo.from_dict(d.pop("token"))

        status = cls(
            stream_id=stream_id,
            is_active=is_active,
            current_balance=current_balance,
            recipient=recipient,
            flow_rate=flow_rate,
            depletion_time=depletion_time,
            sender=sender,
            token=token,
        )

        return status
