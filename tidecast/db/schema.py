"""Tables, as SQLAlchemy Core metadata: the source Alembic's migrations are checked against.

Core rather than the ORM: the request path only runs a handful of plain statements, and the
ORM's import alone costs about 90 ms of every Lambda cold start on this machine.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    Index,
    MetaData,
    String,
    Table,
    Text,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

STREAM_STATUSES = ("processing", "ready", "failed")

streams = Table(
    "streams",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    # The owning user's id; nullable until accounts land (issue 4) and for imported streams.
    Column("owner_id", String(32), nullable=True, index=True),
    Column("status", String(16), nullable=False, server_default="processing"),
    Column("progress", Float, nullable=False, server_default="0"),
    Column("error", Text, nullable=True),
    # Filled by the video pipeline and the IPFS issue.
    Column("master_playlist", String(1024), nullable=True),
    Column("variants", JSON, nullable=True),
    Column("thumbnail", String(1024), nullable=True),
    Column("cid", String(128), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("status IN ('processing', 'ready', 'failed')", name="status"),
    CheckConstraint("progress >= 0 AND progress <= 100", name="progress"),
    # Newest-first keyset pagination walks this index.
    Index("ix_streams_created_at_id", "created_at", "id"),
)
