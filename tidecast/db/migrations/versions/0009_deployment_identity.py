"""payment streams by deployment: key grants, the watcher's streams and cursor name the deployment

Payment stream ids start at 1 on every deployment of the contract: a development node
restarted without its state, or reset in place, with the contracts redeployed at the same
addresses under the same chain id, reused them, and its new stream #22 inherited the grants an
earlier viewer's #22 had paid for (issue 18). Grants and the watcher's rows are now keyed by
the deployment (ChainDeployment.key in tidecast/chain/service.py: chain id, genesis hash, the
hash of block 1 and the payment contract's address).

Rows from before cannot be told apart by deployment (no chain can be asked here, and the chain
they came from may be gone). Key grants are kept under "legacy-<chain id>", which no
deployment's key equals: they stay on record but count for no payment stream, because counting
them against a deployment they did not come from is the bug. The watcher's `payment_streams`
rows get the same marker and its cursor a null deployment; the next poll adopts both for the
deployment on the node when the cursor's genesis matches (they are a cache of the chain that
every read checks again), so an upgrade neither re-indexes nor mails anything twice.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("key_grants", "payment_streams"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("deployment", sa.String(length=66), nullable=True))
        rows = sa.table(table, sa.column("deployment"), sa.column("chain_id"))
        op.execute(
            rows.update().values(deployment=sa.literal("legacy-") + sa.cast(rows.c.chain_id, sa.String))
        )

    with op.batch_alter_table("key_grants", schema=None) as batch_op:
        batch_op.alter_column("deployment", existing_type=sa.String(length=66), nullable=False)
        batch_op.drop_index("ix_key_grants_viewer")
        batch_op.drop_constraint("pk_key_grants", type_="primary")
        batch_op.create_primary_key(
            "pk_key_grants", ["deployment", "payment_stream_id", "media_stream_id", "period"]
        )
        batch_op.create_index(
            "ix_key_grants_viewer", ["deployment", "user_id", "media_stream_id", "period"], unique=False
        )

    with op.batch_alter_table("payment_streams", schema=None) as batch_op:
        batch_op.alter_column("deployment", existing_type=sa.String(length=66), nullable=False)
        batch_op.drop_index("ix_payment_streams_sender")
        batch_op.drop_constraint("pk_payment_streams", type_="primary")
        batch_op.create_primary_key("pk_payment_streams", ["deployment", "stream_id"])
        batch_op.create_index("ix_payment_streams_sender", ["deployment", "sender"], unique=False)
        batch_op.create_index("ix_payment_streams_recipient", ["deployment", "recipient"], unique=False)

    with op.batch_alter_table("chain_cursors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deployment", sa.String(length=66), nullable=True))


def downgrade() -> None:
    # The old keys hold one row per (chain, id): of rows that would collide, the latest stays.
    op.execute(
        "DELETE FROM key_grants WHERE EXISTS (SELECT 1 FROM key_grants AS k "
        "WHERE k.chain_id = key_grants.chain_id AND k.payment_stream_id = key_grants.payment_stream_id "
        "AND k.media_stream_id = key_grants.media_stream_id AND k.period = key_grants.period "
        "AND (k.granted_at > key_grants.granted_at OR "
        "(k.granted_at = key_grants.granted_at AND k.deployment > key_grants.deployment)))"
    )
    op.execute(
        "DELETE FROM payment_streams WHERE EXISTS (SELECT 1 FROM payment_streams AS p "
        "WHERE p.chain_id = payment_streams.chain_id AND p.stream_id = payment_streams.stream_id "
        "AND (p.updated_at > payment_streams.updated_at OR "
        "(p.updated_at = payment_streams.updated_at AND p.deployment > payment_streams.deployment)))"
    )
    with op.batch_alter_table("chain_cursors", schema=None) as batch_op:
        batch_op.drop_column("deployment")

    with op.batch_alter_table("payment_streams", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_streams_recipient")
        batch_op.drop_index("ix_payment_streams_sender")
        batch_op.drop_constraint("pk_payment_streams", type_="primary")
        batch_op.create_primary_key("pk_payment_streams", ["chain_id", "stream_id"])
        batch_op.create_index("ix_payment_streams_sender", ["chain_id", "sender"], unique=False)
        batch_op.drop_column("deployment")

    with op.batch_alter_table("key_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_key_grants_viewer")
        batch_op.drop_constraint("pk_key_grants", type_="primary")
        batch_op.create_primary_key(
            "pk_key_grants", ["chain_id", "payment_stream_id", "media_stream_id", "period"]
        )
        batch_op.create_index(
            "ix_key_grants_viewer", ["chain_id", "user_id", "media_stream_id", "period"], unique=False
        )
        batch_op.drop_column("deployment")
