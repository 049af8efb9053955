"""Tables, as SQLAlchemy Core metadata: the source Alembic's migrations are checked against.

Core rather than the ORM: the request path only runs a handful of plain statements, and the
ORM's import alone costs about 90 ms of every Lambda cold start on this machine.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    literal_column,
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
    # The owning user (uploads set it). Nullable for streams made before accounts (their owners
    # were set to NULL by migration 0006 when no such user existed). No ON DELETE: a user who
    # still has streams (files, pins) cannot be deleted by accident.
    Column("owner_id", String(32), ForeignKey("users.id"), nullable=True, index=True),
    Column("status", String(16), nullable=False, server_default="processing"),
    Column("progress", Float, nullable=False, server_default="0"),
    Column("error", Text, nullable=True),
    # Filled by the video pipeline and the IPFS issue.
    Column("master_playlist", String(1024), nullable=True),
    Column("variants", JSON, nullable=True),
    Column("thumbnail", String(1024), nullable=True),
    # The pictures the pipeline made to choose `thumbnail` from (URLs; NULL: made before there
    # was a choice, when `thumbnail` is the only one).
    Column("thumbnails", JSON, nullable=True),
    Column("cid", String(128), nullable=True),
    # The video pipeline (tidecast/media/pipeline.py): seconds of video, the transcode's
    # estimate of seconds left while it runs, and the job doing it.
    Column("duration", Float, nullable=True),
    Column("eta_seconds", Float, nullable=True),
    Column("job_id", String(32), nullable=True),
    # Pay-per-second playback (tidecast/payments/playback.py): the price in whole platform
    # tokens per second as a normalised decimal string ("0.001", the house's money convention,
    # tidecast/chain/units.py; compared with a flowRate after parse_units), and
    # how the published renditions are encrypted: seconds of video per key and how many keys.
    # NULL key fields: published before encryption (or not yet published); such a stream's
    # segments are plain and it plays free.
    Column("price_per_second", String(78), nullable=False, server_default="0"),
    Column("key_period_seconds", Float, nullable=True),
    Column("key_periods", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The price as a string that sorts as the number does (tidecast/media/streams.py
    # `price_key`): the listing's "sort by price" walks it with keyset pagination, the same on
    # both databases (no SQL number type holds a 78-digit price exactly on both).
    Column("price_key", String(120), nullable=False, server_default=""),
    # A stream that plays while it transcodes (tidecast/media/live.py): true once its master
    # playlist is published, while still `processing`, and for every ready stream; false again
    # when its job fails (what it published is withdrawn).
    Column("playable", Boolean, nullable=False, server_default=false()),
    CheckConstraint("status IN ('processing', 'ready', 'failed')", name="status"),
    CheckConstraint("progress >= 0 AND progress <= 100", name="progress"),
    # Newest-first keyset pagination walks this index.
    Index("ix_streams_created_at_id", "created_at", "id"),
    Index("ix_streams_price_key_id", "price_key", "id"),
)
# The listing's other sorts, by the expressions they order by (tidecast/media/streams.py).
Index("ix_streams_title_sort", func.lower(streams.c.title), streams.c.id)
Index("ix_streams_duration_sort", func.coalesce(streams.c.duration, literal_column("0.0")), streams.c.id)


# The durable event bus (tidecast/event_bus.py). An event row and one delivery row per subscriber
# are written in the transaction that caused the event; a delivery is the unit of retry.
events = Table(
    "events",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(100), nullable=False, index=True),
    Column("payload", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

DELIVERY_STATUSES = ("pending", "running", "done", "dead")

event_deliveries = Table(
    "event_deliveries",
    metadata,
    Column("event_id", String(32), ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    Column("subscriber", String(100), nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    # A worker owns a running delivery until lease_until; past it another worker may take it.
    Column("claim", String(32), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("event_id", "subscriber"),
    CheckConstraint("status IN ('pending', 'running', 'done', 'dead')", name="status"),
    Index("ix_event_deliveries_due", "status", "next_attempt_at"),
)

MAIL_STATUSES = ("queued", "sending", "sent", "failed")

# Outgoing mail, written in the transaction of the change that caused it and delivered by the
# dispatcher (tidecast/mail/outbox.py). `raw` is the whole RFC 5322 message, so a
# retry sends byte-for-byte the same mail, Message-ID included.
mail_outbox = Table(
    "mail_outbox",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("message_id", String(255), nullable=False, unique=True),
    # Set by callers that may run twice (event subscribers): the second insert is refused.
    Column("idempotency_key", String(200), nullable=True, unique=True),
    Column("sender", String(320), nullable=False),
    Column("recipients", JSON, nullable=False),
    Column("subject", Text, nullable=False),
    Column("template", String(64), nullable=True),
    Column("essential", Boolean, nullable=False),
    Column("raw", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default="queued"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claim", String(32), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    # Transient failures are retried until then (TIDECAST_MAIL_RETRY_FOR_SECONDS after queueing,
    # or after `tidecast mail retry`); null on rows queued before the column existed.
    Column("give_up_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="status"),
    Index("ix_mail_outbox_due", "status", "next_attempt_at"),
)

# Addresses that asked (RFC 8058 one-click) for no more non-essential mail.
mail_suppressions = Table(
    "mail_suppressions",
    metadata,
    Column("address", String(320), primary_key=True),
    Column("reason", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


JOB_STATUSES = ("queued", "running", "done", "failed")

# Long jobs (tidecast/jobs.py): one row per piece of work on one item (a transcode of a stream).
# The row is the record; the queue only carries its id to wake a worker. A running job's lease
# is renewed by its worker's heartbeat; its progress and ETA are written as it goes.
jobs = Table(
    "jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(64), nullable=False),
    # The item the job works on (a stream id); jobs of one item are found by it.
    Column("subject", String(128), nullable=True, index=True),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False, server_default="queued"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    # Attempts that crashed, were killed or failed for another reason than an outside part
    # being down: bounded by count. Operational failures are retried until `give_up_at`.
    Column("strikes", Integer, nullable=False, server_default="0"),
    Column("give_up_at", DateTime(timezone=True), nullable=True),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claim", String(32), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("progress", Float, nullable=False, server_default="0"),
    Column("eta_seconds", Float, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
    CheckConstraint("progress >= 0 AND progress <= 100", name="progress"),
    Index("ix_jobs_due", "status", "next_attempt_at"),
)


# Accounts (tidecast/accounts/service.py). Usernames are stored lower-case; `email_key` is the
# address lower-cased, so uniqueness is case-insensitive on both databases without functional
# indexes. `session_version` is copied into every login token (`sv`): a password change or
# reset bumps it, and every token issued before stops verifying.
users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(32), nullable=False, unique=True),
    Column("email", String(320), nullable=False),
    Column("email_key", String(320), nullable=False, unique=True),
    Column("password_hash", String(100), nullable=False),
    Column("email_verified_at", DateTime(timezone=True), nullable=True),
    Column("session_version", Integer, nullable=False, server_default="0"),
    Column("password_changed_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

TOKEN_PURPOSES = ("verify_email", "reset_password")

# Single-use links mailed to users. Only a SHA-256 of the token is kept: a database reader
# cannot use a link that is still live.
user_tokens = Table(
    "user_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("purpose", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("purpose IN ('verify_email', 'reset_password')", name="purpose"),
)

# Attempts counted by the rate limits (tidecast/accounts/limits.py), one row per attempt:
# 'login' (per identifier typed), 'login-ip' (per source address), 'register-ip', and 'notice'
# (account notices mailed per address). A limit counts rows inside its window, so it holds
# across every function instance sharing the database.
RATE_SCOPES = ("login", "login-ip", "register-ip", "notice")

rate_attempts = Table(
    "rate_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(16), nullable=False),
    Column("key", String(340), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    CheckConstraint("scope IN ('login', 'login-ip', 'register-ip', 'notice')", name="scope"),
    Index("ix_rate_attempts_scope_key_at", "scope", "key", "at"),
)

# Sign-In with Ethereum nonces: single use, short-lived; a 'link' nonce belongs to the user
# who asked for it.
wallet_nonces = Table(
    "wallet_nonces",
    metadata,
    Column("nonce", String(32), primary_key=True),
    Column("purpose", String(8), nullable=False),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
    Column("used_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("purpose IN ('link', 'login')", name="purpose"),
)

# Ethereum addresses users proved they control (EIP-55 checksummed); one owner per address.
user_wallets = Table(
    "user_wallets",
    metadata,
    Column("address", String(42), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("chain_id", BigInteger, nullable=False),
    Column("linked_at", DateTime(timezone=True), nullable=False),
)


# The chain watcher (tidecast/chain/watcher.py): how far it has processed each chain, by
# name. `deployment` (ChainDeployment.key: chain id, genesis, block 1, the payment contract) tells
# a restarted or reset node, or a redeployed contract, from the one processed before (null: a
# cursor older than migration 0009, adopted by the next poll when its genesis matches);
# `last_block_hash` tells a reorganisation deeper than the confirmation depth.
chain_cursors = Table(
    "chain_cursors",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("chain_id", BigInteger, nullable=False),
    Column("genesis_hash", String(66), nullable=False),
    Column("last_block", BigInteger, nullable=False),
    Column("last_block_hash", String(66), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("deployment", String(66), nullable=True),
)

# The platform contracts' events the watcher has processed (confirmed blocks only): the index
# that transaction history reads. uint256 values are decimal strings (no SQL integer holds them).
chain_logs = Table(
    "chain_logs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chain_id", BigInteger, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("block_hash", String(66), nullable=False),
    Column("transaction_hash", String(66), nullable=False),
    Column("log_index", Integer, nullable=False),
    Column("contract", String(42), nullable=False),
    Column("event", String(32), nullable=False),
    Column("stream_id", String(78), nullable=True),
    Column("sender", String(42), nullable=True),
    Column("recipient", String(42), nullable=True),
    Column("amount", String(78), nullable=True),
    Column("args", JSON, nullable=False),
    Column("block_time", DateTime(timezone=True), nullable=True),
    UniqueConstraint("chain_id", "transaction_hash", "log_index", name="uq_chain_logs_position"),
    Index("ix_chain_logs_sender", "chain_id", "sender", "block_number"),
    Index("ix_chain_logs_recipient", "chain_id", "recipient", "block_number"),
    Index("ix_chain_logs_stream", "chain_id", "stream_id"),
)

PAYMENT_STREAM_STATUSES = ("active", "cancelled")

# Payment streams as of the last processed block (from getStream at that block): what the
# low-balance notice forecasts from. `low_balance_for` is the number of top-ups the stream had
# when its notice went out: one notice per stream per top-up. Keyed by `deployment`
# (ChainDeployment.key): stream ids start at 1 on every deployment of the contract.
payment_streams = Table(
    "payment_streams",
    metadata,
    Column("chain_id", BigInteger, nullable=False),
    Column("stream_id", String(78), nullable=False),
    Column("sender", String(42), nullable=False),
    Column("recipient", String(42), nullable=False),
    Column("token", String(42), nullable=False),
    Column("flow_rate", String(78), nullable=False),
    Column("deposit", String(78), nullable=False),
    Column("start_time", DateTime(timezone=True), nullable=False),
    Column("depletion_time", DateTime(timezone=True), nullable=True),
    Column("status", String(16), nullable=False),
    Column("top_ups", Integer, nullable=False, server_default="0"),
    Column("low_balance_for", Integer, nullable=True),
    Column("updated_block", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("deployment", String(66), nullable=False),
    PrimaryKeyConstraint("deployment", "stream_id"),
    CheckConstraint("status IN ('active', 'cancelled')", name="status"),
    Index("ix_payment_streams_sender", "deployment", "sender"),
    Index("ix_payment_streams_recipient", "deployment", "recipient"),
    Index("ix_payment_streams_depletion", "status", "depletion_time"),
)

# Nonces of signed requests (EIP-712, the payment status function): each works once, until its
# message expires; retention deletes expired ones.
signed_nonces = Table(
    "signed_nonces",
    metadata,
    Column("nonce", String(66), primary_key=True),
    Column("signer", String(42), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)


UPLOAD_STATUSES = ("receiving", "complete")

# Resumable uploads (tus 1.0, tidecast/media/uploads.py). The bytes live in a file under the
# data directory named by the id; `received` is how many of them are committed (a PATCH's bytes
# count once this row says so). `stream_id` is the stream made when the upload completed.
uploads = Table(
    "uploads",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("owner_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("length", BigInteger, nullable=False),
    Column("received", BigInteger, nullable=False, server_default="0"),
    Column("metadata", JSON, nullable=False),
    Column("status", String(16), nullable=False, server_default="receiving"),
    Column("stream_id", String(32), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("status IN ('receiving', 'complete')", name="status"),
    CheckConstraint("received >= 0 AND received <= length", name="received"),
)


# HLS AES-128 content keys, one per key period of a stream (tidecast/media/keys.py).
# `wrapped` is the 16-byte key sealed with AES-256-GCM under a key derived from
# TIDECAST_MEDIA_KEY_SECRET, bound to (stream_id, period): a row copied elsewhere does not open.
# The keys go with their stream.
stream_keys = Table(
    "stream_keys",
    metadata,
    Column("stream_id", String(32), ForeignKey("streams.id", ondelete="CASCADE"), nullable=False),
    Column("period", Integer, nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("stream_id", "period"),
    CheckConstraint("period >= 0", name="period"),
)

# Keys released against a payment stream: the release budget (seconds paid so far buy that many
# seconds of keys, plus a look-ahead) counts distinct (media stream, period) rows per payment
# stream, and a key already released to it is released again for free (seeking back). A payment
# stream is named by `deployment` (ChainDeployment.key: chain, genesis, block 1, contract) and
# its id, since ids start at 1 on every deployment; `chain_id` is kept for reading. Grants from
# before migration 0009 carry "legacy-<chain id>", which no deployment's key equals.
key_grants = Table(
    "key_grants",
    metadata,
    Column("chain_id", BigInteger, nullable=False),
    Column("payment_stream_id", String(78), nullable=False),
    Column("media_stream_id", String(32), ForeignKey("streams.id", ondelete="CASCADE"), nullable=False),
    Column("period", Integer, nullable=False),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False),
    Column("deployment", String(66), nullable=False),
    PrimaryKeyConstraint("deployment", "payment_stream_id", "media_stream_id", "period"),
    Index("ix_key_grants_media_stream_id", "media_stream_id"),
    Index("ix_key_grants_viewer", "deployment", "user_id", "media_stream_id", "period"),
)


# Card payments (tidecast/billing). Money off chain is decimal strings of integers (platform-token
# base units, signed in the ledger): no SQL integer holds 10**18-scale amounts on both databases,
# and a float must never hold money. Sums are taken in Python's integers.

CHECKOUT_STATUSES = ("open", "awaiting", "paid", "failed")

# Stripe Checkout Sessions a viewer started (`id` is Stripe's cs_...): what each buys, fixed when
# it was created, so a webhook needs no chain read. `refunded_minor` and `clawed` are how much of
# it was refunded so far (cumulative, as Stripe's charge says) and the credit taken back for it.
billing_checkouts = Table(
    "billing_checkouts",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id"), nullable=False, index=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("credit", String(80), nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("payment_intent", String(255), nullable=True, unique=True),
    Column("refunded_minor", BigInteger, nullable=False, server_default="0"),
    Column("clawed", String(80), nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("status IN ('open', 'awaiting', 'paid', 'failed')", name="status"),
)

# Every Stripe event taken in, by Stripe's id: a delivered-again event finds its row and changes
# nothing. `outcome` is what it did; a "deferred" one (about a payment not known yet: Stripe
# delivers in any order) is applied when that payment's purchase lands (`subject`).
billing_events = Table(
    "billing_events",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("type", String(100), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("subject", String(255), nullable=True, index=True),
    Column("payload", JSON, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

LEDGER_KINDS = ("purchase", "hold", "settlement", "release", "refund", "dispute", "reinstate", "write_off")

# The double-entry ledger: every change of credit is a transaction (`txn`) of rows summing to 0
# over accounts ("user:<id>:available", ":held", ":disputed"; "platform:stripe", ":creators",
# ":losses"). A (account, kind, ref) happens once: a settlement or a purchase applied twice is
# refused by the database, not only by the code. `ledger_balances` keeps each user account's sum
# (updated in the same transaction), so a balance is one row, and reconcile checks it against
# the rows.
ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("txn", String(32), nullable=False, index=True),
    Column("account", String(80), nullable=False),
    Column("user_id", String(32), nullable=True, index=True),
    Column("kind", String(16), nullable=False),
    Column("amount", String(80), nullable=False),
    Column("ref", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("account", "kind", "ref", name="uq_ledger_entries_once"),
    Index("ix_ledger_entries_account_id", "account", "id"),
    CheckConstraint(
        "kind IN ('purchase', 'hold', 'settlement', 'release', 'refund', 'dispute', 'reinstate', "
        "'write_off')",
        name="kind",
    ),
)

ledger_balances = Table(
    "ledger_balances",
    metadata,
    Column("account", String(80), primary_key=True),
    Column("balance", String(80), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

DISPUTE_STATUSES = ("open", "won", "lost")

# Disputes of a card payment: `credit` is the disputed share of that purchase's credit, `frozen`
# what of it was still there to hold back (the rest had been spent on playback already).
billing_disputes = Table(
    "billing_disputes",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id"), nullable=False, index=True),
    Column("checkout_id", String(255), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("credit", String(80), nullable=False),
    Column("frozen", String(80), nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("status IN ('open', 'won', 'lost')", name="status"),
)

CREDIT_PLAYBACK_STATUSES = ("opening", "active", "stopping", "settled", "failed")

# Playback paid from card credit: the treasury's payment stream to the creator, attributed to the
# viewer. `deposit` is held in the ledger while it runs; settlement charges `charged` (what the
# chain says streamed, recorded with the transaction that said it) and releases the rest.
credit_playbacks = Table(
    "credit_playbacks",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id"), nullable=False, index=True),
    Column("media_stream_id", String(32), nullable=False),
    Column("deployment", String(66), nullable=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("payment_stream_id", String(78), nullable=True),
    Column("recipient", String(42), nullable=False),
    Column("flow_rate", String(78), nullable=False),
    Column("deposit", String(80), nullable=False),
    Column("status", String(16), nullable=False, server_default="opening"),
    Column("stop_reason", String(32), nullable=True),
    Column("open_tx", String(66), nullable=True),
    Column("settle_tx", String(66), nullable=True),
    Column("charged", String(80), nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("settled_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("deployment", "payment_stream_id", name="uq_credit_playbacks_payment"),
    CheckConstraint("status IN ('opening', 'active', 'stopping', 'settled', 'failed')", name="status"),
    Index("ix_credit_playbacks_status", "status", "updated_at"),
)


# Which video each payment stream paid for, recorded when a playback starts on it (its key grants
# say it too, but not for periods the viewer was granted before under another payment stream):
# what a creator's earnings and a viewer's spending name. No foreign key to the video: a deleted
# video's payment streams still say what they paid for (its title is gone with it).
payment_videos = Table(
    "payment_videos",
    metadata,
    Column("deployment", String(66), nullable=False),
    Column("payment_stream_id", String(78), nullable=False),
    Column("media_stream_id", String(32), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("deployment", "payment_stream_id", "media_stream_id"),
)


# Where each viewer stopped in each stream (the watch page's "resume", on any device): one row a
# viewer and stream, overwritten as they watch. Goes with the viewer and with the stream.
watch_positions = Table(
    "watch_positions",
    metadata,
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("stream_id", String(32), ForeignKey("streams.id", ondelete="CASCADE"), nullable=False),
    Column("seconds", Float, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("user_id", "stream_id"),
    CheckConstraint("seconds >= 0", name="seconds"),
    Index("ix_watch_positions_stream_id", "stream_id"),
)
