from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.payment_stream import PaymentStream
    from ..models.video_earnings import VideoEarnings


T = TypeVar("T", bound="Mine")


@_attrs_define
class Mine:
    """
    Attributes:
        wallets (list[str]):
        sent (list[PaymentStream]):
        received (list[PaymentStream]):
        withdrawable (str):
        earnings (list[VideoEarnings]): Received, per video, most earned first
        earned (str): Everything the received payment streams have paid so far
        spent (str): Everything the sent payment streams have paid so far
    """

    wallets: list[str]
    sent: list[PaymentStream]
    received: list[PaymentStream]
    withdrawable: str
    earnings: list[VideoEarnings]
    earned: str
    spent: str

    def to_dict(self) -> dict[str, Any]:
        wallets = self.wallets

        sent = []
        for sent_item_data in self.sent:
            sent_item = sent_item_data.to_dict()
            sent.append(sent_item)

        received = []
        for received_item_data in self.received:
            received_item = received_item_data.to_dict()
            received.append(received_item)

        withdrawable = self.withdrawable

        earnings = []
        for earnings_item_data in self.earnings:
            earnings_item = earnings_item_data.to_dict()
            earnings.append(earnings_item)

        earned = self.earned

        spent = self.spent

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "wallets": wallets,
                "sent": sent,
                "received": received,
                "withdrawable": withdrawable,
                "earnings": earnings,
                "earned": earned,
                "spent": spent,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.payment_stream import PaymentStream
        from ..models.video_earnings import VideoEarnings

        d = dict(src_dict)
        wallets = cast(list[str], d.pop("wallets"))

        sent = []
        _sent = d.pop("sent")
        for sent_item_data in _sent:
            sent_item = PaymentStream.from_dict(sent_item_data)

            sent.append(sent_item)

        received = []
        _received = d.pop("received")
        for received_item_data in _received:
            received_item = PaymentStream.from_dict(received_item_data)

            received.append(received_item)

        withdrawable = d.pop("withdrawable")

        earnings = []
        _earnings = d.pop("earnings")
        for earnings_item_data in _earnings:
            earnings_item = VideoEarnings.from_dict(earnings_item_data)

            earnings.append(earnings_item)

        earned = d.pop("earned")

        spent = d.pop("spent")

        mine = cls(
            wallets=wallets,
            sent=sent,
            received=received,
            withdrawable=withdrawable,
            earnings=earnings,
            earned=earned,
            spent=spent,
        )

        return mine
