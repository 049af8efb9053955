"""An operator's retry racing a worker: the retry of a failed mail or job must not reset a row
that another retry queued and a worker has since claimed (tidecast/db/claims.py,
`WorkTable.requeue_failed`).

On both databases (a real PostgreSQL server for the second), with two connections: the retry's
own transaction, and, while it is open, another retry and the worker's claim, each committed on a
connection of its own. The race is placed where the retry reads its clock, which a
read-then-write retry does between its check that the row is failed and its write.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from tidecast.db.claims import WorkPolicy
from tidecast.db.schema import jobs, mail_outbox
from tidecast.db.times import now_utc
from tidecast.db.tx import transaction
from tidecast.errors import InvalidInput
from tidecast.jobs import Jobs, RunningJob
from tidecast.mail.outbox import MailOutbox, OutgoingMail
from tidecast.mail.smtp import SmtpTransport


class RacingClock:
    """The time now; the first reading after `race` is set runs it first (once)."""

    def __init__(self) -> None:
        self.race: Callable[[], None] | None = None

    def __call__(self) -> datetime:
        race, self.race = self.race, None
        if race is not None:
            race()
        return now_utc()


def status_and_claim(engine: Engine, table: Any, key: str) -> tuple[str, str | None]:
    with engine.connect() as conn:
        row = conn.execute(select(table.c.status, table.c.claim).where(table.c.id == key)).one()
    return row.status, row.claim


def test_a_mail_retry_racing_a_worker_leaves_the_claimed_row_alone(engine: Engine) -> None:
    clock = RacingClock()
    # No relay is ever reached: nothing here dispatches.
    outbox = MailOutbox(engine, SmtpTransport(host="127.0.0.1", port=1), policy=WorkPolicy(clock=clock))
    mail = OutgoingMail("<m1@example.com>", "from@example.com", ["to@example.com"], "hi", None, True, b"x")
    with transaction(engine) as conn:
        row_id = outbox.add(conn, mail)
        assert row_id is not None
        conn.execute(update(mail_outbox).where(mail_outbox.c.id == row_id).values(status="failed"))

    claimed: list[str] = []

    def another_retry_then_a_worker() -> None:
        outbox.retry(row_id)  # an operator's second `tidecast mail retry`, committed
        token, rows = outbox.work.claim(
            due_by=now_utc(),
            limit=1,
            only=row_id,
            read=lambda t: select(mail_outbox).where(mail_outbox.c.claim == t),
        )
        assert [r.id for r in rows] == [row_id]
        claimed.append(token)

    clock.race = another_retry_then_a_worker
    with pytest.raises(InvalidInput, match="is sending; only failed mail can be retried"):
        outbox.retry(row_id)
    assert claimed, "the race ran"
    assert status_and_claim(engine, mail_outbox, row_id) == ("sending", claimed[0])


def test_a_job_retry_racing_a_worker_leaves_the_claimed_row_alone(engine: Engine) -> None:
    clock = RacingClock()
    queue = Jobs(engine, policy=WorkPolicy(max_attempts=3, clock=clock))
    retried: list[str] = []

    def never_works(job: RunningJob) -> None:
        raise InvalidInput("not a video")

    queue.handle("test.job", never_works, on_retry=lambda conn, row: retried.append(row.id))
    with transaction(engine) as conn:
        job_id = queue.enqueue(conn, "test.job", "stream-1", {})
    assert queue.run(job_id) is True
    assert status_and_claim(engine, jobs, job_id) == ("failed", None)

    claimed: list[str] = []

    def another_retry_then_a_worker() -> None:
        queue.retry(job_id)
        token, rows = queue.work.claim(
            due_by=now_utc(), limit=1, only=job_id, read=lambda t: select(jobs).where(jobs.c.claim == t)
        )
        assert [r.id for r in rows] == [job_id]
        claimed.append(token)

    clock.race = another_retry_then_a_worker
    with pytest.raises(InvalidInput, match="is running; only a failed job can be retried"):
        queue.retry(job_id)
    assert claimed, "the race ran"
    assert status_and_claim(engine, jobs, job_id) == ("running", claimed[0])
    assert retried == [job_id]  # the kind's on_retry ran for the retry that took, only
