"""JSON-RPC 2.0 over HTTP, as Ethereum nodes speak it: envelopes, batches, errors, and values in
the Ethereum wire format.

The embedded chain (tidecast/chain/node/evm.py) answers in Python values: ints, bytes, hex strings,
dicts with camelCase keys. Clients nobody here wrote (web3.py, ethers.js, wallets) parse what a
node sends byte for byte, so this module writes what geth and Anvil write:

- QUANTITY: `0x` + lower-case hex without leading zeros (`0x0` for zero);
- DATA: `0x` + lower-case hex (addresses too: geth and Anvil send them lower-case);
- `logsBloom`: 256 bytes of DATA even when eth-tester holds it as an int;
- `null` where the specification has it; floats (`gasUsedRatio`) stay JSON numbers;
- errors as JSON-RPC error objects: -32700 unparsable, -32600 not a request, -32601 unknown
  method, -32602 bad parameters, -32603 our fault, -32000 refused by the chain, 3 a revert with
  the revert data (`execution reverted: <reason>`).

One request or a batch (an array, answered in order; notifications get no answer). Bodies are
bounded in size, batches in length, and JSON in nesting before it is parsed.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

import anyio.to_thread

from tidecast.lib.jsondepth import exceeds_depth

log = logging.getLogger("tidecast.chain")

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000
#: geth and Anvil answer a revert with code 3 and the revert data.
EXECUTION_REVERTED = 3

#: geth's limits: 5 MiB a request body, 1000 calls a batch.
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_BATCH = 1000
MAX_DEPTH = 32

_HEX = re.compile(r"0x[0-9a-fA-F]*")


class RpcError(Exception):
    """A JSON-RPC error object: code, message and optional data."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


class Plain(int):
    """An integer sent as a JSON number, not a QUANTITY: Anvil answers evm_increaseTime so."""


#: What answers one call: (method, params) -> a Python value in the node's terms.
Dispatch = Callable[[str, list[Any]], Any]


def handle_body(body: bytes, dispatch: Dispatch) -> bytes | None:
    """The HTTP body answering `body`: one response, a batch of them, or None (only
    notifications, which get no answer)."""
    try:
        text = body.decode("utf-8")
        if exceeds_depth(text, MAX_DEPTH):
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        payload = json.loads(text, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return _dump(_error_response(None, RpcError(PARSE_ERROR, f"Parse error: {_why(exc)}")))
    if isinstance(payload, list):
        if not payload:
            return _dump(_error_response(None, RpcError(INVALID_REQUEST, "Invalid request: empty batch")))
        if len(payload) > MAX_BATCH:
            reason = f"Invalid request: batch of {len(payload)} calls; at most {MAX_BATCH}"
            return _dump(_error_response(None, RpcError(INVALID_REQUEST, reason)))
        answers = [a for a in (handle_one(item, dispatch) for item in payload) if a is not None]
        return _dump(answers) if answers else None
    answer = handle_one(payload, dispatch)
    return _dump(answer) if answer is not None else None


def handle_one(request: Any, dispatch: Dispatch) -> dict[str, Any] | None:
    """The response object for one request object (None for a notification)."""
    if not isinstance(request, dict):
        return _error_response(None, RpcError(INVALID_REQUEST, "Invalid request: not an object"))
    has_id = "id" in request
    req_id = request.get("id")
    if isinstance(req_id, bool) or not (req_id is None or isinstance(req_id, (str, int, float))):
        return _error_response(None, RpcError(INVALID_REQUEST, "Invalid request: bad id"))
    method = request.get("method")
    if request.get("jsonrpc") != "2.0" or not isinstance(method, str):
        return _error_response(req_id, RpcError(INVALID_REQUEST, "Invalid request"))
    params = request.get("params", [])
    if params is None:
        params = []
    if not isinstance(params, list):
        # By-name parameters: no Ethereum method takes them.
        return _error_response(req_id, RpcError(INVALID_PARAMS, "Invalid params: expected an array"))
    try:
        result = encode(dispatch(method, params))
    except RpcError as exc:
        return _error_response(req_id, exc) if has_id else None
    except Exception:
        log.exception("JSON-RPC %s failed", method)
        error = RpcError(INTERNAL_ERROR, "Internal error")
        return _error_response(req_id, error) if has_id else None
    if not has_id:
        return None
    return {"jsonrpc": "2.0", "id": req_id, "result": result}


def encode(value: Any, key: str = "") -> Any:
    """`value` in the Ethereum wire format (see the module's docstring)."""
    if value is None or isinstance(value, (bool, float)):
        return value
    if isinstance(value, Plain):
        return int(value)
    if isinstance(value, int):
        if key == "logsBloom":
            return "0x" + value.to_bytes(256, "big").hex()
        return hex(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "0x" + bytes(value).hex()
    if isinstance(value, str):
        return value.lower() if _HEX.fullmatch(value) else value
    if isinstance(value, Mapping):
        return {str(k): encode(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(item, key) for item in value]
    raise TypeError(f"cannot put {type(value).__name__} on the wire")


def quantity(value: Any, name: str = "value") -> int:
    """A QUANTITY parameter (hex string, or a JSON integer as some clients send) as an int."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and _HEX.fullmatch(value) and len(value) > 2 and len(value) <= 66:
        return int(value, 16)
    raise RpcError(INVALID_PARAMS, f"Invalid params: {name} must be a hex quantity")


def _error_response(req_id: Any, error: RpcError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": req_id, "error": error.to_json()}


def _dump(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _why(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8"
    return str(exc)


#: Method prefixes and methods that only tests and tools need: what rewrites the chain's history
#: or clock (evm_revert undoes a payment after its keys were released) or signs with the node's
#: keys. Never answered to a web page.
TEST_ONLY_PREFIXES = ("evm_", "anvil_", "hardhat_", "debug_", "personal_", "miner_", "admin_")
NODE_SIGNED = frozenset(
    {"eth_sendTransaction", "eth_sign", "eth_signTransaction", "eth_signTypedData", "eth_signTypedData_v4"}
)


def for_web_pages(dispatch: Dispatch) -> Dispatch:
    """`dispatch` as a web page may call it: reads and signed (raw) transactions only."""

    def guarded(method: str, params: list[Any]) -> Any:
        if method.startswith(TEST_ONLY_PREFIXES) or method in NODE_SIGNED:
            raise RpcError(
                METHOD_NOT_FOUND,
                f"the method {method} is not available to web pages (a request with an Origin "
                "header); call it from a local client",
            )
        return dispatch(method, params)

    return guarded


class RpcApp:
    """The ASGI app a node's HTTP endpoint is: POST a JSON-RPC body to any path, as geth and
    Anvil take it. CORS is open, as Anvil's is (the embedded chain listens on loopback only, and
    the site's demo-account pages read it and send signed transactions from the site's origin),
    but a request that carries an Origin header (one a browser sent, for any page: a simple POST
    needs no preflight, so CORS alone keeps nothing from running) may not call the test-only
    methods: any page could otherwise `evm_revert` a payment after its keys were released.
    Tests, web3.py and the CLI send no Origin."""

    CORS = [
        (b"access-control-allow-origin", b"*"),
        (b"access-control-allow-methods", b"POST, OPTIONS"),
        (b"access-control-allow-headers", b"content-type"),
        (b"access-control-max-age", b"86400"),
    ]

    def __init__(self, dispatch: Dispatch, *, max_body: int = MAX_BODY_BYTES) -> None:
        self.dispatch = dispatch
        self.max_body = max_body

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] == "OPTIONS":
            await self._reply(send, 204, b"")
            return
        if scope["method"] != "POST":
            await self._reply(send, 405, b"JSON-RPC: POST a request\n", [(b"allow", b"POST, OPTIONS")])
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body:
                await self._reply(send, 413, f"request body over {self.max_body} bytes\n".encode())
                return

        from_page = any(name == b"origin" for name, _ in scope.get("headers", []))
        dispatch = for_web_pages(self.dispatch) if from_page else self.dispatch
        answer = await anyio.to_thread.run_sync(handle_body, bytes(body), dispatch)
        await self._reply(send, 200, answer or b"", [(b"content-type", b"application/json")])

    async def _reply(
        self, send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        extra = headers or [(b"content-type", b"text/plain; charset=utf-8")]
        head = [*self.CORS, *extra, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": head})
        await send({"type": "http.response.body", "body": body})
