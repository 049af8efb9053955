"""The JSON-RPC envelope and the Ethereum wire format, without a node behind them."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tidecast.chain.node.wire import MAX_BATCH, MAX_DEPTH, Plain, RpcError, encode, handle_body, quantity


def answer(body: Any, dispatch: Any = None) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    out = handle_body(raw, dispatch or (lambda method, params: {"method": method, "params": params}))
    return None if out is None else json.loads(out)


def test_values_take_the_wire_format() -> None:
    assert encode(0) == "0x0" and encode(255) == "0xff" and encode(2**256 - 1) == "0x" + "f" * 64
    assert encode(True) is True and encode(None) is None and encode(0.25) == 0.25
    assert encode(b"") == "0x" and encode(b"\x00\x01") == "0x0001"
    assert encode("0xABCdef") == "0xabcdef" and encode("EthereumTester/1") == "EthereumTester/1"
    assert encode({"logsBloom": 1})["logsBloom"] == "0x" + "00" * 255 + "01"
    assert encode({"a": (1, [b"\xff"])}) == {"a": ["0x1", ["0xff"]]}
    assert encode(Plain(3600)) == 3600
    with pytest.raises(TypeError):
        encode(object())


def test_quantity_parameters() -> None:
    assert quantity("0x10") == 16 and quantity(16) == 16
    for bad in ("0x", "10", "0xzz", -1, True, None, "0x" + "1" * 65):
        with pytest.raises(RpcError) as caught:
            quantity(bad)
        assert caught.value.code == -32602


def test_envelopes() -> None:
    assert answer({"jsonrpc": "2.0", "id": 1, "method": "m", "params": [1]}) == {
        "jsonrpc": "2.0",
        "id": 1,
        "result": {"method": "m", "params": ["0x1"]},
    }
    assert answer({"jsonrpc": "2.0", "id": "x", "method": "m"})["result"]["params"] == []
    assert answer({"jsonrpc": "2.0", "method": "m"}) is None  # a notification
    assert answer([{"jsonrpc": "2.0", "method": "m"}]) is None  # a batch of notifications
    assert answer({"jsonrpc": "1.0", "id": 1, "method": "m"})["error"]["code"] == -32600
    assert answer({"jsonrpc": "2.0", "id": True, "method": "m"})["error"]["code"] == -32600
    assert answer({"jsonrpc": "2.0", "id": {}, "method": "m"})["error"]["code"] == -32600
    assert answer([])["error"]["code"] == -32600
    assert answer([0] * (MAX_BATCH + 1))["error"]["code"] == -32600
    assert answer(b"[" * 40 + b"]" * 40)["error"]["code"] == -32700
    assert answer(b"NaN")["error"]["code"] == -32700


def test_errors_from_the_dispatcher() -> None:
    def failing(method: str, params: list[Any]) -> Any:
        if method == "revert":
            raise RpcError(3, "execution reverted: no", "0x08c379a0")
        raise RuntimeError("a bug")

    reverted = answer({"jsonrpc": "2.0", "id": 1, "method": "revert"}, failing)
    assert reverted["error"] == {"code": 3, "message": "execution reverted: no", "data": "0x08c379a0"}
    internal = answer({"jsonrpc": "2.0", "id": 2, "method": "bug"}, failing)
    assert internal["error"] == {"code": -32603, "message": "Internal error"}  # no traceback leaks


@pytest.mark.parametrize(
    "body",
    [
        '"' + '\\"' * 100_000,  # one unterminated string of escaped quotes (200 KB)
        "[" * 16 + '"' + '\\"[' * 100_000,
    ],
)
def test_the_depth_check_takes_linear_time(body: str) -> None:
    """The JSON-RPC body's depth check is the request body's (tidecast/lib/jsondepth.py): its own
    copy needed a closing quote, so every quote of an unterminated string rescanned the rest of
    the body (tens of seconds for these 200 KB; the node takes 5 MiB)."""
    started = time.perf_counter()
    answer = json.loads(handle_body(body.encode(), lambda method, params: None) or b"null")
    assert answer["error"]["code"] == -32700 and "Parse error" in answer["error"]["message"]
    # A bound on complexity, not a speed figure (the quadratic copy took 561 s here); 5 s holds
    # on two cores shared by three workers.
    assert time.perf_counter() - started < 5.0


def test_nesting_deeper_than_the_limit_is_a_parse_error() -> None:
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    answer = json.loads(handle_body(deep.encode(), lambda method, params: None) or b"null")
    assert (
        answer["error"]["code"] == -32700
        and f"nested deeper than {MAX_DEPTH} levels" in answer["error"]["message"]
    )
