"""Where eth-tester's answers are unlike a node's, mended (tidecast/chain/node/evm.py calls these
after web3's middleware has mapped the keys): receipts without `logsBloom`, logs without
`removed`, full transactions in blocks left in eth-tester's snake_case, failed calls as messages
instead of revert data, fee history without rewards. Each function says what geth or Anvil send.

py-evm, eth-abi and eth-bloom are imported inside the functions that use them (`# lazy`): they
cost seconds, and the node (evm.py) has imported them through `sane_import` by then.
"""

from __future__ import annotations

import logging
from typing import Any

from tidecast.chain.node.wire import EXECUTION_REVERTED, SERVER_ERROR, RpcError

log = logging.getLogger("tidecast.chain")
ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)


def tips_at(chain: Any, block: Any, percentiles: list[float]) -> list[int]:
    """The tip paid at each percentile of the block's gas, as geth's eth_feeHistory computes
    `reward` (transactions sorted by tip, weighted by the gas each used; 0 in an empty block)."""
    receipts = block.get_receipts(chain.chaindb)
    base_fee = int(block.header.base_fee_per_gas)
    used: list[tuple[int, int]] = []
    previous = 0
    for tx, receipt in zip(block.transactions, receipts, strict=True):
        tip = min(int(tx.max_priority_fee_per_gas), int(tx.max_fee_per_gas) - base_fee)
        used.append((tip, int(receipt.gas_used) - previous))
        previous = int(receipt.gas_used)
    if not used:
        return [0 for _ in percentiles]
    used.sort()
    total = sum(gas for _tip, gas in used)
    out: list[int] = []
    index, running = 0, used[0][1]
    for p in percentiles:
        threshold = total * p / 100
        while running < threshold and index < len(used) - 1:
            index += 1
            running += used[index][1]
        out.append(used[index][0])
    return out


def failed(exc: Exception) -> RpcError:
    """A failed call or estimate as geth and Anvil answer it: a revert is code 3 with the revert
    data (and the reason, when it is an Error(string)); any other VM error is -32000."""
    from eth.exceptions import Revert, VMError  # lazy
    from eth_abi.abi import default_codec  # lazy

    error: Any = exc
    while error is not None and not isinstance(error, VMError):
        inner = error.args[0] if error.args and isinstance(error.args[0], BaseException) else None
        error = inner or error.__cause__
    if isinstance(error, Revert):
        data = bytes(error.args[0]) if error.args and isinstance(error.args[0], bytes) else b""
        message = "execution reverted"
        if data[:4] == ERROR_STRING:
            try:
                message += f": {default_codec.decode(['string'], data[4:])[0]}"
            except Exception:  # noqa: BLE001 - malformed reason data: the data speaks for itself
                log.debug("undecodable revert reason %s", data.hex())
        return RpcError(EXECUTION_REVERTED, message, "0x" + data.hex())
    if error is not None:
        return RpcError(SERVER_ERROR, str(error) or type(error).__name__)
    return RpcError(SERVER_ERROR, str(exc) or "execution failed")


def mend(method: str, result: Any) -> Any:
    """Where eth-tester's answer (after web3's key mapping) is unlike a node's."""
    if not isinstance(result, dict) and method != "eth_getLogs":
        return result
    if method in ("eth_getBlockByNumber", "eth_getBlockByHash"):
        txs = result.get("transactions", [])
        return {**result, "transactions": [_tx(t) if isinstance(t, dict) else t for t in txs]}
    if method == "eth_getTransactionByHash":
        return _tx(result)
    if method == "eth_getTransactionReceipt":
        logs = [_log(entry) for entry in result.get("logs", [])]
        receipt = {_camel(k): v for k, v in result.items() if k not in ("state_root", "logs")}
        return {**receipt, "logs": logs, "logsBloom": _bloom(logs)}
    if method == "eth_getLogs":
        return [_log(entry) for entry in result]
    return result


def _tx(tx: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tx.items():
        name = "input" if key == "data" else _camel(key)
        if name == "accessList":
            value = [{_camel(k): v for k, v in dict(item).items()} for item in value]
        elif name == "to" and value == "":
            value = None
        out[name] = value
    return out


def _log(entry: dict[str, Any]) -> dict[str, Any]:
    out = {_camel(k): v for k, v in entry.items() if k != "type"}
    out["removed"] = False
    return out


def _bloom(logs: list[dict[str, Any]]) -> int:
    from eth_bloom.bloom import BloomFilter  # lazy

    bloom = BloomFilter()
    for entry in logs:
        bloom.add(bytes.fromhex(str(entry["address"])[2:]))
        for topic in entry["topics"]:
            bloom.add(bytes.fromhex(str(topic)[2:]))
    return int(bloom)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
