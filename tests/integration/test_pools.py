"""Worker pools: transcodes hold the media pool's thread for as long as they take, while a
password-reset mail (an event, then a mail, on the general pool) goes out within seconds, on
the SQLite queue and on Redis (a real redis-server).

The "transcode" here is a real ffmpeg reading its input at its native rate (`-re`): slow by
design and light on the CPU this machine shares, and stopped by the test when it is done.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.accounts import add_user
from tests.support.services import build_services
from tests.support.smtp import SmtpServer
from tidecast.container import Services, build_workers
from tidecast.db.engine import build_engine
from tidecast.db.migrate import upgrade
from tidecast.db.tx import transaction
from tidecast.jobs import GENERAL, MEDIA, RunningJob
from tidecast.media.ffmpeg import ffmpeg_path
from tidecast.media.uploads import TRANSCODE

#: Seconds each slow job runs for unless the test stops it first.
SLOW_SECONDS = 20
#: How soon the mail must arrive while the transcodes run.
PROMPT = 3.0


def wait_for(predicate, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, f"{what}: not within {timeout}s"
        time.sleep(0.02)
    return time.monotonic() - started


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def pooled(request, tmp_path: Path) -> Iterator[tuple[Services, SmtpServer]]:
    if request.param == "sqlite-queue":
        queue_url = f"sqlite:///{tmp_path / 'queue.db'}"
    else:
        queue_url = request.getfixturevalue("redis_server").url
    smtp = SmtpServer().start()
    engine = build_engine(f"sqlite:///{tmp_path / 'pools.db'}")
    upgrade(engine)
    svc = build_services(engine, **smtp.env(), TIDECAST_QUEUE_URL=queue_url, TIDECAST_BCRYPT_ROUNDS=4)
    if request.param == "redis-queue":
        svc.queue.huey.flush()  # the session's Redis is shared: start from empty queues
        svc.media_queue.huey.flush()
    yield svc, smtp
    smtp.stop()
    engine.dispose()


def test_a_password_reset_is_mailed_in_seconds_while_transcodes_run(pooled) -> None:
    svc, smtp = pooled
    stop = threading.Event()
    running: list[str] = []
    finished: list[str] = []

    def slow_transcode(job: RunningJob) -> None:
        """A real ffmpeg that takes SLOW_SECONDS (reading at the input's rate), or until stopped."""
        running.append(job.id)
        args = [ffmpeg_path(None), "-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i"]
        args += [f"testsrc2=size=160x120:rate=10:duration={SLOW_SECONDS}", "-f", "null", "-"]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while proc.poll() is None and not stop.wait(0.1):
                pass
        finally:
            proc.kill()
            proc.wait(timeout=10)
            finished.append(job.id)

    svc.jobs.handle(TRANSCODE, slow_transcode)  # keeps the kind's pool: media
    assert svc.jobs.pool_of(TRANSCODE) == MEDIA and svc.jobs.pool_of("user.anything") == GENERAL
    add_user(svc.engine, "u1", "ann", "ann@example.com")
    workers = build_workers(svc, general=2, media=1)
    workers.start()
    try:
        time.sleep(1.5)  # the start-up sweeps run (and find nothing)
        with transaction(svc.engine) as conn:  # two uploads complete: two transcodes queued
            for n in range(2):
                svc.jobs.enqueue(conn, TRANSCODE, f"stream-{n}", {"upload": f"upload-{n}"})
        wait_for(lambda: len(running) >= 1, 15, "a transcode starting")
        time.sleep(1.0)  # every thread that would take a transcode has taken one by now

        asked = time.monotonic()
        svc.accounts.request_password_reset("ann@example.com")
        waited = wait_for(lambda: len(smtp.handler.received) == 1, 30, "the reset mail")
        busy = not finished  # the transcodes were still running when the mail went out
        print(f"\nreset mail delivered {waited:.2f} s after it was asked for, transcodes running: {busy}")
        assert smtp.handler.received[0].message["Subject"].lower().startswith("reset")
        assert busy and waited < PROMPT, (waited, running, finished)
        assert time.monotonic() - asked < SLOW_SECONDS / 2
        # One media thread: the second transcode waits for the first rather than taking a
        # general thread (the jobs sweep of the general pool never claims a media kind).
        assert len(running) == 1, running
        for job in svc.jobs.list(status="running"):
            assert job.kind == TRANSCODE
    finally:
        stop.set()
        workers.stop(graceful=True)
