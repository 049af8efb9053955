"""The embedded chain's node: eth-tester's py-evm chain answering the Ethereum JSON-RPC methods
wallets, ethers.js and web3.py call, so that nothing above the wire knows it is not geth.

Translation is web3's own: `EthereumTesterProvider.request_func` applies web3's eth-tester
middleware (hex parameters to ints, camelCase keys to eth-tester's snake_case and back) and its
endpoint table calls eth-tester. What that leaves unlike a node is mended here: revert data kept
whole (eth-tester decodes it into a message), `logsBloom` on receipts, `removed` on logs, full
transactions in blocks, fee history with rewards, `eth_gasPrice` from the base fee.

Time moves like a real chain's. Block timestamps come from the wall clock (plus what
`evm_increaseTime` added), and py-evm wants each block strictly later than its parent, so a
block holds every transaction of its second: a transaction is mined at once when no block was
mined in the current second, else with the others at the start of the next one (a receipt
is at most a second away). When no transaction comes, an empty block is mined every
`block_seconds`, so `block.timestamp` in calls keeps up with time (payment streams accrue by the
second). eth-tester is not thread-safe: every call, and the miner, holds one lock.

Given a `state_path`, the chain lives on disk (tidecast/chain/node/store.py) rather than in
memory: a restarted node has the same genesis, contracts and payment streams. It commits after
each block it mines, and the clock offset tests added is kept with it, so block timestamps stay
monotonic across a restart (the next block is never before the last one, whatever the clock).

web3, eth-tester and py-evm are imported inside the methods that use them (`# lazy`): they cost
seconds, and must come after `sane_import` (in `EvmNode.__init__`) has put back the recursion
limit py_ecc raises.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from tidecast.chain.node.mend import failed, mend, tips_at
from tidecast.chain.node.store import store_type
from tidecast.chain.node.wire import INVALID_PARAMS, METHOD_NOT_FOUND, SERVER_ERROR, Plain, RpcError, quantity
from tidecast.imports import sane_import

log = logging.getLogger("tidecast.chain")

GWEI = 10**9
#: What eth_maxPriorityFeePerGas suggests, and eth_gasPrice adds to the base fee (geth's default).
TIP = GWEI
ZERO_ADDRESS = "0x" + "00" * 20
#: The transaction fields eth-tester takes; clients add others (`type`, `chainId`) it refuses.
TX_FIELDS = frozenset(
    {"from", "to", "gas", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "value", "data", "nonce"}
)
#: Where the block parameter sits, for methods that take one (EIP-1898 objects are resolved).
BLOCK_PARAM = {"eth_getBalance": 1, "eth_getCode": 1, "eth_getTransactionCount": 1, "eth_getStorageAt": 2}
#: Namespaces served through eth-tester; the rest of its table (admin, debug, testing) is not.
PASSED_THROUGH = frozenset({"eth", "net", "web3"})


class EvmNode:
    """One in-memory chain: `dispatch(method, params)` answers a JSON-RPC call."""

    def __init__(
        self,
        mnemonic: str,
        accounts: int,
        *,
        block_seconds: float = 2,
        balance_wei: int,
        state_path: Path | None = None,
    ) -> None:
        et = sane_import("eth_tester")
        web3 = sane_import("web3")
        from web3.datastructures import NamedElementOnion  # lazy
        from web3.providers.eth_tester.defaults import not_implemented  # lazy

        backend = _backend_type().from_mnemonic(
            mnemonic,
            num_accounts=accounts,
            hd_path="m/44'/60'/0'/0",  # BIP-44, as MetaMask, Anvil and Hardhat derive
            genesis_state_overrides={"balance": balance_wei},
        )
        self._store: Any = None
        if state_path is not None:  # the chain kept on disk, or a fresh one that will be
            self._store = store_type()(state_path)
            backend.chain = _on_disk(backend.chain, self._store)
        self._backend = backend
        self._tester = et.EthereumTester(backend, validator=_validator_type()())
        provider = _provider_type()(self._tester)
        self._endpoints: dict[str, dict[str, Any]] = provider.api_endpoints
        self._not_implemented = not_implemented
        self._request: Callable[[str, list[Any]], Any] = provider.request_func(
            web3.Web3(provider), NamedElementOnion([])
        )
        self._keys = {bytes(k.public_key.to_canonical_address()): k for k in backend.account_keys}
        self.chain_id: int = int(backend.chain.chain_id)
        self.block_seconds = block_seconds
        self._lock = threading.RLock()
        # Seconds evm_increaseTime / evm_setNextBlockTimestamp added (kept with a chain on disk).
        self._offset = float(self._store.meta("offset") or 0) if self._store is not None else 0.0
        self._next_timestamp: int | None = None
        self._stop = threading.Event()
        self._miner: threading.Thread | None = None
        self._own: dict[str, Callable[[list[Any]], Any]] = {
            "eth_chainId": lambda p: self.chain_id,
            "net_version": lambda p: str(self.chain_id),
            "net_listening": lambda p: True,
            "web3_clientVersion": lambda p: f"tidecast-embedded/eth-tester/{et.__version__}",
            "eth_gasPrice": lambda p: self._pending_base_fee() + TIP,
            "eth_maxPriorityFeePerGas": lambda p: TIP,
            "eth_feeHistory": self._fee_history,
            "eth_call": self._call,
            "eth_estimateGas": self._estimate_gas,
            "eth_sendTransaction": self._send_transaction,
            "eth_sendRawTransaction": self._send_raw_transaction,
            "eth_getLogs": self._get_logs,
            "evm_snapshot": lambda p: self._tester.take_snapshot(),
            "evm_revert": self._revert,
            "evm_mine": self._evm_mine,
            "evm_increaseTime": self._increase_time,
            "evm_setNextBlockTimestamp": self._set_next_timestamp,
        }

    # -- lifecycle ---------------------------------------------------------------------------

    def start_mining(self) -> None:
        """Mine due blocks in a thread until `stop_mining`."""
        self._stop.clear()
        self._miner = threading.Thread(target=self._mine_loop, name="tidecast-chain-miner", daemon=True)
        self._miner.start()

    def stop_mining(self) -> None:
        self._stop.set()
        if self._miner is not None:
            self._miner.join(timeout=5)
            self._miner = None

    def close(self) -> None:
        """Stop, and on disk, mine what is pending (a sent transaction is not lost) and close."""
        self.stop_mining()
        if self._store is None:
            return
        with self._lock:
            if self._backend.chain.header.gas_used:
                self._mine()
            self._store.close()
            self._store = None

    @property
    def genesis_hash(self) -> str:
        return "0x" + bytes(self._backend.chain.get_canonical_block_header_by_number(0).hash).hex()

    def _commit(self) -> None:
        if self._store is not None:
            self._store.set_meta("offset", repr(self._offset))
            self._store.commit()

    def _mine_loop(self) -> None:
        while not self._stop.wait(0.1):
            try:
                with self._lock:
                    self._mine_due()
            except Exception:
                log.exception("the embedded chain could not mine a block")

    # -- the one entry point -----------------------------------------------------------------

    def dispatch(self, method: str, params: list[Any]) -> Any:
        with self._lock:
            self._stamp_pending()
            own = self._own.get(method)
            if own is not None:
                try:
                    return own(params)
                except RpcError:
                    raise
                except Exception as exc:
                    raise self._translate(exc) from exc
            return self._through(method, params)

    def _through(self, method: str, params: list[Any]) -> Any:
        """A call answered by eth-tester through web3's middleware, mended for the wire."""
        namespace, _, name = method.partition("_")
        endpoint = self._endpoints.get(namespace, {}).get(name) if namespace in PASSED_THROUGH else None
        if endpoint is None or endpoint is self._not_implemented:
            raise RpcError(METHOD_NOT_FOUND, f"the method {method} does not exist/is not available")
        where = BLOCK_PARAM.get(method)
        if where is not None and len(params) > where:
            params = [*params[:where], self._block_param(params[where]), *params[where + 1 :]]
        try:
            result = self._request(method, params)["result"]
        except RpcError:
            raise
        except Exception as exc:
            raise self._translate(exc) from exc
        return mend(method, result)

    def _translate(self, exc: Exception) -> RpcError:
        """eth-tester's and py-evm's exceptions as the error objects a node answers."""
        from eth_tester import exceptions as et_errors  # lazy
        from eth_utils.exceptions import ValidationError as ChainRefused  # lazy

        if isinstance(exc, et_errors.TransactionFailed):
            return failed(exc)
        if isinstance(exc, NotImplementedError):
            return RpcError(METHOD_NOT_FOUND, f"not available on the embedded chain: {exc}")
        if isinstance(exc, ChainRefused):  # py-evm: nonce, balance, gas, signature
            return RpcError(SERVER_ERROR, str(exc).splitlines()[0])
        if isinstance(exc, (et_errors.BlockNotFound, et_errors.SnapshotNotFound)):
            return RpcError(SERVER_ERROR, "header not found")
        if isinstance(exc, (et_errors.TransactionNotFound, et_errors.FilterNotFound)):
            return RpcError(SERVER_ERROR, str(exc))
        if isinstance(exc, (et_errors.ValidationError, TypeError, ValueError, KeyError, IndexError)):
            return RpcError(INVALID_PARAMS, f"Invalid params: {exc}")
        raise exc

    # -- time and mining ---------------------------------------------------------------------

    def now(self) -> int:
        """The chain's idea of the time: the wall clock plus what tests added."""
        return int(time.time() + self._offset)

    def _latest_timestamp(self) -> int:
        return int(self._backend.chain.get_canonical_head().timestamp)

    def _stamp_pending(self) -> None:
        """An empty pending block carries the time it would be mined at, so a transaction added
        to it (and a call on `pending`) sees the time it is mined at."""
        chain = self._backend.chain
        if chain.header.gas_used:
            return  # it holds transactions, which ran at its timestamp
        stamp = self._next_timestamp or max(self._latest_timestamp() + 1, self.now())
        if chain.header.timestamp != stamp:
            chain.header = chain.header.copy(timestamp=stamp)

    def _mine(self) -> None:
        self._stamp_pending()
        self._tester.mine_blocks(1)
        self._next_timestamp = None
        self._commit()

    def _mine_due(self) -> None:
        """Mine the pending transactions once their second has come; an empty block when the
        chain has been idle for block_seconds."""
        header = self._backend.chain.header
        if header.gas_used:
            if self.now() >= header.timestamp:
                self._mine()
        elif self.block_seconds and self.now() - self._latest_timestamp() >= self.block_seconds:
            self._mine()

    def _increase_time(self, params: list[Any]) -> Plain:
        self._offset += _int_param(params, 0, "seconds")
        self._commit()
        return Plain(int(self._offset))  # Anvil answers the total as a JSON number

    def _set_next_timestamp(self, params: list[Any]) -> None:
        stamp = _int_param(params, 0, "timestamp")
        if self._backend.chain.header.gas_used:
            self._mine()
        if stamp <= self._latest_timestamp():
            raise RpcError(SERVER_ERROR, f"timestamp {stamp} is not after the latest block's")
        self._offset = stamp - time.time()
        self._next_timestamp = stamp
        self._commit()

    def _evm_mine(self, params: list[Any]) -> str:
        blocks = 1
        option = params[0] if params else None
        if isinstance(option, dict):
            blocks = quantity(option.get("blocks", 1), "blocks")
            option = option.get("timestamp")
        if option is not None:
            self._set_next_timestamp([option])
        for _ in range(max(blocks, 1)):
            self._mine()
        return "0x0"

    def _revert(self, params: list[Any]) -> bool:
        from eth_tester.exceptions import SnapshotNotFound  # lazy

        try:
            self._tester.revert_to_snapshot(quantity(params[0] if params else None, "snapshot id"))
        except SnapshotNotFound:
            return False
        self._next_timestamp = None
        self._commit()
        return True

    # -- transactions --------------------------------------------------------------------------

    def _send_raw_transaction(self, params: list[Any]) -> bytes:
        """Into the pending block, mined when its second has come. Straight to the backend:
        eth-tester's own method either mines at once (a block a transaction, each a second
        later than the last) or keeps it out of the pending state (so a second transaction
        would reuse the nonce)."""
        raw = params[0] if params else None
        if not isinstance(raw, str) or not raw.startswith("0x") or len(raw) < 4:
            raise RpcError(INVALID_PARAMS, "Invalid params: expected the signed transaction as hex data")
        try:
            data = bytes.fromhex(raw[2:])
        except ValueError:
            raise RpcError(INVALID_PARAMS, "Invalid params: the transaction is not hex data") from None
        try:
            self._backend.chain.get_vm().get_transaction_builder().decode(data)
        except Exception:  # noqa: BLE001 - rlp, type and field errors alike: not a transaction
            raise RpcError(INVALID_PARAMS, "Failed to decode transaction") from None
        tx_hash = bytes(self._backend.send_raw_transaction(data))
        self._mine_due()
        return tx_hash

    def _send_transaction(self, params: list[Any]) -> Any:
        """Only for the demo accounts, whose keys the node holds: filled in as a wallet would,
        signed, then sent as a raw transaction (so it is mined like any other)."""
        from eth_account import Account  # lazy

        tx = _tx_object(params)
        sender = tx.get("from")
        key = self._keys.get(_address_bytes(sender)) if isinstance(sender, str) else None
        if key is None:
            raise RpcError(SERVER_ERROR, "unknown account")
        filled: dict[str, Any] = {
            "chainId": self.chain_id,
            "nonce": quantity(tx["nonce"], "nonce")
            if "nonce" in tx
            else self._tester.get_nonce(sender, "pending"),
            "value": quantity(tx.get("value", 0), "value"),
            "data": tx.get("data", "0x"),
        }
        if tx.get("to"):
            filled["to"] = tx["to"]
        filled["gas"] = quantity(tx["gas"], "gas") if "gas" in tx else self._estimate_gas([tx])
        if "gasPrice" in tx:
            filled["gasPrice"] = quantity(tx["gasPrice"], "gasPrice")
        else:
            tip = quantity(tx.get("maxPriorityFeePerGas", TIP), "maxPriorityFeePerGas")
            filled["maxPriorityFeePerGas"] = tip
            filled["maxFeePerGas"] = quantity(
                tx.get("maxFeePerGas", 2 * self._pending_base_fee() + tip), "maxFeePerGas"
            )
        signed = Account.sign_transaction(filled, key.to_hex())
        return self._send_raw_transaction(["0x" + bytes(signed.raw_transaction).hex()])

    def _call(self, params: list[Any]) -> Any:
        tx = _tx_object(params)
        tx.setdefault("from", ZERO_ADDRESS)  # geth runs an eth_call without `from` as 0x0
        if len(params) > 2 and params[2]:
            raise RpcError(INVALID_PARAMS, "Invalid params: state overrides are not supported")
        block = self._block_param(params[1]) if len(params) > 1 else "latest"
        return self._through("eth_call", [tx, block])

    def _estimate_gas(self, params: list[Any]) -> Any:
        tx = _tx_object(params)
        tx.setdefault("from", ZERO_ADDRESS)
        tx.pop("nonce", None)
        block = self._block_param(params[1]) if len(params) > 1 else "latest"
        # eth-tester cannot estimate on `pending`; its pending block is at most a second ahead.
        return self._through("eth_estimateGas", [tx, "latest" if block == "pending" else block])

    def _pending_base_fee(self) -> int:
        return int(self._backend.chain.header.base_fee_per_gas)

    # -- reads that need mending ---------------------------------------------------------------

    def _get_logs(self, params: list[Any]) -> Any:
        if not params or not isinstance(params[0], dict):
            raise RpcError(INVALID_PARAMS, "Invalid params: expected a filter object")
        query = dict(params[0])
        block_hash = query.pop("blockHash", None)
        if block_hash is not None:  # EIP-234
            if "fromBlock" in query or "toBlock" in query:
                raise RpcError(INVALID_PARAMS, "Invalid params: blockHash with fromBlock or toBlock")
            number = self._block_param({"blockHash": block_hash})
            query["fromBlock"] = query["toBlock"] = number
        for edge in ("fromBlock", "toBlock"):
            if query.get(edge) in ("safe", "finalized", "pending"):
                query[edge] = "latest"
        address = query.get("address")
        if isinstance(address, list):
            query["address"] = [_checksummed(a, "address") for a in address]
        elif address is not None:
            query["address"] = _checksummed(address, "address")
        return self._through("eth_getLogs", [query])

    def _block_param(self, value: Any) -> Any:
        """A block tag, number, or EIP-1898 object as eth-tester takes it."""
        if isinstance(value, dict):
            if "blockNumber" in value:
                return hex(quantity(value["blockNumber"], "blockNumber"))
            if "blockHash" in value:
                block = self._through("eth_getBlockByHash", [value["blockHash"], False])
                if block is None:
                    raise RpcError(SERVER_ERROR, "header not found")
                return hex(block["number"])
            raise RpcError(INVALID_PARAMS, "Invalid params: block object without blockNumber or blockHash")
        if value in ("safe", "finalized"):
            return "latest"
        return value

    def _fee_history(self, params: list[Any]) -> dict[str, Any]:
        """As geth computes it: base fees (one more than blocks, the next block's last), gas
        used ratios, and at each percentile the tip paid, weighted by gas."""
        if len(params) < 2:
            raise RpcError(INVALID_PARAMS, "Invalid params: blockCount and newestBlock are required")
        chain = self._backend.chain
        latest = int(chain.get_canonical_head().block_number)
        newest = self._block_param(params[1])
        if newest in ("latest", "pending"):
            newest_n = latest
        elif newest == "earliest":
            newest_n = 0
        else:
            newest_n = quantity(newest, "newestBlock")
        if newest_n > latest:
            raise RpcError(SERVER_ERROR, f"request beyond head block: requested {newest_n}, head {latest}")
        percentiles = params[2] if len(params) > 2 and params[2] is not None else None
        if percentiles is not None and (
            not isinstance(percentiles, list)
            or not all(isinstance(p, (int, float)) and not isinstance(p, bool) for p in percentiles)
            or any(not 0 <= p <= 100 for p in percentiles)
            or percentiles != sorted(percentiles)
        ):
            raise RpcError(INVALID_PARAMS, "Invalid params: rewardPercentiles must rise within 0..100")
        count = min(quantity(params[0], "blockCount"), 1024, newest_n + 1)
        oldest = newest_n - count + 1
        base_fees: list[int] = []
        ratios: list[float] = []
        rewards: list[list[int]] = []
        for number in range(oldest, newest_n + 1):
            block = chain.get_canonical_block_by_number(number)
            base_fees.append(int(block.header.base_fee_per_gas))
            ratios.append(block.header.gas_used / block.header.gas_limit)
            if percentiles is not None:
                rewards.append(tips_at(chain, block, percentiles))
        following = (
            chain.header if newest_n == latest else chain.get_canonical_block_header_by_number(newest_n + 1)
        )
        base_fees.append(int(following.base_fee_per_gas))
        result: dict[str, Any] = {"oldestBlock": oldest, "baseFeePerGas": base_fees, "gasUsedRatio": ratios}
        if percentiles is not None:
            result["reward"] = rewards
        return result


def _tx_object(params: list[Any]) -> dict[str, Any]:
    if not params or not isinstance(params[0], dict):
        raise RpcError(INVALID_PARAMS, "Invalid params: expected a transaction object")
    tx = dict(params[0])
    if "data" not in tx and "input" in tx:
        tx["data"] = tx["input"]
    tx = {k: v for k, v in tx.items() if k in TX_FIELDS and v is not None}
    for field in ("from", "to"):
        if field in tx:
            tx[field] = _checksummed(tx[field], field)
    return tx


def _checksummed(value: Any, name: str) -> str:
    """An address as eth-tester takes it in transactions and filters (clients send lower case)."""
    from eth_utils.address import to_checksum_address  # lazy

    if not isinstance(value, str) or len(_address_bytes(value)) != 20 or not value.startswith("0x"):
        raise RpcError(INVALID_PARAMS, f"Invalid params: {name} must be a 20-byte address")
    return str(to_checksum_address(value))


def _address_bytes(value: str) -> bytes:
    try:
        raw = bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        return b""
    return raw if len(raw) == 20 else b""


def _int_param(params: list[Any], index: int, name: str) -> int:
    value = params[index] if len(params) > index else None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return quantity(value, name)


def _on_disk(chain: Any, store: Any) -> Any:
    """`chain`'s class on `store`: the chain kept there, or, for an empty store, the fresh genesis
    eth-tester just built in memory, copied there (the genesis time is then kept for good)."""
    from eth.db.atomic import AtomicDB  # lazy
    from eth.exceptions import CanonicalHeadNotFound  # lazy

    on_disk = AtomicDB(store)
    try:
        type(chain).get_chaindb_class()(on_disk).get_canonical_head()
    except CanonicalHeadNotFound:
        store.load(dict(chain.chaindb.db.wrapped_db.kv_store))
    return type(chain)(on_disk)


@cache
def _backend_type() -> Any:
    """eth-tester's py-evm backend, with eth_call as geth runs it: a failed call keeps its VM
    error (eth-tester turns revert data into a message; a node answers the data), and a call
    that names no fees costs nothing (eth-tester charges 1 gwei a gas, which `from`, often the
    zero address, cannot pay for a block's worth of gas)."""
    main = sane_import("eth_tester.backends.pyevm.main")
    from eth.vm.spoof import SpoofTransaction  # lazy
    from eth_tester.exceptions import TransactionFailed  # lazy

    fee_fields = ("gas_price", "max_fee_per_gas", "max_priority_fee_per_gas")

    def call(self: Any, transaction: dict[str, Any], block_number: Any = "latest") -> bytes:
        defaulted = dict(transaction)
        defaulted.setdefault("gas", self._max_available_gas())
        header = main._get_block_by_number(self.chain, block_number).header
        if not any(field in transaction for field in fee_fields):
            defaulted.update(max_fee_per_gas=0, max_priority_fee_per_gas=0)
            header = header.copy(base_fee_per_gas=0)
        unsigned = self._get_normalized_and_unsigned_evm_transaction(defaulted, block_number)
        state = self.chain.get_vm(at_header=header).state
        snapshot = state.snapshot()
        computation = state.apply_transaction(SpoofTransaction(unsigned, from_=transaction["from"]))
        state.revert(snapshot)
        if computation.is_error:
            raise TransactionFailed(computation.error) from computation.error
        return bytes(computation.output)

    return type("GethLikeBackend", (main.PyEVMBackend,), {"call": call})


@cache
def _validator_type() -> Any:
    """eth-tester's validator, except that a block's transactions may be of different types:
    eth-tester checks that all of them are legacy, or all dynamic-fee, and so on (it mines a
    block a transaction); a block of one second's transactions may mix them."""
    sane_import("eth_tester")
    from eth_tester.validation import DefaultValidator, outbound  # lazy

    def validate_outbound_block(block: dict[str, Any]) -> None:
        outbound.validate_block({**block, "transactions": ()})
        for tx in block["transactions"]:
            if isinstance(tx, dict):
                outbound.validate_transaction(tx)
            else:
                outbound.validate_32_byte_string(tx)

    return type(
        "MixedBlockValidator",
        (DefaultValidator,),
        {"validate_outbound_block": staticmethod(validate_outbound_block)},
    )


@cache
def _provider_type() -> Any:
    """web3's eth-tester provider, without the request step that turns a revert into a message:
    exceptions reach EvmNode, which answers them as a node would."""
    sane_import("web3")
    from web3.providers.eth_tester import EthereumTesterProvider  # lazy

    def make_request(self: Any, method: str, params: Any) -> dict[str, Any]:
        namespace, _, name = method.partition("_")
        delegator = self.api_endpoints[namespace][name]
        return {"jsonrpc": "2.0", "id": 0, "result": delegator(self.ethereum_tester, params)}

    return type("PlainEthereumTesterProvider", (EthereumTesterProvider,), {"make_request": make_request})
