"""Deploying tidecast's contracts, and funding demo accounts, through web3 like any client.

Nothing here knows whether the node is the embedded chain, Anvil or a public network: it signs
transactions with the deployer's key and sends them raw (a node holds no keys of ours). The
transactions that do not depend on each other go out together with consecutive nonces and are
waited for together, so a deployment takes two or three blocks, not one per transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tidecast.chain.artifacts import load
from tidecast.chain.devnet import DEMO_ETH_WEI, DEMO_TIDE
from tidecast.chain.gas import gas_limit
from tidecast.imports import sane_import

if TYPE_CHECKING:
    from web3 import Web3

#: Contract names, in deployment order.
CONTRACTS = ("PaymentStream", "DemoToken", "StreamRegistry")


class DeployError(RuntimeError):
    """A deployment or funding transaction failed; the message names it."""


@dataclass(frozen=True)
class Deployment:
    payment_stream: str
    token: str
    registry: str
    chain_id: int
    #: The block the last contract was created in.
    block: int

    def settings_values(self) -> dict[str, Any]:
        """By Settings field name."""
        return {
            "payment_stream_contract_address": self.payment_stream,
            "token_address": self.token,
            "stream_registry_address": self.registry,
            "tidecast_chain_id": self.chain_id,
        }

    def environment_lines(self) -> list[str]:
        """The lines to put in an environment to use this deployment."""
        return [
            f"PAYMENT_STREAM_CONTRACT_ADDRESS={self.payment_stream}",
            f"TOKEN_ADDRESS={self.token}",
            f"STREAM_REGISTRY_ADDRESS={self.registry}",
            f"TIDECAST_CHAIN_ID={self.chain_id}",
        ]


def connect(rpc_url: str, *, timeout: float = 30, retry: bool = True) -> Web3:
    """A web3 client for the node at `rpc_url` (imported here: never at import of the CLI)."""
    web3 = sane_import("web3")
    options: dict[str, Any] = {"request_kwargs": {"timeout": timeout}}
    if not retry:
        options["exception_retry_configuration"] = None
    return web3.Web3(web3.Web3.HTTPProvider(rpc_url, **options))  # type: ignore[no-any-return]


def address_of(private_key: str) -> str:
    return str(sane_import("eth_account").Account.from_key(private_key).address)


def deploy_all(w3: Web3, deployer_key: str, *, platform_address: str, timeout: float = 120) -> Deployment:
    """Create PaymentStream, DemoToken and StreamRegistry from the deployer's key, then hand
    StreamRegistry to the platform (its constructor makes the deployer the platform)."""
    sender = Sender(w3, deployer_key)
    sent = {name: sender.send({"data": load(name).bytecode}) for name in CONTRACTS}
    receipts = sender.wait(sent, timeout)
    created = {}
    for name, receipt in receipts.items():
        if not receipt.get("contractAddress"):
            raise DeployError(f"{name} was not created (transaction {sent[name]})")
        created[name] = str(receipt["contractAddress"])
    registry = w3.eth.contract(
        address=w3.to_checksum_address(created["StreamRegistry"]), abi=load("StreamRegistry").abi
    )
    if platform_address.lower() != sender.address.lower():
        call = registry.encode_abi("setPlatform", args=[w3.to_checksum_address(platform_address)])
        sender.wait(
            {"StreamRegistry.setPlatform": sender.send({"to": registry.address, "data": call})}, timeout
        )
    return Deployment(
        payment_stream=created["PaymentStream"],
        token=created["DemoToken"],
        registry=created["StreamRegistry"],
        chain_id=sender.chain_id,
        block=max(int(r["blockNumber"]) for r in receipts.values()),
    )


def fund_demo_accounts(
    w3: Web3,
    deployer_key: str,
    token_address: str,
    addresses: Sequence[str],
    *,
    tide: int = DEMO_TIDE,
    eth: int = DEMO_ETH_WEI,
    timeout: float = 120,
) -> int:
    """Give each account `tide` TIDE (minted by DemoToken's owner, the deployer) if it holds
    none, and `eth` wei if it holds under a hundredth of that. Idempotent: a restart against
    a node that kept its state mints nothing twice. Returns the transactions it sent."""
    sender = Sender(w3, deployer_key)
    token = w3.eth.contract(address=w3.to_checksum_address(token_address), abi=load("DemoToken").abi)
    sent = {}
    for address in addresses:
        who = w3.to_checksum_address(address)
        if address.lower() != sender.address.lower() and w3.eth.get_balance(who) < eth // 100:
            sent[f"ETH to {who}"] = sender.send({"to": who, "value": eth - w3.eth.get_balance(who)})
        if token.functions.balanceOf(who).call() == 0:
            data = token.encode_abi("mint", args=[who, tide])
            sent[f"TIDE to {who}"] = sender.send({"to": token.address, "data": data})
    sender.wait(sent, timeout)
    return len(sent)


class Sender:
    """Signs and sends one key's transactions with consecutive nonces and EIP-1559 fees."""

    def __init__(self, w3: Web3, private_key: str) -> None:
        self.w3 = w3
        self.account = sane_import("eth_account").Account.from_key(private_key)
        self.address = str(self.account.address)
        self.chain_id = int(w3.eth.chain_id)
        self.nonce = int(w3.eth.get_transaction_count(self.account.address, "pending"))
        tip = int(w3.eth.max_priority_fee)
        base = int(w3.eth.get_block("latest").get("baseFeePerGas", 0))
        self.fees = {"maxPriorityFeePerGas": tip, "maxFeePerGas": 2 * base + tip}

    def send(self, fields: dict[str, Any]) -> str:
        tx: dict[str, Any] = {
            "from": self.address,
            "chainId": self.chain_id,
            "nonce": self.nonce,
            "value": 0,
            **self.fees,
            **fields,
        }
        if "gas" not in tx:
            probe = {k: tx[k] for k in ("from", "to", "data", "value") if k in tx}
            try:
                tx["gas"] = gas_limit(int(self.w3.eth.estimate_gas(probe)))  # type: ignore[arg-type]
            except Exception as exc:
                raise DeployError(f"the node refused to estimate a transaction: {exc}") from exc
        signed = self.account.sign_transaction(tx)
        try:
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        except Exception as exc:
            raise DeployError(f"the node refused a transaction from {self.address}: {exc}") from exc
        self.nonce += 1
        return "0x" + bytes(tx_hash).hex()

    def wait(self, sent: dict[str, str], timeout: float) -> dict[str, Any]:
        """Every receipt, by the names given; a DeployError names what failed."""
        receipts = {}
        for what, tx_hash in sent.items():
            try:
                receipt = self.w3.eth.wait_for_transaction_receipt(
                    tx_hash,  # type: ignore[arg-type]
                    timeout=timeout,
                    poll_latency=0.1,
                )
            except Exception as exc:
                raise DeployError(f"{what}: no receipt for {tx_hash} within {timeout:g} s") from exc
            if receipt["status"] != 1:
                raise DeployError(f"{what}: transaction {tx_hash} reverted")
            receipts[what] = receipt
        return receipts
