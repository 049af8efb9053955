"""The treasury: the platform's wallet that pays creators for viewers paying with card credit.

It opens a payment stream from its own key to the creator's wallet at the creator's price (the
same contract, the same gating as a wallet-funded stream) and cancels it when the playback
stops. What the cancel says streamed (the contract's `StreamCancelled` event, or, when someone
else cancelled first, the frozen `withdrawn`) is what the viewer is charged.

One key, many function instances: its transactions are sent one at a time across processes
(PostgreSQL's session advisory lock around build-sign-send, beside the signer's own process
lock), so two instances never pick the same nonce. The contract is approved once for an
unlimited allowance, not before every stream: one transaction per playback, not two.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from tidecast.chain.service import BlockchainDataService, to_hex
from tidecast.chain.signer import APPROVE_ABI, ChainSigner
from tidecast.db.tx import lock_key
from tidecast.errors import Reverted
from tidecast.imports import sane_import

UNLIMITED = 2**256 - 1
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Opened:
    stream_id: int
    tx_hash: str


@dataclass(frozen=True)
class Ended:
    """What a payment stream paid its recipient in all (streamed), by the transaction that
    ended it (None when it had been cancelled by someone else before)."""

    streamed: int
    tx_hash: str | None


class Treasury:
    def __init__(self, chain: BlockchainDataService, signer: ChainSigner, engine: Engine, key: str) -> None:
        self.chain = chain
        self.signer = signer
        self.engine = engine
        self._key = key
        self.address: str = str(sane_import("eth_account").Account.from_key(key).address)

    def balance(self) -> int:
        """The treasury's platform-token balance, in base units."""
        token = self.chain.required("token_address", "TOKEN_ADDRESS")
        return self.chain.get_token_balance(self.address, token)

    def open(self, recipient: str, flow_rate: int, deposit: int) -> Opened:
        """A payment stream from the treasury to `recipient`; Reverted or Unavailable as the
        chain says."""
        stream = self.chain.payment_stream()
        token = self.chain.required("token_address", "TOKEN_ADDRESS")
        with self._one_sender():
            erc20 = self.chain.contract(token, APPROVE_ABI)
            allowed = int(
                self.chain.read(lambda: erc20.functions.allowance(self.address, stream.address).call())
            )
            if allowed < deposit:
                self.signer.transact(erc20.functions.approve(stream.address, UNLIMITED), self._key)
            receipt = self.signer.send(
                stream.functions.createStream(recipient, token, flow_rate, deposit), self._key
            )
        created = stream.events.StreamCreated().process_receipt(
            receipt, errors=sane_import("web3.logs").DISCARD
        )
        return Opened(int(created[0]["args"]["streamId"]), to_hex(receipt["transactionHash"]))

    def cancel(self, stream_id: int) -> Ended:
        """End the stream; what it paid its recipient in all. A stream cancelled already (by the
        creator, or by an earlier try whose answer was lost) is read, not cancelled again."""
        stream = self.chain.payment_stream()
        details = self.chain.get_payment_stream_details(stream_id)
        if not details.active and self._cancelled(
            stream_id, details.recipient, details.withdrawn, details.deposit
        ):
            return Ended(details.withdrawn, None)
        try:
            with self._one_sender():
                receipt = self.signer.send(stream.functions.cancel(stream_id), self._key)
        except Reverted as exc:
            if exc.reason == "stream is cancelled":
                return Ended(self.chain.get_payment_stream_details(stream_id).withdrawn, None)
            raise
        ended: Any = stream.events.StreamCancelled().process_receipt(
            receipt, errors=sane_import("web3.logs").DISCARD
        )
        args = ended[0]["args"]
        # Read again, not the first read's deposit: a top-up may have landed between the two.
        deposit = self.chain.get_payment_stream_details(stream_id).deposit
        return Ended(deposit - int(args["senderRefund"]), to_hex(receipt["transactionHash"]))

    def _cancelled(self, stream_id: int, recipient: str, withdrawn: int, deposit: int) -> bool:
        """An inactive stream was cancelled (not run dry): see PaymentState.of."""
        if withdrawn >= deposit:
            return True  # everything paid out: cancelling again would revert or pay nothing
        contract = self.chain.payment_stream()
        owed = int(self.chain.read(lambda: contract.functions.balanceOf(stream_id, recipient).call()))
        return owed == 0

    @contextlib.contextmanager
    def _one_sender(self) -> Iterator[None]:
        """The treasury's transactions one at a time across processes (PostgreSQL); SQLite
        deployments are one machine, where the signer's process lock is what there is."""
        if self.engine.dialect.name != "postgresql":
            yield
            return
        key = lock_key("treasury", self.address)
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()


def low_balance_mail(
    email: Any, to: str | None, address: str, funds: int, threshold: int, token: Any
) -> str | None:
    """Tell the operators the treasury runs low, once a day while it does (the outbox refuses
    a second mail with the same idempotency key); without TIDECAST_OPERATOR_EMAIL, a log line."""
    from tidecast.chain.units import format_units  # lazy: only when the treasury is low
    from tidecast.db.times import now_utc  # lazy: only when the treasury is low

    have = f"{format_units(funds, token.decimals)} {token.symbol}"
    floor = f"{format_units(threshold, token.decimals)} {token.symbol}"
    log.error("the treasury %s holds %s, below TIDECAST_TREASURY_LOW_BALANCE (%s)", address, have, floor)
    if not to:
        return None
    return email.send_email(  # type: ignore[no-any-return]
        to,
        "tidecast: the treasury is running low",
        template_name="treasury-low",
        data={"address": address, "balance": have, "threshold": floor},
        essential=True,
        idempotency_key=f"treasury-low:{address}:{now_utc().date().isoformat()}",
    )
