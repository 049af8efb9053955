"""pay-per-second playback: stream prices, encrypted renditions' keys, keys released per payment

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("streams", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("price_per_second", sa.String(length=78), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("key_period_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("key_periods", sa.Integer(), nullable=True))
    op.create_table(
        "stream_keys",
        sa.Column("stream_id", sa.String(length=32), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("period >= 0", name=op.f("ck_stream_keys_period")),
        sa.ForeignKeyConstraint(
            ["stream_id"], ["streams.id"], name=op.f("fk_stream_keys_stream_id_streams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("stream_id", "period", name=op.f("pk_stream_keys")),
    )
    op.create_table(
        "key_grants",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("payment_stream_id", sa.String(length=78), nullable=False),
        sa.Column("media_stream_id", sa.String(length=32), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["media_stream_id"],
            ["streams.id"],
            name=op.f("fk_key_grants_media_stream_id_streams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_key_grants_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "chain_id", "payment_stream_id", "media_stream_id", "period", name=op.f("pk_key_grants")
        ),
    )
    op.create_index("ix_key_grants_media_stream_id", "key_grants", ["media_stream_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_key_grants_media_stream_id", table_name="key_grants")
    op.drop_table("key_grants")
    op.drop_table("stream_keys")
    with op.batch_alter_table("streams", schema=None) as batch_op:
        batch_op.drop_column("key_periods")
        batch_op.drop_column("key_period_seconds")
        batch_op.drop_column("price_per_second")
