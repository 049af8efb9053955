from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="WebhookReceived")


@_attrs_define
class WebhookReceived:
    """
    Attributes:
        received (bool):
        event_id (str):
        outcome (str): applied, ignored, deferred (its payment is not known yet) or duplicate
    """

    received: bool
    event_id: str
    outcome: str

    def to_dict(self) -> dict[str, Any]:
        received = self.received

        event_id = self.event_id

        outcome = self.outcome

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "received": received,
                "eventId": event_id,
                "outcome": outcome,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        received = d.pop("received")

        event_id = d.pop("eventId")

        outcome = d.pop("outcome")

        webhook_received = cls(
            received=received,
            event_id=event_id,
            outcome=outcome,
        )

        return webhook_received
