"""The Blockchain Data Service: the chain *read*: token balances, payment streams and history,
through any Ethereum JSON-RPC node at RPC_URL (the embedded dev chain, Anvil, a provider).
Nothing here knows which node it talks to, and nothing here signs: transactions are
tidecast/chain/signer.py's, which reaches the node through this reader's boundary.

- Reads retry transient failures (a refused or dropped connection, a timeout) a few times
  within a deadline; a node still out of reach is `Unavailable` (503 with Retry-After).
- The one boundary: every node call, the signer's too, runs under `translated`, and every way a
  node says "the contract refused" (a revert with or without a reason, eth-tester's
  TransactionFailed, a JSON-RPC error) becomes one `Reverted` carrying the reason.
- Many balances are one JSON-RPC batch, not one request each.
- History: no JSON-RPC node has `getHistory`. It is built from the events the chain watcher has
  indexed (tidecast/chain/index.py), and, for blocks the watcher has not reached, from
  `eth_getLogs` (the platform token's Transfer and PaymentStream's events involving the address)
  in bounded block ranges, newest first.

web3 (and eth-account under it) is imported on first use through `sane_import`: functions that
never touch the chain never pay for it, and its import does not raise the recursion limit.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, TypeVar, cast

from tidecast.chain.errors import CONTRACT_SETTINGS, translate
from tidecast.config import mask_url
from tidecast.errors import InvalidInput, Reverted, Unavailable
from tidecast.imports import sane_import
from tidecast.retry import is_transient, with_retry

if TYPE_CHECKING:
    from web3 import Web3

    from tidecast.chain.index import ChainIndex

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Blocks per eth_getLogs request: providers refuse wide ranges (Infura: 10,000; others less).
LOG_RANGE = 2_000
#: Ranges searched per history request at most, so one call never scans a whole chain.
HISTORY_RANGES = 50
#: Addresses per balance batch (providers cap batch sizes; 100 is under every common cap).
BATCH = 100
PAYMENT_EVENTS = ("StreamCreated", "ToppedUp", "Withdrawn", "StreamCancelled")

#: The part of ERC-20 this service reads, for any token address (not only the platform's).
ERC20_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "balanceOf",
        "stateMutability": "view",
        "inputs": [{"name": "account", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    },
    {
        "type": "function",
        "name": "decimals",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "", "type": "uint8"}],
    },
    {
        "type": "function",
        "name": "symbol",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "", "type": "string"}],
    },
    {
        "type": "event",
        "name": "Transfer",
        "anonymous": False,
        "inputs": [
            {"name": "sender", "type": "address", "indexed": True},
            {"name": "receiver", "type": "address", "indexed": True},
            {"name": "value", "type": "uint256", "indexed": False},
        ],
    },
]


@dataclass(frozen=True)
class TokenInfo:
    address: str
    symbol: str
    decimals: int


@dataclass(frozen=True)
class StreamDetails:
    """What `PaymentStream.getStream` says of a stream, at one block."""

    stream_id: int
    sender: str
    recipient: str
    token: str
    flow_rate: int
    deposit: int
    start_time: int
    withdrawn: int
    remaining_balance: int
    active: bool
    depletion_time: int


@dataclass(frozen=True)
class ChainDeployment:
    """Which deployment of the payment contract a read came from.

    Payment stream ids start at 1 on every deployment, so an id means nothing without this: a
    development node restarted (or `anvil_reset`) with the same chain id and the contracts
    redeployed at the same addresses counts from 1 again. The chain id and the contract's
    address tell chains and redeployments apart; the genesis hash tells a node restarted
    without its state (a new genesis time); the hash of block 1 tells a node reset in place,
    which keeps its genesis (Anvil's `anvil_reset` does) but mines a new block 1 at a new time.
    A contract is never older than block 1, so two deployments with equal keys share the whole
    history up to the contract's creation."""

    chain_id: int
    genesis_hash: str
    #: None while the chain has no block 1 (then it has no contracts either).
    first_block_hash: str | None
    contract: str

    @property
    def key(self) -> str:
        """The identity as 0x and 64 hex digits: what grants, cursors and indexes are keyed by."""
        text = f"{self.chain_id}:{self.genesis_hash}:{self.first_block_hash or '-'}:{self.contract.lower()}"
        return "0x" + hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ChainLog:
    """One decoded event of the platform's contracts, as history and the watcher see it."""

    chain_id: int
    block_number: int
    block_hash: str
    transaction_hash: str
    log_index: int
    contract: str
    event: str
    stream_id: int | None
    sender: str | None
    recipient: str | None
    amount: int | None
    args: dict[str, Any]

    def json(self, timestamp: datetime | None = None) -> dict[str, Any]:
        return {
            "event": self.event,
            "blockNumber": self.block_number,
            "transactionHash": self.transaction_hash,
            "logIndex": self.log_index,
            "timestamp": timestamp.isoformat().replace("+00:00", "Z") if timestamp else None,
            "contract": self.contract,
            "streamId": str(self.stream_id) if self.stream_id is not None else None,
            "from": self.sender,
            "to": self.recipient,
            "amount": str(self.amount) if self.amount is not None else None,
        }


def checksum(address: str, field: str = "address") -> str:
    """The EIP-55 form of a 0x address; 400 naming `field` when it is not one."""
    found = _eip55(address) if isinstance(address, str) else None
    if found is None:
        raise InvalidInput(f"{field} must be 0x and 40 hex digits, got {str(address)[:60]!r}")
    return found


@lru_cache(maxsize=4096)
def _eip55(address: str) -> str | None:
    """Remembered: the key route checksums the platform token's address on every request, and
    eth_utils' Keccak made that an eighth of a cached key's CPU (bench/keys_cpu.py)."""
    utils = sane_import("eth_utils")
    return str(utils.to_checksum_address(address)) if utils.is_hex_address(address) else None


class BlockchainDataService:
    def __init__(
        self,
        rpc_url: str,
        *,
        payment_stream_address: str | None,
        token_address: str | None,
        registry_address: str | None = None,
        timeout: float = 10.0,
        index: ChainIndex | None = None,
    ) -> None:
        self.rpc_url = rpc_url
        self.payment_stream_address = payment_stream_address
        self.token_address = token_address
        self.registry_address = registry_address
        self.timeout = timeout
        self.index = index
        self._tokens: dict[str, TokenInfo] = {}
        self._contracts: dict[tuple[str, int], Any] = {}

    # -- the node ----------------------------------------------------------------------------

    @cached_property
    def w3(self) -> Web3:
        web3 = sane_import("web3")
        # web3's validation asks the node for eth_chainId before calls and sends: twice per
        # contract call. A node's chain id does not change under one URL, so only that is cached.
        provider = web3.HTTPProvider(
            self.rpc_url,
            request_kwargs={"timeout": self.timeout},
            cache_allowed_requests=True,
            cacheable_requests={"eth_chainId"},
        )
        return web3.Web3(provider)  # type: ignore[no-any-return]

    def read(self, fn: Callable[[], T]) -> T:
        """Call the node: transient failures retried briefly, node errors translated."""
        with self.translated():
            return with_retry(fn, max_retries=3, delay=0.2, deadline=self.timeout, retry_on=is_transient)

    @contextlib.contextmanager
    def translated(self) -> Iterator[None]:
        """Outside errors become domain errors here, at the boundary (raised from the original)."""
        try:
            yield
        except (Reverted, Unavailable, InvalidInput):
            raise
        except Exception as exc:
            raise self._translate(exc) from exc

    def _translate(self, exc: Exception) -> Exception:
        return translate(exc, mask_url(self.rpc_url), self.missing_code)

    def missing_code(self) -> list[str] | None:
        """The configured contracts with no code on the node ("SETTING 0x…"), in one batch;
        None when the node cannot say (it is what failed, most likely)."""
        named = [(setting, getattr(self, attr)) for setting, attr in CONTRACT_SETTINGS if getattr(self, attr)]
        if not named:
            return None
        try:
            replies = self._batch([("eth_getCode", [checksum(a), "latest"]) for _, a in named])
        except Exception:  # noqa: BLE001 - this runs while translating another failure
            return None
        if any("error" in r or not isinstance(r.get("result"), str) for r in replies):
            return None
        return [f"{setting} {address}" for (setting, address), r in zip(named, replies, strict=True)
                if r["result"] in ("0x", "0x0", "")]  # fmt: skip

    def _batch(self, calls: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        """A raw JSON-RPC batch, replies in the calls' order, each {"result"} or {"error"}: the
        caller reads each reply itself (web3's batch raises on the first error and cannot say
        that a block is missing). A node that refuses the whole batch is a Web3RPCError."""
        replies = cast(Any, self.w3.provider).make_batch_request(calls)
        if not isinstance(replies, list) or len(replies) != len(calls):
            error = replies.get("error") if isinstance(replies, dict) else None
            message = error.get("message") if isinstance(error, dict) else error
            raise sane_import("web3.exceptions").Web3RPCError(str(message or replies)[:200])
        return [dict(r) for r in replies]

    def chain_id(self) -> int:
        return int(self.read(lambda: self.w3.eth.chain_id))

    def block_number(self) -> int:
        return int(self.read(lambda: self.w3.eth.block_number))

    def block_times(self, numbers: Sequence[int]) -> dict[int, datetime]:
        """Each block's timestamp (UTC), in one batch."""
        wanted = sorted(set(numbers))
        if not wanted:
            return {}

        def fetch() -> list[Any]:
            with self.w3.batch_requests() as batch:
                for n in wanted:
                    batch.add(self.w3.eth.get_block(n))
                return list(batch.execute())

        blocks = self.read(fetch)
        return {
            n: datetime.fromtimestamp(int(b["timestamp"]), UTC) for n, b in zip(wanted, blocks, strict=True)
        }

    # -- tokens ------------------------------------------------------------------------------

    def contract(self, address: str, abi: list[dict[str, Any]]) -> Any:
        """A contract at `address` (checked, EIP-55) with `abi`, built once per pair: web3
        builds a contract's function and event classes from its ABI (about a millisecond)."""
        key = (checksum(address), id(abi))
        if key not in self._contracts:
            self._contracts[key] = self.w3.eth.contract(address=cast(Any, key[0]), abi=abi)
        return self._contracts[key]

    def erc20(self, token_address: str) -> Any:
        return self.contract(checksum(token_address, "tokenAddress"), ERC20_ABI)

    def token(self, token_address: str | None = None) -> TokenInfo:
        """Symbol and decimals of a token (the platform's by default), read once."""
        address = checksum(token_address or self.required("token_address", "TOKEN_ADDRESS"), "tokenAddress")
        if address not in self._tokens:
            contract = self.erc20(address)

            def fetch() -> list[Any]:
                with self.w3.batch_requests() as batch:
                    batch.add(contract.functions.symbol())
                    batch.add(contract.functions.decimals())
                    return list(batch.execute())

            symbol, decimals = self.read(fetch)
            self._tokens[address] = TokenInfo(address, str(symbol), int(decimals))
        return self._tokens[address]

    def get_token_balance(self, address: str, token_address: str) -> int:
        """The reference's getTokenBalance: ERC-20 `balanceOf`, in the token's smallest unit."""
        account = checksum(address)
        return int(self.read(lambda: self.erc20(token_address).functions.balanceOf(account).call()))

    def get_token_balances(self, addresses: Sequence[str], token_address: str) -> dict[str, int]:
        """Many balances, one JSON-RPC batch per 100 addresses (keys are EIP-55 addresses).

        The batch's `eth_call`s are encoded here (`balanceOf(address)`: a selector and one
        padded word) and go to the provider as they are: web3's per-call path (ABI matching,
        its validation middleware, formatters) cost about a millisecond an address, several
        times what the node takes to answer (bench/chain.py)."""
        accounts = [checksum(a) for a in addresses]
        token = checksum(token_address, "tokenAddress")
        selector = bytes(sane_import("eth_utils").function_signature_to_4byte_selector("balanceOf(address)"))
        found: dict[str, int] = {}
        for start in range(0, len(accounts), BATCH):
            chunk = accounts[start : start + BATCH]
            calls = [
                (
                    "eth_call",
                    [{"to": token, "data": "0x" + selector.hex() + "0" * 24 + a[2:].lower()}, "latest"],
                )
                for a in chunk
            ]

            def fetch(calls: list[tuple[str, Any]] = calls) -> list[int]:
                return _uint256_results(
                    cast(Any, self.w3.provider).make_batch_request(calls), f"balanceOf at {token}"
                )

            found.update(zip(chunk, self.read(fetch), strict=True))
        return found

    # -- payment streams ---------------------------------------------------------------------

    def payment_stream(self) -> Any:
        address = self.required("payment_stream_address", "PAYMENT_STREAM_CONTRACT_ADDRESS")
        artifacts = sane_import("tidecast.chain.artifacts")
        return self.contract(address, artifacts.load("PaymentStream").abi)

    def deployment(self) -> ChainDeployment:
        """The payment contract's deployment, read now (one batch); Unavailable naming the
        settings when the contract has no code on the node (a node restarted without its state)."""
        address = checksum(self.required("payment_stream_address", "PAYMENT_STREAM_CONTRACT_ADDRESS"))

        def fetch() -> ChainDeployment:
            *blocks, code = self._batch([*_IDENTITY_CALLS, ("eth_getCode", [address, "latest"])])
            if _result(code) in ("0x", "0x0", ""):
                raise sane_import("web3.exceptions").BadFunctionCallOutput("no code at the payment contract")
            return self._identity(blocks, address)

        return self.read(fetch)

    def payment_stream_now(self, stream_id: int) -> tuple[StreamDetails, ChainDeployment]:
        """`getStream` at the latest block and the deployment it was read from, in one batch: an
        unknown id is `Reverted` ("unknown stream"), a contract that is not there Unavailable."""
        if not isinstance(stream_id, int) or not 0 < stream_id < 2**256:
            raise InvalidInput("streamId must be a positive integer")
        contract = self.payment_stream()
        address = str(contract.address)
        call = {"to": address, "data": contract.encode_abi("getStream", args=[stream_id])}

        def fetch() -> tuple[StreamDetails, ChainDeployment]:
            *blocks, got = self._batch([*_IDENTITY_CALLS, ("eth_call", [call, "latest"])])
            data = _result(got)
            if data in ("0x", ""):
                raise sane_import("web3.exceptions").BadFunctionCallOutput("getStream answered no data")
            abi = next(f for f in contract.abi if f.get("name") == "getStream")
            types = sane_import("eth_utils.abi").get_abi_output_types(abi)
            try:
                (fields,) = self.w3.codec.decode(types, bytes.fromhex(str(data).removeprefix("0x")))
            except (ValueError, sane_import("eth_abi.exceptions").DecodingError) as exc:
                raise sane_import("web3.exceptions").BadFunctionCallOutput(
                    f"getStream answered {str(data)[:80]!r}"
                ) from exc
            return StreamDetails(stream_id, *_stream_fields(fields)), self._identity(blocks, address)

        return self.read(fetch)

    def _identity(self, blocks: list[dict[str, Any]], contract: str) -> ChainDeployment:
        genesis, first = (_result(b) for b in blocks)
        if not isinstance(genesis, dict):
            raise sane_import("web3.exceptions").BlockNotFound("the node has no genesis block")
        return ChainDeployment(
            chain_id=self.chain_id(),
            genesis_hash=str(genesis["hash"]).lower(),
            first_block_hash=str(first["hash"]).lower() if isinstance(first, dict) else None,
            contract=contract,
        )

    def get_payment_stream_details(self, stream_id: int, *, block: int | str = "latest") -> StreamDetails:
        """The reference's getPaymentStreamDetails; an unknown id is `Reverted` (the contract's
        own reason), and an unconfigured contract is `Unavailable` naming the setting."""
        if not isinstance(stream_id, int) or not 0 < stream_id < 2**256:
            raise InvalidInput("streamId must be a positive integer")
        contract = self.payment_stream()
        got = self.read(lambda: contract.functions.getStream(stream_id).call(block_identifier=block))
        return StreamDetails(stream_id, *_stream_fields(got))

    # -- history -----------------------------------------------------------------------------

    def decode(self, entry: Any, chain_id: int) -> ChainLog | None:
        """One raw log of the platform's contracts, decoded; None for anything else."""
        address = str(entry["address"])
        names: tuple[str, ...]
        if self.payment_stream_address and address.lower() == self.payment_stream_address.lower():
            contract, names = self.payment_stream(), PAYMENT_EVENTS
        elif self.token_address and address.lower() == self.token_address.lower():
            contract, names = self.erc20(address), ("Transfer",)
        else:
            return None
        topic = bytes(entry["topics"][0])
        for name in names:
            event = getattr(contract.events, name)()
            if bytes(self.w3.keccak(text=_signature(event.abi))) != topic:
                continue
            args = dict(event.process_log(entry)["args"])
            sender, recipient = args.get("sender"), args.get("recipient", args.get("receiver"))
            return ChainLog(
                chain_id=chain_id,
                block_number=int(entry["blockNumber"]),
                block_hash=to_hex(entry["blockHash"]),
                transaction_hash=to_hex(entry["transactionHash"]),
                log_index=int(entry["logIndex"]),
                contract=checksum(address),
                event=name,
                stream_id=int(args["streamId"]) if "streamId" in args else None,
                sender=str(sender) if sender else None,
                recipient=str(recipient) if recipient else None,
                amount=_amount(args),
                args={
                    k: (str(v) if isinstance(v, int) and not isinstance(v, bool) else v)
                    for k, v in args.items()
                },
            )
        return None

    def logs(self, start: int, end: int, *, topics: list[Any] | None = None) -> list[Any]:
        """Raw logs of the platform's contracts in [start, end], in ranges of LOG_RANGE blocks."""
        addresses = [checksum(a) for a in (self.payment_stream_address, self.token_address) if a]
        found: list[Any] = []
        for lo in range(start, end + 1, LOG_RANGE):
            hi = min(end, lo + LOG_RANGE - 1)
            query: dict[str, Any] = {"address": addresses, "fromBlock": lo, "toBlock": hi}
            if topics is not None:
                query["topics"] = topics

            def fetch(query: dict[str, Any] = query) -> list[Any]:
                return list(self.w3.eth.get_logs(cast(Any, query)))

            found.extend(self.read(fetch))
        return found

    def get_transaction_history(
        self, address: str, start_block: int = 0, end_block: int | str = "latest", limit: int = 10
    ) -> list[dict[str, Any]]:
        """The platform token's transfers and the payment streams involving `address`, newest
        first: from the watcher's index where it reaches, from eth_getLogs beyond it."""
        account = checksum(address)
        if not 1 <= limit <= 1000:
            raise InvalidInput("limit must be between 1 and 1000")
        head = self.block_number()
        end = head if end_block == "latest" else int(end_block)
        if start_block < 0 or end < start_block:
            raise InvalidInput("start_block must be 0 or more and not after end_block")
        end = min(end, head)
        chain_id = self.chain_id()
        indexed_through = self.index.covered_through(chain_id) if self.index is not None else None
        found: list[ChainLog] = []
        scan_to = end
        ranges = 0
        # Blocks the index does not cover yet, newest first, in bounded ranges.
        floor = max(start_block, (indexed_through + 1) if indexed_through is not None else start_block)
        while scan_to >= floor and ranges < HISTORY_RANGES and len(found) < limit:
            lo = max(floor, scan_to - LOG_RANGE + 1)
            found.extend(self._involving(account, lo, scan_to, chain_id))
            scan_to, ranges = lo - 1, ranges + 1
        if len(found) < limit and self.index is not None and indexed_through is not None:
            upto = min(end, indexed_through)
            if upto >= start_block:
                found.extend(self.index.involving(chain_id, account, start_block, upto, limit))
        unique = {(e.transaction_hash, e.log_index): e for e in found}
        newest = sorted(unique.values(), key=lambda e: (e.block_number, e.log_index), reverse=True)[:limit]
        times = self.block_times([e.block_number for e in newest])
        return [e.json(times.get(e.block_number)) for e in newest]

    def _involving(self, account: str, start: int, end: int, chain_id: int) -> list[ChainLog]:
        topic = "0x" + "00" * 12 + account[2:].lower()
        found = []
        # An address sits in topic 1 or 2 of Transfer (from, to), 2 or 3 of a stream event.
        for topics in ([None, topic], [None, None, topic], [None, None, None, topic]):
            for entry in self.logs(start, end, topics=topics):
                decoded = self.decode(entry, chain_id)
                if decoded is not None and account in (decoded.sender, decoded.recipient):
                    found.append(decoded)
        return found

    def required(self, attribute: str, setting: str) -> str:
        """A configured address (`attribute`), or Unavailable naming the `setting` to set."""
        value = getattr(self, attribute)
        if not value:
            raise Unavailable(f"The chain is not configured: set {setting}")
        return str(value)


#: The two blocks a deployment's identity reads (ChainDeployment): the genesis and block 1.
_IDENTITY_CALLS: list[tuple[str, list[Any]]] = [
    ("eth_getBlockByNumber", ["0x0", False]),
    ("eth_getBlockByNumber", ["0x1", False]),
]


def _result(reply: dict[str, Any]) -> Any:
    """One raw batch reply's result; its error raised as web3 would (a revert, code 3 or a
    revert message, as ContractLogicError), for `translated` to make a domain error of."""
    error = reply.get("error")
    if error is None:
        return reply.get("result")
    exceptions = sane_import("web3.exceptions")
    message = str(error.get("message", error)) if isinstance(error, dict) else str(error)
    data = error.get("data") if isinstance(error, dict) else None
    if (isinstance(error, dict) and error.get("code") == 3) or "revert" in message.lower():
        raise exceptions.ContractLogicError(message, data=data)
    raise exceptions.Web3RPCError(message, rpc_response=cast(Any, reply))


def _stream_fields(got: Any) -> tuple[Any, ...]:
    fields = tuple(got)
    if len(fields) != 10:
        raise Reverted(f"getStream answered {len(fields)} fields, expected 10")
    sender, recipient, token, flow, deposit, start, withdrawn, remaining, active, depletion = fields
    return (checksum(str(sender)), checksum(str(recipient)), checksum(str(token)), int(flow), int(deposit),
            int(start), int(withdrawn), int(remaining), bool(active), int(depletion))  # fmt: skip


def _uint256_results(replies: Any, what: str) -> list[int]:
    """A raw JSON-RPC batch's answers to `eth_call`s that each return one uint256. A node that
    refuses the whole batch answers one error object; a refused call is an error in its place."""
    exceptions = sane_import("web3.exceptions")
    if not isinstance(replies, list):
        error = replies.get("error") if isinstance(replies, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
        raise exceptions.Web3RPCError(str(message or replies), rpc_response=replies)
    values = []
    for reply in replies:
        if reply.get("error") is not None:
            error = reply["error"]
            message = error.get("message") if isinstance(error, dict) else error
            raise exceptions.Web3RPCError(str(message), rpc_response=reply)
        result = reply.get("result")
        if not isinstance(result, str) or len(result) != 66:  # 0x and one 32-byte word
            raise exceptions.BadFunctionCallOutput(
                f"{what} answered {str(result)[:80]!r}, not one uint256 (no ERC-20 contract there?)"
            )
        values.append(int(result, 16))
    return values


def _amount(args: dict[str, Any]) -> int | None:
    for name in ("value", "amount", "deposit"):
        if name in args:
            return int(args[name])
    return None


def _signature(abi: dict[str, Any]) -> str:
    return f"{abi['name']}({','.join(i['type'] for i in abi['inputs'])})"


def to_hex(value: Any) -> str:
    """Bytes or a hex string as 0x and hex digits (web3 answers either, by version)."""
    text = value.hex() if isinstance(value, bytes | bytearray) else str(value)
    return text if text.startswith("0x") else "0x" + text
