"""What the chain watcher has indexed: the platform contracts' events in confirmed blocks, read
back for transaction history (newest first) without asking the node."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, and_, or_, select

from tidecast.chain.service import ChainLog
from tidecast.db.schema import chain_cursors, chain_logs

#: The watcher's cursor for the payment contracts (tidecast/chain/watcher.py).
CURSOR = "payment-contracts"


class ChainIndex:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def covered_through(self, chain_id: int) -> int | None:
        """The last block indexed on `chain_id`, or None when nothing is indexed there."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(chain_cursors.c.last_block).where(
                    (chain_cursors.c.name == CURSOR) & (chain_cursors.c.chain_id == chain_id)
                )
            ).first()
        return int(row.last_block) if row is not None and row.last_block >= 0 else None

    def involving(self, chain_id: int, address: str, start: int, end: int, limit: int) -> list[ChainLog]:
        """Events where `address` sends or receives, in [start, end], newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(chain_logs)
                .where(
                    and_(
                        chain_logs.c.chain_id == chain_id,
                        chain_logs.c.block_number.between(start, end),
                        or_(chain_logs.c.sender == address, chain_logs.c.recipient == address),
                    )
                )
                .order_by(chain_logs.c.block_number.desc(), chain_logs.c.log_index.desc())
                .limit(limit)
            ).all()
        return [to_chain_log(r) for r in rows]


def to_chain_log(row: Any) -> ChainLog:
    return ChainLog(
        chain_id=int(row.chain_id),
        block_number=int(row.block_number),
        block_hash=row.block_hash,
        transaction_hash=row.transaction_hash,
        log_index=int(row.log_index),
        contract=row.contract,
        event=row.event,
        stream_id=int(row.stream_id) if row.stream_id is not None else None,
        sender=row.sender,
        recipient=row.recipient,
        amount=int(row.amount) if row.amount is not None else None,
        args=dict(row.args),
    )
