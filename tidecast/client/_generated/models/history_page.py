from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.ledger_row import LedgerRow
    from ..models.token_info import TokenInfo


T = TypeVar("T", bound="HistoryPage")


@_attrs_define
class HistoryPage:
    """
    Attributes:
        entries (list[LedgerRow]):
        next_before (int | None): Pass as ?before= for older rows; null at the end
        token (TokenInfo):
    """

    entries: list[LedgerRow]
    next_before: int | None
    token: TokenInfo

    def to_dict(self) -> dict[str, Any]:
        entries = []
        for entries_item_data in self.entries:
            entries_item = entries_item_data.to_dict()
            entries.append(entries_item)

        next_before: int | None
        next_before = self.next_before

        token = self.token.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "entries": entries,
                "nextBefore": next_before,
                "token": token,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.ledger_row import LedgerRow
        from ..models.token_info import TokenInfo

        d = dict(src_dict)
        entries = []
        _entries = d.pop("entries")
        for entries_item_data in _entries:
            entries_item = LedgerRow.from_dict(entries_item_data)

            entries.append(entries_item)

        def _parse_next_before(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        next_before = _parse_next_before(d.pop("nextBefore"))

        token = TokenInfo.from_dict(d.pop("token"))

        history_page = cls(
            entries=entries,
            next_before=next_before,
            token=token,
        )

        return history_page
