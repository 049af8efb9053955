"""A tiny Vyper contract for tests of nodes and clients (not tidecast's contracts): a stored
value, an event, a revert with a reason and one without, and the block's timestamp."""

from __future__ import annotations

from functools import cache
from typing import Any

SOURCE = """
# pragma version ~=0.4.3

value: public(uint256)

event Set:
    who: indexed(address)
    value: uint256

@deploy
def __init__(start: uint256):
    self.value = start

@external
def set(v: uint256):
    assert v != 13, "unlucky"
    self.value = v
    log Set(who=msg.sender, value=v)

@external
@view
def now() -> uint256:
    return block.timestamp

@external
@view
def boom():
    raise
"""


@cache
def probe_contract() -> dict[str, Any]:
    """{"abi": [...], "bytecode": "0x..."}, compiled once per test session."""
    import vyper

    out = vyper.compile_code(SOURCE, output_formats=["abi", "bytecode"])
    return {"abi": out["abi"], "bytecode": out["bytecode"]}


def deploy_probe(w3: Any, start: int = 5) -> Any:
    """The probe contract deployed from the node's first account; returns the web3 contract."""
    compiled = probe_contract()
    factory = w3.eth.contract(abi=compiled["abi"], bytecode=compiled["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor(start).transact({"from": w3.eth.accounts[0]}), timeout=30, poll_latency=0.05
    )
    return w3.eth.contract(address=receipt["contractAddress"], abi=compiled["abi"])
