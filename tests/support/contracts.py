"""Chains for contract tests: eth-tester (py-evm) in process, and Anvil, a real node, both
driven through web3.

Tests talk to a `Chain`, never to a node directly, so a module is parametrised over both
(`EthTesterChain`, `AnvilChain`: `evm_setNextBlockTimestamp`, `evm_mine`,
`evm_snapshot`/`evm_revert`). Time is explicit: a test says at which second its next
transaction runs (`next_tx_at`) or mines an empty block so views read a given second
(`mine_at`), and never depends on the wall clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from tidecast.chain.artifacts import Artifact
from tidecast.chain.compile import compile_vyper
from tidecast.imports import sane_import

if TYPE_CHECKING:
    from web3 import Web3
    from web3.contract import Contract
    from web3.contract.contract import ContractFunction
    from web3.types import TxReceipt

# py_ecc and py-evm raise the interpreter's recursion limit when first imported (to 100000 and
# 12288). Imported here with the limit put back, as the product imports them
# (tidecast/imports.py), so that collecting these tests leaves the process as a fresh one is:
# tests/integration/test_hostile_bodies.py checks exactly that. Test modules take web3's names
# from this module, or import them only for type checking.
web3 = sane_import("web3")
sane_import("eth_tester.backends.pyevm.main")
_eth_abi = sane_import("eth_abi.abi")
_eth_utils_abi = sane_import("eth_utils.abi")
_web3_exceptions = sane_import("web3.exceptions")
_web3_logs = sane_import("web3.logs")
_TransactionFailed: type[Exception] = sane_import("eth_tester.exceptions").TransactionFailed

TEST_CONTRACTS = Path(__file__).resolve().parents[1] / "contracts"

# How each kind of node reports a revert (DESIGN.md): eth-tester, Anvil, other nodes.
REVERT_ERRORS: tuple[type[Exception], ...] = (
    _TransactionFailed,
    _web3_exceptions.ContractLogicError,
    _web3_exceptions.Web3RPCError,
)
_PREFIX = "execution reverted"


def revert_reason(exc: BaseException) -> str:
    """The reason string of a revert, '' for a revert without one."""
    message = str(exc.args[0]) if exc.args else ""
    if isinstance(exc, _web3_exceptions.ContractLogicError) and exc.message:
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
        provider = web3.EthereumTesterProvider()
        self.tester: Any = provider.ethereum_tester
        self.w3: Web3 = web3.Web3(provider)
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
        types = _eth_utils_abi.get_abi_output_types(call.abi)
        return tuple(_eth_abi.decode(types, bytes.fromhex(raw.removeprefix("0x"))))


class _PendingEstimates(web3.HTTPProvider):  # type: ignore[misc,name-defined]
    """Gas estimates against the pending block. Anvil estimates at the latest block's time by
    default, where eth-tester uses the next block's: a transaction set to run at `t`
    (`next_tx_at`) would be estimated, and refused, as if it ran at the previous block's time."""

    def make_request(self, method: Any, params: Any) -> Any:
        if method == "eth_estimateGas":  # web3 sends "latest" (its default block) or nothing
            params = [params[0], "pending"]
        return super().make_request(method, params)


class AnvilChain:
    """Anvil, a real node, over HTTP (chain id 31337): the same clock control through its RPC
    (`evm_setNextBlockTimestamp`, `evm_mine`, `evm_snapshot`/`evm_revert`). It mines one block
    per transaction, like eth-tester, and its ten accounts are unlocked."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.w3: Web3 = web3.Web3(_PendingEstimates(url, request_kwargs={"timeout": 30}))
        self.accounts: list[str] = list(self.w3.eth.accounts)
        self.mine_at(self.latest_time() + 10**8)  # as EthTesterChain: away from the wall clock

    def _rpc(self, method: str, *params: Any) -> Any:
        reply = self.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def latest_time(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def next_tx_at(self, timestamp: int) -> None:
        self._rpc("evm_setNextBlockTimestamp", timestamp)

    def mine_at(self, timestamp: int) -> None:
        self._rpc("evm_setNextBlockTimestamp", timestamp)
        self._rpc("evm_mine")

    def snapshot(self) -> str:
        return str(self._rpc("evm_snapshot"))

    def revert(self, snapshot: str) -> None:
        assert self._rpc("evm_revert", snapshot) is True


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


def events(contract: Contract, name: str, receipt: TxReceipt) -> list[dict[str, Any]]:
    """The arguments of each `name` event `contract` logged in the transaction (logs of other
    contracts in the receipt are skipped, not warned about)."""
    logs = contract.events[name]().process_receipt(receipt, errors=_web3_logs.DISCARD)
    return [dict(log["args"]) for log in logs if log["address"] == contract.address]
