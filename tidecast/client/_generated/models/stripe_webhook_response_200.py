from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.webhook_received import WebhookReceived


T = TypeVar("T", bound="StripeWebhookResponse200")


@_attrs_define
class StripeWebhookResponse200:
    """
    Attributes:
        success (Literal[True]):
        data (WebhookReceived):
    """

    success: Literal[True]
    data: WebhookReceived

    def to_dict(self) -> dict[str, Any]:
        success = self.success

        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "success": success,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.webhook_received import WebhookReceived

        d = dict(src_dict)
        success = cast(Literal[True], d.pop("success"))
        if not success:
            raise ValueError(f"success must match const True, got '{success}'")

        data = WebhookReceived.from_dict(d.pop("data"))

        stripe_webhook_response_200 = cls(
            success=success,
            data=data,
        )

        return stripe_webhook_response_200
