"""Gating playback: who may have a stream's content keys, checked against a live payment stream.

Segments are public (they are on IPFS); the keys are what is paid for. One set of conditions
guards both doors, `start` (POST /api/streams/<id>/playback, which issues a playback token) and
`release` (GET /api/keys/<id>/<period>, which hands out one 16-byte key):

- the stream exists and is ready;
- free: the caller owns it, its price is "0", or it was published unencrypted (legacy);
- otherwise a payment stream that is, on chain: active (not cancelled, not run dry at the wall
  clock), sent from one of the caller's linked wallets, to one of the creator's linked wallets,
  in the platform token, at a flow rate of at least the price. Each failure is a 402 saying what
  is missing, so the player can show it as it is.

The token binds viewer, media stream and payment stream; the conditions are checked again at
every key (through `PaymentReader`'s cache of at most TIDECAST_PAYMENT_CACHE_SECONDS), so a
cancelled stream stops releasing keys within that, and the player, which buffers about one key
period, stops within two.

The release budget stops one paid second from buying a whole film: a payment stream gets keys
for at most paid periods + look-ahead distinct (media stream, period) pairs, recorded in
`key_grants`. Paid periods are floor(streamed / (flowRate x keyPeriodSeconds)), in integers,
from what the contract says has streamed (`PaymentState.paid_periods`): never from a date, which
cannot say a depletion past year 9999. A pair granted before, under this payment stream or to this
viewer under another, is granted again free (seeking back, a second rendition, a reload, a new
payment stream resuming where the last one stopped): the viewer holds that key already. The
grant is inserted before the count is taken, in one transaction, so two racing requests cannot
both take the last place: SQLite serialises the writers, and PostgreSQL takes transaction-scoped
advisory locks (the payment stream's, then the viewer's) first.

The look-ahead (TIDECAST_KEY_LOOKAHEAD_PERIODS) is credit: keys a player fetches before the
seconds they cover are paid, so a paid start does not stall. A cancel refunds everything not yet
streamed, so credit left when a payment stream ends was never paid. It is therefore lent per
viewer and media stream, not per payment stream: periods the viewer's other payment streams took
on this media stream beyond what they paid, within LOOKAHEAD_MEMORY, come off this one's
look-ahead. Without that, open, take the look-ahead, cancel and open again took a film a few
periods at a time for the price of gas. Those other streams are read from the chain (cached)
before the transaction, so no network call holds the write lock; one that appears meanwhile
counts as unpaid. More than OTHER_PAYMENTS of them in the memory is a pattern no player makes:
no look-ahead at all, and none of them is read.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError

from tidecast.chain.timestamps import timestamp_iso
from tidecast.chain.units import format_units, parse_units
from tidecast.db.schema import credit_playbacks, key_grants, payment_videos, streams, user_wallets, users
from tidecast.db.times import now_utc
from tidecast.db.tx import advisory_lock, transaction
from tidecast.errors import Conflict, InvalidInput, NotAllowed, NotAuthenticated, NotFound, PaymentRequired
from tidecast.media.keys import MediaKeys
from tidecast.media.streams import STREAM_ID
from tidecast.payments.playback_tokens import PlaybackClaims, PlaybackTokens, lifetime
from tidecast.payments.streams import PaymentReader, PaymentState, payment_id

#: How long a viewer's unpaid look-ahead on a media stream is held against them.
LOOKAHEAD_MEMORY = timedelta(days=1)
#: The most of a viewer's other payment streams on one media stream that are read for it.
OTHER_PAYMENTS = 8

# The key route's statements, built once: building a SELECT from expressions on every request was
# a measurable share of a key's CPU (bench/keys_cpu.py).
_STREAM = select(
    streams.c.id,
    streams.c.status,
    streams.c.owner_id,
    streams.c.price_per_second,
    streams.c.key_period_seconds,
    streams.c.playable,
).where(streams.c.id == bindparam("id"))
_SESSION_VERSION = select(users.c.session_version).where(users.c.id == bindparam("id"))
_WALLETS = (
    select(user_wallets.c.user_id, user_wallets.c.address)
    .where(user_wallets.c.user_id.in_(bindparam("ids", expanding=True)))
    .order_by(user_wallets.c.linked_at, user_wallets.c.address)
)
#: Granted before: under this payment stream (the primary key: a player re-asking), or to this
#: viewer under another (the viewer index).
_PAIR = (key_grants.c.media_stream_id == bindparam("m")) & (key_grants.c.period == bindparam("n"))
_GRANTED = (
    select(key_grants.c.period)
    .where(
        (key_grants.c.deployment == bindparam("d"))
        & _PAIR
        & ((key_grants.c.payment_stream_id == bindparam("p")) | (key_grants.c.user_id == bindparam("u")))
    )
    .limit(1)
)

#: The credit playback a treasury payment stream was opened for (tidecast/billing/playbacks.py).
_CREDIT = select(
    credit_playbacks.c.user_id, credit_playbacks.c.media_stream_id, credit_playbacks.c.status
).where(
    (credit_playbacks.c.deployment == bindparam("d"))
    & (credit_playbacks.c.payment_stream_id == bindparam("p"))
)

#: A key period in a path: ASCII digits; anything longer than 9 digits is past every stream.
PERIOD = re.compile(r"[0-9]{1,9}", re.ASCII)
DIGITS = re.compile(r"[0-9]+", re.ASCII)


@dataclass(frozen=True)
class Access:
    """Why a viewer may play: free (with the reason) or paid by `payment`."""

    free: bool
    reason: str | None
    payment: PaymentState | None = None
    #: The wall-clock second the payment was judged at (what it had paid by then counts).
    now: float = 0.0


@dataclass(frozen=True)
class PlaybackPayment:
    """The payment stream a paid playback rides on, as read when its token was issued: the
    chain's figures (base units of a token of `decimals`) and the seconds it had paid for then."""

    state: PaymentState
    decimals: int
    #: streamed / flowRate, exact (tidecast/payments/streams.py); the edge shows it to the ms.
    paid_seconds: Fraction


@dataclass(frozen=True)
class PlaybackGrant:
    """A playback token and why its bearer may play: free (with the reason) or paid."""

    token: str
    expires_at: datetime
    #: The token's lifetime (tidecast/payments/playback_tokens.py's `lifetime`).
    lifetime_seconds: float
    key_period_seconds: float | None
    free: bool
    reason: str | None
    payment: PlaybackPayment | None


class PlaybackService:
    def __init__(
        self,
        engine: Engine,
        *,
        reader: PaymentReader,
        media_keys: MediaKeys,
        tokens: PlaybackTokens,
        token_address: str | None,
        lookahead_periods: int,
        configured_chain_id: int,
        wall_clock: Callable[[], float] = time.time,
        treasury_address: str | None = None,
    ) -> None:
        self.engine = engine
        self.reader = reader
        self.media_keys = media_keys
        self.tokens = tokens
        self.token_address = token_address
        self.lookahead = lookahead_periods
        self.configured_chain_id = configured_chain_id
        self.wall_clock = wall_clock
        #: The card-credit treasury (tidecast/billing): its streams pay for the viewer their
        #: `credit_playbacks` row names, not for whoever holds the sending wallet.
        self.treasury_address = treasury_address

    # -- the two doors -----------------------------------------------------------------------

    def start(
        self, user_id: str, stream_id: str, payment_stream: int | str | None, *, session_version: int
    ) -> PlaybackGrant:
        """A playback token for `stream_id`, when the caller may play it now; it carries the
        caller's session version (their login token's `sv`), so a password change revokes it."""
        pay = payment_id(payment_stream) if payment_stream is not None else None
        row = self._stream(stream_id)
        if row.status == "processing" and not row.playable:  # playable: it plays as it is made
            raise Conflict("Stream is still processing; try again when its first seconds are published")
        if row.status == "failed":
            raise Conflict("Stream failed to process and cannot be played")
        access = self._access(row, user_id, pay)
        if access.payment is not None:
            self._record_video(access.payment.deployment, str(pay), row.id, user_id)
        ttl = lifetime(row.key_period_seconds)
        # A free token is checked against no chain: it carries the configured id, read nowhere,
        # and no deployment. A paid one names the deployment its payment stream was read from.
        chain_id = self.configured_chain_id if access.free else self.reader.chain_id()
        token, expires = self.tokens.issue(
            user_id=user_id,
            stream_id=row.id,
            payment_stream_id=str(pay) if access.payment is not None else None,
            chain_id=chain_id,
            deployment=access.payment.deployment if access.payment is not None else None,
            session_version=session_version,
            ttl=ttl,
        )
        return PlaybackGrant(
            token=token,
            expires_at=datetime.fromtimestamp(expires, UTC),
            lifetime_seconds=ttl,
            key_period_seconds=row.key_period_seconds,
            free=access.free,
            reason=access.reason,
            payment=self._payment(access),
        )

    def _record_video(
        self, deployment: str, payment_stream_id: str, media_stream_id: str, user_id: str
    ) -> None:
        """That this payment stream pays for this video (the earnings' and spending's names);
        once, whoever starts a playback on it again."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(payment_videos).values(
                        deployment=deployment,
                        payment_stream_id=payment_stream_id,
                        media_stream_id=media_stream_id,
                        user_id=user_id,
                        created_at=now_utc(),
                    )
                )
        except IntegrityError:
            pass  # recorded by an earlier start: nothing to add

    def release(self, authorization_token: str | None, stream_id: str, period_text: str) -> bytes:
        """The key of `period` of `stream_id` for the bearer of a playback token, if paid."""
        if authorization_token is None:
            raise NotAuthenticated("Missing playback token: send 'Authorization: Bearer <playback token>'")
        claims = self.tokens.decode(authorization_token)
        if claims.stream_id != stream_id:
            raise NotAllowed("This playback token is for another stream")
        period = self._period(period_text)
        # The hottest route (every viewer, every key period): its reads share one connection,
        # the sealed key and whether the pair was granted before among them, so a player
        # re-asking costs one checkout. Both are used only where they were read before: a
        # viewer who may not have the key still hears why (402) before "no such period" (404).
        with self.engine.connect() as conn:
            self._current_session(claims, conn)
            row = self._stream(stream_id, conn)
            wallets = self._both_wallets(conn, claims.user_id, row.owner_id)
            wrapped = self.media_keys.wrapped(conn, stream_id, period)
            granted_before = (
                claims.payment_stream_id is not None
                and claims.deployment is not None
                and self._granted(
                    conn, claims.deployment, claims.payment_stream_id, claims.user_id, row.id, period
                )
            )
        pay = int(claims.payment_stream_id) if claims.payment_stream_id else None
        access = self._access(row, claims.user_id, pay, wallets)
        if access.free:
            return self.media_keys.unwrap(stream_id, period, wrapped)
        assert access.payment is not None
        if claims.chain_id != self.reader.chain_id() or claims.deployment != access.payment.deployment:
            # The node was restarted or reset, or the contract redeployed: payment stream ids
            # start over there, so this token's id names another payment (or none) now.
            raise NotAuthenticated(
                "Playback token was issued for another chain or deployment of the payment contract; "
                "ask for a new one"
            )
        key = self.media_keys.unwrap(stream_id, period, wrapped)  # 404 before any budget is spent
        if not granted_before:  # read under the token's deployment, which is the payment's (above)
            self._grant(access.payment, row.id, period, claims.user_id, access.now, row.key_period_seconds)
        return key

    # -- the conditions ----------------------------------------------------------------------

    def _access(
        self, row: Any, user_id: str, pay: int | None, wallets: tuple[list[str], list[str]] | None = None
    ) -> Access:
        if row.owner_id is not None and row.owner_id == user_id:
            return Access(True, "owner")
        if row.price_per_second == "0":
            return Access(True, "price 0")
        if row.key_period_seconds is None:
            return Access(True, "unencrypted")
        if wallets is None:
            with self.engine.connect() as conn:
                wallets = self._both_wallets(conn, user_id, row.owner_id)
        viewer, creator = wallets
        if not viewer and pay is None:
            raise PaymentRequired(
                "Link a wallet first: payments are matched to your linked wallets (or pay with card credit)"
            )
        if not creator:
            raise PaymentRequired("The creator has not linked a wallet yet: this stream cannot be paid for")
        token = self.reader.chain.token()
        price = parse_units(row.price_per_second, token.decimals, field="price")
        if pay is None:
            raise PaymentRequired(
                f"Open a payment stream to {creator[0]} at {row.price_per_second} tokens/s or more"
            )
        try:
            state = self.reader.read(pay)
        except NotFound:
            raise PaymentRequired(f"Payment stream {pay} does not exist on this chain") from None
        d = state.details
        now = self.wall_clock()
        if self.treasury_address is not None and d.sender == self.treasury_address:
            self._credit_playback(state, user_id, row.id)
        elif not viewer:
            raise PaymentRequired("Link a wallet first: payments are matched to your linked wallets")
        elif d.sender not in viewer:
            raise PaymentRequired(
                f"Payment stream {pay}: sender {d.sender} is not a wallet linked to your account"
            )
        if d.recipient not in creator:
            raise PaymentRequired(
                f"Payment stream {pay}: recipient is not the creator's wallet; pay {creator[0]}"
            )
        if self.token_address is None or d.token.lower() != self.token_address.lower():
            raise PaymentRequired(f"Payment stream {pay}: token is not the platform token ({token.symbol})")
        if state.cancelled:
            raise PaymentRequired(f"Payment stream {pay} was cancelled; open a new one to keep watching")
        if state.ran_dry(now):
            when = timestamp_iso(d.depletion_time) or "an unknown time"
            raise PaymentRequired(f"Payment stream {pay} ran dry at {when}; top it up to keep watching")
        if d.flow_rate < price:
            raise PaymentRequired(
                f"Payment stream {pay}: flow rate {format_units(d.flow_rate, token.decimals)} "
                f"tokens/s is below the price {row.price_per_second} tokens/s"
            )
        return Access(False, None, state, now)

    def _credit_playback(self, state: PaymentState, user_id: str, media_stream_id: str) -> None:
        """A treasury stream pays for the viewer its running credit playback names, for the
        media stream it was opened for, and for no one else (402 otherwise)."""
        pay = state.details.stream_id
        with self.engine.connect() as conn:
            row = conn.execute(_CREDIT, {"d": state.deployment, "p": str(pay)}).first()
        if row is None or row.user_id != user_id or row.media_stream_id != media_stream_id:
            raise PaymentRequired(
                f"Payment stream {pay} is not a card-paid playback of yours for this stream"
            )
        if row.status != "active":
            raise PaymentRequired("This card-paid playback has ended; press play to start a new one")

    def _grant(
        self,
        payment: PaymentState,
        media_stream_id: str,
        period: int,
        user_id: str,
        now: float,
        key_period_seconds: float,
    ) -> None:
        deployment = payment.deployment
        pay = str(payment.details.stream_id)
        # Granted before, under this payment stream (a player re-asking) or to this viewer under
        # another: free again, since the viewer holds that key already and handing it over
        # again gives nothing new.
        with self.engine.connect() as conn:
            if self._granted(conn, deployment, pay, user_id, media_stream_id, period):
                return
            others = self._others(conn, deployment, user_id, media_stream_id, pay)
        paid_periods = payment.paid_periods(now, key_period_seconds)
        payment_chain_id = self.reader.chain_id()
        mine = (key_grants.c.deployment == deployment) & (key_grants.c.payment_stream_id == pay)
        # The chain reads, outside the transaction: key periods each other payment stream paid.
        paid = (
            {}
            if len(others) > OTHER_PAYMENTS
            else {
                other: self._paid_periods(payment, int(other), now, key_period_seconds) for other, _ in others
            }
        )
        try:
            with transaction(self.engine) as conn:
                advisory_lock(conn, "key_grants", f"{deployment}:{pay}")
                advisory_lock(conn, "key_grants:user", user_id)
                conn.execute(
                    insert(key_grants).values(
                        deployment=deployment,
                        chain_id=payment_chain_id,
                        payment_stream_id=pay,
                        media_stream_id=media_stream_id,
                        period=period,
                        user_id=user_id,
                        granted_at=now_utc(),
                    )
                )
                used = conn.execute(select(func.count()).select_from(key_grants).where(mine)).scalar_one()
                owed = self._unpaid(conn, deployment, user_id, media_stream_id, pay, paid)
                lookahead = max(0, self.lookahead - owed)
                if used > paid_periods + lookahead:
                    raise PaymentRequired(
                        f"Payment stream {pay} has paid for {math.floor(payment.paid_seconds(now))} s "
                        f"so far: keys for "
                        f"{paid_periods + lookahead} key periods are released and period {period} is "
                        "beyond them; wait for the payment to catch up"
                        + (
                            f" ({owed} periods your earlier payment streams took on this stream "
                            "were never paid for)"
                            if owed
                            else ""
                        )
                    )
        except IntegrityError:
            return  # the same pair granted by a racing request: it counts once, and is ours too

    @staticmethod
    def _granted(
        conn: Connection, deployment: str, pay: str, user_id: str, media_stream_id: str, period: int
    ) -> bool:
        """Whether the pair was granted before, under this payment stream or to this viewer."""
        granted = {"d": deployment, "p": pay, "u": user_id, "m": media_stream_id, "n": period}
        return conn.execute(_GRANTED, granted).first() is not None

    def _paid_periods(self, payment: PaymentState, other: int, now: float, key_period_seconds: float) -> int:
        """Key periods another payment stream of the viewer paid (0 if it is not on the chain,
        or not on the deployment `payment` was read from)."""
        try:
            state = self.reader.read(other)
        except NotFound:
            return 0
        return state.paid_periods(now, key_period_seconds) if state.deployment == payment.deployment else 0

    def _others(
        self, conn: Connection, deployment: str, user_id: str, media_stream_id: str, pay: str
    ) -> list[tuple[str, int]]:
        """The viewer's other payment streams with keys of this media stream in the memory, the
        newest first, and how many periods each took (at most OTHER_PAYMENTS + 1 of them)."""
        since = now_utc() - LOOKAHEAD_MEMORY
        taken = func.count().label("taken")
        rows = conn.execute(
            select(key_grants.c.payment_stream_id, taken)
            .where(
                (key_grants.c.deployment == deployment)
                & (key_grants.c.user_id == user_id)
                & (key_grants.c.media_stream_id == media_stream_id)
                & (key_grants.c.payment_stream_id != pay)
                & (key_grants.c.granted_at >= since)
            )
            .group_by(key_grants.c.payment_stream_id)
            .order_by(func.max(key_grants.c.granted_at).desc())
            .limit(OTHER_PAYMENTS + 1)
        ).all()
        return [(str(row.payment_stream_id), int(row.taken)) for row in rows]

    def _unpaid(
        self,
        conn: Connection,
        deployment: str,
        user_id: str,
        media_stream_id: str,
        pay: str,
        paid: dict[str, int],
    ) -> int:
        """Periods of this media stream the viewer's other payment streams took beyond what
        they paid (counted under the locks; a stream not read before counts as paid nothing)."""
        others = self._others(conn, deployment, user_id, media_stream_id, pay)
        if len(others) > OTHER_PAYMENTS:
            return self.lookahead
        return sum(max(0, taken - paid.get(other, 0)) for other, taken in others)

    # -- reads -------------------------------------------------------------------------------

    def _stream(self, stream_id: str, conn: Connection | None = None) -> Any:
        if not STREAM_ID.fullmatch(stream_id):
            raise NotFound("Stream not found")
        if conn is None:
            with self.engine.connect() as own:
                row = own.execute(_STREAM, {"id": stream_id}).first()
        else:
            row = conn.execute(_STREAM, {"id": stream_id}).first()
        if row is None:
            raise NotFound("Stream not found")
        return row

    def _current_session(self, claims: PlaybackClaims, conn: Connection) -> None:
        """401 unless the token's account exists and has not changed its password since."""
        version = conn.execute(_SESSION_VERSION, {"id": claims.user_id}).scalar_one_or_none()
        if version is None:
            raise NotAuthenticated("Playback token's account no longer exists")
        if version != claims.session_version:
            raise NotAuthenticated(
                "Playback token was issued before the password was last changed; sign in again"
            )

    @staticmethod
    def _both_wallets(conn: Connection, viewer: str, creator: str | None) -> tuple[list[str], list[str]]:
        """The viewer's and the creator's linked wallets, each earliest first, in one query."""
        found: dict[str, list[str]] = {viewer: [], **({creator: []} if creator is not None else {})}
        for user_id, address in conn.execute(_WALLETS, {"ids": list(found)}):
            found[user_id].append(address)
        return found[viewer], found[creator] if creator is not None else []

    @staticmethod
    def _period(text: str) -> int:
        if PERIOD.fullmatch(text):
            return int(text)
        if DIGITS.fullmatch(text):
            raise NotFound("No such key period")
        raise InvalidInput("Invalid 'period': a key period number (0, 1, 2, ...)")

    def _payment(self, access: Access) -> PlaybackPayment | None:
        if access.payment is None:
            return None
        decimals = self.reader.chain.token(access.payment.details.token).decimals
        return PlaybackPayment(access.payment, decimals, access.payment.paid_seconds(access.now))
