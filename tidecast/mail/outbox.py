"""The mail outbox: mail is written in the caller's transaction and delivered by workers.

Nothing lost: a mail row exists exactly when the change that caused it committed. Workers claim
due rows under a lease (tidecast/db/claims.py), send a batch over one SMTP connection, and record
each outcome as soon as the server answers:
- accepted (2xx): `sent`, never sent again;
- transient (4xx reply, refused or dropped connection, timeout): back to `queued` (shown as
  deferred, with the time of the next attempt) with an exponential, jittered, capped delay, for
  as long as `retry_for_seconds` after the mail was queued (five days by default, as mail
  servers do); only then `failed`, so a relay outage of hours loses nothing;
- permanent (5xx reply): `failed` at once with the server's reply; the batch goes on.

Delivery is at-least-once. The one window for a duplicate is a worker dying after the server
accepted a mail and before the row says so; the retry then sends the same bytes with the same
Message-ID, which receivers can use to fold it.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, insert, select, update

from tidecast.db.claims import FAILED, Heartbeat, WorkPolicy, WorkTable
from tidecast.db.schema import mail_outbox, mail_suppressions
from tidecast.db.times import as_utc, iso
from tidecast.db.tx import after_commit, transaction
from tidecast.errors import InvalidInput, NotFound
from tidecast.mail import smtp as smtp_session
from tidecast.mail.smtp import SmtpTransport
from tidecast.retry import is_transient

if TYPE_CHECKING:
    import smtplib

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMail:
    """A rendered message and its envelope."""

    message_id: str
    sender: str
    recipients: list[str]
    subject: str
    template: str | None
    essential: bool
    raw: bytes


@dataclass
class DispatchCounts:
    sent: int = 0
    retried: int = 0
    failed: int = 0


class MailOutbox:
    def __init__(
        self,
        engine: Engine,
        transport: SmtpTransport,
        *,
        kick: Callable[[], None] | None = None,
        policy: WorkPolicy | None = None,
        retry_for_seconds: float = 5 * 24 * 3600.0,
    ) -> None:
        self.engine = engine
        self.transport = transport
        self.kick = kick
        self.policy = policy or WorkPolicy()
        self.retry_for = timedelta(seconds=retry_for_seconds)
        self.clock = self.policy.clock
        self.work = WorkTable(engine, mail_outbox, "queued", "sending", self.policy)
        self.counts = DispatchCounts()

    # -- writing ------------------------------------------------------------------------------

    def has(self, conn: Connection, idempotency_key: str) -> bool:
        """Whether a mail was queued under `idempotency_key` (by a run that committed)."""
        seen = conn.execute(select(mail_outbox.c.id).where(mail_outbox.c.idempotency_key == idempotency_key))
        return seen.first() is not None

    def add(self, conn: Connection, mail: OutgoingMail, *, idempotency_key: str | None = None) -> str | None:
        """Queue `mail` in the transaction on `conn`; returns its outbox id.

        Returns None, writing nothing, when `idempotency_key` was used before (a redelivered
        event) or when a non-essential mail goes to an address that unsubscribed.
        """
        if idempotency_key is not None and self.has(conn, idempotency_key):
            return None
        if not mail.essential:
            suppressed = conn.execute(
                select(mail_suppressions.c.address).where(
                    mail_suppressions.c.address.in_([r.lower() for r in mail.recipients])
                )
            ).first()
            if suppressed is not None:
                log.info("not sending %r to %s: unsubscribed", mail.subject, suppressed.address)
                return None
        now = self.clock()
        row_id = secrets.token_hex(12)
        conn.execute(
            insert(mail_outbox).values(
                id=row_id,
                message_id=mail.message_id,
                idempotency_key=idempotency_key,
                sender=mail.sender,
                recipients=mail.recipients,
                subject=mail.subject,
                template=mail.template,
                essential=mail.essential,
                raw=mail.raw.decode("utf-8"),
                next_attempt_at=now,
                created_at=now,
                give_up_at=now + self.retry_for,
            )
        )
        if self.kick is not None:
            after_commit(conn, self.kick)
        return row_id

    def suppress(self, address: str, *, reason: str = "unsubscribe") -> bool:
        """Stop non-essential mail to `address`; False when it was already suppressed."""
        address = address.strip().lower()
        with transaction(self.engine) as conn:
            if conn.execute(
                select(mail_suppressions.c.address).where(mail_suppressions.c.address == address)
            ).first():
                return False
            conn.execute(
                insert(mail_suppressions).values(address=address, reason=reason, created_at=self.clock())
            )
        return True

    # -- delivering ---------------------------------------------------------------------------

    def dispatch_due(self, *, batch_size: int = 50) -> float | None:
        """Send every mail due now; returns seconds until the next one falls due (None: none).

        Only mail due when the call starts is taken: a mail deferred during the call waits for
        its own time instead of being retried again at once.
        """
        started = self.clock()
        relay = _Relay(self.transport)
        try:
            while True:
                token, rows = self.work.claim(
                    due_by=started,
                    limit=batch_size,
                    read=lambda token: (
                        select(mail_outbox)
                        .where(mail_outbox.c.claim == token)
                        .order_by(mail_outbox.c.created_at)
                    ),
                )
                if not rows:
                    break
                with self.work.heartbeat(token, as_utc(rows[0].lease_until)) as lease:
                    relay_wait = self._send_batch(rows, token, relay, lease)
                if relay_wait is not None:
                    return relay_wait  # the relay is unavailable: leave the rest for then
        finally:
            relay.drop()
        return self.work.seconds_to_next()

    def _send_batch(self, rows: Sequence[Any], token: str, relay: _Relay, lease: Heartbeat) -> float | None:
        """Send claimed rows over the relay's session; returns a delay if the relay is unavailable."""
        # The heartbeat keeps the lease ahead of us while we send. Should renewals fail (the
        # database unreachable), stop starting new sends before the lease we know we hold runs
        # out, so no other worker takes over a batch this one is still sending. The margin is
        # two SMTP timeouts, or half the lease when the lease is shorter than that.
        margin = min(2 * self.transport.timeout, self.policy.lease_seconds / 2)
        for index, row in enumerate(rows):
            if lease.seconds_left() < margin:
                self._release(rows[index:], token)
                return None
            try:
                refused = relay.session().sendmail(row.sender, row.recipients, row.raw.encode("utf-8"))
            except Exception as exc:  # noqa: BLE001 - recorded per mail, retried or failed
                wait = self._record_failure(row, token, exc, connection=not relay.connected)
                if not relay.connected or _relay_unavailable(exc):
                    # The relay is down or closing on us: the rest would fail the same way. They
                    # wait as long as this mail does, their attempts unspent.
                    relay.drop()
                    self._defer(rows[index + 1 :], token, wait, _describe(exc))
                    return wait
                continue
            partial = _describe_refused(refused)
            self._mark(
                row,
                token,
                status="sent",
                attempts=row.attempts + 1,
                sent_at=self.clock(),
                last_error=f"some recipients refused: {partial}" if partial else None,
            )
            self.counts.sent += 1
        return None

    def _defer(self, rows: Sequence[Any], token: str, wait: float, reason: str) -> None:
        if not rows:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(mail_outbox)
                .where(mail_outbox.c.id.in_([r.id for r in rows]) & (mail_outbox.c.claim == token))
                .values(
                    status="queued",
                    claim=None,
                    lease_until=None,
                    next_attempt_at=self.clock() + timedelta(seconds=wait),
                    last_error=f"deferred, relay unavailable: {reason}",
                )
            )
        self.counts.retried += len(rows)

    def _record_failure(self, row: Any, token: str, exc: BaseException, *, connection: bool = False) -> float:
        """Retry or fail `row`; returns the retry delay (also used for the mails deferred with it)."""
        attempts = row.attempts + 1
        wait = self.policy.retry_delay(attempts)
        reply = _describe(exc)
        if connection or is_transient(exc):
            now = self.clock()
            age = now - as_utc(row.created_at)
            give_up = as_utc(row.give_up_at) if row.give_up_at else as_utc(row.created_at) + self.retry_for
            if now < give_up:
                self._mark(
                    row,
                    token,
                    status="queued",
                    attempts=attempts,
                    last_error=reply,
                    next_attempt_at=self.clock() + timedelta(seconds=wait),
                )
                self.counts.retried += 1
                log.warning(
                    "mail %s: transient failure (attempt %d), retry in %.1fs: %s",
                    row.message_id,
                    attempts,
                    wait,
                    reply,
                )
                return wait
            reply = f"gave up after {attempts} attempts over {_span(age)}; last: {reply}"
        self._mark(row, token, status="failed", attempts=attempts, last_error=reply)
        self.counts.failed += 1
        log.error("mail %s to %s failed: %s", row.message_id, ", ".join(row.recipients), reply)
        return wait

    def _mark(self, row: Any, token: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            marked = conn.execute(
                update(mail_outbox)
                .where((mail_outbox.c.id == row.id) & (mail_outbox.c.claim == token))
                .values(claim=None, lease_until=None, **values)
            )
        if marked.rowcount != 1:
            # Another worker took the row over after this one's lease ran out: both may send it.
            log.warning(
                "mail %s: lease lost before its outcome (%s) was recorded", row.message_id, values["status"]
            )

    def _release(self, rows: Sequence[Any], token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(mail_outbox)
                .where(mail_outbox.c.id.in_([r.id for r in rows]) & (mail_outbox.c.claim == token))
                .values(status="queued", claim=None, lease_until=None, next_attempt_at=self.clock())
            )

    # -- operating ----------------------------------------------------------------------------

    def list(self, *, status: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Newest first. `status` is a stored status, or `deferred`: queued after a transient
        failure, waiting for its next attempt (`nextAttemptAt`) until it gives up (`giveUpAt`)."""
        query = select(mail_outbox).order_by(mail_outbox.c.created_at.desc(), mail_outbox.c.id.desc())
        if status == "deferred":
            query = query.where((mail_outbox.c.status == "queued") & (mail_outbox.c.last_error.is_not(None)))
        elif status is not None:
            query = query.where(mail_outbox.c.status == status)
        with self.engine.connect() as conn:
            rows = conn.execute(query.limit(limit)).all()
        return [
            {
                "id": r.id,
                "messageId": r.message_id,
                "to": r.recipients,
                "subject": r.subject,
                "template": r.template,
                "status": r.status,
                "deferred": r.status == "queued" and r.last_error is not None,
                "attempts": r.attempts,
                "lastError": r.last_error,
                "createdAt": iso(r.created_at),
                "sentAt": iso(r.sent_at) if r.sent_at else None,
                "nextAttemptAt": iso(r.next_attempt_at) if r.status == "queued" else None,
                "giveUpAt": iso(r.give_up_at or as_utc(r.created_at) + self.retry_for)
                if r.status in ("queued", "sending")
                else None,
            }
            for r in rows
        ]

    def retry(self, row_id: str) -> None:
        """Queue a failed mail again now (after the relay or the address was fixed); only if it
        is still failed when the retry writes (tidecast/db/claims.py, `requeue_failed`)."""
        with transaction(self.engine) as conn:
            now = self.clock()
            status = self.work.requeue_failed(
                conn,
                row_id,
                attempts=0,
                last_error=None,
                next_attempt_at=now,
                give_up_at=now + self.retry_for,
            )
            if status is None:
                raise NotFound(f"no mail {row_id!r} in the outbox")
            if status != FAILED:
                raise InvalidInput(f"mail {row_id} is {status}; only failed mail can be retried")
            if self.kick is not None:
                after_commit(conn, self.kick)


class _Relay:
    """The SMTP session of one dispatch run, opened when first needed and kept across batches."""

    def __init__(self, transport: SmtpTransport) -> None:
        self.transport = transport
        self._session: smtplib.SMTP | None = None

    @property
    def connected(self) -> bool:
        return self._session is not None

    def session(self) -> smtplib.SMTP:
        if self._session is None:
            self._session = self.transport.open()
        return self._session

    def drop(self) -> None:
        if self._session is not None:
            smtp_session.close(self._session)
            self._session = None


def _span(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} hours"


def _relay_unavailable(exc: BaseException) -> bool:
    """421 ("closing channel"), a dropped connection or a timeout: not about this mail."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421
    if isinstance(exc, smtplib.SMTPException):  # (an OSError too, since Python 3.4)
        return isinstance(exc, smtplib.SMTPServerDisconnected)
    return isinstance(exc, OSError)


def _describe(exc: BaseException) -> str:
    """The server's own words where there are some (`550 5.1.1 no such user`)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _describe_refused(exc.recipients) or "all recipients refused"
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error
        return f"{exc.smtp_code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
    return f"{type(exc).__name__}: {exc}"[:2000]


def _describe_refused(refused: dict[str, tuple[int, bytes]]) -> str | None:
    if not refused:
        return None
    return "; ".join(
        f"{rcpt}: {code} {msg.decode(errors='replace')}" for rcpt, (code, msg) in refused.items()
    )
