from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.gas import Gas
    from ..models.token_info import TokenInfo


T = TypeVar("T", bound="Config")


@_attrs_define
class Config:
    """
    Attributes:
        chain_id (int):
        payment_stream (str):
        registry (None | str):
        token (TokenInfo):
        development (bool):
        gas (Gas):
    """

    chain_id: int
    payment_stream: str
    registry: str | None
    token: TokenInfo
    development: bool
    gas: Gas

    def to_dict(self) -> dict[str, Any]:
        chain_id = self.chain_id

        payment_stream = self.payment_stream

        registry: str | None
        registry = self.registry

        token = self.token.to_dict()

        development = self.development

        gas = self.gas.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "chainId": chain_id,
                "paymentStream": payment_stream,
                "registry": registry,
                "token": token,
                "development": development,
                "gas": gas,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.gas import Gas
        from ..models.token_info import TokenInfo

        d = dict(src_dict)
        chain_id = d.pop("chainId")

        payment_stream = d.pop("paymentStream")

        def _parse_registry(data: object) -> str | None:
            if data is None:
                return data
            return cast(str | None, data)

        registry = _parse_registry(d.pop("registry"))

        token = TokenInfo.from_dict(d.pop("token"))

        development = d.pop("development")

        gas = Gas.from_dict(d.pop("gas"))

        config = cls(
            chain_id=chain_id,
            payment_stream=payment_stream,
            registry=registry,
            token=token,
            development=development,
            gas=gas,
        )

        return config
