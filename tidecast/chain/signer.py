"""The chain *write*: transactions signed here and sent through a `BlockchainDataService`.

Only what must sign gets a `ChainSigner` (tidecast/container.py, `chain_signer`): the
`stream.started` subscriber, for the platform's one transaction (StreamRegistry's
`recordStreamStart`, from PLATFORM_PRIVATE_KEY), and `tidecast payments`, whose stream party
transactions (open, top up, withdraw, cancel) a wallet in a browser signs in production. The
functions, payments and playback read only, so they are handed the reader and cannot send.

The signer has no node of its own: it uses the reader's connection and contracts, and runs
every node call under the reader's `translated`, so retry and error translation stay at one
boundary (tidecast/chain/service.py).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from tidecast.chain.gas import gas_limit
from tidecast.chain.service import checksum, to_hex
from tidecast.errors import InvalidInput, Reverted, Unavailable
from tidecast.imports import sane_import
from tidecast.retry import is_transient, with_retry

if TYPE_CHECKING:
    from tidecast.chain.service import BlockchainDataService

#: The part of ERC-20 a payer's approval needs (the reader's ERC20_ABI has only views).
APPROVE_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "approve",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "spender", "type": "address"}, {"name": "amount", "type": "uint256"}],
        "outputs": [{"name": "", "type": "bool"}],
    },
    {
        "type": "function",
        "name": "allowance",
        "stateMutability": "view",
        "inputs": [{"name": "owner", "type": "address"}, {"name": "spender", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    },
]


class ChainSigner:
    def __init__(
        self,
        chain: BlockchainDataService,
        *,
        platform_key: str | None = None,
        receipt_timeout: float | None = None,
    ) -> None:
        self.chain = chain
        self._platform_key = platform_key
        #: How long a transaction's receipt is waited for (then Unavailable: it may still come).
        self.receipt_timeout = receipt_timeout if receipt_timeout is not None else max(30.0, chain.timeout)
        self._send_lock = threading.Lock()

    # -- the platform's transactions ---------------------------------------------------------

    def record_stream_start(self, media_stream_id: str) -> str | None:
        """Record on chain that a media stream started (StreamRegistry, from the platform key);
        the transaction hash, or None when the stream was recorded before: the registry records
        a stream once, and the event subscriber calling this may run more than once."""
        if not media_stream_id or len(media_stream_id.encode()) > 64:
            raise InvalidInput("media stream id must be 1 to 64 bytes")
        chain = self.chain
        address = chain.required("registry_address", "STREAM_REGISTRY_ADDRESS")
        artifacts = sane_import("tidecast.chain.artifacts")
        registry = chain.contract(address, artifacts.load("StreamRegistry").abi)
        digest = chain.w3.keccak(text=media_stream_id)
        if chain.read(lambda: registry.functions.startedAt(digest).call()):
            return None
        try:
            return self.transact(registry.functions.recordStreamStart(media_stream_id))
        except Reverted as exc:
            if exc.reason == "already recorded":  # another worker was quicker
                return None
            raise

    # -- a stream's parties' transactions (wallets in a browser; here for the CLI and tests) --

    def open_stream(self, key: str, recipient: str, rate: str, deposit: str) -> int:
        """Approve `deposit` platform tokens and open a stream to `recipient` at `rate` tokens a
        second, signed with `key`; the new stream's id. Amounts are decimal token strings."""
        units = sane_import("tidecast.chain.units")
        token = self.chain.token()
        flow = units.parse_units(rate, token.decimals, field="rate")
        amount = units.parse_units(deposit, token.decimals, field="deposit")
        stream = self.chain.payment_stream()
        self._approve(key, stream.address, amount)
        receipt = self._send(
            stream.functions.createStream(checksum(recipient, "recipient"), token.address, flow, amount), key
        )
        # The receipt also holds the token's Transfer: only the stream's own event is read.
        created = stream.events.StreamCreated().process_receipt(
            receipt, errors=sane_import("web3.logs").DISCARD
        )
        return int(created[0]["args"]["streamId"])

    def top_up(self, key: str, stream_id: int, amount: str) -> str:
        units = sane_import("tidecast.chain.units")
        details = self.chain.get_payment_stream_details(stream_id)
        value = units.parse_units(amount, self.chain.token(details.token).decimals, field="amount")
        stream = self.chain.payment_stream()
        self._approve(key, stream.address, value, token_address=details.token)
        return self.transact(stream.functions.topUp(stream_id, value), key)

    def withdraw(self, key: str, stream_id: int, amount: str | None = None) -> str:
        """Withdraw `amount` tokens (default: all that accrued) as the recipient."""
        units = sane_import("tidecast.chain.units")
        details = self.chain.get_payment_stream_details(stream_id)
        stream = self.chain.payment_stream()
        if amount is None:
            value = int(
                self.chain.read(lambda: stream.functions.balanceOf(stream_id, details.recipient).call())
            )
        else:
            value = units.parse_units(amount, self.chain.token(details.token).decimals, field="amount")
        return self.transact(stream.functions.withdraw(stream_id, value), key)

    def cancel(self, key: str, stream_id: int) -> str:
        return self.transact(self.chain.payment_stream().functions.cancel(stream_id), key)

    def _approve(self, key: str, spender: str, amount: int, *, token_address: str | None = None) -> None:
        account = sane_import("eth_account").Account.from_key(key)
        token = self.chain.erc20(token_address or self.chain.required("token_address", "TOKEN_ADDRESS"))
        erc20 = self.chain.contract(token.address, APPROVE_ABI)
        allowed = int(self.chain.read(lambda: erc20.functions.allowance(account.address, spender).call()))
        if allowed < amount:
            self.transact(erc20.functions.approve(spender, amount), key)

    # -- signing and sending -----------------------------------------------------------------

    def transact(self, call: Any, key: str | None = None) -> str:
        """Sign `call` with `key` (the platform key by default), send it, wait for its receipt;
        its hash. A transaction that reverts is `Reverted` with the contract's reason."""
        return to_hex(self._send(call, key)["transactionHash"])

    def send(self, call: Any, key: str | None = None) -> Any:
        """As `transact`, answering the receipt (for the events a transaction logged)."""
        return self._send(call, key)

    def _send(self, call: Any, key: str | None = None) -> Any:
        account_mod = sane_import("eth_account")
        signer = account_mod.Account.from_key(key or self._key())
        w3 = self.chain.w3
        with self._send_lock, self.chain.translated():  # one nonce at a time per process
            # The bare estimate is not enough: a stream's cost grows with time (chain/gas.py).
            estimate = int(call.estimate_gas({"from": signer.address}))
            block_limit = int(w3.eth.get_block("latest")["gasLimit"])
            tx = call.build_transaction(
                {
                    "from": signer.address,
                    "nonce": w3.eth.get_transaction_count(signer.address, "pending"),
                    "chainId": w3.eth.chain_id,
                    "gas": gas_limit(estimate, block_limit),
                }
            )
            signed = signer.sign_transaction(tx)

            def broadcast() -> Any:
                # Sending the same signed bytes again is harmless (same hash): a node that got
                # them before the connection dropped answers "already known", which is success.
                try:
                    return w3.eth.send_raw_transaction(signed.raw_transaction)
                except Exception as exc:
                    if "already known" in str(exc).lower() or "known transaction" in str(exc).lower():
                        return signed.hash
                    raise

            tx_hash = with_retry(
                broadcast, max_retries=3, delay=0.2, deadline=self.chain.timeout, retry_on=is_transient
            )
            receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self.receipt_timeout)
        if receipt["status"] != 1:
            if int(receipt["gasUsed"]) >= int(tx["gas"]):
                raise Reverted(f"The transaction ran out of gas (limit {tx['gas']})", reason="out of gas")
            raise Reverted("The transaction reverted", reason=None)
        return receipt

    def _key(self) -> str:
        if not self._platform_key:
            raise Unavailable("The chain is not configured: set PLATFORM_PRIVATE_KEY")
        return self._platform_key
