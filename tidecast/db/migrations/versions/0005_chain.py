"""chain watcher, payment streams, signed nonces

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chain_cursors",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("genesis_hash", sa.String(length=66), nullable=False),
        sa.Column("last_block", sa.BigInteger(), nullable=False),
        sa.Column("last_block_hash", sa.String(length=66), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_chain_cursors")),
    )
    op.create_table(
        "chain_logs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("transaction_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("stream_id", sa.String(length=78), nullable=True),
        sa.Column("sender", sa.String(length=42), nullable=True),
        sa.Column("recipient", sa.String(length=42), nullable=True),
        sa.Column("amount", sa.String(length=78), nullable=True),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("block_time", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_logs")),
        sa.UniqueConstraint("chain_id", "transaction_hash", "log_index", name="uq_chain_logs_position"),
    )
    with op.batch_alter_table("chain_logs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_chain_logs_recipient", ["chain_id", "recipient", "block_number"], unique=False
        )
        batch_op.create_index("ix_chain_logs_sender", ["chain_id", "sender", "block_number"], unique=False)
        batch_op.create_index("ix_chain_logs_stream", ["chain_id", "stream_id"], unique=False)

    op.create_table(
        "payment_streams",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("stream_id", sa.String(length=78), nullable=False),
        sa.Column("sender", sa.String(length=42), nullable=False),
        sa.Column("recipient", sa.String(length=42), nullable=False),
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("flow_rate", sa.String(length=78), nullable=False),
        sa.Column("deposit", sa.String(length=78), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("depletion_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("top_ups", sa.Integer(), server_default="0", nullable=False),
        sa.Column("low_balance_for", sa.Integer(), nullable=True),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'cancelled')", name=op.f("ck_payment_streams_status")),
        sa.PrimaryKeyConstraint("chain_id", "stream_id", name=op.f("pk_payment_streams")),
    )
    with op.batch_alter_table("payment_streams", schema=None) as batch_op:
        batch_op.create_index("ix_payment_streams_depletion", ["status", "depletion_time"], unique=False)
        batch_op.create_index("ix_payment_streams_sender", ["chain_id", "sender"], unique=False)

    op.create_table(
        "signed_nonces",
        sa.Column("nonce", sa.String(length=66), nullable=False),
        sa.Column("signer", sa.String(length=42), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_signed_nonces")),
    )
    with op.batch_alter_table("signed_nonces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signed_nonces_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("signed_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signed_nonces_expires_at"))

    op.drop_table("signed_nonces")
    with op.batch_alter_table("payment_streams", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_streams_sender")
        batch_op.drop_index("ix_payment_streams_depletion")

    op.drop_table("payment_streams")
    with op.batch_alter_table("chain_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_chain_logs_stream")
        batch_op.drop_index("ix_chain_logs_sender")
        batch_op.drop_index("ix_chain_logs_recipient")

    op.drop_table("chain_logs")
    op.drop_table("chain_cursors")
