"""streams that play while they transcode: `playable`

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch: on SQLite a batch rebuilds `streams`, and its foreign keys
    # would cascade-delete content keys and key grants (see 0012's downgrade).
    op.add_column("streams", sa.Column("playable", sa.Boolean(), server_default=sa.false(), nullable=False))
    streams = sa.table("streams", sa.column("status", sa.String), sa.column("playable", sa.Boolean))
    op.get_bind().execute(sa.update(streams).where(streams.c.status == "ready").values(playable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE streams DROP COLUMN playable")
