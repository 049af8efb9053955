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


class NativeCurrency(Out):
    name: str
    symbol: str
    decimals: int


class Network(Out):
    """EIP-3085's parameters for wallet_addEthereumChain (chainId is Config's)."""

    chainName: str
    rpcUrls: list[str]
    blockExplorerUrls: list[str]
    nativeCurrency: NativeCurrency


class Config(Out):
    chainId: int
    paymentStream: str
    registry: str | None
    token: TokenInfo
    development: bool
    gas: Gas
    chain: Network | None = Field(
        None, description="How a wallet may add the chain (EIP-3085); null: the operator published none"
    )

    @classmethod
    def from_domain(cls, config: PaymentConfig) -> Config:
        net = config.network
        return cls(
            chain=Network(
                chainName=net.name,
                rpcUrls=list(net.rpc_urls),
                blockExplorerUrls=list(net.explorer_urls),
                # Gas is paid in the chain's native coin; tidecast's chains are Ethereum's kind.
                nativeCurrency=NativeCurrency(name="Ether", symbol="ETH", decimals=18),
            )
            if net is not None
            else None,
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
    streamed: Amount = Field(
        description="What has flowed to the recipient so far (withdrawn or withdrawable)"
    )
    seconds: int = Field(description="Whole seconds of video `streamed` paid for at the flow rate")
    video: VideoRef | None = Field(
        None, description="The video it paid for, when tidecast knows (GET /api/payments/mine)"
    )

    @classmethod
    def from_domain(cls, live: LivePayment, video: VideoRef | None = None) -> PaymentStream:
        """The live figures in whole tokens (decimal strings), times in ISO 8601."""
        d, decimals = live.state.details, live.decimals
        # Recomputed here rather than imported (the models import no services at run time):
        # the recipient's share is what it withdrew plus what it could (payments.streams.streamed).
        flowed = d.withdrawn + live.withdrawable
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
            streamed=format_units(flowed, decimals),
            seconds=flowed // d.flow_rate if d.flow_rate else 0,
            video=video,
        )


class VideoRef(Out):
    id: str
    title: str | None = Field(description="null: the video was deleted since")


class VideoEarnings(Out):
    video: VideoRef | None = Field(description="null: payment streams no key or playback ties to a video")
    paymentStreams: int
    seconds: int = Field(description="Seconds of video paid for")
    earned: Amount
    withdrawable: Amount


class Mine(Out):
    wallets: list[str]
    sent: list[PaymentStream]
    received: list[PaymentStream]
    withdrawable: Amount
    earnings: list[VideoEarnings] = Field(description="Received, per video, most earned first")
    earned: Amount = Field(description="Everything the received payment streams have paid so far")
    spent: Amount = Field(description="Everything the sent payment streams have paid so far")

    @classmethod
    def from_domain(cls, mine: MyPayments) -> Mine:
        decimals = mine.token.decimals

        def ref(live: LivePayment) -> VideoRef | None:
            found = mine.videos.get(live.state.details.stream_id)
            return VideoRef(id=found.id, title=found.title) if found else None

        earnings = [
            VideoEarnings(
                video=VideoRef(id=e.video.id, title=e.video.title) if e.video else None,
                paymentStreams=e.payment_streams,
                seconds=e.seconds,
                earned=format_units(e.earned, decimals),
                withdrawable=format_units(e.withdrawable, decimals),
            )
            for e in mine.earnings()
        ]
        return cls(
            wallets=mine.wallets,
            sent=[PaymentStream.from_domain(p, ref(p)) for p in mine.sent],
            received=[PaymentStream.from_domain(p, ref(p)) for p in mine.received],
            withdrawable=format_units(mine.withdrawable, decimals),
            earnings=earnings,
            earned=format_units(sum(e.earned for e in mine.earnings()), decimals),
            spent=format_units(mine.spent(), decimals),
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
