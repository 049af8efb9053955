"""the front end's needs: streams sortable by price, thumbnails to choose from, where each viewer
stopped, which video each payment stream paid for

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

#: tidecast/media/streams.py's `price_key`, copied: a migration must not change when the code does.
_WHOLE_DIGITS = 80
_FRACTION_DIGITS = 36


def _price_key(price: str) -> str:
    whole, _, frac = price.partition(".")
    return whole.rjust(_WHOLE_DIGITS, "0") + "." + frac.ljust(_FRACTION_DIGITS, "0")


def upgrade() -> None:
    with op.batch_alter_table("streams") as batch:
        batch.add_column(sa.Column("price_key", sa.String(length=120), server_default="", nullable=False))
        batch.add_column(sa.Column("thumbnails", sa.JSON(), nullable=True))
    streams = sa.table(
        "streams",
        sa.column("id", sa.String),
        sa.column("price_per_second", sa.String),
        sa.column("price_key", sa.String),
    )
    conn = op.get_bind()
    for row in conn.execute(sa.select(streams.c.id, streams.c.price_per_second)).all():
        conn.execute(
            sa.update(streams)
            .where(streams.c.id == row.id)
            .values(price_key=_price_key(row.price_per_second))
        )
    op.create_index("ix_streams_price_key_id", "streams", ["price_key", "id"], unique=False)
    op.create_index("ix_streams_title_sort", "streams", [sa.text("lower(title)"), "id"], unique=False)
    op.create_index(
        "ix_streams_duration_sort", "streams", [sa.text("coalesce(duration, 0.0)"), "id"], unique=False
    )
    op.create_table(
        "payment_videos",
        sa.Column("deployment", sa.String(length=66), nullable=False),
        sa.Column("payment_stream_id", sa.String(length=78), nullable=False),
        sa.Column("media_stream_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "deployment", "payment_stream_id", "media_stream_id", name=op.f("pk_payment_videos")
        ),
    )
    op.create_table(
        "watch_positions",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("stream_id", sa.String(length=32), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("seconds >= 0", name=op.f("ck_watch_positions_seconds")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_watch_positions_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["stream_id"],
            ["streams.id"],
            name=op.f("fk_watch_positions_stream_id_streams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "stream_id", name=op.f("pk_watch_positions")),
    )
    op.create_index("ix_watch_positions_stream_id", "watch_positions", ["stream_id"], unique=False)


def downgrade() -> None:
    op.drop_table("watch_positions")
    op.drop_table("payment_videos")
    op.drop_index("ix_streams_duration_sort", table_name="streams")
    op.drop_index("ix_streams_title_sort", table_name="streams")
    op.drop_index("ix_streams_price_key_id", table_name="streams")
    # Not a batch: on SQLite a batch drops and recreates `streams`, and with foreign keys on that
    # deletes every row that cascades from it (content keys, key grants). SQLite has dropped
    # plain columns in place since 3.35; neither of these is indexed any more or constrained.
    op.execute("ALTER TABLE streams DROP COLUMN thumbnails")
    op.execute("ALTER TABLE streams DROP COLUMN price_key")
