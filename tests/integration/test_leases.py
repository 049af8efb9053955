"""Leased claims on SQLite and PostgreSQL: a live worker keeps its rows, a dead one loses them.

Leases here are one second (TIDECAST_LEASE_SECONDS=1, renewed every quarter second), so work that
runs for several seconds lives through several leases, and every takeover is timed against the
database's own lease_until rather than asserted by a sleep.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, update

from tests.support.auth import account_services
from tests.support.services import build_services
from tests.support.smtp import SmtpServer
from tidecast.container import Services
from tidecast.db.claims import WorkPolicy, WorkTable
from tidecast.db.engine import build_engine
from tidecast.db.schema import jobs, mail_outbox
from tidecast.db.times import as_utc, now_utc
from tidecast.db.tx import transaction
from tidecast.jobs import RunningJob

LEASE = 1.0


def job_services(engine: Engine, **settings: str) -> Services:
    """These tests run the jobs themselves."""
    return build_services(engine, quiet=("jobs",), TIDECAST_LEASE_SECONDS=LEASE, **settings)


@pytest.fixture
def second_engine(db_url: str, engine: Engine) -> Iterator[Engine]:
    """Another worker's own connection pool on the same database (`engine` migrated it)."""
    other = build_engine(db_url)
    yield other
    other.dispose()


def job_row(engine: Engine, job_id: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(jobs).where(jobs.c.id == job_id)).one()


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what}: not within {timeout}s"
        time.sleep(0.02)


def test_heartbeat_keeps_a_long_job_past_several_leases(engine: Engine, second_engine: Engine) -> None:
    mine = job_services(engine)
    other = job_services(second_engine)
    runs: list[tuple[str, int]] = []
    started = threading.Event()

    def slow(job: RunningJob) -> None:
        runs.append((threading.current_thread().name, job.attempt))
        started.set()
        deadline = time.monotonic() + 3.5
        while time.monotonic() < deadline:
            assert not job.lost
            time.sleep(0.05)

    mine.jobs.handle("test.slow", slow)
    other.jobs.handle("test.slow", slow)
    with transaction(engine) as conn:
        job_id = mine.jobs.enqueue(conn, "test.slow", "stream-1")

    ran: list[bool] = []
    worker = threading.Thread(target=lambda: ran.append(mine.jobs.run(job_id)), name="first-worker")
    worker.start()
    assert started.wait(10), "the job never started"

    # A second worker tries, as a wake-up or a sweep would, for as long as the job runs; and
    # the row's lease is watched from outside.
    tries: list[bool] = []
    leases: list[tuple[datetime, datetime]] = []  # (when looked, lease_until seen)
    contender_done = threading.Event()

    def contend() -> None:
        while not contender_done.is_set():
            tries.append(other.jobs.run(job_id))
            other.jobs.run_due()
            time.sleep(0.05)

    contender = threading.Thread(target=contend, name="second-worker")
    contender.start()
    try:
        while worker.is_alive():
            row = job_row(engine, job_id)
            if row.status == "running":
                leases.append((now_utc(), as_utc(row.lease_until)))
            time.sleep(0.1)
        worker.join(timeout=20)
    finally:
        contender_done.set()
        contender.join(timeout=20)

    assert ran == [True]
    assert runs == [("first-worker", 1)], runs  # exactly once, by the worker that claimed it
    assert tries and not any(tries), "the second worker took over a live worker's job"
    row = job_row(engine, job_id)
    assert (row.status, row.attempts, row.progress, row.claim) == ("done", 1, 100.0, None)

    # Renewals: the lease was never seen expired, and it moved forward by more than two leases
    # in the ~3.5 s the job ran (the claim alone gives one lease).
    assert len(leases) >= 10, leases
    assert all(until > seen for seen, until in leases), "a running job's lease was seen expired"
    until = [u for _, u in leases]
    assert until[-1] - until[0] >= timedelta(seconds=2 * LEASE), (until[0], until[-1])
    assert len(set(until)) >= 5, "the lease was renewed only a few times"


@pytest.fixture
def claimable(engine: Engine) -> list[str]:
    """Three queued jobs, for claiming with WorkTable directly."""
    svc = job_services(engine)
    svc.jobs.handle("test.noop", lambda job: None)
    with transaction(engine) as conn:
        return [svc.jobs.enqueue(conn, "test.noop", f"s{i}") for i in range(3)]


def work_table(engine: Engine) -> WorkTable:
    return WorkTable(engine, jobs, "queued", "running", WorkPolicy(lease_seconds=LEASE))


def claim(work: WorkTable, limit: int = 10) -> tuple[str, list[str]]:
    token, rows = work.claim(
        due_by=now_utc(),
        limit=limit,
        read=lambda t: select(jobs).where(jobs.c.claim == t).order_by(jobs.c.id),
    )
    return token, [r.id for r in rows]


def test_a_lease_that_is_not_renewed_is_taken_over_within_one_lease(
    engine: Engine, second_engine: Engine, claimable: list[str]
) -> None:
    dead = work_table(engine)
    live = work_table(second_engine)
    dead_token, held = claim(dead)  # ... and this worker dies: it never renews
    assert sorted(held) == sorted(claimable)
    with engine.connect() as conn:
        ends = conn.execute(select(jobs.c.lease_until).where(jobs.c.claim == dead_token)).scalars().all()
    lease_end = max(as_utc(t) for t in ends)
    claimed_at = now_utc()
    assert lease_end - claimed_at <= timedelta(seconds=LEASE)

    early: list[datetime] = []  # claims made wholly before the lease ended: each got nothing
    while True:
        before = now_utc()
        token, taken = claim(live)
        after = now_utc()
        if taken:
            break
        assert after < lease_end + timedelta(seconds=LEASE), "not taken over within one lease"
        if after < lease_end:
            early.append(after)
        time.sleep(0.02)

    assert early, "a claim made before the lease ended already got the rows"
    assert sorted(taken) == sorted(claimable)
    # Taken over promptly once the lease ran out: the successful claim started at most one
    # poll (plus one claim's time) after the end.
    assert before - lease_end < timedelta(seconds=0.5), before - lease_end
    with engine.connect() as conn:
        owners = Counter(conn.execute(select(jobs.c.claim)).scalars())
    assert owners == Counter({token: 3})
    # The dead worker's token now renews nothing, and the new owner's lease is its own.
    assert dead.renew(dead_token)[0] == 0
    assert live.renew(token)[0] == 3


def test_a_claim_that_loses_a_race_takes_the_next_rows(engine: Engine, second_engine: Engine) -> None:
    """Two workers claim at the same moment: the one whose UPDATE comes second must not come back
    empty-handed (and its drain stop) while other rows are due.

    The race is made exact: just before the second worker's UPDATE runs, the first worker claims
    on its own connection. On SQLite both SELECTs saw the same rows; on PostgreSQL the first
    skips the rows the second has locked.
    """
    svc = job_services(engine)
    svc.jobs.handle("test.noop", lambda job: None)
    with transaction(engine) as conn:
        ids = [svc.jobs.enqueue(conn, "test.noop", f"s{i}") for i in range(6)]
    first, second = work_table(engine), work_table(second_engine)
    first_claim: list[tuple[str, list[str]]] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE") and not first_claim:
            first_claim.append(claim(first, limit=3))

    event.listen(second_engine, "before_cursor_execute", before)
    try:
        _, theirs = claim(second, limit=3)
    finally:
        event.remove(second_engine, "before_cursor_execute", before)
    [(_, mine)] = first_claim
    assert len(mine) == 3 and len(theirs) == 3, (mine, theirs)
    assert sorted(mine + theirs) == sorted(ids)


def test_heartbeat_reports_lost_when_the_rows_are_taken_over(engine: Engine, claimable: list[str]) -> None:
    work = work_table(engine)
    token, held = claim(work)
    assert len(held) == 3
    with engine.connect() as conn:
        first_end = as_utc(conn.execute(select(func.min(jobs.c.lease_until))).scalar_one())

    with work.heartbeat(token, first_end) as beat:
        wait_until(lambda: beat.renewals >= 2, 5, "two renewals")
        assert not beat.lost and beat.held_until > first_end
        with engine.connect() as conn:
            renewed = conn.execute(
                select(func.count()).select_from(jobs).where(jobs.c.lease_until > first_end)
            ).scalar_one()
        assert renewed == 3  # the heartbeat pushed every held row's lease forward

        # Another worker takes the rows over (as after a lease ran out) while this one still works.
        theirs = now_utc() + timedelta(seconds=30)
        with engine.begin() as conn:
            conn.execute(update(jobs).values(claim="someone-else", lease_until=theirs))
        wait_until(lambda: beat.lost, 3 * LEASE, "the heartbeat noticing the takeover")
        held_until = beat.held_until
        renewals = beat.renewals
        wait_until(lambda: beat.renewals >= renewals + 2, 5, "more renewals")
        assert beat.held_until == held_until  # nothing renewed: the lease it knows only runs down
    with engine.connect() as conn:
        rows = conn.execute(select(jobs.c.claim, jobs.c.lease_until)).all()
    assert {(c, as_utc(u)) for c, u in rows} == {("someone-else", theirs)}  # the new owner's lease untouched


def test_a_heartbeat_whose_rows_are_all_still_held_is_not_lost(engine: Engine, claimable: list[str]) -> None:
    """The opposite case, so the test above cannot pass with a heartbeat that always says lost."""
    work = work_table(engine)
    token, held = claim(work)
    with engine.connect() as conn:
        end = as_utc(conn.execute(select(func.min(jobs.c.lease_until))).scalar_one())
    with work.heartbeat(token, end) as beat:
        # Another worker's claim on one row (a partial takeover) leaves this one holding two.
        with engine.begin() as conn:
            conn.execute(update(jobs).where(jobs.c.id == held[0]).values(claim="someone-else"))
        wait_until(lambda: beat.renewals >= 4, 5, "four renewals")
        assert not beat.lost and beat.seconds_left() > 0


def test_mail_under_a_slow_relay_is_sent_once_by_two_dispatchers(
    engine: Engine, second_engine: Engine, smtp: SmtpServer
) -> None:
    env = {"TIDECAST_LEASE_SECONDS": str(LEASE), "SMTP_TIMEOUT": "10", "TIDECAST_RETRY_BASE_SECONDS": "0.1"}
    first = account_services(engine, smtp, **env)
    second = account_services(second_engine, smtp, **env)
    mails = 24
    for i in range(mails):
        first.email.send_email(f"user{i}@example.com", f"mail {i}", html=f"<p>{i}</p>")
    # The relay takes 0.25 s per message, one at a time (the delay blocks the server): a batch
    # of 6 takes 1.5 s alone and about 3 s beside the other dispatcher, i.e. several leases.
    smtp.handler.faults.data_delay = 0.25
    arrivals: list[float] = []
    smtp.handler.after_data = lambda count: arrivals.append(time.monotonic())

    leases: list[datetime] = []
    stop = threading.Event()

    def watch() -> None:  # the lease of whatever is being sent, as seen from outside
        while not stop.is_set():
            with engine.connect() as conn:
                seen = conn.execute(
                    select(func.max(mail_outbox.c.lease_until)).where(mail_outbox.c.status == "sending")
                ).scalar()
            if seen is not None:
                leases.append(as_utc(seen))
            time.sleep(0.1)

    started = time.monotonic()
    dispatchers = [
        threading.Thread(target=svc.outbox.dispatch_due, kwargs={"batch_size": 6}) for svc in (first, second)
    ]
    watcher = threading.Thread(target=watch)
    watcher.start()
    for d in dispatchers:
        d.start()
    for d in dispatchers:
        d.join(timeout=60)
    stop.set()
    watcher.join(timeout=10)
    elapsed = time.monotonic() - started
    assert not any(d.is_alive() for d in dispatchers)

    # A dispatcher whose renewals lag (a loaded machine, with leases this short) stops before
    # its lease runs out and releases the rest for the next run: finish them, then check that
    # nothing was sent twice.
    deadline = time.monotonic() + 30
    while True:
        with engine.connect() as conn:
            status = Counter(conn.execute(select(mail_outbox.c.status)).scalars())
        if status == Counter({"sent": mails}) or time.monotonic() > deadline:
            break
        first.outbox.dispatch_due()
    ids = smtp.handler.message_ids()
    assert status == Counter({"sent": mails}), status
    assert len(ids) == mails and len(set(ids)) == mails, Counter(ids).most_common(3)
    assert first.outbox.counts.sent + second.outbox.counts.sent == mails
    assert first.outbox.counts.sent > 0 and second.outbox.counts.sent > 0  # both really dispatched
    assert elapsed > 4 * LEASE, elapsed  # the run lasted several leases
    # Leases were renewed while sending: the lease end seen moved forward over the run.
    assert leases and leases[-1] - leases[0] >= timedelta(seconds=3 * LEASE), (leases[:1], leases[-1:])
    print(f"\n{mails} mails, 2 dispatchers, 1 s lease: {elapsed:.1f} s, each sent once")
