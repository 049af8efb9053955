"""streams

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "streams",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("owner_id", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), server_default="processing", nullable=False),
        sa.Column("progress", sa.Float(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("master_playlist", sa.String(1024), nullable=True),
        sa.Column("variants", sa.JSON(), nullable=True),
        sa.Column("thumbnail", sa.String(1024), nullable=True),
        sa.Column("cid", sa.String(128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('processing', 'ready', 'failed')", name=op.f("ck_streams_status")),
        sa.CheckConstraint("progress >= 0 AND progress <= 100", name=op.f("ck_streams_progress")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_streams")),
    )
    op.create_index("ix_streams_created_at_id", "streams", ["created_at", "id"])
    op.create_index(op.f("ix_streams_owner_id"), "streams", ["owner_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_streams_owner_id"), table_name="streams")
    op.drop_index("ix_streams_created_at_id", table_name="streams")
    op.drop_table("streams")
