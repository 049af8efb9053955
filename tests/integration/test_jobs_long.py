"""Long jobs (tidecast/jobs.py) on SQLite and PostgreSQL, and through the huey queue end to end."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from tests.support.services import build_services
from tidecast.container import JOB_TASK, Services
from tidecast.db.engine import build_engine
from tidecast.db.migrate import upgrade
from tidecast.db.schema import jobs
from tidecast.db.times import as_utc, now_utc
from tidecast.db.tx import transaction
from tidecast.errors import InvalidInput, NotFound, Unavailable
from tidecast.jobs import RunningJob


def job_services(engine: Engine, **settings: str) -> Services:
    settings = {
        "TIDECAST_RETRY_BASE_SECONDS": "0.4",
        "TIDECAST_RETRY_MAX_SECONDS": "0.8",
        "TIDECAST_JOB_MAX_ATTEMPTS": "3",
        **settings,
    }
    return build_services(engine, **settings)


@pytest.fixture
def svc(engine: Engine) -> Services:
    services = job_services(engine)
    services.jobs.kick = None  # tests that want the wake-up set their own
    return services


def row(engine: Engine, job_id: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(jobs).where(jobs.c.id == job_id)).one()


def count_jobs(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(jobs)).scalar_one())


def enqueue(svc: Services, kind: str = "test.job", subject: str | None = "stream-1", **payload: Any) -> str:
    with transaction(svc.engine) as conn:
        return svc.jobs.enqueue(conn, kind, subject, payload)


def wait_for(predicate: Any, timeout: float = 20, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what}: not within {timeout}s"
        time.sleep(0.02)


def test_enqueue_commits_with_the_transaction_and_wakes_a_worker_after(svc: Services, engine: Engine) -> None:
    svc.jobs.handle("test.job", lambda job: None)
    kicks: list[tuple[str, str]] = []

    def kick(job_id: str, pool: str) -> None:
        # Runs after the commit: the row is visible from any other connection by now.
        assert pool == "general"  # a kind handled without a pool named
        kicks.append((job_id, svc.jobs.get(job_id).status))

    svc.jobs.kick = kick
    with pytest.raises(RuntimeError), transaction(engine) as conn:
        svc.jobs.enqueue(conn, "test.job", "stream-1", {"n": 1})
        raise RuntimeError("the change that asked for the job failed")
    assert count_jobs(engine) == 0 and kicks == []

    with transaction(engine) as conn:
        job_id = svc.jobs.enqueue(conn, "test.job", "stream-1", {"n": 2})
        assert kicks == []  # not before the commit
    assert kicks == [(job_id, "queued")]  # once, with this job's id only (not the rolled-back one)
    job = svc.jobs.get(job_id)
    assert (job.kind, job.subject, job.status, job.attempts, job.progress) == (
        "test.job",
        "stream-1",
        "queued",
        0,
        0.0,
    )


def test_an_unknown_kind_is_refused_at_enqueue(svc: Services, engine: Engine) -> None:
    svc.jobs.handle("test.job", lambda job: None)
    for kind in ("test.nobody", "", "x" * 65):
        with pytest.raises(ValueError, match="no handler"), transaction(engine) as conn:
            svc.jobs.enqueue(conn, kind)
    assert count_jobs(engine) == 0


def test_run_runs_the_job_and_records_it_done(svc: Services, engine: Engine) -> None:
    seen: list[tuple[str, str, str | None, dict[str, Any], int]] = []
    svc.jobs.handle(
        "test.job", lambda job: seen.append((job.id, job.kind, job.subject, job.payload, job.attempt))
    )
    job_id = enqueue(svc, n=7)
    assert svc.jobs.run(job_id) is True
    assert seen == [(job_id, "test.job", "stream-1", {"n": 7}, 1)]
    done = row(engine, job_id)
    assert (done.status, done.progress, done.attempts, done.claim, done.lease_until, done.last_error) == (
        "done",
        100.0,
        1,
        None,
        None,
        None,
    )
    assert done.finished_at is not None
    assert svc.jobs.get(job_id).finished_at is not None
    # Done: a later (duplicate) wake-up does nothing.
    assert svc.jobs.run(job_id) is False and len(seen) == 1
    assert svc.jobs.run_due() is None and len(seen) == 1
    with pytest.raises(NotFound):
        svc.jobs.get("nope")


def test_progress_and_eta_are_visible_while_the_job_runs(svc: Services, engine: Engine) -> None:
    steps = [threading.Event() for _ in range(2)]  # the handler reported a step
    goes = [threading.Event() for _ in range(2)]  # the test read it: go on

    def handler(job: RunningJob) -> None:
        job.progress(42.5, eta=90)
        steps[0].set()
        assert goes[0].wait(20)
        job.progress(150)  # clamped to 100; an ETA not given is cleared
        job.progress(-3, eta=-1)  # clamped to 0, the ETA to 0
        steps[1].set()
        assert goes[1].wait(20)

    svc.jobs.handle("test.job", handler)
    job_id = enqueue(svc)
    worker = threading.Thread(target=svc.jobs.run, args=(job_id,))
    worker.start()
    try:
        assert steps[0].wait(10)
        running = svc.jobs.get(job_id)  # read from this thread, while the worker's handler waits
        assert svc.jobs.latest("test.job", "stream-1") == running
        assert (running.status, running.progress, running.eta_seconds) == ("running", 42.5, 90.0)
        # the attempt counts from its start (a worker killed now would still have used it)
        assert running.finished_at is None and running.attempts == 1
        goes[0].set()
        assert steps[1].wait(10)
        later = svc.jobs.get(job_id)
        assert (later.status, later.progress, later.eta_seconds) == ("running", 0.0, 0.0)
    finally:
        for go in goes:
            go.set()
        worker.join(timeout=20)
    done = svc.jobs.get(job_id)
    assert (done.status, done.progress, done.eta_seconds) == ("done", 100.0, None)
    assert svc.jobs.latest("test.job", "other-stream") is None


def test_latest_is_the_newest_job_of_the_subject(svc: Services, engine: Engine) -> None:
    svc.jobs.handle("test.job", lambda job: None)
    older = enqueue(svc)
    newer = enqueue(svc)
    enqueue(svc, subject="stream-2")
    # Same created_at (a coarse clock) must still pick one consistently: make the order explicit.
    with engine.begin() as conn:
        conn.execute(
            update(jobs).where(jobs.c.id == older).values(created_at=now_utc() - timedelta(minutes=5))
        )
    latest = svc.jobs.latest("test.job", "stream-1")
    assert latest is not None and latest.id == newer


def test_invalid_input_fails_at_once(svc: Services, engine: Engine) -> None:
    calls: list[int] = []

    def handler(job: RunningJob) -> None:
        calls.append(job.attempt)
        raise InvalidInput("not a video")

    svc.jobs.handle("test.job", handler)
    job_id = enqueue(svc)
    assert svc.jobs.run(job_id) is True
    failed = svc.jobs.get(job_id)
    assert (failed.status, failed.attempts, failed.last_error) == (
        "failed",
        1,
        "InvalidInput: not a video",
    )
    assert failed.finished_at is not None and failed.next_attempt_at is None
    assert svc.jobs.run(job_id) is False and svc.jobs.run_due() is None and calls == [1]


def test_a_crash_is_retried_with_backoff_then_fails_with_the_last_error(engine: Engine) -> None:
    # Backoffs of a second or two, not the fixture's 0.4 s: on a loaded 2-core machine the
    # checks between a failure and "not due yet" can take longer than 0.2 s (half of 0.4).
    base, cap = 1.0, 2.0
    svc = job_services(
        engine,
        TIDECAST_RETRY_BASE_SECONDS=str(base),
        TIDECAST_RETRY_MAX_SECONDS=str(cap),
    )
    svc.jobs.kick = None
    attempts: list[int] = []

    def handler(job: RunningJob) -> None:
        attempts.append(job.attempt)
        raise RuntimeError(f"transcoder crashed (attempt {job.attempt})")

    svc.jobs.handle("test.job", handler)
    job_id = enqueue(svc)
    waits: list[float] = []
    for attempt in (1, 2):
        ran_at = now_utc()
        assert svc.jobs.run(job_id) is True
        queued = row(engine, job_id)
        assert (queued.status, queued.attempts, queued.claim) == ("queued", attempt, None)
        assert queued.last_error == f"RuntimeError: transcoder crashed (attempt {attempt})"
        # Backoff: half to the whole of base * 2^(attempt-1), capped (1 s, then 2 s here).
        wait = (as_utc(queued.next_attempt_at) - ran_at).total_seconds()
        step = min(base * 2 ** (attempt - 1), cap)
        assert step / 2 - 0.05 <= wait <= step + 0.5, (attempt, wait)
        waits.append(wait)
        # Not due yet: neither a wake-up by id nor a drain runs it again now.
        assert svc.jobs.run(job_id) is False
        remaining = svc.jobs.run_due()
        assert remaining is not None and 0 < remaining <= step + 0.5
        assert attempts == list(range(1, attempt + 1))
        due = as_utc(queued.next_attempt_at)
        wait_for(lambda due=due: now_utc() > due, 5, "the backoff to pass")
    assert svc.jobs.run_due() is None  # the third and last attempt, found by the drain
    assert attempts == [1, 2, 3]
    failed = svc.jobs.get(job_id)
    assert (failed.status, failed.attempts, failed.last_error) == (
        "failed",
        3,
        "RuntimeError: transcoder crashed (attempt 3)",
    )
    assert svc.jobs.list(status="failed")[0].id == job_id


def test_a_drain_does_not_rerun_a_job_that_failed_during_it(svc: Services) -> None:
    calls: list[int] = []

    def handler(job: RunningJob) -> None:
        calls.append(job.attempt)
        raise RuntimeError("down")

    svc.jobs.handle("test.job", handler)
    enqueue(svc)
    wait = svc.jobs.run_due()
    assert calls == [1] and wait is not None and wait > 0


def test_retry_requeues_a_failed_job_only(svc: Services, engine: Engine) -> None:
    outcomes = iter([InvalidInput("bad input"), None])

    def handler(job: RunningJob) -> None:
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome

    svc.jobs.handle("test.job", handler)
    job_id = enqueue(svc)
    with pytest.raises(InvalidInput, match="only a failed job"):
        svc.jobs.retry(job_id)  # queued
    with pytest.raises(NotFound):
        svc.jobs.retry("nope")
    svc.jobs.run(job_id)
    assert svc.jobs.get(job_id).status == "failed"

    kicks: list[str] = []
    svc.jobs.kick = lambda job_id, pool: kicks.append(job_id)
    svc.jobs.retry(job_id)
    assert kicks == [job_id]
    again = svc.jobs.get(job_id)
    assert (again.status, again.attempts, again.progress) == ("queued", 0, 0.0)
    assert svc.jobs.run(job_id) is True
    assert svc.jobs.get(job_id).status == "done"
    with pytest.raises(InvalidInput, match="is done"):
        svc.jobs.retry(job_id)
    assert kicks == [job_id]


def test_an_outside_part_down_is_retried_by_time_not_by_count(engine: Engine) -> None:
    """IPFS or a disk down for longer than three attempts' backoff costs nothing: the job keeps
    its place until its lifetime, and a crash still counts as a strike."""
    svc = job_services(engine, TIDECAST_RETRY_BASE_SECONDS="0.1", TIDECAST_RETRY_MAX_SECONDS="0.2")
    svc.jobs.kick = None
    outcomes: list[Exception | None] = [Unavailable("IPFS node down")] * 6 + [RuntimeError("bug"), None]
    failures: list[str] = []

    def handler(job: RunningJob) -> None:
        outcome = outcomes[job.attempt - 1]
        if outcome is not None:
            raise outcome

    svc.jobs.handle("test.job", handler, on_failure=lambda job, reason: failures.append(reason))
    job_id = enqueue(svc)
    assert row(engine, job_id).give_up_at is not None
    wait_for(lambda: svc.jobs.run_due() is None and svc.jobs.get(job_id).status == "done", 20, "done")
    done = row(engine, job_id)
    assert (done.attempts, done.strikes) == (8, 2) and failures == []


def test_operational_retries_end_at_the_jobs_lifetime_and_say_so(engine: Engine) -> None:
    svc = job_services(
        engine,
        TIDECAST_RETRY_BASE_SECONDS="0.1",
        TIDECAST_RETRY_MAX_SECONDS="0.2",
        TIDECAST_JOB_RETRY_FOR_SECONDS="1.5",
    )
    svc.jobs.kick = None
    failures: list[tuple[str, str]] = []

    def handler(job: RunningJob) -> None:
        raise Unavailable("disk full at /srv/streams")

    svc.jobs.handle("test.job", handler, on_failure=lambda job, reason: failures.append((job.id, reason)))
    job_id = enqueue(svc)
    started = time.monotonic()
    wait_for(lambda: svc.jobs.run_due() is None and svc.jobs.get(job_id).status == "failed", 20, "failed")
    assert time.monotonic() - started >= 1.4
    failed = svc.jobs.get(job_id)
    assert failed.attempts > 3 and failed.last_error.startswith("gave up after")
    assert "disk full at /srv/streams" in failed.last_error
    assert [j for j, _ in failures] == [job_id] and "gave up after" in failures[0][1]


def test_on_failure_runs_when_a_killed_worker_used_the_last_strike(svc: Services, engine: Engine) -> None:
    failures: list[tuple[str, str, Any]] = []
    svc.jobs.handle(
        "test.job",
        lambda job: None,
        on_failure=lambda job, reason: failures.append((job.id, reason, job.payload)),
    )
    job_id = enqueue(svc, step="encoded")
    with transaction(engine) as conn:  # three attempts started, none ended: killed each time
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(attempts=3, strikes=3))
    assert svc.jobs.run(job_id) is True
    assert svc.jobs.get(job_id).status == "failed"
    assert [(j, p) for j, _, p in failures] == [(job_id, {"step": "encoded"})]
    assert failures[0][1].startswith("WorkerLost")


def test_retry_runs_the_kinds_hook_in_its_transaction_and_keeps_the_payload(
    svc: Services, engine: Engine
) -> None:
    allow = [False]
    seen: list[Any] = []

    def on_retry(conn: Any, job: Any) -> None:
        seen.append(job.payload)
        if not allow[0]:
            raise InvalidInput("its upload is gone")

    svc.jobs.handle("test.job", _fails_once(svc), on_retry=on_retry)
    job_id = enqueue(svc, step=1)
    svc.jobs.run(job_id)
    failed = row(engine, job_id)
    assert failed.status == "failed" and failed.payload == {"step": 2}
    with pytest.raises(InvalidInput, match="upload is gone"):
        svc.jobs.retry(job_id)
    assert row(engine, job_id).status == "failed"  # refused: nothing changed
    allow[0] = True
    svc.jobs.retry(job_id)
    again = row(engine, job_id)
    assert (again.status, again.attempts, again.strikes, again.payload) == ("queued", 0, 0, {"step": 2})
    assert as_utc(again.give_up_at) > now_utc() + timedelta(hours=23)
    assert seen == [{"step": 2}, {"step": 2}]


def _fails_once(svc: Services) -> Any:
    def handler(job: RunningJob) -> None:
        job.remember(step=2)
        raise InvalidInput("broken")

    return handler


def test_run_leaves_a_job_held_by_a_live_worker_alone(svc: Services, engine: Engine) -> None:
    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def handler(job: RunningJob) -> None:
        calls.append(threading.current_thread().name)
        started.set()
        assert release.wait(20)

    svc.jobs.handle("test.job", handler)
    job_id = enqueue(svc)
    worker = threading.Thread(target=svc.jobs.run, args=(job_id,), name="holder")
    worker.start()
    try:
        assert started.wait(10)
        assert svc.jobs.run(job_id) is False  # a duplicate wake-up
        wait = svc.jobs.run_due()  # a sweep: nothing due, but the holder's lease will end
        assert wait is not None and wait <= svc.settings.tidecast_lease_seconds
    finally:
        release.set()
        worker.join(timeout=20)
    assert calls == ["holder"] and svc.jobs.get(job_id).status == "done"


def test_a_worker_that_lost_its_lease_cannot_overwrite_the_new_owner(engine: Engine) -> None:
    svc = job_services(engine, TIDECAST_LEASE_SECONDS="1")
    svc.jobs.kick = None
    a_started, lost, taken_over, b_running, release_b = (threading.Event() for _ in range(5))
    errors: list[BaseException] = []

    def handler(job: RunningJob) -> None:
        if threading.current_thread().name == "a":
            a_started.set()  # its attempt is counted on the row by now
            # The stale worker: it notices it lost the job, then (wrongly) still tries to write.
            wait_for(lambda: job.lost, 10, "worker a noticing the takeover")
            lost.set()
            assert taken_over.wait(10)
            job.progress(99.0, eta=1)
            raise InvalidInput("worker a's stale outcome")
        job.progress(30.0, eta=60)  # worker b, the new owner
        b_running.set()
        assert release_b.wait(20)

    def run() -> None:
        try:
            svc.jobs.run(job_id)
        except BaseException as exc:
            errors.append(exc)

    svc.jobs.handle("test.job", handler)
    job_id = enqueue(svc)
    a = threading.Thread(target=run, name="a")
    a.start()
    # Its handler running, not only its claim: the claim sets `running` before the attempt is
    # written, and an abandonment in between would drop a's attempt (the count then 1, not 2).
    assert a_started.wait(10), "worker a did not start the job"
    # Worker a's lease is abandoned (as if its renewals had stopped): its claim gone, expired.
    with engine.begin() as conn:
        conn.execute(
            update(jobs)
            .where(jobs.c.id == job_id)
            .values(claim="abandoned", lease_until=now_utc() - timedelta(seconds=1))
        )
    assert lost.wait(10)
    b = threading.Thread(target=run, name="b")
    b.start()
    try:
        assert b_running.wait(10), "worker b did not take the abandoned job over"
        taken_over.set()
        a.join(timeout=20)
        assert not a.is_alive()
        during = row(engine, job_id)
        # a's progress and its failure were dropped: the row is b's, running, with b's progress.
        assert (during.status, during.progress, during.eta_seconds, during.last_error) == (
            "running",
            30.0,
            60.0,
            None,
        )
        assert during.claim not in (None, "abandoned")
    finally:
        taken_over.set()
        release_b.set()
        b.join(timeout=20)
    assert errors == []
    done = row(engine, job_id)
    # two attempts began (a's and b's), so two are counted
    assert (done.status, done.progress, done.attempts, done.last_error) == ("done", 100.0, 2, None)


def test_a_job_that_kills_its_worker_every_time_fails_after_the_last_attempt(
    svc: Services, engine: Engine
) -> None:
    # Each attempt "dies with its worker": the handler returns without the job finishing, and
    # the row is left running with its lease run out, as after a SIGKILL or an OOM kill.
    calls: list[int] = []

    def handler(job: RunningJob) -> None:
        calls.append(job.attempt)
        raise _WorkerDied

    svc.jobs.handle("test.job", handler)
    job_id = enqueue(svc)
    for attempt in (1, 2, 3):
        with pytest.raises(_WorkerDied):
            svc.jobs.run(job_id)
        died = row(engine, job_id)
        assert (died.status, died.attempts) == ("running", attempt)
        with transaction(engine) as conn:  # the dead worker's lease runs out
            conn.execute(
                update(jobs).where(jobs.c.id == job_id).values(lease_until=now_utc() - timedelta(seconds=1))
            )
    assert svc.jobs.run(job_id) is True  # taken over: no attempts left, so failed, not run
    assert calls == [1, 2, 3]
    failed = svc.jobs.get(job_id)
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert failed.last_error.startswith("WorkerLost: the worker stopped during attempt 3")


class _WorkerDied(BaseException):
    """Escapes the job runner's `except Exception`, as a killed process never reaches it."""


# -- through the queue ------------------------------------------------------------------------


@pytest.fixture
def db_url_postgres(request: pytest.FixtureRequest) -> str:
    from tests.conftest import _fresh_pg_database

    server = request.getfixturevalue("postgres_server")
    return _fresh_pg_database(server, f"jobslong_{abs(hash(request.node.nodeid)) % 10**8}")


@pytest.fixture(params=["sqlite+sqlite-queue", pytest.param("postgres+redis", marks=pytest.mark.postgres)])
def queued(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Services]:
    """Services whose job wake-ups go through huey, with a consumer running in this process."""
    if request.param == "sqlite+sqlite-queue":
        db_url = f"sqlite:///{tmp_path / 'jobs.db'}"
        queue_url = f"sqlite:///{tmp_path / 'queue.db'}"
    else:
        db_url = request.getfixturevalue("db_url_postgres")
        queue_url = request.getfixturevalue("redis_server").url
    engine = build_engine(db_url)
    upgrade(engine)
    svc = build_services(engine, TIDECAST_QUEUE_URL=queue_url)
    if request.param != "sqlite+sqlite-queue":
        svc.queue.huey.flush()  # the session's Redis is shared: start from an empty queue
    yield svc
    engine.dispose()


def test_an_enqueued_job_is_run_by_the_consumer_after_commit(queued: Services) -> None:
    from huey.signals import SIGNAL_COMPLETE, SIGNAL_ERROR, SIGNAL_EXECUTING

    svc = queued
    current = threading.local()  # the huey task a consumer thread is executing
    tasks: list[tuple[str, str, tuple[Any, ...]]] = []

    @svc.queue.huey.signal(SIGNAL_EXECUTING, SIGNAL_COMPLETE, SIGNAL_ERROR)
    def seen(signal: str, task: Any, *args: Any) -> None:
        current.task = (task.name, tuple(task.args)) if signal == SIGNAL_EXECUTING else None
        tasks.append((signal, task.name, tuple(task.args)))

    runs: list[tuple[str, Any]] = []
    svc.jobs.handle("test.job", lambda job: runs.append((job.id, getattr(current, "task", None))))

    def settled() -> bool:
        started = sum(s == SIGNAL_EXECUTING for s, _, _ in tasks)
        ended = sum(s != SIGNAL_EXECUTING for s, _, _ in tasks)
        return started > 0 and started == ended and svc.queue.huey.pending_count() == 0

    consumer = svc.queue.consumer(workers=2, in_process=True)
    consumer.start()
    try:
        # The start-up sweep's drains run (and find nothing) first; and the per-minute sweep is
        # kept out of the way, so that only the job's own wake-up can run it.
        wait_for(settled, 20, "the start-up sweep")
        wait_for(lambda: 3 <= datetime.now().second < 50, 15, "a quiet part of the minute")
        with transaction(svc.engine) as conn:
            job_id = svc.jobs.enqueue(conn, "test.job", "stream-1", {})
            time.sleep(1.5)  # a wake-up sent before the commit would find no row in this time
            assert runs == []
            committing = now_utc()
        wait_for(lambda: svc.jobs.get(job_id).status == "done", 20, "the consumer running the job")
    finally:
        consumer.stop(graceful=True)
    # Run once, by a consumer thread, inside the per-item wake-up that carries its id.
    assert runs == [(job_id, (JOB_TASK, (job_id,)))], (runs, tasks)
    assert (SIGNAL_COMPLETE, JOB_TASK, (job_id,)) in tasks
    assert as_utc(row(svc.engine, job_id).finished_at) > committing


def test_a_job_that_fails_in_its_own_wake_up_runs_again_after_its_backoff(queued: Services) -> None:
    """Not at the next minute's sweep: the retry of a job run by its id is scheduled too."""
    svc = queued
    runs: list[float] = []

    def handler(job: RunningJob) -> None:
        runs.append(time.monotonic())
        if len(runs) == 1:
            raise Unavailable("IPFS node down")

    from huey.signals import SIGNAL_COMPLETE, SIGNAL_ERROR, SIGNAL_EXECUTING

    signals: list[str] = []
    svc.queue.huey.signal(SIGNAL_EXECUTING, SIGNAL_COMPLETE, SIGNAL_ERROR)(
        lambda signal, task, *args: signals.append(signal)
    )

    def settled() -> bool:
        started = signals.count(SIGNAL_EXECUTING)
        return 0 < started == len(signals) - started and svc.queue.huey.pending_count() == 0

    svc.jobs.handle("test.job", handler)
    consumer = svc.queue.consumer(workers=2, in_process=True)
    consumer.start()
    try:
        # Only the job's own wake-up may run it: the start-up sweep is over, the minute's is far.
        wait_for(settled, 20, "the start-up sweep")
        wait_for(lambda: 3 <= datetime.now().second < 40, 30, "a quiet part of the minute")
        with transaction(svc.engine) as conn:
            job_id = svc.jobs.enqueue(conn, "test.job", "stream-1", {})
        wait_for(lambda: svc.jobs.get(job_id).status == "done", 15, "the retry after the backoff")
    finally:
        consumer.stop(graceful=True)
    assert len(runs) == 2 and runs[1] - runs[0] < 5


def test_each_pool_claims_only_its_own_kinds(svc: Services, engine: Engine) -> None:
    from tidecast.jobs import GENERAL, MEDIA

    ran: list[str] = []
    svc.jobs.handle("test.encode", lambda job: ran.append(job.kind), pool=MEDIA)
    svc.jobs.handle("test.mail", lambda job: ran.append(job.kind))
    svc.jobs.handle("test.encode", lambda job: ran.append(job.kind))  # a new handler keeps the pool
    with pytest.raises(ValueError, match="unknown worker pool"):
        svc.jobs.handle("test.other", lambda job: None, pool="gpu")
    woken: list[tuple[str, str]] = []
    svc.jobs.kick = lambda job_id, pool: woken.append((job_id, pool))
    encode, mail = enqueue(svc, "test.encode"), enqueue(svc, "test.mail")
    assert woken == [(encode, MEDIA), (mail, GENERAL)]  # each wake-up goes to its pool's queue

    assert svc.jobs.run(encode, GENERAL) is False  # a general thread woken for it leaves it
    assert svc.jobs.run_due(GENERAL) is None and ran == ["test.mail"]  # the sweep too
    assert svc.jobs.get(encode).status == "queued"
    assert svc.jobs.run_due(MEDIA) is None and ran == ["test.mail", "test.encode"]
