from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.video_ref import VideoRef


T = TypeVar("T", bound="PaymentStream")


@_attrs_define
class PaymentStream:
    """
    Attributes:
        id (str):
        sender (str):
        recipient (str):
        token (str):
        flow_rate (str):
        deposit (str):
        withdrawn (str):
        remaining_balance (str):
        withdrawable (None | str):
        depletion_time (None | str):
        start_time (None | str):
        active (bool):
        cancelled (bool):
        streamed (str): What has flowed to the recipient so far (withdrawn or withdrawable)
        seconds (int): Whole seconds of video `streamed` paid for at the flow rate
        video (None | Unset | VideoRef): The video it paid for, when tidecast knows (GET /api/payments/mine)
    """

    id: str
    sender: str
    recipient: str
    token: str
    flow_rate: str
    deposit: str
    withdrawn: str
    remaining_balance: str
    withdrawable: str | None
    depletion_time: str | None
    start_time: str | None
    active: bool
    cancelled: bool
    streamed: str
    seconds: int
    video: Unset | VideoRef | None = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.video_ref import VideoRef

        id = self.id

        sender = self.sender

        recipient = self.recipient

        token = self.token

        flow_rate = self.flow_rate

        deposit = self.deposit

        withdrawn = self.withdrawn

        remaining_balance = self.remaining_balance

        withdrawable: str | None
        withdrawable = self.withdrawable

        depletion_time: str | None
        depletion_time = self.depletion_time

        start_time: str | None
        start_time = self.start_time

        active = self.active

        cancelled = self.cancelled

        streamed = self.streamed

        seconds = self.seconds

        video: dict[str, Any] | Unset | None
        if isinstance(self.video, Unset):
            video = UNSET
        elif isinstance(self.video, VideoRef):
            video = self.video.to_dict()
        else:
            video = self.video

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "sender": sender,
                "recipient": recipient,
                "token": token,
                "flowRate": flow_rate,
                "deposit": deposit,
                "withdrawn": withdrawn,
                "remainingBalance": remaining_balance,
                "withdrawable": withdrawable,
                "depletionTime": depletion_time,
                "startTime": start_time,
                "active": active,
                "cancelled": cancelled,
                "streamed": streamed,
                "seconds": seconds,
            }
        )
        if video is not UNSET:
            field_dict["video"] = video

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.video_ref import VideoRef

        d = dict(src_dict)
        id = d.pop("id")

        sender = d.pop("sender")

        recipient = d.pop("recipient")

        token = d.pop("token")

        flow_rate = d.pop("flowRate")

        deposit = d.pop("deposit")

        withdrawn = d.pop("withdrawn")

        remaining_balance = d.pop("remainingBalance")

        def _parse_withdrawable(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        withdrawable = _parse_withdrawable(d.pop("withdrawable"))

        def _parse_depletion_time(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        depletion_time = _parse_depletion_time(d.pop("depletionTime"))

        def _parse_start_time(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        start_time = _parse_start_time(d.pop("startTime"))

        active = d.pop("active")

        cancelled = d.pop("cancelled")

        streamed = d.pop("streamed")

        seconds = d.pop("seconds")

        def _parse_video(data: object) -> Unset | VideoRef | None:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                video_type_0 = VideoRef.from_dict(data)

                return video_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Unset | VideoRef | None, data)

        video = _parse_video(d.pop("video", UNSET))

        payment_stream = cls(
            id=id,
            sender=sender,
            recipient=recipient,
            token=token,
            flow_rate=flow_rate,
            deposit=deposit,
            withdrawn=withdrawn,
            remaining_balance=remaining_balance,
            withdrawable=withdrawable,
            depletion_time=depletion_time,
            start_time=start_time,
            active=active,
            cancelled=cancelled,
            streamed=streamed,
            seconds=seconds,
            video=video,
        )

        return payment_stream
