"""The chain watcher: follows the platform contracts' events into the database, in the worker.

Each poll processes the next range of *confirmed* blocks (at least TIDECAST_CHAIN_CONFIRMATIONS
behind the head), so a reorganisation shallower than that depth never touches what was
processed. In one transaction per range it
- moves the cursor, conditioned on where it was (two workers polling at once: one wins, the
  other's transaction rolls back and changes nothing),
- indexes the events (`chain_logs`: what transaction history reads),
- updates each touched payment stream from `getStream` at the range's last block, and
- publishes `payment.created` for each new stream and top-up, whose subscriber mails the
  sender's linked account a payment confirmation.
So a crash between reading the chain and committing loses nothing and repeats nothing: the next
poll starts again from the cursor.

Also handled: another deployment under the same chain id (a development node restarted without
its state or reset in place, or the payment contract redeployed: `ChainDeployment` differs, and
the chain's index starts over, since stream ids start at 1 again), and a reorganisation deeper
than the depth (the last processed block's hash changed: the index is rewound past it and the
range processed again; events already published stand, and this is logged as an error because
it should not happen at a sane depth).

Low balance: after each poll, active streams whose forecast depletion is less than
TIDECAST_LOW_BALANCE_SECONDS away get the `stream-low-balance` mail, once per stream per top-up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from tidecast.chain.index import CURSOR
from tidecast.chain.service import BlockchainDataService, ChainDeployment, ChainLog, StreamDetails
from tidecast.chain.timestamps import chain_datetime
from tidecast.chain.units import format_units
from tidecast.db.schema import chain_cursors, chain_logs, payment_streams, user_wallets, users
from tidecast.db.times import now_utc
from tidecast.db.tx import transaction
from tidecast.event_bus import EventBus
from tidecast.mail.email import EmailService

log = logging.getLogger(__name__)

#: Blocks processed per poll at most: one eth_getLogs range.
RANGE = 2_000
#: How far back a reorganisation deeper than the confirmation depth is rewound.
REWIND = 64


class _Raced(Exception):
    """Another worker moved the cursor first: this poll's work is theirs."""


@dataclass(frozen=True)
class Poll:
    """What one poll did."""

    start: int
    end: int
    events: int
    behind: int


class ChainWatcher:
    def __init__(
        self,
        engine: Engine,
        chain: BlockchainDataService,
        events: EventBus,
        email: EmailService,
        *,
        confirmations: int = 2,
        poll_seconds: float = 5.0,
        low_balance_seconds: float = 600.0,
        start_block: int = 0,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.engine = engine
        self.chain = chain
        self.events = events
        self.email = email
        self.confirmations = confirmations
        self.poll_seconds = poll_seconds
        self.low_balance = timedelta(seconds=low_balance_seconds)
        self.start_block = start_block
        self.clock = clock

    @property
    def configured(self) -> bool:
        return bool(self.chain.payment_stream_address)

    def drain(self) -> float | None:
        """The queue's drain: poll until caught up; seconds until the next poll."""
        if not self.configured:
            return None
        while True:
            done = self.poll()
            if done is None or done.behind <= 0:
                break
        self.notify_low_balances()
        return self.poll_seconds

    # -- following the chain -----------------------------------------------------------------

    def poll(self) -> Poll | None:
        """Process the next range of confirmed blocks; None when there is nothing new."""
        deployment = self.chain.deployment()
        chain_id = deployment.chain_id
        head = self.chain.block_number()
        last, last_hash = self._cursor(deployment)
        if last >= 0 and last_hash and last <= head and self._block_hash(last) != last_hash:
            log.error("chain %s: block %d changed beyond the confirmation depth; re-indexing", chain_id, last)
            last = self._rewind(chain_id, max(self.start_block - 1, last - REWIND))
        safe = head - self.confirmations
        if last >= safe:
            return None
        start, end = last + 1, min(safe, last + RANGE)
        found = [d for d in (self.chain.decode(e, chain_id) for e in self.chain.logs(start, end)) if d]
        times = self.chain.block_times(sorted({d.block_number for d in found}))
        touched = sorted(
            {d.stream_id for d in found if d.stream_id is not None and d.contract == self._stream_contract}
        )
        states = {sid: self.chain.get_payment_stream_details(sid, block=end) for sid in touched}
        token = self.chain.token() if found else None
        end_hash = self._block_hash(end)
        try:
            with transaction(self.engine) as conn:
                moved = conn.execute(
                    update(chain_cursors)
                    .where(
                        (chain_cursors.c.name == CURSOR)
                        & (chain_cursors.c.chain_id == chain_id)
                        & (chain_cursors.c.last_block == last)
                    )
                    .values(last_block=end, last_block_hash=end_hash, updated_at=self.clock())
                )
                if moved.rowcount != 1:
                    raise _Raced
                for entry in found:
                    self._index(conn, entry, times.get(entry.block_number), token)
                for state in states.values():
                    self._store_stream(conn, deployment, state, end)
        except _Raced:
            log.debug("chain %s: blocks %d-%d were processed by another worker", chain_id, start, end)
            return Poll(start, end, 0, 0)
        return Poll(start, end, len(found), safe - end)

    @property
    def _stream_contract(self) -> str:
        return self.chain.payment_stream().address  # type: ignore[no-any-return]

    def _block_hash(self, number: int) -> str:
        block = self.chain.read(lambda: self.chain.w3.eth.get_block(number))
        value = block["hash"]
        return "0x" + bytes(value).hex()

    def _cursor(self, deployment: ChainDeployment) -> tuple[int, str | None]:
        """Where processing stands on this deployment (made at the start block, or started over
        when the deployment changed: a restarted or reset development node, a new contract)."""
        try:
            return self._make_cursor(deployment)
        except IntegrityError:
            # Two polls found no cursor at once (a worker's drains at start-up) and both made
            # one: the other's stands, and is what this poll reads now.
            return self._make_cursor(deployment)

    def _make_cursor(self, deployment: ChainDeployment) -> tuple[int, str | None]:
        chain_id, key = deployment.chain_id, deployment.key
        with transaction(self.engine) as conn:
            row = conn.execute(select(chain_cursors).where(chain_cursors.c.name == CURSOR)).first()
            same_chain = (
                row is not None and row.chain_id == chain_id and row.genesis_hash == deployment.genesis_hash
            )
            if row is not None and same_chain and row.deployment == key:
                return int(row.last_block), row.last_block_hash
            if row is not None and same_chain and row.deployment is None:
                # A cursor from before migration 0009: its rows are this deployment's (its
                # genesis matches), so they are adopted rather than indexed and mailed again.
                conn.execute(
                    update(chain_cursors).where(chain_cursors.c.name == CURSOR).values(deployment=key)
                )
                conn.execute(
                    update(payment_streams)
                    .where(payment_streams.c.deployment == f"legacy-{chain_id}")
                    .values(deployment=key)
                )
                return int(row.last_block), row.last_block_hash
            if row is not None:
                log.warning(
                    "chain %s: another deployment than the one indexed (the node was restarted or "
                    "reset, or the payment contract redeployed); starting over",
                    chain_id,
                )
                conn.execute(delete(chain_cursors).where(chain_cursors.c.name == CURSOR))
                conn.execute(delete(chain_logs).where(chain_logs.c.chain_id == row.chain_id))
                conn.execute(delete(payment_streams).where(payment_streams.c.chain_id == row.chain_id))
            conn.execute(
                insert(chain_cursors).values(
                    name=CURSOR,
                    chain_id=chain_id,
                    genesis_hash=deployment.genesis_hash,
                    deployment=key,
                    last_block=self.start_block - 1,
                    last_block_hash=None,
                    updated_at=self.clock(),
                )
            )
        return self.start_block - 1, None

    def _rewind(self, chain_id: int, to: int) -> int:
        with transaction(self.engine) as conn:
            conn.execute(
                delete(chain_logs).where(
                    (chain_logs.c.chain_id == chain_id) & (chain_logs.c.block_number > to)
                )
            )
            conn.execute(
                update(chain_cursors)
                .where(chain_cursors.c.name == CURSOR)
                .values(last_block=to, last_block_hash=None, updated_at=self.clock())
            )
        return to

    def _index(self, conn: Connection, entry: ChainLog, when: datetime | None, token: Any) -> None:
        conn.execute(
            insert(chain_logs).values(
                chain_id=entry.chain_id,
                block_number=entry.block_number,
                block_hash=entry.block_hash,
                transaction_hash=entry.transaction_hash,
                log_index=entry.log_index,
                contract=entry.contract,
                event=entry.event,
                stream_id=str(entry.stream_id) if entry.stream_id is not None else None,
                sender=entry.sender,
                recipient=entry.recipient,
                amount=str(entry.amount) if entry.amount is not None else None,
                args=entry.args,
                block_time=when,
            )
        )
        if entry.event not in ("StreamCreated", "ToppedUp") or entry.sender is None:
            return
        amount = int(entry.args["deposit"] if entry.event == "StreamCreated" else entry.args["amount"])
        shown = f"{format_units(amount, token.decimals)} {token.symbol}" if token else str(amount)
        self.events.publish(
            conn,
            "payment.created",
            {
                "userId": _owner(conn, entry.sender),
                "payment": {
                    "kind": "stream" if entry.event == "StreamCreated" else "top-up",
                    "streamId": str(entry.stream_id),
                    "chainId": entry.chain_id,
                    "amount": shown,
                    "date": (when or self.clock()).isoformat().replace("+00:00", "Z"),
                    "transactionId": entry.transaction_hash,
                    "sender": entry.sender,
                    "recipient": entry.recipient,
                },
            },
        )

    def _store_stream(
        self, conn: Connection, deployment: ChainDeployment, state: StreamDetails, block: int
    ) -> None:
        key = and_(
            payment_streams.c.deployment == deployment.key,
            payment_streams.c.stream_id == str(state.stream_id),
        )
        top_ups = conn.execute(
            select(func.count())
            .select_from(chain_logs)
            .where(_stream_logs(deployment, state.stream_id) & (chain_logs.c.event == "ToppedUp"))
        ).scalar_one()
        values = {
            "sender": state.sender,
            "recipient": state.recipient,
            "token": state.token,
            "flow_rate": str(state.flow_rate),
            "deposit": str(state.deposit),
            "start_time": datetime.fromtimestamp(state.start_time, UTC),
            # None past 9999-12-31: a stream that far from running dry is never "low".
            "depletion_time": chain_datetime(state.depletion_time),
            # A stream that ran dry stays `active` here: a top-up revives it. Its depletion time
            # is in the past, which is what the low-balance forecast looks at.
            "status": "cancelled" if _cancelled(conn, deployment, state.stream_id) else "active",
            "top_ups": int(top_ups),
            "updated_block": block,
            "updated_at": self.clock(),
        }
        if conn.execute(update(payment_streams).where(key).values(**values)).rowcount == 0:
            conn.execute(
                insert(payment_streams).values(
                    deployment=deployment.key,
                    chain_id=deployment.chain_id,
                    stream_id=str(state.stream_id),
                    **values,
                )
            )

    # -- low balance -------------------------------------------------------------------------

    def notify_low_balances(self) -> int:
        """Mail the sender of each active stream about to run dry; how many were mailed. Only
        streams of the deployment on the node now (ids start at 1 on each)."""
        now = self.clock()
        deployment = self.chain.deployment().key
        with self.engine.connect() as conn:
            due = conn.execute(
                select(payment_streams).where(
                    and_(
                        payment_streams.c.deployment == deployment,
                        payment_streams.c.status == "active",
                        payment_streams.c.depletion_time > now,
                        payment_streams.c.depletion_time <= now + self.low_balance,
                        or_(
                            payment_streams.c.low_balance_for.is_(None),
                            payment_streams.c.low_balance_for != payment_streams.c.top_ups,
                        ),
                    )
                )
            ).all()
        sent = 0
        for row in due:
            state = self.chain.get_payment_stream_details(int(row.stream_id))
            if not state.active:
                continue
            token = self.chain.token(state.token)
            with transaction(self.engine) as conn:
                claimed = conn.execute(
                    update(payment_streams)
                    .where(
                        (payment_streams.c.deployment == row.deployment)
                        & (payment_streams.c.stream_id == row.stream_id)
                        & (payment_streams.c.top_ups == row.top_ups)
                        & or_(
                            payment_streams.c.low_balance_for.is_(None),
                            payment_streams.c.low_balance_for != row.top_ups,
                        )
                    )
                    .values(low_balance_for=row.top_ups)
                )
                user = _user(conn, state.sender)
                if claimed.rowcount != 1 or user is None:
                    continue
                left = max(0, state.depletion_time - int(now.timestamp()))
                self.email.send_low_balance(
                    user,
                    {
                        "id": str(state.stream_id),
                        # Read as "Your stream for creator 0x90F7…b906 is running low".
                        "title": f"creator {state.recipient[:6]}…{state.recipient[-4:]}",
                        "balance": f"{format_units(state.remaining_balance, token.decimals)} {token.symbol}",
                        "timeLeft": _duration(left),
                        "link": "/account/",
                    },
                    conn=conn,
                    # By deployment: a reset node's stream #1 is not the #1 mailed about before.
                    idempotency_key=f"low-balance:{row.deployment}:{row.stream_id}:{row.top_ups}",
                )
                sent += 1
        return sent


def _owner(conn: Connection, address: str) -> str | None:
    found = conn.execute(select(user_wallets.c.user_id).where(user_wallets.c.address == address)).first()
    return str(found.user_id) if found else None


def _user(conn: Connection, address: str) -> dict[str, str] | None:
    row = conn.execute(
        select(users.c.id, users.c.username, users.c.email)
        .join(user_wallets, user_wallets.c.user_id == users.c.id)
        .where(user_wallets.c.address == address)
    ).first()
    return {"id": row.id, "username": row.username, "email": row.email} if row else None


def _stream_logs(deployment: ChainDeployment, stream_id: int) -> Any:
    """The indexed events of one payment stream of this deployment's contract (the index holds
    one deployment of a chain at a time: it starts over when the deployment changes)."""
    return (
        (chain_logs.c.chain_id == deployment.chain_id)
        & (chain_logs.c.contract == deployment.contract)
        & (chain_logs.c.stream_id == str(stream_id))
    )


def _cancelled(conn: Connection, deployment: ChainDeployment, stream_id: int) -> bool:
    found = conn.execute(
        select(chain_logs.c.id).where(
            _stream_logs(deployment, stream_id) & (chain_logs.c.event == "StreamCancelled")
        )
    ).first()
    return found is not None


def _duration(seconds: int) -> str:
    minutes = seconds // 60
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{minutes} min" if minutes else f"{seconds} s"
