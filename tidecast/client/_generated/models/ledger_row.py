from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="LedgerRow")


@_attrs_define
class LedgerRow:
    """
    Attributes:
        id (int):
        account (str): available, held or disputed
        kind (str): purchase, hold, settlement, release, refund, dispute, reinstate or write_off
        amount (str): Signed, in whole tokens: what this row added to the account
        ref (str): What caused it: a checkout, a playback or a dispute id
        created_at (str):
    """

    id: int
    account: str
    kind: str
    amount: str
    ref: str
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        account = self.account

        kind = self.kind

        amount = self.amount

        ref = self.ref

        created_at = self.created_at

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "account": account,
                "kind": kind,
                "amount": amount,
                "ref": ref,
                "createdAt": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        account = d.pop("account")

        kind = d.pop("kind")

        amount = d.pop("amount")

        ref = d.pop("ref")

        created_at = d.pop("createdAt")

        ledger_row = cls(
            id=id,
            account=account,
            kind=kind,
            amount=amount,
            ref=ref,
            created_at=created_at,
        )

        return ledger_row
