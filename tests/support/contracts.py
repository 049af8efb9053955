"""A chain for contract tests: eth-tester (py-evm) in process, driven through web3.

Tests talk to a `Chain`, never to eth-tester directly, so a module can later be parametrised
over a real node (Anvil: `evm_setNextBlockTimestamp`, `evm_mine`, `evm_snapshot`/`evm_revert`)
by adding a class with the same methods. Time is explicit: a test says at which second its next
transaction runs (`next_tx_at`) or mines an empty block so views read a given second
(`mine_at`), and never depends on the wall clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import pytest
from eth_abi.abi import decode as abi_decode
from eth_tester.exceptions import TransactionFailed  # type: ignore[import-untyped]
from eth_utils.abi import get_abi_output_types
from web3 import EthereumTesterProvider, Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, Web3RPCError
from web3.types import TxReceipt

from tidecast.chain.artifacts import Artifact
from tidecast.chain.compile import compile_vyper

TEST_CONTRACTS = Path(__file__).resolve().parents[1] / "contracts"

# How each kind of node reports a revert (DESIGN.md): eth-tester, Anvil, other nodes.
REVERT_ERRORS: tuple[type[Exception], ...] = (TransactionFailed, ContractLogicError, Web3RPCError)
_PREFIX = "execution reverted"


def revert_reason(exc: BaseException) -> str:
    """The reason string of a revert, '' for a revert without one."""
    message = str(exc.args[0]) if exc.args else ""
    if isinstance(exc, ContractLogicError) and exc.message:
        message = exc.message
    message = message.removeprefix(_PREFIX).removeprefix(":").strip()
    # eth-tester renders an empty revert as the bytes it carried.
    return "" if message in ("b''", "0x") else message


@contextmanager
def reverts(reason: str) -> Iterator[None]:
    """The block must revert, with exactly this reason ('' for none)."""
    with pytest.raises(REVERT_ERRORS) as info:
        yield
    assert revert_reason(info.value) == reason


@cache
def compile_test_contract(name: str) -> Artifact:
    """A test-only contract from tests/contracts/, compiled now with the pinned vyper."""
    compiled = compile_vyper((TEST_CONTRACTS / f"{name}.vy").read_text(encoding="utf-8"), name)
    return Artifact(name=name, abi=compiled["abi"], bytecode=compiled["bytecode"])


class Chain(Protocol):
    w3: Web3
    accounts: list[str]

    def latest_time(self) -> int: ...
    def next_tx_at(self, timestamp: int) -> None: ...
    def mine_at(self, timestamp: int) -> None: ...
    def snapshot(self) -> Any: ...
    def revert(self, snapshot: Any) -> None: ...


class EthTesterChain:
    """eth-tester's py-evm chain in this process (chain id 131277322940537).

    eth-tester mines one block per transaction. `time_travel(t)` mines a block at t - 1, so the
    next transaction runs at t; a view call reads the latest block.
    """

    def __init__(self) -> None:
        provider = EthereumTesterProvider()
        self.tester: Any = provider.ethereum_tester
        self.w3 = Web3(provider)
        self.accounts: list[str] = list(self.w3.eth.accounts)
        # Far from the wall clock, so no block ever takes the real time.
        self.mine_at(self.latest_time() + 10**8)

    def latest_time(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def next_tx_at(self, timestamp: int) -> None:
        self.tester.time_travel(timestamp)

    def mine_at(self, timestamp: int) -> None:
        self.tester.time_travel(timestamp + 1)

    def snapshot(self) -> int:
        return int(self.tester.take_snapshot())

    def revert(self, snapshot: int) -> None:
        self.tester.revert_to_snapshot(snapshot)

    def quick_call(self, call: ContractFunction) -> tuple[Any, ...]:
        """A view call straight to eth-tester, without web3's request middleware (about a third
        of a call's time), for tests that read the chain after every step. Addresses come back
        lower-case, structs as plain tuples."""
        data = call._encode_transaction_data()
        raw = self.tester.call({"from": self.accounts[0], "to": call.address, "data": data}, "latest")
        return tuple(abi_decode(get_abi_output_types(call.abi), bytes.fromhex(raw.removeprefix("0x"))))


def deploy(chain: Chain, artifact: Artifact, *args: Any, sender: str | None = None) -> Contract:
    """Deploy and return the contract bound to its address (structs decode as named tuples)."""
    factory = chain.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    tx = factory.constructor(*args).transact({"from": sender or chain.accounts[0]})
    receipt = chain.w3.eth.wait_for_transaction_receipt(tx)
    assert receipt["status"] == 1
    address = receipt["contractAddress"]
    assert address is not None
    return chain.w3.eth.contract(address=address, abi=artifact.abi, decode_tuples=True)


def send(call: ContractFunction, sender: str, gas: int | None = None) -> TxReceipt:
    """Transact and wait. Without `gas` web3 estimates first, so a revert raises with its
    reason; with `gas` the transaction is mined whatever happens (status 0 on a revert)."""
    tx: dict[str, Any] = {"from": sender}
    if gas is not None:
        tx["gas"] = gas
    receipt = call.w3.eth.wait_for_transaction_receipt(call.transact(tx))  # type: ignore[arg-type]
    if gas is None:
        assert receipt["status"] == 1
    return receipt
