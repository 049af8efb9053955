from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.domain_712 import Domain712
    from ..models.payment_domain_types import PaymentDomainTypes


T = TypeVar("T", bound="PaymentDomain")


@_attrs_define
class PaymentDomain:
    """EIP-712 domain and types a sender or recipient signs for POST /api/payments/status.

    Attributes:
        domain (Domain712):
        primary_type (str):
        types (PaymentDomainTypes):
    """

    domain: Domain712
    primary_type: str
    types: PaymentDomainTypes

    def to_dict(self) -> dict[str, Any]:
        domain = self.domain.to_dict()

        primary_type = self.primary_type

        types = self.types.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "domain": domain,
                "primaryType": primary_type,
                "types": types,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.domain_712 import Domain712
        from ..models.payment_domain_types import PaymentDomainTypes

        d = dict(src_dict)
        domain = Domain712.from_dict(d.pop("domain"))

        primary_type = d.pop("primaryType")

        types = PaymentDomainTypes.from_dict(d.pop("types"))

        payment_domain = cls(
            domain=domain,
            primary_type=primary_type,
            types=types,
        )

        return payment_domain
