"""Payment streams as the site shows them: read from the chain, with a short in-process cache.

`PaymentReader` reads a payment stream (`getStream`, with the deployment it comes from, in one
batch) and keeps it for at most TIDECAST_PAYMENT_CACHE_SECONDS: a player asks for a key every
key period, many viewers at once, and the chain need not be asked each time. What the cache may
hide is bounded: a cancel is seen at most that many seconds late, a node reset too (the entry
stays the old deployment's stream, never becomes the new one's), and running dry is never
hidden, because what has streamed is carried forward to the wall clock at every use.

The contract's `getStream` says `active: false` both for a stream that was cancelled and for
one that ran dry. They are told apart without the watcher's index: a cancelled stream pays its
recipient everything at once, so its recipient's `balanceOf` is 0 while `withdrawn < deposit`
(a stream that ran dry still owes its recipient `deposit - withdrawn`). When everything was
withdrawn the two look the same on chain; that stream is reported as having run dry.

`PaymentsService` serves /api/payments/{config, streams/<id>, mine} with domain objects: amounts
in the token's base units (integers, with the decimals to read them by); the edge renders them
in whole tokens (decimal strings) and times in ISO 8601.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import Connection, Engine, or_, select

from tidecast.chain import gas
from tidecast.chain.service import BlockchainDataService, StreamDetails, TokenInfo
from tidecast.db.schema import (
    credit_playbacks,
    key_grants,
    payment_streams,
    payment_videos,
    streams,
    user_wallets,
)
from tidecast.errors import InvalidInput, NotFound, Reverted

#: A payment stream id as the API takes it: a positive integer below 2**256 (78 digits at most).
PAYMENT_ID = re.compile(r"[0-9]{1,78}", re.ASCII)
#: Later than any datetime can say: a stream whose depletion saturates never runs dry.
#: Streams `mine` reads live at most, per direction.
MINE_LIMIT = 100


def payment_id(value: int | str, field: str = "paymentStreamId") -> int:
    """A payment stream id from a body or a path; 400 naming `field` when it cannot be one."""
    if isinstance(value, bool):
        raise InvalidInput(f"Invalid '{field}': a payment stream id (a positive integer)")
    text = str(value) if isinstance(value, int) else value
    if not isinstance(text, str) or not PAYMENT_ID.fullmatch(text) or not 0 < int(text) < 2**256:
        raise InvalidInput(f"Invalid '{field}': a payment stream id (a positive integer)")
    return int(text)


def linked_wallets(conn: Connection, user_id: str) -> list[str]:
    """The user's linked wallets, earliest first (the first is the one a viewer is told to pay)."""
    return list(
        conn.execute(
            select(user_wallets.c.address)
            .where(user_wallets.c.user_id == user_id)
            .order_by(user_wallets.c.linked_at, user_wallets.c.address)
        ).scalars()
    )


#: What `_depletionTime` answers when the depletion would overflow uint256.
_SATURATED = 2**256 - 1


@dataclass(frozen=True)
class PaymentState:
    """A payment stream as read from the chain, and whether it was cancelled.

    What a stream has paid is computed in integers from what the contract says has streamed,
    never from a date: `remainingBalance` is `deposit - streamed` at the block read, and the
    block's own timestamp follows exactly from the depletion time (see `block_time`), so the
    amount streamed at a later wall-clock second is the contract's own formula carried forward.
    """

    details: StreamDetails
    cancelled: bool
    #: The recipient's `balanceOf`, when telling cancelled from ran dry needed it (else None).
    owed: int | None = None
    #: The deployment it was read from (`ChainDeployment.key`): a stream id means nothing without.
    deployment: str = ""

    @classmethod
    def of(cls, details: StreamDetails, recipient_balance: int | None, deployment: str = "") -> PaymentState:
        """The state of a stream `getStream` answered `details` for; `recipient_balance` is the
        recipient's `balanceOf`, read only for an inactive stream not wholly withdrawn (a
        cancelled one owes its recipient nothing: the cancel paid them)."""
        if not details.active and details.withdrawn < details.deposit:
            return cls(details, recipient_balance == 0, recipient_balance, deployment)
        return cls(details, False, None, deployment)

    def ran_dry(self, now: float) -> bool:
        """Out of money at wall-clock `now` (a cached read may predate the depletion)."""
        return not self.cancelled and (not self.details.active or self.details.depletion_time <= now)

    def block_time(self) -> int | None:
        """The timestamp of the block `getStream` was read at, when the read says it.

        The contract answers depletionTime = checkpointTime + ceil(left / flowRate) and, at
        block time B, remainingBalance = left - flowRate * (B - checkpointTime), so
        B = depletionTime - ceil(remainingBalance / flowRate) exactly. Unknown for a stream that
        has nothing left (nothing more can stream) or whose depletion saturated uint256."""
        d = self.details
        if self.cancelled or d.remaining_balance <= 0 or d.flow_rate <= 0 or d.depletion_time >= _SATURATED:
            return None
        return d.depletion_time - -(-d.remaining_balance // d.flow_rate)

    def streamed(self, now: float) -> int:
        """Token units streamed by wall-clock `now` (whole seconds), exactly: what had streamed at
        the block read, plus flowRate for each second since, up to the deposit. Once cancelled,
        what streamed up to the cancel (the contract sets `withdrawn` to it then)."""
        d = self.details
        if self.cancelled:
            return d.withdrawn
        at_block = d.deposit - d.remaining_balance
        block = self.block_time()
        if block is None:
            return at_block
        elapsed = max(0, math.floor(now) - block)
        return d.deposit - max(0, d.remaining_balance - d.flow_rate * elapsed)

    def paid_seconds(self, now: float) -> Fraction:
        """Seconds the stream has paid for by wall-clock `now`: streamed / flowRate, exact."""
        rate = self.details.flow_rate
        return Fraction(self.streamed(now), rate) if rate > 0 else Fraction(0)

    def paid_periods(self, now: float, key_period_seconds: float) -> int:
        """Whole key periods paid for by `now`: floor(streamed / (flowRate x keyPeriodSeconds)),
        in integers (the period, a float in the database, is taken at its exact value)."""
        period = Fraction(key_period_seconds)
        rate = self.details.flow_rate
        if period <= 0 or rate <= 0:
            return 0
        return math.floor(Fraction(self.streamed(now)) / (rate * period))


class PaymentReader:
    def __init__(
        self,
        chain: BlockchainDataService,
        *,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.chain = chain
        self.ttl = ttl
        self.clock = clock
        #: By stream id; each entry carries the deployment it was read from (`PaymentState`), so
        #: a read cached before a node reset is never taken for the new deployment's stream.
        self._cache: dict[int, tuple[float, PaymentState]] = {}
        self._lock = threading.Lock()
        self._chain_id: int | None = None
        #: Chain reads made (getStream calls): what the cache saves, for the bench and tests.
        self.reads = 0

    def chain_id(self) -> int:
        """The node's chain id, read once: it does not change under one RPC URL."""
        if self._chain_id is None:
            self._chain_id = self.chain.chain_id()
        return self._chain_id

    def read(self, stream_id: int) -> PaymentState:
        """The stream, from the cache while it is fresh; NotFound for an id the chain lacks."""
        key = stream_id
        now = self.clock()
        if self.ttl > 0:
            with self._lock:
                hit = self._cache.get(key)
            if hit is not None and now - hit[0] < self.ttl:
                return hit[1]
        state = self.fresh(stream_id)
        if self.ttl > 0:
            with self._lock:
                if len(self._cache) > 10_000:  # bounded: drop what has gone stale
                    self._cache = {k: v for k, v in self._cache.items() if now - v[0] < self.ttl}
                self._cache[key] = (now, state)
        return state

    def fresh(self, stream_id: int) -> PaymentState:
        """The stream read from the chain now (no cache)."""
        self.reads += 1
        try:
            details, deployment = self.chain.payment_stream_now(stream_id)
        except Reverted as exc:
            if exc.reason and "unknown stream" in exc.reason:
                raise NotFound(f"Payment stream {stream_id} does not exist on this chain") from None
            raise
        inactive_owing = not details.active and details.withdrawn < details.deposit
        owed = self._balance_of(stream_id, details.recipient) if inactive_owing else None
        return PaymentState.of(details, owed, deployment.key)

    def withdrawable(self, state: PaymentState) -> int:
        """What the recipient could withdraw now (0 once cancelled: the cancel paid it out)."""
        if state.cancelled:
            return 0
        if state.owed is not None:
            return state.owed
        return self._balance_of(state.details.stream_id, state.details.recipient)

    def _balance_of(self, stream_id: int, recipient: str) -> int:
        contract = self.chain.payment_stream()
        return int(self.chain.read(lambda: contract.functions.balanceOf(stream_id, recipient).call()))


@dataclass(frozen=True)
class LivePayment:
    """A payment stream read now (GET /api/payments/streams/<id>): its state, its token's
    decimals and what its recipient could withdraw, in the token's base units. Rendered in
    whole tokens at the edge (tidecast/functions/models/payments.py)."""

    state: PaymentState
    decimals: int
    withdrawable: int


@dataclass(frozen=True)
class PaymentConfig:
    """What a browser needs to pay: the chain, the contracts, the token. No secrets."""

    chain_id: int
    payment_stream: str
    registry: str | None
    token: TokenInfo
    development: bool
    #: Pages send with this headroom over the node's gas estimate (tidecast/chain/gas.py).
    gas_headroom_percent: int
    gas_headroom_gas: int
    #: What a wallet is offered to add the chain (EIP-3085); None: nothing published.
    network: Network | None = None


@dataclass(frozen=True)
class Network:
    """EIP-3085's chain parameters, as the operator published them (TIDECAST_CHAIN_NAME, ...)."""

    name: str
    rpc_urls: tuple[str, ...]
    explorer_urls: tuple[str, ...]


@dataclass(frozen=True)
class MyPayments:
    """A user's payment streams, sent and received, and what they could withdraw in the
    platform token (base units, `token.decimals`)."""

    wallets: list[str]
    sent: list[LivePayment]
    received: list[LivePayment]
    withdrawable: int
    token: TokenInfo
    #: Which video each payment stream paid for (by payment stream id), as far as tidecast
    #: knows: the keys it released, or the card-credit playback that opened it.
    videos: dict[int, VideoRef] = field(default_factory=dict)

    def earnings(self) -> list[VideoEarnings]:
        """What the received payment streams in the platform token paid, per video, most first."""
        by_video: dict[str | None, VideoEarnings] = {}
        for live in self.received:
            d = live.state.details
            if d.token != self.token.address:
                continue
            ref = self.videos.get(d.stream_id)
            key = ref.id if ref else None
            got = by_video.get(key) or VideoEarnings(ref, 0, 0, 0, 0)
            by_video[key] = VideoEarnings(
                ref,
                got.payment_streams + 1,
                got.seconds + streamed_seconds(live),
                got.earned + streamed(live),
                got.withdrawable + live.withdrawable,
            )
        return sorted(by_video.values(), key=lambda e: (-e.earned, e.video.title if e.video else ""))

    def spent(self) -> int:
        """What the sent payment streams in the platform token have paid so far (base units)."""
        return sum(streamed(p) for p in self.sent if p.state.details.token == self.token.address)


@dataclass(frozen=True)
class VideoRef:
    id: str
    #: None: the video was deleted since.
    title: str | None


@dataclass(frozen=True)
class VideoEarnings:
    video: VideoRef | None
    payment_streams: int
    seconds: int
    earned: int
    withdrawable: int


def streamed(live: LivePayment) -> int:
    """What has flowed to the recipient so far (base units): what they withdrew plus what they
    could; after a cancel the contract counts it all as withdrawn."""
    return live.state.details.withdrawn + live.withdrawable


def streamed_seconds(live: LivePayment) -> int:
    """The whole seconds of video `streamed` paid for at the stream's rate."""
    rate = live.state.details.flow_rate
    return streamed(live) // rate if rate else 0


class PaymentsService:
    def __init__(
        self,
        engine: Engine,
        chain: BlockchainDataService,
        reader: PaymentReader,
        *,
        development: bool,
        network: Network | None = None,
    ) -> None:
        self.engine = engine
        self.chain = chain
        self.reader = reader
        self.development = development
        self.network = network

    def config(self) -> PaymentConfig:
        """What a browser needs to pay: the chain, the contracts, the token. No secrets."""
        self.chain.deployment()  # 503 naming the settings when the contracts are not on the node
        return PaymentConfig(
            chain_id=self.reader.chain_id(),
            payment_stream=self.chain.payment_stream().address,
            registry=self.chain.registry_address or None,
            token=self.chain.token(),
            development=self.development,
            gas_headroom_percent=gas.HEADROOM_PERCENT,
            gas_headroom_gas=gas.HEADROOM_GAS,
            network=self.network,
        )

    def stream(self, raw_id: str) -> LivePayment:
        """One payment stream, live (no cache: this is what a viewer's balance shows)."""
        return self._live(payment_id(raw_id, "id"))

    def _live(self, stream_id: int) -> LivePayment:
        """The stream read now, with what its recipient could withdraw."""
        state = self.reader.fresh(stream_id)
        owed = self.reader.withdrawable(state)
        return LivePayment(state, self.chain.token(state.details.token).decimals, owed)

    def mine(self, user_id: str) -> MyPayments:
        """The caller's streams, sent and received, from the watcher's index with live figures.
        Only rows of the deployment on the node now: ids start at 1 on each, so a row indexed
        before a node reset names someone else's stream (or none) on the new one."""
        deployment = self.chain.deployment().key
        with self.engine.connect() as conn:
            wallets = linked_wallets(conn, user_id)
            rows = (
                conn.execute(
                    select(payment_streams.c.stream_id, payment_streams.c.sender, payment_streams.c.recipient)
                    .where(
                        (payment_streams.c.deployment == deployment)
                        & or_(payment_streams.c.sender.in_(wallets), payment_streams.c.recipient.in_(wallets))
                    )
                    .order_by(payment_streams.c.start_time.desc())
                    .limit(2 * MINE_LIMIT)
                ).all()
                if wallets
                else []
            )
        token = self.chain.token()
        mine = set(wallets)
        sent: list[LivePayment] = []
        received: list[LivePayment] = []
        total = 0
        for row in rows:
            try:
                item = self._live(int(row.stream_id))
            except NotFound:
                continue  # indexed, but not on the chain now: a reset the watcher has not seen yet
            state = item.state
            if (state.deployment, state.details.sender, state.details.recipient) != (
                deployment,
                row.sender,
                row.recipient,
            ):
                continue  # the node changed under this call: not the stream the row names
            if row.sender in mine and len(sent) < MINE_LIMIT:
                sent.append(item)
            if row.recipient in mine and len(received) < MINE_LIMIT:
                received.append(item)
                if state.details.token == token.address:
                    total += item.withdrawable
        ids = {str(p.state.details.stream_id) for p in (*sent, *received)}
        return MyPayments(wallets, sent, received, total, token, self._videos(deployment, ids))

    def _videos(self, deployment: str, payment_ids: set[str]) -> dict[int, VideoRef]:
        """The video each payment stream paid for: the card-credit playback that opened it, the
        playbacks started on it, or (for streams paid before those were recorded) the keys it
        released; with the video's title while the video exists."""
        if not payment_ids:
            return {}
        found: dict[int, str] = {}
        with self.engine.connect() as conn:
            for table in (credit_playbacks, payment_videos, key_grants):
                rows = conn.execute(
                    select(table.c.payment_stream_id, table.c.media_stream_id)
                    .where(
                        (table.c.deployment == deployment)
                        & table.c.payment_stream_id.in_(sorted(payment_ids))
                    )
                    .distinct()
                ).all()
                for row in rows:
                    found.setdefault(int(row.payment_stream_id), row.media_stream_id)
            titles = dict(
                conn.execute(
                    select(streams.c.id, streams.c.title).where(streams.c.id.in_(sorted(set(found.values()))))
                ).all()
            )
        return {pid: VideoRef(vid, titles.get(vid)) for pid, vid in found.items()}
