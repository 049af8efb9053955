"""job lifetimes: operational failures retried by time, crashes and bugs by count

A job that failed because an outside part was down (IPFS, the disk, the chain) is retried with
capped backoff until `give_up_at` (TIDECAST_JOB_RETRY_FOR_SECONDS after it was queued), however
many attempts that takes; `strikes` counts only the attempts that crashed, were killed or failed
otherwise, which TIDECAST_JOB_MAX_ATTEMPTS bounds (an input that kills every worker must end).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("strikes", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("give_up_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("give_up_at")
        batch.drop_column("strikes")
