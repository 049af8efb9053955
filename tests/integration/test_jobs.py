"""Jobs on huey, end to end: SQLite storage (embedded) and Redis (a real redis-server).

An event is published in a transaction; a huey consumer (in this process, as `tidecast dev`
runs it) delivers the event, which queues a mail, which the consumer sends to a real SMTP
server. The retry of a failed send is timed by huey's scheduler, not by the test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.support.accounts import add_user
from tests.support.services import build_services
from tests.support.smtp import SmtpServer
from tidecast.container import Services
from tidecast.db.engine import build_engine
from tidecast.db.migrate import upgrade
from tidecast.db.tx import transaction

USER = {"id": "u1", "email": "ann@example.com", "username": "ann"}


def wait_for(predicate, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"not done within {timeout}s"
        time.sleep(0.05)


@pytest.fixture(params=["sqlite+sqlite-queue", pytest.param("postgres+redis", marks=pytest.mark.postgres)])
def queued_services(request, tmp_path) -> Iterator[tuple[Services, SmtpServer]]:
    if request.param == "sqlite+sqlite-queue":
        db_url = f"sqlite:///{tmp_path / 'jobs.db'}"
        queue_url = f"sqlite:///{tmp_path / 'queue.db'}"
    else:
        db_url = request.getfixturevalue("db_url_postgres")
        queue_url = request.getfixturevalue("redis_server").url
    smtp = SmtpServer()
    engine: Engine = build_engine(db_url)
    upgrade(engine)
    svc = build_services(
        engine,
        bind=True,
        **smtp.env(),
        TIDECAST_QUEUE_URL=queue_url,
        TIDECAST_RETRY_BASE_SECONDS="0.5",
        TIDECAST_RETRY_MAX_SECONDS="1",
    )
    if request.param != "sqlite+sqlite-queue":
        svc.queue.huey.flush()  # the session's Redis is shared: start from an empty queue
    consumer = svc.queue.consumer(workers=2, in_process=True)
    consumer.start()
    try:
        yield svc, smtp
    finally:
        consumer.stop(graceful=True)
        smtp.stop()
        engine.dispose()


@pytest.fixture
def db_url_postgres(request, tmp_path) -> str:
    from tests.conftest import _fresh_pg_database

    server = request.getfixturevalue("postgres_server")
    return _fresh_pg_database(server, f"jobs_{abs(hash(request.node.nodeid)) % 10**8}")


def test_event_to_mail_through_the_queue(queued_services) -> None:
    svc, smtp = queued_services
    smtp.start()
    add_user(svc.engine, USER["id"], USER["username"], USER["email"])
    with transaction(svc.engine) as conn:
        svc.events.publish(conn, "user.registered", {"user": USER})
    wait_for(lambda: len(smtp.handler.received) == 1)
    assert smtp.handler.received[0].message["Subject"] == "Welcome to tidecast!"
    wait_for(lambda: svc.outbox.list()[0]["status"] == "sent")
    [event] = svc.events.list()
    assert event["deliveries"][0]["status"] == "done"


def test_retry_is_scheduled_by_the_queue(queued_services) -> None:
    svc, smtp = queued_services  # the relay is not up yet
    svc.email.send_email("bob@example.com", "later", html="<p>later</p>")
    wait_for(lambda: (svc.outbox.list()[0]["lastError"] or "").find("refused") >= 0)
    # (a follow-up may be trying again right now: "sending" is fine, "sent" is not)
    assert svc.outbox.list()[0]["status"] in ("queued", "sending") and smtp.handler.received == []
    smtp.start()
    # No kick from the test: huey's scheduled follow-up (not the per-minute sweep) sends it.
    wait_for(lambda: len(smtp.handler.received) == 1, timeout=30)
    wait_for(lambda: svc.outbox.list()[0]["status"] == "sent")  # recorded just after the server's 250
