"""A node with tidecast's contracts deployed and demo accounts funded, and a container on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert

from tests.support.anvil import rpc
from tidecast.chain.deploy import Deployment, connect, deploy_all, fund_demo_accounts
from tidecast.chain.devnet import DemoAccount, demo_accounts
from tidecast.container import Services
from tidecast.db.schema import user_wallets
from tidecast.db.times import now_utc


@dataclass(frozen=True)
class Chain:
    url: str
    deployment: Deployment
    accounts: list[DemoAccount]

    @property
    def deployer(self) -> DemoAccount:
        return self.accounts[0]

    @property
    def platform(self) -> DemoAccount:
        return self.accounts[1]

    def env(self, **more: str) -> dict[str, str]:
        return {
            "RPC_URL": self.url,
            "PAYMENT_STREAM_CONTRACT_ADDRESS": self.deployment.payment_stream,
            "TOKEN_ADDRESS": self.deployment.token,
            "STREAM_REGISTRY_ADDRESS": self.deployment.registry,
            "PLATFORM_PRIVATE_KEY": self.platform.private_key,
            "TIDECAST_CHAIN_ID": str(self.deployment.chain_id),
            "TIDECAST_CHAIN_CONFIRMATIONS": "0",
            **more,
        }

    def advance(self, seconds: int, blocks: int = 1) -> None:
        """Move the node's clock on and mine (both nodes take evm_increaseTime)."""
        rpc(self.url, "evm_increaseTime", seconds)
        for _ in range(blocks):
            rpc(self.url, "evm_mine")

    def mine(self, blocks: int = 1) -> None:
        for _ in range(blocks):
            rpc(self.url, "evm_mine")


#: Nodes started from a template chain the contracts were already deployed to (url: what was
#: deployed, and how many demo accounts were funded): `deployed` answers them without a deploy.
PREDEPLOYED: dict[str, tuple[Deployment, int]] = {}


def deployed(url: str, accounts: int = 6) -> Chain:
    known = PREDEPLOYED.get(url)
    if known is not None and accounts <= known[1]:
        return Chain(url, known[0], demo_accounts(accounts))
    w3 = connect(url)
    demo = demo_accounts(accounts)
    deployment = deploy_all(w3, demo[0].private_key, platform_address=demo[1].address)
    fund_demo_accounts(w3, demo[0].private_key, deployment.token, [a.address for a in demo])
    return Chain(url, deployment, demo)


def chain_services(engine: Engine, chain: Chain, **settings: str) -> Services:
    """Services on `chain`; the tests run the event and mail drains themselves."""
    from tests.support.services import build_services

    return build_services(engine, quiet=("events", "outbox"), **chain.env(**settings))


def link_wallet(engine: Engine, user_id: str, address: str, chain_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(user_wallets).values(
                address=address, user_id=user_id, chain_id=chain_id, linked_at=now_utc()
            )
        )


def sign_status(account: DemoAccount, typed: dict[str, Any]) -> str:
    from tidecast.imports import sane_import

    signed = sane_import("eth_account").Account.sign_typed_data(account.private_key, full_message=typed)
    return "0x" + bytes(signed.signature).hex().removeprefix("0x")
