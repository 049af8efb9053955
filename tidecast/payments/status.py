"""Payment status for a signed request: the reference's payment processing function, made safe.

The caller proves it is a party to the payment stream by signing EIP-712 typed data
`PaymentStatusRequest {streamId, nonce, expiresAt}` under the domain
`{name: "tidecast", version: "1", chainId, verifyingContract: PaymentStream}` (so a signature is
good for one chain and one contract only). The answer is refused, as the reference's
`Invalid signature`, when the message has expired, its nonce was used before, or its signer is
neither the stream's sender nor its recipient. A malformed request is a 400 and an unknown
stream a 404. Nonces are kept until their message expires (at most an hour ahead), so a
replay is caught for as long as the signature would otherwise be good.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError

from tidecast.chain.service import BlockchainDataService, StreamDetails, TokenInfo, checksum
from tidecast.db.schema import signed_nonces
from tidecast.db.times import now_utc
from tidecast.db.tx import transaction
from tidecast.errors import InvalidInput, NotAuthenticated, NotFound, Reverted
from tidecast.imports import sane_import
from tidecast.lib import siwe

DOMAIN_NAME = "tidecast"
DOMAIN_VERSION = "1"
PRIMARY_TYPE = "PaymentStatusRequest"
TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    PRIMARY_TYPE: [
        {"name": "streamId", "type": "uint256"},
        {"name": "nonce", "type": "bytes32"},
        {"name": "expiresAt", "type": "uint256"},
    ],
}
#: How far ahead a request may expire: bounds how long its nonce must be remembered.
MAX_VALIDITY = timedelta(hours=1)
NONCE = re.compile(r"0x[0-9a-fA-F]{64}", re.ASCII)
INVALID = "Invalid signature"


@dataclass(frozen=True)
class SigningDomain:
    """The EIP-712 domain a status request is signed under, with its types (what a client's
    `signTypedData` takes, but the message)."""

    chain_id: int
    verifying_contract: str  # the PaymentStream contract
    name: str = DOMAIN_NAME
    version: str = DOMAIN_VERSION
    primary_type: str = PRIMARY_TYPE
    types: Mapping[str, Sequence[Mapping[str, str]]] = field(default_factory=lambda: TYPES)

    def typed_data(self, message: dict[str, Any]) -> dict[str, Any]:
        """The whole typed data, as EIP-712's JSON form has it (what eth_account encodes)."""
        return {
            "domain": {
                "name": self.name,
                "version": self.version,
                "chainId": self.chain_id,
                "verifyingContract": self.verifying_contract,
            },
            "primaryType": self.primary_type,
            "types": self.types,
            "message": message,
        }


@dataclass(frozen=True)
class PaymentStatus:
    """A payment stream as the chain says it now, for its sender or recipient: the figures in
    the token's base units, and the token (whole tokens are the edge's to write)."""

    stream: StreamDetails
    token: TokenInfo


def stream_id_of(value: Any) -> int:
    """A stream id as JSON may carry it: an integer, or a decimal string (uint256 exceeds what
    JavaScript numbers hold exactly)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput("streamId must be a positive integer (a number or a decimal string)")
    text = str(value)
    if not re.fullmatch(r"[1-9][0-9]{0,77}", text, re.ASCII) or int(text) >= 2**256:
        raise InvalidInput("streamId must be a positive integer below 2**256")
    return int(text)


class PaymentStatusService:
    def __init__(
        self, engine: Engine, chain: BlockchainDataService, *, clock: Callable[[], datetime] = now_utc
    ) -> None:
        self.engine = engine
        self.chain = chain
        self.clock = clock

    def domain(self) -> SigningDomain:
        """What a client signs under (and the types), for `signTypedData`."""
        return SigningDomain(
            chain_id=self.chain.chain_id(), verifying_contract=self.chain.payment_stream().address
        )

    def typed_data(self, stream_id: int, nonce: str, expires_at: int) -> dict[str, Any]:
        return self.domain().typed_data({"streamId": stream_id, "nonce": nonce, "expiresAt": expires_at})

    def status(self, stream_id: Any, nonce: Any, expires_at: Any, signature: Any) -> PaymentStatus:
        sid = stream_id_of(stream_id)
        if not isinstance(nonce, str) or not NONCE.fullmatch(nonce):
            raise InvalidInput("nonce must be 0x and 64 hex digits (32 random bytes)")
        if isinstance(expires_at, bool) or not isinstance(expires_at, int) or expires_at <= 0:
            raise InvalidInput("expiresAt must be a Unix time in seconds")
        siwe.check_signature_form(signature)
        now = self.clock()
        expires = datetime.fromtimestamp(min(expires_at, 2**40), UTC)
        if expires > now + MAX_VALIDITY:
            raise InvalidInput("expiresAt must be at most an hour from now")
        if expires <= now:
            raise NotAuthenticated(INVALID)
        signer = self._signer(self.typed_data(sid, nonce.lower(), expires_at), signature)
        try:
            stream = self.chain.get_payment_stream_details(sid)
        except Reverted as exc:
            raise NotFound("Payment stream not found") from exc
        if signer is None or signer not in (stream.sender, stream.recipient):
            raise NotAuthenticated(INVALID)
        try:
            with transaction(self.engine) as conn:
                conn.execute(
                    insert(signed_nonces).values(nonce=nonce.lower(), signer=signer, expires_at=expires)
                )
        except IntegrityError:
            raise NotAuthenticated(INVALID) from None
        return PaymentStatus(stream=stream, token=self.chain.token(stream.token))

    def _signer(self, typed: dict[str, Any], signature: str) -> str | None:
        messages = sane_import("eth_account.messages")
        account = sane_import("eth_account")
        try:
            signable = messages.encode_typed_data(full_message=typed)
            return checksum(str(account.Account.recover_message(signable, signature=signature)))
        except Exception:  # noqa: BLE001 - eth-keys raises several types for a bad signature
            return None
