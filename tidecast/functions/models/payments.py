"""What /api/payments answers."""

from __future__ import annotations

from pydantic import Field

from tidecast.functions.models.common import Amount, Out, Timestamp, TokenInfo


class Gas(Out):
    headroomPercent: int
    headroomGas: int


class Config(Out):
    chainId: int
    paymentStream: str
    registry: str | None
    token: TokenInfo
    development: bool
    gas: Gas


class PaymentStream(Out):
    id: str
    sender: str
    recipient: str
    token: str
    flowRate: Amount
    deposit: Amount
    withdrawn: Amount
    remainingBalance: Amount
    withdrawable: Amount | None
    depletionTime: Timestamp | None
    startTime: Timestamp | None
    active: bool
    cancelled: bool


class Mine(Out):
    wallets: list[str]
    sent: list[PaymentStream]
    received: list[PaymentStream]
    withdrawable: Amount


class TypedField(Out):
    name: str
    type: str


class Domain712(Out):
    name: str
    version: str
    chainId: int
    verifyingContract: str


class Domain(Out):
    """EIP-712 domain and types a sender or recipient signs for POST /api/payments/status."""

    domain: Domain712
    primaryType: str
    types: dict[str, list[TypedField]]


class Status(Out):
    """The reference's payment status body."""

    streamId: str
    isActive: bool
    currentBalance: Amount
    recipient: str
    flowRate: str = Field(description="'<amount> tokens/sec', as the reference writes it")
    depletionTime: Timestamp | None
    sender: str
    token: TokenInfo
