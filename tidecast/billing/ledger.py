"""The credit ledger: double entry, in platform-token base units, never below zero for a viewer.

Every change of a viewer's credit is one transaction of rows over accounts that sums to zero:

    purchase    platform:stripe     -> user:<id>:available   (a paid card payment)
    hold        user:available      -> user:held             (a credit playback opens)
    settlement  user:held           -> platform:creators     (what streamed on chain)
    release     user:held           -> user:available        (the rest of the hold)
    refund      user:available      -> platform:stripe       (credit taken back for a refund)
    dispute     user:available      -> user:disputed         (held back while a dispute is open)
    reinstate   user:disputed       -> user:available        (a dispute won)
    write_off   user:disputed       -> platform:stripe       (a dispute lost: the money went back)
                platform:losses     -> platform:stripe       (credit a refund or a lost dispute took
                                                              back after it was spent on playback)

A viewer's balance is the sum of their `available` rows; `ledger_balances` keeps each user
account's sum, written in the same transaction as its rows, so reading it is one row and a
posting that would take it below zero is refused before anything is written (`Overdrawn`).
Platform accounts have rows but no balance row: every purchase and settlement would otherwise
update the same two rows, serialising the whole platform on them.

A (account, kind, ref) is unique in the table, so a purchase, hold, settlement or release
applied twice for the same cause is refused by the database (`IntegrityError`), whatever the code
above it does. Callers post inside their own transaction, with the user's advisory lock taken.

Written here rather than taken from a library: the bookkeeping libraries on PyPI (e.g. django-
ledger, python-accounting) bring an ORM and a chart of accounts; this is four tables of Core
statements that must run inside the callers' transactions.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from tidecast.db.schema import ledger_balances, ledger_entries
from tidecast.db.times import now_utc
from tidecast.db.tx import advisory_lock
from tidecast.errors import PaymentRequired

STRIPE = "platform:stripe"
CREATORS = "platform:creators"
LOSSES = "platform:losses"


def available(user_id: str) -> str:
    return f"user:{user_id}:available"


def held(user_id: str) -> str:
    return f"user:{user_id}:held"


def disputed(user_id: str) -> str:
    return f"user:{user_id}:disputed"


class Overdrawn(PaymentRequired):
    """A posting would take a viewer's account below zero: nothing was written."""


@dataclass(frozen=True)
class Entry:
    id: int
    txn: str
    account: str
    kind: str
    amount: int
    ref: str
    created_at: datetime


@dataclass(frozen=True)
class Balances:
    """A viewer's accounts, in platform-token base units."""

    available: int
    held: int
    disputed: int


def lock_user(conn: Connection, user_id: str) -> None:
    """Serialise a viewer's ledger changes until the transaction ends (PostgreSQL; SQLite has
    one writer at a time)."""
    advisory_lock(conn, "ledger", user_id)


def post(conn: Connection, kind: str, ref: str, user_id: str | None, moves: Sequence[tuple[str, int]]) -> str:
    """Write one transaction: `moves` are (account, signed amount) and must sum to zero; zero
    amounts are left out. Raises `Overdrawn` when a user account would go below zero (before any
    row is written) and IntegrityError when this (account, kind, ref) was posted before."""
    moves = [(account, amount) for account, amount in moves if amount != 0]
    if sum(amount for _, amount in moves) != 0:
        raise ValueError(f"ledger transaction {kind} {ref} does not balance: {moves}")
    if not moves:
        return ""
    now = now_utc()
    txn = secrets.token_hex(8)
    # The rows first: on SQLite the first write takes the database's write lock, so the balances
    # read below cannot change before this transaction commits.
    conn.execute(
        insert(ledger_entries),
        [
            {
                "txn": txn,
                "account": account,
                "user_id": user_id if account.startswith("user:") else None,
                "kind": kind,
                "amount": str(amount),
                "ref": ref,
                "created_at": now,
            }
            for account, amount in moves
        ],
    )
    for account, amount in moves:
        if not account.startswith("user:"):
            continue
        current = balance(conn, account)
        after = current + amount
        if after < 0:
            raise Overdrawn(
                f"Not enough credit: this needs {-amount} and the account holds {current} (base units)"
            )
        if (
            conn.execute(
                update(ledger_balances)
                .where(ledger_balances.c.account == account)
                .values(balance=str(after), updated_at=now)
            ).rowcount
            == 0
        ):
            conn.execute(insert(ledger_balances).values(account=account, balance=str(after), updated_at=now))
    return txn


def balance(conn: Connection, account: str) -> int:
    """A user account's balance (its balance row; 0 before its first posting)."""
    found = conn.execute(
        select(ledger_balances.c.balance).where(ledger_balances.c.account == account)
    ).scalar()
    return int(found) if found is not None else 0


def balances(conn: Connection, user_id: str) -> Balances:
    return Balances(
        balance(conn, available(user_id)), balance(conn, held(user_id)), balance(conn, disputed(user_id))
    )


def sum_of_rows(conn: Connection, account: str) -> int:
    """An account's balance recomputed from every row (what reconcile checks the balance row by)."""
    return sum(
        int(a)
        for a in conn.execute(
            select(ledger_entries.c.amount).where(ledger_entries.c.account == account)
        ).scalars()
    )


def entries(conn: Connection, account: str, *, limit: int, before: int | None = None) -> list[Entry]:
    """An account's rows, newest first, `limit` of them, older than row `before` when given."""
    query = select(ledger_entries).where(ledger_entries.c.account == account)
    if before is not None:
        query = query.where(ledger_entries.c.id < before)
    rows = conn.execute(query.order_by(ledger_entries.c.id.desc()).limit(limit)).all()
    return [
        Entry(row.id, row.txn, row.account, row.kind, int(row.amount), row.ref, row.created_at)
        for row in rows
    ]


def user_entries(conn: Connection, user_id: str, *, limit: int, before: int | None = None) -> list[Entry]:
    """All of a viewer's rows (every account of theirs), newest first."""
    query = select(ledger_entries).where(ledger_entries.c.user_id == user_id)
    if before is not None:
        query = query.where(ledger_entries.c.id < before)
    rows = conn.execute(query.order_by(ledger_entries.c.id.desc()).limit(limit)).all()
    return [
        Entry(row.id, row.txn, row.account, row.kind, int(row.amount), row.ref, row.created_at)
        for row in rows
    ]
