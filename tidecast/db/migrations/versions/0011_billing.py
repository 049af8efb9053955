"""card payments: Checkout Sessions, Stripe events, the credit ledger, disputes, credit playbacks

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billing_checkouts",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("credit", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("payment_intent", sa.String(length=255), nullable=True),
        sa.Column("refunded_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("clawed", sa.String(length=80), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'awaiting', 'paid', 'failed')", name=op.f("ck_billing_checkouts_status")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_billing_checkouts_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_checkouts")),
        sa.UniqueConstraint("payment_intent", name=op.f("uq_billing_checkouts_payment_intent")),
    )
    op.create_index("ix_billing_checkouts_user_id", "billing_checkouts", ["user_id"], unique=False)
    op.create_table(
        "billing_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_events")),
    )
    op.create_index("ix_billing_events_subject", "billing_events", ["subject"], unique=False)
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("txn", sa.String(length=32), nullable=False),
        sa.Column("account", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.String(length=80), nullable=False),
        sa.Column("ref", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('purchase', 'hold', 'settlement', 'release', 'refund', 'dispute', 'reinstate', "
            "'write_off')",
            name=op.f("ck_ledger_entries_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("account", "kind", "ref", name="uq_ledger_entries_once"),
    )
    op.create_index("ix_ledger_entries_txn", "ledger_entries", ["txn"], unique=False)
    op.create_index("ix_ledger_entries_user_id", "ledger_entries", ["user_id"], unique=False)
    op.create_index("ix_ledger_entries_account_id", "ledger_entries", ["account", "id"], unique=False)
    op.create_table(
        "ledger_balances",
        sa.Column("account", sa.String(length=80), nullable=False),
        sa.Column("balance", sa.String(length=80), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account", name=op.f("pk_ledger_balances")),
    )
    op.create_table(
        "billing_disputes",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("checkout_id", sa.String(length=255), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.String(length=80), nullable=False),
        sa.Column("frozen", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'won', 'lost')", name=op.f("ck_billing_disputes_status")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_billing_disputes_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_disputes")),
    )
    op.create_index("ix_billing_disputes_user_id", "billing_disputes", ["user_id"], unique=False)
    op.create_table(
        "credit_playbacks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("media_stream_id", sa.String(length=32), nullable=False),
        sa.Column("deployment", sa.String(length=66), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("payment_stream_id", sa.String(length=78), nullable=True),
        sa.Column("recipient", sa.String(length=42), nullable=False),
        sa.Column("flow_rate", sa.String(length=78), nullable=False),
        sa.Column("deposit", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="opening", nullable=False),
        sa.Column("stop_reason", sa.String(length=32), nullable=True),
        sa.Column("open_tx", sa.String(length=66), nullable=True),
        sa.Column("settle_tx", sa.String(length=66), nullable=True),
        sa.Column("charged", sa.String(length=80), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('opening', 'active', 'stopping', 'settled', 'failed')",
            name=op.f("ck_credit_playbacks_status"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_credit_playbacks_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_playbacks")),
        sa.UniqueConstraint("deployment", "payment_stream_id", name="uq_credit_playbacks_payment"),
    )
    op.create_index("ix_credit_playbacks_user_id", "credit_playbacks", ["user_id"], unique=False)
    op.create_index("ix_credit_playbacks_status", "credit_playbacks", ["status", "updated_at"], unique=False)


def downgrade() -> None:
    op.drop_table("credit_playbacks")
    op.drop_table("billing_disputes")
    op.drop_table("ledger_balances")
    op.drop_table("ledger_entries")
    op.drop_table("billing_events")
    op.drop_table("billing_checkouts")
