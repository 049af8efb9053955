"""The chain client's translation table (tidecast/chain/errors.py): each way a node can
fail is a domain error with the status it should have, and a programming error stays one. The
real nodes' cases (a reset node, a receipt that never comes, no node at all) are in
tests/integration/test_chain_reset.py and test_cli_unreachable_node.py."""

from __future__ import annotations

import json

import pytest
import requests

from tidecast.chain.errors import no_code, translate
from tidecast.errors import Reverted, Unavailable
from tidecast.imports import sane_import

web3_errors = sane_import("web3.exceptions")
NODE = "http://127.0.0.1:8545"


def unknown() -> list[str] | None:
    return None


@pytest.mark.parametrize(
    ("exc", "kind", "words"),
    [
        (web3_errors.ContractLogicError("execution reverted: unknown stream"), Reverted, "unknown stream"),
        (requests.exceptions.ConnectionError("refused"), Unavailable, "cannot be reached"),
        (web3_errors.TimeExhausted("no receipt after 30 s"), Unavailable, "may still be mined"),
        (web3_errors.BadFunctionCallOutput("empty"), Unavailable, "No contract code"),
        (web3_errors.BlockNotFound("Block with id: '0x9' not found."), Unavailable, "failed to answer"),
        (web3_errors.TransactionNotFound("gone"), Unavailable, "failed to answer"),
        (web3_errors.TooManyRequests("slow down"), Unavailable, "failed to answer"),
        (requests.exceptions.HTTPError("502 Bad Gateway"), Unavailable, "502"),
        (json.JSONDecodeError("Expecting value", "<html>", 0), Unavailable, "failed to answer"),
        (web3_errors.Web3RPCError("nonce too low"), Reverted, "nonce too low"),
    ],
)
def test_node_failures_are_domain_errors(exc: Exception, kind: type, words: str) -> None:
    got = translate(exc, NODE, unknown)
    assert isinstance(got, kind) and words in got.message, got
    assert "RPC_URL" in got.message or isinstance(got, Reverted)
    if isinstance(got, Unavailable):
        assert got.retry_after == 5


def test_no_code_names_each_setting_or_blames_the_foreign_contract() -> None:
    missing = ["PAYMENT_STREAM_CONTRACT_ADDRESS 0x5FbDB2315678afecb367f032d93F642f64180aa3"]
    got = translate(web3_errors.BadFunctionCallOutput("empty"), NODE, lambda: missing)
    assert isinstance(got, Unavailable) and missing[0] in got.message and NODE in got.message
    foreign = no_code(NODE, [], web3_errors.BadFunctionCallOutput("balanceOf at 0x12 answered '0x'"))
    assert isinstance(foreign, Reverted) and "0x12" in foreign.message


def test_programming_errors_stay_what_they_are() -> None:
    for exc in (ValueError("bug"), TypeError("bug"), web3_errors.Web3ValidationError("bad argument")):
        assert translate(exc, NODE, unknown) is exc
