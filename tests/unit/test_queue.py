"""Queue' drains on a real huey (SQLite storage): wake-ups, follow-ups, and a drain that fails."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tidecast.queue import DRAIN_ERROR_RETRY_SECONDS, Queue, build_huey


@pytest.fixture
def jobs(tmp_path: Path) -> Queue:
    return Queue(build_huey(f"sqlite:///{tmp_path / 'queue.db'}"))


def seconds_ahead(task) -> float:
    return (task.eta - datetime.now(UTC).replace(tzinfo=None)).total_seconds()  # huey: naive UTC


def test_kick_enqueues_a_drain(jobs: Queue) -> None:
    jobs.register("t.drain", lambda: None)
    jobs.kick("t.drain")
    jobs.kick("t.drain")
    assert [(t.name, t.eta) for t in jobs.huey.pending()] == [("t.drain", None), ("t.drain", None)]


def test_work_waiting_for_later_schedules_one_follow_up(jobs: Queue) -> None:
    jobs.register("t.drain", lambda: 30.0)
    jobs.drain_now("t.drain")
    jobs.drain_now("t.drain")  # a second run wanting the same time adds nothing
    [task] = jobs.huey.pending()  # a consumer moves it to its schedule when it reads it
    assert task.name == "t.drain" and 28 < seconds_ahead(task) <= 30


def test_nothing_waiting_schedules_nothing(jobs: Queue) -> None:
    jobs.register("t.drain", lambda: None)
    jobs.drain_now("t.drain")
    assert jobs.huey.scheduled() == [] and jobs.huey.pending() == []


def test_a_failing_drain_is_tried_again_soon(jobs: Queue) -> None:
    def broken() -> float | None:
        raise RuntimeError("database is locked")

    jobs.register("t.drain", broken)
    with pytest.raises(RuntimeError, match="locked"):
        jobs.drain_now("t.drain")
    [task] = jobs.huey.pending()
    assert DRAIN_ERROR_RETRY_SECONDS - 2 < seconds_ahead(task) <= DRAIN_ERROR_RETRY_SECONDS


def test_sweep_kicks_every_drain(jobs: Queue) -> None:
    jobs.register("t.one", lambda: None)
    jobs.register("t.two", lambda: None)
    jobs.sweep()
    assert sorted(t.name for t in jobs.huey.pending()) == ["t.one", "t.two"]


def test_unsupported_queue_url() -> None:
    with pytest.raises(ValueError, match="unsupported queue URL scheme 'amqp'"):
        build_huey("amqp://127.0.0.1/")


def test_an_outage_is_reported_when_it_starts_once_an_interval_and_when_it_ends(caplog) -> None:
    from tidecast.queue import QueueOutage

    now = [100.0]
    sweeps: list[float] = []
    outage = QueueOutage("redis://q", every=60.0, clock=lambda: now[0])
    outage.on_recovery(lambda: sweeps.append(now[0]))
    caplog.set_level("INFO", logger="tidecast.queue")
    outage.answered()  # nothing to say while it answers
    for _ in range(50):  # a poll a second from every thread: one line
        outage.failed(ConnectionError("Connection refused"))
        now[0] += 0.5
    assert [r.levelname for r in caplog.records] == ["WARNING"] and outage.down
    now[0] = 100.0 + 61
    outage.failed(ConnectionError("Connection refused"))
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING"]
    assert "still does not answer after 61 s (51 failed calls" in caplog.records[-1].getMessage()
    outage.answered()
    outage.answered()
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING", "INFO"]
    assert "answers again after 61.0 s" in caplog.records[-1].getMessage()
    assert sweeps == [161.0] and not outage.down


def test_a_wake_up_the_queue_cannot_take_is_dropped_and_reported_not_raised(caplog) -> None:
    from tests.support.parts import free_port

    closed = Queue(build_huey(f"redis://127.0.0.1:{free_port()}/0"))  # nothing listens there
    closed.register("t.drain", lambda: None)
    caplog.set_level("INFO", logger="tidecast.queue")
    for _ in range(20):
        closed.kick("t.drain")  # a request's after-commit hook: it must not fail or log each
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "does not answer (ConnectionError" in caplog.records[0].getMessage()
