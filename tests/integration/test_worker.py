"""`tidecast worker` as a process, killed mid-batch; and the events/mail commands an operator uses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.smtp import SmtpServer
from tidecast.cli import app
from tidecast.config import load_settings
from tidecast.container import Services, create_services, set_services
from tidecast.db.migrate import upgrade
from tidecast.db.tx import transaction

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def local_services(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Services:
    """The container a worker started in this directory would build, for the test's own use."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    svc = create_services(load_settings(env_file=None))
    upgrade(svc.engine)
    set_services(svc)
    return svc


def start_worker(cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tidecast", "worker", "--workers", "2"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(proc: subprocess.Popen[str]) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.stdout.read() if proc.stdout else ""


def test_worker_killed_mid_batch_loses_nothing(isolated: Path, smtp: SmtpServer, monkeypatch) -> None:
    svc = local_services(
        monkeypatch,
        {
            **smtp.env(),
            "TIDECAST_LEASE_SECONDS": "3",  # the killed worker's claim expires quickly
            "SMTP_TIMEOUT": "1",
            "TIDECAST_RETRY_BASE_SECONDS": "0.1",
        },
    )
    svc.outbox.kick = None  # queued before any worker runs: the worker's start-up sweep finds them
    with transaction(svc.engine) as conn:
        for i in range(200):
            svc.email.send_email(f"user{i}@example.com", f"mail {i}", html=f"<p>{i}</p>", conn=conn)
    smtp.handler.faults.data_delay = 0.005  # a relay slow enough for the kill to land mid-batch

    first = start_worker(isolated)
    smtp.handler.after_data = lambda count: os.kill(first.pid, signal.SIGKILL) if count == 60 else None
    try:
        first.wait(timeout=60)
    finally:
        output = stop(first)
    assert first.returncode == -signal.SIGKILL, output
    smtp.handler.after_data = None
    at_kill = len(smtp.handler.received)
    assert 60 <= at_kill < 200
    stuck = Counter(m["status"] for m in svc.outbox.list(limit=200))
    assert stuck["sending"] > 0  # the dead worker's claimed batch, waiting for its lease to expire

    second = start_worker(isolated)
    try:
        deadline = time.monotonic() + 60
        while Counter(m["status"] for m in svc.outbox.list(limit=200))["sent"] < 200:
            if second.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        time.sleep(0.5)  # anything sent twice would arrive now
    finally:
        output = stop(second)
    ids = smtp.handler.message_ids()
    assert len(set(ids)) == 200, ("every mail arrived", output[-6000:])
    # The duplicates SMTP allows: on each of the worker's two connections, the mail the server
    # accepted in the instant before the kill, which the dead worker could not record. Anything
    # more would be a bug.
    assert len(ids) - len(set(ids)) <= 2, (Counter(ids).most_common(3), output[-6000:])
    assert Counter(m["status"] for m in svc.outbox.list(limit=200)) == Counter({"sent": 200})
    assert "tidecast worker: 2 threads" in output


def test_dead_letter_listed_and_replayed_from_the_cli(isolated: Path, monkeypatch) -> None:
    svc = local_services(monkeypatch, {"TIDECAST_EVENT_MAX_ATTEMPTS": "1"})
    svc.events.kick = None
    with transaction(svc.engine) as conn:
        # A payload the welcome-mail subscriber cannot use: it fails and is dead-lettered.
        event_id = svc.events.publish(conn, "user.registered", {"usr": {"email": "x@example.com"}})
    svc.events.deliver_due()

    runner = CliRunner()
    listed = runner.invoke(app, ["events", "list", "--failed"])
    assert listed.exit_code == 0, listed.output
    assert event_id in listed.output and "dead" in listed.output and "KeyError: 'user'" in listed.output

    assert runner.invoke(app, ["events", "retry", "nope"]).exit_code == 2
    replay = runner.invoke(app, ["events", "retry", event_id])
    assert replay.exit_code == 0 and "requeued 1 delivery" in replay.output
    assert runner.invoke(app, ["events", "retry", event_id]).exit_code == 1  # nothing dead now
    [event] = svc.events.list()
    assert event["deliveries"][0]["status"] == "pending" and event["deliveries"][0]["attempts"] == 0
    as_json = runner.invoke(app, ["events", "list", "--json"])
    assert as_json.exit_code == 0 and f'"id": "{event_id}"' in as_json.output


def test_mail_commands(isolated: Path, monkeypatch) -> None:
    svc = local_services(monkeypatch, {})
    svc.outbox.kick = None
    svc.email.send_email("a@example.com", "hello there", html="<p>x</p>")
    runner = CliRunner()
    listed = runner.invoke(app, ["mail", "list"])
    assert listed.exit_code == 0 and "queued" in listed.output and "hello there" in listed.output
    bad = runner.invoke(app, ["mail", "list", "--status", "lost"])
    assert bad.exit_code == 2 and "--status must be one of" in bad.output
    [row] = svc.outbox.list()
    not_failed = runner.invoke(app, ["mail", "retry", row["id"]])
    assert not_failed.exit_code == 2 and "only failed mail can be retried" in not_failed.output
    assert runner.invoke(app, ["mail", "retry", "missing"]).exit_code == 2


def test_worker_refuses_an_empty_database(isolated: Path) -> None:
    result = CliRunner().invoke(app, ["worker"])
    assert result.exit_code == 2 and "tidecast db upgrade" in result.output
