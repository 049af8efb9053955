"""key grants by viewer: a viewer's grants of one media stream found without scanning its others

The look-ahead is lent per viewer and media stream (payments/playback.py): each key request
looks up the viewer's own grants of that media stream (a period they hold already, and their
other payment streams there), which the media-stream index alone finds only by scanning every
viewer's grants of a popular film.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_key_grants_viewer",
        "key_grants",
        ["chain_id", "user_id", "media_stream_id", "period"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_key_grants_viewer", table_name="key_grants")
