from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.gas import Gas
    from ..models.network import Network
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
        chain (Network | None | Unset): How a wallet may add the chain (EIP-3085); null: the operator published none
    """

    chain_id: int
    payment_stream: str
    registry: str | None
    token: TokenInfo
    development: bool
    gas: Gas
    chain: Network | Unset | None = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.network import Network

        chain_id = self.chain_id

        payment_stream = self.payment_stream

        registry: str | None
        registry = self.registry

        token = self.token.to_dict()

        development = self.development

        gas = self.gas.to_dict()

        chain: dict[str, Any] | Unset | None
        if isinstance(self.chain, Unset):
            chain = UNSET
        elif isinstance(self.chain, Network):
            chain = self.chain.to_dict()
        else:
            chain = self.chain

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
        if chain is not UNSET:
            field_dict["chain"] = chain

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.gas import Gas
        from ..models.network import Network
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

        def _parse_chain(data: object) -> Network | Unset | None:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                chain_type_0 = Network.from_dict(data)

                return chain_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Network | Unset | None, data)

        chain = _parse_chain(d.pop("chain", UNSET))

        config = cls(
            chain_id=chain_id,
            payment_stream=payment_stream,
            registry=registry,
            token=token,
            development=development,
            gas=gas,
            chain=chain,
        )

        return config
