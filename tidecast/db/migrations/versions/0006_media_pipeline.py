"""video pipeline: streams owned by users, transcode progress and results, resumable uploads

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

Streams made before accounts may name owners that no `users` row has; those owners become NULL
before the foreign key is added (the stream stays, unowned, as the schema always allowed).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE streams SET owner_id = NULL WHERE owner_id IS NOT NULL "
        "AND owner_id NOT IN (SELECT id FROM users)"
    )
    with op.batch_alter_table("streams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duration", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("eta_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("job_id", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_streams_owner_id_users"), "users", ["owner_id"], ["id"])
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="receiving", nullable=False),
        sa.Column("stream_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("received >= 0 AND received <= length", name=op.f("ck_uploads_received")),
        sa.CheckConstraint("status IN ('receiving', 'complete')", name=op.f("ck_uploads_status")),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_uploads_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
    )
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_uploads_owner_id"), ["owner_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_uploads_owner_id"))
    op.drop_table("uploads")
    with op.batch_alter_table("streams", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_streams_owner_id_users"), type_="foreignkey")
        batch_op.drop_column("job_id")
        batch_op.drop_column("eta_seconds")
        batch_op.drop_column("duration")
