"""Mail end to end against a real SMTP server (aiosmtpd): structure, TLS, AUTH, faults, no loss."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tests.support.services import build_services
from tests.support.smtp import SmtpServer
from tidecast.container import Services
from tidecast.db.schema import mail_outbox
from tidecast.db.tx import transaction

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

USER = {"id": "u1", "email": "ann@example.com", "username": "ann", "verificationToken": "tok-123"}


def mail_services(engine: Engine, server: SmtpServer, **settings: str) -> Services:
    """No job queue in these tests: they run the outbox's drain themselves."""
    settings = {
        **server.env(),
        "TIDECAST_RETRY_BASE_SECONDS": "0.05",
        "TIDECAST_RETRY_MAX_SECONDS": "0.3",
        "SMTP_TIMEOUT": "5",
        **settings,
    }
    return build_services(engine, quiet=("outbox", "events"), bind=True, **settings)


def drain(svc: Services, done: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"not done in {timeout}s: {svc.outbox.counts}"
        wait = svc.outbox.dispatch_due()
        if not done():
            time.sleep(min(wait if wait is not None else 0.05, 0.1))


def statuses(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        return Counter(
            dict(conn.execute(select(mail_outbox.c.status, func.count()).group_by("status")).all())
        )


def test_welcome_mail_structure_text_and_escaping(engine: Engine, smtp: SmtpServer) -> None:
    svc = mail_services(engine, smtp)
    user = {**USER, "username": "<script>alert(1)</script>"}
    row_id = svc.email.send_welcome_email(user)
    assert row_id is not None
    drain(svc, lambda: len(smtp.handler.received) == 1)

    got = smtp.handler.received[0]
    assert got.envelope_to == ["ann@example.com"]
    msg = got.message
    assert msg.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    html = msg.get_body(preferencelist=("html",)).get_content()
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    link = "http://localhost:8888/verify-email?token=tok-123"
    assert f'href="{link}"' in html
    assert link in text and "<p>" not in text and "Verify your email" in text
    assert msg["Date"] and msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@localhost>")
    assert msg["List-Unsubscribe"].startswith("<http://localhost:8888/api/unsubscribe?token=")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with engine.connect() as conn:
        row = conn.execute(select(mail_outbox).where(mail_outbox.c.id == row_id)).one()
    assert row.status == "sent" and row.attempts == 1 and row.message_id == msg["Message-ID"]


def test_transactional_mail_has_no_unsubscribe_and_payment_fields(engine: Engine, smtp) -> None:
    svc = mail_services(engine, smtp)
    svc.email.send_password_reset(USER, "reset-tok")
    svc.email.send_payment_confirmation(
        USER, {"amount": "12.5 TIDE", "date": "2026-11-22", "transactionId": "0xfeed"}
    )
    drain(svc, lambda: len(smtp.handler.received) == 2)
    by_subject = {r.message["Subject"]: r.message for r in smtp.handler.received}
    reset = by_subject["Reset your tidecast password"]
    assert reset["List-Unsubscribe"] is None
    assert "http://localhost:8888/reset-password?token=reset-tok" in reset.get_body(("plain",)).get_content()
    paid = by_subject["Payment Confirmation"].get_body(("plain",)).get_content()
    assert "12.5 TIDE" in paid and "2026-11-22" in paid and "0xfeed" in paid


def test_mail_rolls_back_with_the_change_that_caused_it(engine: Engine, smtp) -> None:
    svc = mail_services(engine, smtp)
    with pytest.raises(RuntimeError), transaction(engine) as conn:
        svc.email.send_welcome_email(USER, conn=conn)
        raise RuntimeError("the registration failed after queueing its mail")
    assert statuses(engine) == Counter()
    assert svc.outbox.dispatch_due() is None and smtp.handler.received == []


def test_one_connection_carries_a_batch(engine: Engine, smtp) -> None:
    svc = mail_services(engine, smtp)
    for i in range(20):
        svc.email.send_email(f"user{i}@example.com", f"note {i}", html=f"<p>note {i}</p>")
    drain(svc, lambda: len(smtp.handler.received) == 20)
    assert smtp.handler.sessions == 1


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
def test_tls_and_auth(engine: Engine, tmp_path: Path, mode: str) -> None:
    server = SmtpServer(tls=mode, users={"mailer": "s3cret"}, certs_dir=tmp_path).start()
    try:
        svc = mail_services(engine, server, SMTP_USER="mailer", SMTP_PASSWORD="s3cret")
        svc.email.send_email("bob@example.com", "over TLS", html="<p>hi</p>")
        drain(svc, lambda: len(server.handler.received) == 1)
        got = server.handler.received[0]
        assert got.tls and got.login == "mailer"
    finally:
        server.stop()


def test_wrong_password_or_untrusted_certificate_is_kept_and_reported(engine, tmp_path) -> None:
    server = SmtpServer(tls="starttls", users={"mailer": "s3cret"}, certs_dir=tmp_path).start()
    try:
        svc = mail_services(engine, server, SMTP_USER="mailer", SMTP_PASSWORD="wrong")
        svc.email.send_email("bob@example.com", "hello", html="<p>hi</p>")
        svc.outbox.dispatch_due()
        [row] = svc.outbox.list()
        assert row["status"] == "queued" and "535" in row["lastError"]

        svc = mail_services(engine, server, SMTP_USER="mailer", SMTP_PASSWORD="s3cret", SMTP_CA_FILE="")
        time.sleep(0.4)
        svc.outbox.dispatch_due()
        [row] = svc.outbox.list()
        assert row["status"] == "queued" and "CERTIFICATE_VERIFY_FAILED" in row["lastError"]
        assert server.handler.received == []
    finally:
        server.stop()


def test_a_550_fails_that_mail_and_the_batch_goes_on(engine: Engine, smtp) -> None:
    svc = mail_services(engine, smtp)
    smtp.handler.faults.rejected["nobody@example.com"] = "550 5.1.1 <nobody@example.com>: no such user"
    for name in ["a", "b", "nobody", "c"]:
        svc.email.send_email(f"{name}@example.com", f"to {name}", html="<p>x</p>")
    svc.outbox.dispatch_due()
    assert statuses(engine) == Counter({"sent": 3, "failed": 1})
    [failed] = svc.outbox.list(status="failed")
    assert failed["to"] == ["nobody@example.com"] and "550 5.1.1" in failed["lastError"]
    assert failed["attempts"] == 1
    assert sorted(r.envelope_to[0] for r in smtp.handler.received) == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
    ]
    # An operator fixes the address's problem and retries it.
    del smtp.handler.faults.rejected["nobody@example.com"]
    svc.outbox.retry(failed["id"])
    drain(svc, lambda: len(smtp.handler.received) == 4)
    assert statuses(engine) == Counter({"sent": 4})


@pytest.mark.slow  # 200 mails through a faulty relay
def test_421_during_a_batch_of_200_delivers_each_exactly_once(engine: Engine, smtp) -> None:
    svc = mail_services(engine, smtp)
    for i in range(200):
        svc.email.send_email(f"user{i}@example.com", f"mail {i}", html=f"<p>{i}</p>")

    def trouble(count: int) -> None:
        if count == 50:  # the relay starts refusing new mail for a while
            smtp.handler.faults.mail_reply = "421 4.3.2 service busy, try again later"

    smtp.handler.after_data = trouble
    svc.outbox.dispatch_due()
    assert len(smtp.handler.received) == 50
    assert statuses(engine)["queued"] == 150
    queued = svc.outbox.list(status="queued", limit=200)
    # The mail that met the 421 spent an attempt; the rest of its batch was deferred with it,
    # and no further batch was tried against the unavailable relay.
    assert sorted(m["attempts"] for m in queued) == [0] * 149 + [1]
    assert sum(1 for m in queued if m["lastError"] and "421 4.3.2" in m["lastError"]) == 50
    assert smtp.handler.sessions == 1

    smtp.handler.faults.mail_reply = None
    drain(svc, lambda: len(smtp.handler.received) >= 200)
    ids = smtp.handler.message_ids()
    assert len(ids) == 200 and len(set(ids)) == 200
    assert statuses(engine) == Counter({"sent": 200})


@pytest.mark.slow  # an outage that must last
def test_relay_down_for_a_while_then_back(engine: Engine, smtp) -> None:
    svc = mail_services(engine, smtp)
    for i in range(200):
        svc.email.send_email(f"user{i}@example.com", f"mail {i}", html=f"<p>{i}</p>")
    smtp.handler.after_data = lambda count: smtp.stop_soon() if count == 80 else None
    while not smtp.handler.received or smtp._controller is not None:
        svc.outbox.dispatch_due()  # the relay goes away mid-batch
    received_while_up = len(smtp.handler.received)
    assert 80 <= received_while_up < 200
    queued = svc.outbox.list(status="queued", limit=200)
    assert len(queued) == 200 - received_while_up
    assert any(m["lastError"] and "SMTPServerDisconnected" in m["lastError"] for m in queued)
    svc.outbox.dispatch_due()  # still down: nothing is lost, nothing sent
    assert len(smtp.handler.received) == received_while_up
    queued = svc.outbox.list(status="queued", limit=200)
    assert any(m["lastError"] and "Connection refused" in m["lastError"] for m in queued)

    smtp.handler.after_data = None
    smtp.start()  # back, same port
    drain(svc, lambda: len(smtp.handler.received) >= 200)
    ids = smtp.handler.message_ids()
    assert len(ids) == 200 and len(set(ids)) == 200
    assert statuses(engine) == Counter({"sent": 200})


def test_transient_failures_give_up_only_after_the_retry_lifetime(engine: Engine, smtp) -> None:
    svc = mail_services(engine, smtp, TIDECAST_MAIL_RETRY_FOR_SECONDS="1.5")
    smtp.handler.faults.mail_reply = "451 4.7.1 greylisted"
    started = time.monotonic()
    svc.email.send_email("grey@example.com", "greylisted", html="<p>x</p>")
    drain(svc, lambda: statuses(engine)["failed"] == 1, timeout=20)
    assert time.monotonic() - started >= 1.5  # never before the lifetime is up
    [row] = svc.outbox.list()
    assert row["attempts"] >= 3 and row["lastError"].startswith(
        f"gave up after {row['attempts']} attempts over"
    )
    assert row["lastError"].endswith("last: 451 4.7.1 greylisted") and row["giveUpAt"] is None


def test_mail_outlives_a_relay_outage_and_shows_what_is_deferred(engine: Engine, smtp) -> None:
    """Far more transient failures than the old 12-attempt limit, then the relay comes back:
    the mail goes out. Meanwhile the outbox shows it as deferred, with its next attempt."""
    svc = mail_services(engine, smtp, TIDECAST_RETRY_BASE_SECONDS="0.01", TIDECAST_RETRY_MAX_SECONDS="0.02")
    smtp.handler.faults.mail_reply = "421 4.3.2 service not available"
    svc.email.send_email("ann@example.com", "patience", html="<p>x</p>")
    drain(svc, lambda: svc.outbox.list()[0]["attempts"] >= 20, timeout=30)
    [deferred] = svc.outbox.list(status="deferred")
    assert deferred["status"] == "queued" and deferred["deferred"] is True
    assert deferred["nextAttemptAt"] and deferred["giveUpAt"] > deferred["createdAt"]
    assert deferred["lastError"].startswith("421") and svc.outbox.list(status="failed") == []
    smtp.handler.faults.mail_reply = None
    drain(svc, lambda: statuses(engine) == Counter({"sent": 1}))
    assert svc.outbox.list(status="deferred") == [] and len(smtp.handler.received) == 1


def test_a_permanent_failure_fails_at_once(engine: Engine, smtp) -> None:
    svc = mail_services(engine, smtp)
    smtp.handler.faults.mail_reply = "550 5.1.1 no such user"
    svc.email.send_email("gone@example.com", "bounce", html="<p>x</p>")
    drain(svc, lambda: statuses(engine)["failed"] == 1, timeout=20)
    [row] = svc.outbox.list()
    assert row["attempts"] == 1 and row["lastError"] == "550 5.1.1 no such user"


def test_suppressed_address_gets_transactional_mail_only(engine: Engine, smtp) -> None:
    svc = mail_services(engine, smtp)
    assert svc.outbox.suppress("Ann@Example.com") is True
    assert svc.outbox.suppress("ann@example.com") is False
    assert svc.email.send_welcome_email(USER) is None  # non-essential: skipped
    assert svc.email.send_password_reset(USER, "t") is not None  # essential: sent
    drain(svc, lambda: len(smtp.handler.received) == 1)
    assert smtp.handler.received[0].message["Subject"] == "Reset your tidecast password"


def test_a_lease_shorter_than_the_smtp_timeouts_still_sends(engine: Engine, smtp) -> None:
    svc = mail_services(engine, smtp, TIDECAST_LEASE_SECONDS="1", SMTP_TIMEOUT="5")
    for i in range(5):
        svc.email.send_email(f"user{i}@example.com", f"mail {i}", html="<p>x</p>")
    svc.outbox.dispatch_due()
    assert statuses(engine) == Counter({"sent": 5})


def test_concurrent_drains_longer_than_a_lease_send_each_mail_once(engine: Engine, smtp) -> None:
    """A drain that has run longer than a lease, and a second one starting then: a lease runs from
    the moment its rows are claimed, so the second never takes over rows the first is sending."""
    svc = mail_services(engine, smtp, TIDECAST_LEASE_SECONDS="1", SMTP_TIMEOUT="1")
    for i in range(150):
        svc.email.send_email(f"user{i}@example.com", f"mail {i}", html="<p>x</p>")
    smtp.handler.faults.data_delay = 0.02  # ~3 s of sending in all: longer than the lease
    workers = [threading.Thread(target=svc.outbox.dispatch_due, kwargs={"batch_size": 10}) for _ in range(2)]
    workers[0].start()
    time.sleep(1.5)  # the second drain starts when the first has run longer than a lease
    workers[1].start()
    for w in workers:
        w.join(timeout=60)
    drain(svc, lambda: statuses(engine) == Counter({"sent": 150}))
    ids = smtp.handler.message_ids()
    assert len(ids) == 150 and len(set(ids)) == 150
