from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.credit_playback_ref import CreditPlaybackRef
    from ..models.playback_payment import PlaybackPayment


T = TypeVar("T", bound="Playback")


@_attrs_define
class Playback:
    """
    Attributes:
        token (str): A playback token: the Bearer of GET /api/keys/{streamId}/{period}
        expires_at (str):
        expires_in (int):
        key_period_seconds (float | None):
        free (bool):
        reason (None | str):
        payment (None | PlaybackPayment):
        credit_playback (CreditPlaybackRef | None | Unset): Paid from card credit: the playback to stop (POST
            /api/billing/playbacks/{id}/stop)
    """

    token: str
    expires_at: str
    expires_in: int
    key_period_seconds: float | None
    free: bool
    reason: str | None
    payment: PlaybackPayment | None
    credit_playback: CreditPlaybackRef | Unset | None = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.credit_playback_ref import CreditPlaybackRef
        from ..models.playback_payment import PlaybackPayment

        token = self.token

        expires_at = self.expires_at

        expires_in = self.expires_in

        key_period_seconds: float | None
        key_period_seconds = self.key_period_seconds

        free = self.free

        reason: str | None
        reason = self.reason

        payment: dict[str, Any] | None
        if isinstance(self.payment, PlaybackPayment):
            payment = self.payment.to_dict()
        else:
            payment = self.payment

        credit_playback: dict[str, Any] | Unset | None
        if isinstance(self.credit_playback, Unset):
            credit_playback = UNSET
        elif isinstance(self.credit_playback, CreditPlaybackRef):
            credit_playback = self.credit_playback.to_dict()
        else:
            credit_playback = self.credit_playback

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "token": token,
                "expiresAt": expires_at,
                "expiresIn": expires_in,
                "keyPeriodSeconds": key_period_seconds,
                "free": free,
                "reason": reason,
                "payment": payment,
            }
        )
        if credit_playback is not UNSET:
            field_dict["creditPlayback"] = credit_playback

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.credit_playback_ref import CreditPlaybackRef
        from ..models.playback_payment import PlaybackPayment

        d = dict(src_dict)
        token = d.pop("token")

        expires_at = d.pop("expiresAt")

        expires_in = d.pop("expiresIn")

        def _parse_key_period_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        key_period_seconds = _parse_key_period_seconds(d.pop("keyPeriodSeconds"))

        free = d.pop("free")

        def _parse_reason(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        reason = _parse_reason(d.pop("reason"))

        def _parse_payment(data: object) -> PlaybackPayment | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                payment_type_0 = PlaybackPayment.from_dict(data)

                return payment_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(PlaybackPayment | None, data)

        payment = _parse_payment(d.pop("payment"))

        def _parse_credit_playback(data: object) -> CreditPlaybackRef | Unset | None:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                credit_playback_type_0 = CreditPlaybackRef.from_dict(data)

                return credit_playback_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CreditPlaybackRef | Unset | None, data)

        credit_playback = _parse_credit_playback(d.pop("creditPlayback", UNSET))

        playback = cls(
            token=token,
            expires_at=expires_at,
            expires_in=expires_in,
            key_period_seconds=key_period_seconds,
            free=free,
            reason=reason,
            payment=payment,
            credit_playback=credit_playback,
        )

        return playback
