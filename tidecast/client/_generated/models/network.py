from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.native_currency import NativeCurrency


T = TypeVar("T", bound="Network")


@_attrs_define
class Network:
    """EIP-3085's parameters for wallet_addEthereumChain (chainId is Config's).

    Attributes:
        chain_name (str):
        rpc_urls (list[str]):
        block_explorer_urls (list[str]):
        native_currency (NativeCurrency):
    """

    chain_name: str
    rpc_urls: list[str]
    block_explorer_urls: list[str]
    native_currency: NativeCurrency

    def to_dict(self) -> dict[str, Any]:
        chain_name = self.chain_name

        rpc_urls = self.rpc_urls

        block_explorer_urls = self.block_explorer_urls

        native_currency = self.native_currency.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "chainName": chain_name,
                "rpcUrls": rpc_urls,
                "blockExplorerUrls": block_explorer_urls,
                "nativeCurrency": native_currency,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.native_currency import NativeCurrency

        d = dict(src_dict)
        chain_name = d.pop("chainName")

        rpc_urls = cast(list[str], d.pop("rpcUrls"))

        block_explorer_urls = cast(list[str], d.pop("blockExplorerUrls"))

        native_currency = NativeCurrency.from_dict(d.pop("nativeCurrency"))

        network = cls(
            chain_name=chain_name,
            rpc_urls=rpc_urls,
            block_explorer_urls=block_explorer_urls,
            native_currency=native_currency,
        )

        return network
