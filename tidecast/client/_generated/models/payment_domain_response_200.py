from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.payment_domain import PaymentDomain


T = TypeVar("T", bound="PaymentDomainResponse200")


@_attrs_define
class PaymentDomainResponse200:
    """
    Attributes:
        success (Literal[True]):
        data (PaymentDomain): EIP-712 domain and types a sender or recipient signs for POST /api/payments/status.
    """

    success: Literal[True]
    data: PaymentDomain

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
        from ..models.payment_domain import PaymentDomain

        d = dict(src_dict)
        success = cast(Literal[True], d.pop("success"))
        if not success:
            raise ValueError(f"success must match const True, got '{success}'")

        data = PaymentDomain.from_dict(d.pop("data"))

        payment_domain_response_200 = cls(
            success=success,
            data=data,
        )

        return payment_domain_response_200
