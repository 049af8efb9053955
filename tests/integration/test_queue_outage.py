"""A Redis outage, with a real redis-server killed and started again on the same port: the
workers say so once (not once per poll), and a mail queued while Redis was down goes out
seconds after it answers again (not at the next minute's sweep)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.redis import RedisServer, find_redis
from tests.support.services import build_services
from tests.support.smtp import SmtpServer
from tidecast.container import Services, build_workers
from tidecast.db.engine import build_engine
from tidecast.db.migrate import upgrade

pytestmark = pytest.mark.slow  # a Redis outage that must last

#: How long Redis stays down.
OUTAGE_SECONDS = 5.0
#: How soon after Redis answers again the mail queued meanwhile must be delivered.
PROMPT = 5.0


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    binary = find_redis()
    if binary is None:
        pytest.skip("redis-server not found; `make system-deps` installs it")
    server = RedisServer(binary, tmp_path / "redis").start()  # this test's own: it is killed
    yield server
    server.stop()


@pytest.fixture
def svc(redis: RedisServer, tmp_path: Path) -> Iterator[tuple[Services, SmtpServer]]:
    smtp = SmtpServer().start()
    engine = build_engine(f"sqlite:///{tmp_path / 'outage.db'}")
    upgrade(engine)
    yield build_services(engine, **smtp.env(), TIDECAST_QUEUE_URL=redis.url), smtp
    smtp.stop()
    engine.dispose()


def test_a_redis_outage_is_reported_once_and_work_resumes_when_it_answers(
    svc, redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    services, smtp = svc
    caplog.set_level(logging.INFO)
    workers = build_workers(services, general=2, media=1)
    workers.start()
    try:
        time.sleep(1.5)  # the start-up sweeps run (and find nothing)
        caplog.clear()
        assert redis.proc is not None
        redis.proc.kill()  # a crash, not a clean shutdown
        redis.proc.wait(timeout=10)
        went_down = time.monotonic()
        time.sleep(1.0)
        # Committed while the queue is down: its wake-up is lost, the row is the record.
        services.email.send_email("ann@example.com", "during the outage", html="<p>hello</p>")
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - went_down)))
        redis.start()  # the same port: the workers' connections find it again
        back = time.monotonic()
        deadline = back + 90  # long enough to see the old behaviour (the minute's sweep)
        while not smtp.handler.received and time.monotonic() < deadline:
            time.sleep(0.05)
        delay = time.monotonic() - back
        time.sleep(0.5)
    finally:
        workers.stop(graceful=True)

    records = [r for r in caplog.records if r.name.startswith(("huey", "tidecast"))]
    errors = [r for r in records if r.levelno >= logging.ERROR]
    warnings = [r for r in records if r.levelno == logging.WARNING]
    recovered = [r for r in records if r.levelno == logging.INFO and "answers again" in r.getMessage()]
    print(
        f"\nRedis down {OUTAGE_SECONDS:.0f} s: {len(errors)} ERROR and {len(warnings)} WARNING lines; "
        f"the mail queued meanwhile delivered {delay:.2f} s after Redis answered again"
    )
    assert smtp.handler.received, "the mail queued during the outage was never delivered"
    assert smtp.handler.received[0].message["Subject"] == "during the outage"
    assert errors == [], [r.getMessage() for r in errors][:5]
    # One process, one outage shorter than the report interval: said once when it started.
    assert len(warnings) == 1 and "does not answer" in warnings[0].getMessage(), [
        r.getMessage() for r in warnings
    ][:5]
    assert len(recovered) == 1, [r.getMessage() for r in records][-10:]
    assert delay < PROMPT, delay
