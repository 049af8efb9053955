"""Watching on card credit: a treasury payment stream per playback, settled by what streamed.

Opening (the viewer presses play, `credit: true`):
1. one transaction: the playback row ("opening") and a hold of the deposit (available -> held);
   the deposit is the price for TIDECAST_CREDIT_HOLD_SECONDS, or all the credit there is;
2. the treasury opens a payment stream to the creator's first wallet at the price;
3. one transaction: the row becomes "active" with the stream's id. A failure at 2 releases the
   hold and marks the row "failed". The gating of keys is then exactly a wallet stream's
   (tidecast/payments/playback.py), with the treasury as sender and this row as the binding
   to the viewer.

Settling (stop, leaving, running dry, a dispute, the creator cancelling, idleness):
1. the row becomes "stopping" (committed: whatever happens next, reconcile finishes it);
2. the treasury cancels the stream; the chain's answer is how much streamed in all;
3. one transaction: the row becomes "settled" with `charged` and the cancel's hash, and the
   ledger moves `charged` held -> creators and the rest held -> available. The row's status
   change is conditional (`WHERE status IN ('active', 'stopping')`) and the ledger's
   (account, kind, ref) unique, so a settlement raced or retried charges once.

`reconcile` (the worker, each minute; `tidecast billing reconcile`) retries what stopped half
way, settles what ran dry, went idle or is disputed, gives up on openings that never finished,
checks every settled playback's charge against the chain and every balance row against its rows,
and mails operators when the treasury runs low.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from tidecast.billing import ledger
from tidecast.billing.treasury import Treasury
from tidecast.chain.units import format_units, parse_units
from tidecast.db.schema import (
    billing_disputes,
    credit_playbacks,
    key_grants,
    ledger_balances,
    payment_streams,
    streams,
    user_wallets,
)
from tidecast.db.times import as_utc, now_utc
from tidecast.db.tx import transaction
from tidecast.errors import Conflict, NotAllowed, NotFound, PaymentRequired, Reverted, Unavailable
from tidecast.payments.streams import PaymentReader

log = logging.getLogger(__name__)

#: An opening older than this never finished (its process died): its hold is released.
OPENING_GIVE_UP = timedelta(minutes=10)
#: A playback whose player asked for no new key for this long (at least) is over.
IDLE_FLOOR_SECONDS = 120.0
#: Settled playbacks reconcile checks against the chain each run, the newest first.
CHECK_SETTLED = 200


@dataclass(frozen=True)
class CreditPlayback:
    id: str
    user_id: str
    media_stream_id: str
    payment_stream_id: int | None
    status: str
    deposit: int
    charged: int | None
    stop_reason: str | None
    flow_rate: int
    decimals: int


@dataclass
class Reconciled:
    """What a reconcile run did and found (printed by `tidecast billing reconcile`)."""

    settled: int = 0
    failed_openings: int = 0
    orphans: int = 0
    retried: int = 0
    checked: int = 0
    mismatches: list[str] = field(default_factory=list)
    balance_mismatches: list[str] = field(default_factory=list)
    treasury_balance: int | None = None
    treasury_low: bool = False
    errors: list[str] = field(default_factory=list)


class CreditPlaybacks:
    def __init__(
        self,
        engine: Engine,
        reader: PaymentReader,
        treasury: Treasury,
        *,
        hold_seconds: int,
        low_balance: str,
        alert: Any = None,
    ) -> None:
        self.engine = engine
        self.reader = reader
        self.chain = reader.chain
        self.treasury = treasury
        self.hold_seconds = hold_seconds
        self.low_balance = low_balance
        #: Called with (balance, threshold, token) when the treasury is below `low_balance`.
        self.alert = alert

    # -- opening -----------------------------------------------------------------------------

    def open(self, user_id: str, media_stream_id: str) -> CreditPlayback:
        """A running credit playback of this stream for this viewer (the one already running,
        or a new one): 402 without enough credit, 503 when the treasury cannot fund it."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    streams.c.id,
                    streams.c.status,
                    streams.c.owner_id,
                    streams.c.price_per_second,
                    streams.c.key_period_seconds,
                    streams.c.playable,
                ).where(streams.c.id == media_stream_id)
            ).first()
            if row is None:
                raise NotFound("Stream not found")
            if not (row.status == "ready" or (row.status == "processing" and row.playable)):
                raise Conflict("Stream is not ready to play")
            if row.owner_id == user_id or row.price_per_second == "0" or row.key_period_seconds is None:
                raise Conflict("This stream is free for you: play it without credit")
            running = conn.execute(
                select(credit_playbacks.c.id, credit_playbacks.c.deployment).where(
                    (credit_playbacks.c.user_id == user_id)
                    & (credit_playbacks.c.media_stream_id == media_stream_id)
                    & (credit_playbacks.c.status == "active")
                )
            ).all()
            if open_dispute(conn, user_id):
                raise PaymentRequired(
                    "Your card credit is on hold while a payment dispute is open; pay from a wallet meanwhile"
                )
            creator = conn.execute(
                select(user_wallets.c.address)
                .where(user_wallets.c.user_id == row.owner_id)
                .order_by(user_wallets.c.linked_at, user_wallets.c.address)
                .limit(1)
            ).scalar()
            have = ledger.balance(conn, ledger.available(user_id))
        deployment = self.chain.deployment()
        for found in running:  # pressed again while it runs: the same playback
            if found.deployment == deployment.key:
                return self.get(found.id)
        if creator is None:
            raise PaymentRequired("The creator has not linked a wallet yet: this stream cannot be paid for")
        token = self.chain.token()
        price = parse_units(row.price_per_second, token.decimals, field="price")
        one_period = math.ceil(Fraction(row.key_period_seconds) * price)
        deposit = min(have, price * self.hold_seconds)
        deposit -= deposit % price  # whole seconds: what the stream can pay out exactly
        if deposit < max(one_period, price):
            raise PaymentRequired(
                f"Not enough credit: {format_units(have, token.decimals)} {token.symbol} does not pay "
                f"for one key period at {row.price_per_second} {token.symbol}/s; buy credit first"
            )
        funds = self.treasury.balance()
        if funds < deposit:
            log.error("treasury %s holds %s, below a deposit of %s", self.treasury.address, funds, deposit)
            raise Unavailable(
                "Card-paid playback is paused: the platform cannot fund a payment stream right now. "
                "Try again later, or pay from a wallet"
            )
        playback_id = secrets.token_hex(8)
        now = now_utc()
        with transaction(self.engine) as conn:
            ledger.lock_user(conn, user_id)
            # Under the viewer's lock: a second press of play racing the first holds nothing more.
            racing = conn.execute(
                select(credit_playbacks.c.id, credit_playbacks.c.status).where(
                    (credit_playbacks.c.user_id == user_id)
                    & (credit_playbacks.c.media_stream_id == media_stream_id)
                    & (credit_playbacks.c.deployment == deployment.key)
                    & credit_playbacks.c.status.in_(("opening", "active"))
                )
            ).first()
            if racing is None:
                conn.execute(
                    insert(credit_playbacks).values(
                        id=playback_id,
                        user_id=user_id,
                        media_stream_id=media_stream_id,
                        deployment=deployment.key,
                        chain_id=deployment.chain_id,
                        recipient=creator,
                        flow_rate=str(price),
                        deposit=str(deposit),
                        status="opening",
                        created_at=now,
                        updated_at=now,
                    )
                )
                ledger.post(
                    conn,
                    "hold",
                    playback_id,
                    user_id,
                    [(ledger.available(user_id), -deposit), (ledger.held(user_id), deposit)],
                )
        if racing is not None:
            if racing.status == "active":
                return self.get(racing.id)
            raise Conflict("This stream's card-paid playback is starting; try again in a moment")
        try:
            opened = self.treasury.open(creator, price, deposit)
        except Exception as exc:
            self._fail(playback_id, user_id, deposit, f"{type(exc).__name__}: {exc}")
            if isinstance(exc, Reverted):
                raise Unavailable("The payment stream could not be opened; try again") from exc
            raise
        with transaction(self.engine) as conn:
            moved = conn.execute(
                update(credit_playbacks)
                .where((credit_playbacks.c.id == playback_id) & (credit_playbacks.c.status == "opening"))
                .values(
                    status="active",
                    payment_stream_id=str(opened.stream_id),
                    open_tx=opened.tx_hash,
                    updated_at=now_utc(),
                )
            ).rowcount
        if moved == 0:  # reconcile gave up on it meanwhile (a very slow chain): end what opened
            self.treasury.cancel(opened.stream_id)
            raise Unavailable("The payment stream took too long to open; try again")
        return self.get(playback_id)

    def _fail(self, playback_id: str, user_id: str, deposit: int, error: str) -> bool:
        """An opening that did not open: the hold goes back. False when it was not opening."""
        with transaction(self.engine) as conn:
            ledger.lock_user(conn, user_id)
            moved = conn.execute(
                update(credit_playbacks)
                .where((credit_playbacks.c.id == playback_id) & (credit_playbacks.c.status == "opening"))
                .values(status="failed", error=error[:2000], updated_at=now_utc(), charged="0")
            ).rowcount
            if moved:
                ledger.post(
                    conn,
                    "release",
                    playback_id,
                    user_id,
                    [(ledger.held(user_id), -deposit), (ledger.available(user_id), deposit)],
                )
        return bool(moved)

    # -- settling ----------------------------------------------------------------------------

    def stop(self, user_id: str, playback_id: str) -> CreditPlayback:
        """The viewer stops: settled now, the charge what streamed (403 for another's)."""
        current = self.get(playback_id)
        if current.user_id != user_id:
            raise NotAllowed("This playback is another viewer's")
        return self.settle(playback_id, "stopped")

    def settle(self, playback_id: str, reason: str) -> CreditPlayback:
        current = self.get(playback_id)
        if current.status in ("settled", "failed"):
            return current
        if current.status == "opening":
            raise Conflict("This playback is still opening; try again in a moment")
        with transaction(self.engine) as conn:
            conn.execute(
                update(credit_playbacks)
                .where((credit_playbacks.c.id == playback_id) & (credit_playbacks.c.status == "active"))
                .values(status="stopping", stop_reason=reason, updated_at=now_utc())
            )
        assert current.payment_stream_id is not None
        ended = self.treasury.cancel(current.payment_stream_id)
        self._record(current, ended.streamed, ended.tx_hash)
        return self.get(playback_id)

    def _record(
        self, playback: CreditPlayback, streamed: int, tx_hash: str | None, *, reason: str | None = None
    ) -> None:
        """The chain's answer and the ledger's rows, in one transaction, once."""
        charged = min(streamed, playback.deposit)  # the contract never streams past the deposit
        with transaction(self.engine) as conn:
            ledger.lock_user(conn, playback.user_id)
            moved = conn.execute(
                update(credit_playbacks)
                .where(
                    (credit_playbacks.c.id == playback.id)
                    & credit_playbacks.c.status.in_(("active", "stopping"))
                )
                .values(
                    status="settled",
                    charged=str(charged),
                    settle_tx=tx_hash,
                    **({"stop_reason": reason} if reason is not None else {}),
                    settled_at=now_utc(),
                    updated_at=now_utc(),
                )
            ).rowcount
            if not moved:
                return  # settled by another worker meanwhile: it charged once
            user = playback.user_id
            ledger.post(
                conn,
                "settlement",
                playback.id,
                user,
                [(ledger.held(user), -charged), (ledger.CREATORS, charged)],
            )
            rest = playback.deposit - charged
            ledger.post(
                conn,
                "release",
                playback.id,
                user,
                [(ledger.held(user), -rest), (ledger.available(user), rest)],
            )

    # -- reading -----------------------------------------------------------------------------

    def get(self, playback_id: str) -> CreditPlayback:
        with self.engine.connect() as conn:
            row = conn.execute(select(credit_playbacks).where(credit_playbacks.c.id == playback_id)).first()
        if row is None:
            raise NotFound("No such playback")
        return self._of(row)

    def _of(self, row: Any) -> CreditPlayback:
        return CreditPlayback(
            id=row.id,
            user_id=row.user_id,
            media_stream_id=row.media_stream_id,
            payment_stream_id=int(row.payment_stream_id) if row.payment_stream_id else None,
            status=row.status,
            deposit=int(row.deposit),
            charged=int(row.charged) if row.charged is not None else None,
            stop_reason=row.stop_reason,
            flow_rate=int(row.flow_rate),
            decimals=self.chain.token().decimals,
        )

    # -- reconcile ---------------------------------------------------------------------------

    def reconcile(self) -> Reconciled:
        """One pass over every unfinished or recent playback (see the module's docstring)."""
        report = Reconciled()
        now = now_utc()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(credit_playbacks).where(
                    credit_playbacks.c.status.in_(("opening", "active", "stopping"))
                )
            ).all()
            disputed = set(
                conn.execute(
                    select(billing_disputes.c.user_id).where(billing_disputes.c.status == "open")
                ).scalars()
            )
        for row in rows:
            try:
                self._reconcile_one(row, now, disputed, report)
            except Exception as exc:  # noqa: BLE001 - one playback's trouble must not stop the rest
                log.warning("reconcile of playback %s failed: %s", row.id, exc)
                report.errors.append(f"{row.id}: {type(exc).__name__}: {exc}")
        steps: list[tuple[str, Callable[[], None]]] = [
            ("orphan sweep", lambda: self._end_orphans(now, report)),
            ("settled check", lambda: self._check_settled(report)),
            ("balance check", lambda: self._check_balances(report)),
            ("treasury check", lambda: self._check_treasury(report)),
        ]
        for name, step in steps:
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - reported (a node away); the other steps still run
                report.errors.append(f"{name}: {type(exc).__name__}: {exc}")
        return report

    def _reconcile_one(self, row: Any, now: datetime, disputed: set[str], report: Reconciled) -> None:
        if row.status == "opening":
            if now - as_utc(row.updated_at) > OPENING_GIVE_UP and self._fail(
                row.id, row.user_id, int(row.deposit), "never finished opening"
            ):
                report.failed_openings += 1
            return
        if row.deployment != self.chain.deployment().key:
            # The chain was reset, or the contract redeployed (development): the stream is gone
            # with everything it paid, nothing can be shown to have streamed, and nothing is
            # charged. The whole hold goes back.
            self._record(self._of(row), 0, None, reason="chain reset")
            report.settled += 1
            return
        if row.status == "stopping":
            self.settle(row.id, row.stop_reason or "stopped")
            report.retried += 1
            return
        reason = self._why_end(row, now, disputed)
        if reason is not None:
            self.settle(row.id, reason)
            report.settled += 1

    def _why_end(self, row: Any, now: datetime, disputed: set[str]) -> str | None:
        if row.user_id in disputed:
            return "dispute"
        try:
            state = self.reader.fresh(int(row.payment_stream_id))
        except NotFound:
            return None
        if state.cancelled:
            return "cancelled"
        if state.ran_dry(now.timestamp()):
            return "ran dry"
        with self.engine.connect() as conn:
            last = conn.execute(
                select(func.max(key_grants.c.granted_at)).where(
                    (key_grants.c.deployment == row.deployment)
                    & (key_grants.c.payment_stream_id == row.payment_stream_id)
                )
            ).scalar()
            period = conn.execute(
                select(streams.c.key_period_seconds).where(streams.c.id == row.media_stream_id)
            ).scalar()
        idle = max(IDLE_FLOOR_SECONDS, 3 * float(period or 0))
        since = as_utc(last) if last is not None else as_utc(row.updated_at)
        return "idle" if (now - since).total_seconds() > idle else None

    def _end_orphans(self, now: datetime, report: Reconciled) -> None:
        """Cancel treasury streams no playback row names (a process that died between sending
        the open and recording it; its row was failed and its hold released above), once they
        are older than OPENING_GIVE_UP: what the creator was paid meanwhile is the platform's
        loss, bounded by that time. Found in the chain watcher's index of payment streams."""
        deployment = self.chain.deployment().key
        known = select(credit_playbacks.c.payment_stream_id).where(
            (credit_playbacks.c.deployment == deployment) & credit_playbacks.c.payment_stream_id.is_not(None)
        )
        with self.engine.connect() as conn:
            orphans = list(
                conn.execute(
                    select(payment_streams.c.stream_id)
                    .where(
                        (payment_streams.c.deployment == deployment)
                        & (payment_streams.c.sender == self.treasury.address)
                        & (payment_streams.c.status == "active")
                        & (payment_streams.c.start_time < now - OPENING_GIVE_UP)
                        & payment_streams.c.stream_id.not_in(known)
                    )
                    .limit(CHECK_SETTLED)
                ).scalars()
            )
        for stream_id in orphans:
            ended = self.treasury.cancel(int(stream_id))
            log.error(
                "cancelled treasury payment stream %s, opened for no playback (paid out %s)",
                stream_id,
                ended.streamed,
            )
            report.orphans += 1

    def _check_settled(self, report: Reconciled) -> None:
        """On-chain streamed equals the ledger's charge, for each recent settled playback."""
        deployment = self.chain.deployment().key
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(credit_playbacks)
                .where(
                    (credit_playbacks.c.status == "settled") & (credit_playbacks.c.deployment == deployment)
                )
                .order_by(credit_playbacks.c.settled_at.desc())
                .limit(CHECK_SETTLED)
            ).all()
        for row in rows:
            state = self.reader.fresh(int(row.payment_stream_id))
            streamed = state.details.withdrawn if state.cancelled else state.streamed(now_utc().timestamp())
            report.checked += 1
            if streamed != int(row.charged):
                report.mismatches.append(
                    f"playback {row.id}: stream {row.payment_stream_id} streamed {streamed}, "
                    f"charged {row.charged}"
                )

    def _check_balances(self, report: Reconciled) -> None:
        """Each user account's balance row equals the sum of its rows, and none is negative."""
        with self.engine.connect() as conn:
            for account, stored in conn.execute(
                select(ledger_balances.c.account, ledger_balances.c.balance)
            ).all():
                summed = ledger.sum_of_rows(conn, account)
                if summed != int(stored) or summed < 0:
                    report.balance_mismatches.append(f"{account}: balance {stored}, rows sum to {summed}")

    def _check_treasury(self, report: Reconciled) -> None:
        token = self.chain.token()
        threshold = parse_units(self.low_balance, token.decimals, field="TIDECAST_TREASURY_LOW_BALANCE")
        report.treasury_balance = funds = self.treasury.balance()
        report.treasury_low = funds < threshold
        if report.treasury_low and self.alert is not None:
            self.alert(funds, threshold, token)


def open_dispute(conn: Connection, user_id: str) -> bool:
    """Whether a dispute of one of the viewer's card payments is open (no card playback then)."""
    found = conn.execute(
        select(billing_disputes.c.id)
        .where((billing_disputes.c.user_id == user_id) & (billing_disputes.c.status == "open"))
        .limit(1)
    ).first()
    return found is not None
