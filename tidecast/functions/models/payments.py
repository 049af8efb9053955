"""What /api/payments answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from tidecast.chain.timestamps import timestamp_iso
from tidecast.chain.units import format_units
from tidecast.functions.models.common import Amount, Out, Timestamp, TokenInfo

if TYPE_CHECKING:  # the models stay importable without the services
    from tidecast.chain.service import TokenInfo as ChainToken
    from tidecast.payments.status import PaymentStatus, SigningDomain
    from tidecast.payments.streams import LivePayment, MyPayments, PaymentConfig


def token_info(token: ChainToken) -> TokenInfo:
    return TokenInfo(address=token.address, symbol=token.symbol, decimals=token.decimals)


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

    @classmethod
    def from_domain(cls, config: PaymentConfig) -> Config:
        return cls(
            chainId=config.chain_id,
            paymentStream=config.payment_stream,
            registry=config.registry,
            token=token_info(config.token),
            development=config.development,
            gas=Gas(headroomPercent=config.gas_headroom_percent, headroomGas=config.gas_headroom_gas),
        )


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

    @classmethod
    def from_domain(cls, live: LivePayment) -> PaymentStream:
        """The live figures in whole tokens (decimal strings), times in ISO 8601."""
        d, decimals = live.state.details, live.decimals
        return cls(
            id=str(d.stream_id),
            sender=d.sender,
            recipient=d.recipient,
            token=d.token,
            flowRate=format_units(d.flow_rate, decimals),
            deposit=format_units(d.deposit, decimals),
            withdrawn=format_units(d.withdrawn, decimals),
            remainingBalance=format_units(d.remaining_balance, decimals),
            withdrawable=format_units(live.withdrawable, decimals),
            depletionTime=timestamp_iso(d.depletion_time),
            startTime=timestamp_iso(d.start_time),
            active=d.active,
            cancelled=live.state.cancelled,
        )


class Mine(Out):
    wallets: list[str]
    sent: list[PaymentStream]
    received: list[PaymentStream]
    withdrawable: Amount

    @classmethod
    def from_domain(cls, mine: MyPayments) -> Mine:
        return cls(
            wallets=mine.wallets,
            sent=[PaymentStream.from_domain(p) for p in mine.sent],
            received=[PaymentStream.from_domain(p) for p in mine.received],
            withdrawable=format_units(mine.withdrawable, mine.token.decimals),
        )


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

    @classmethod
    def from_domain(cls, domain: SigningDomain) -> Domain:
        return cls(
            domain=Domain712(
                name=domain.name,
                version=domain.version,
                chainId=domain.chain_id,
                verifyingContract=domain.verifying_contract,
            ),
            primaryType=domain.primary_type,
            types={
                name: [TypedField(name=f["name"], type=f["type"]) for f in fields]
                for name, fields in domain.types.items()
            },
        )


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

    @classmethod
    def from_domain(cls, status: PaymentStatus) -> Status:
        d, decimals = status.stream, status.token.decimals
        return cls(
            streamId=str(d.stream_id),
            isActive=d.active,
            currentBalance=format_units(d.remaining_balance, decimals),
            recipient=d.recipient,
            flowRate=f"{format_units(d.flow_rate, decimals)} tokens/sec",
            depletionTime=timestamp_iso(d.depletion_time),  # null past year 9999
            sender=d.sender,
            token=token_info(status.token),
        )
