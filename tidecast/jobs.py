"""Long jobs on one item each (a transcode of one stream), on the record-of-work pattern.

`enqueue(conn, kind, subject, payload)` writes a `jobs` row in the caller's transaction (the
job exists exactly when the change that asked for it does) and, after the commit, wakes a
worker with the job's id. The worker claims that row under a lease and runs the handler
registered for its kind, while a heartbeat renews the lease: a job can run for many minutes
and keep its claim while its worker lives, and a worker that dies loses it within one lease,
after which a sweep (or a wake-up) runs it again elsewhere. The row is the truth: a wake-up
that is lost, duplicated or early finds the row and does the right thing (nothing, when the
job is done or held by a live worker).

A handler is `fn(job: RunningJob) -> None`. It reports progress (`job.progress(42.0, eta=90)`,
written to the row, so `GET /api/streams/:id` can show it) and should stop early when
`job.lost` says another worker has taken the job over. Outcomes:
- it returns: `done`;
- it raises InvalidInput (the input can never work: not a video): `failed` at once;
- it raises Unavailable (an outside part is down: IPFS, the disk, a chain node): retried with
  backoff capped at the policy's `retry_max`, for as long as `retry_for` from when the job was
  queued (`give_up_at`), however many attempts that takes: an outage of hours costs no upload;
- anything else (a bug, a crash) is a strike: retried with backoff, `failed` after
  `max_attempts` strikes. An attempt counts as a strike when it starts, and is given back when
  it ends in an operational failure, so a worker killed mid-attempt (out of memory, SIGKILL)
  still counts: an input that kills every worker fails, it does not loop.
A kind's `on_failure(job_row, reason)` runs when a job of that kind ends `failed`, however it
got there (the pipeline marks its stream failed), and `on_retry(conn, job_row)` inside the
transaction of `tidecast jobs retry` (or `Jobs.retry`), which queues a failed job again with
its payload, so it resumes where it stopped.

Each kind runs in a worker pool (`handle(kind, fn, pool=MEDIA)`): a transcode holds a thread
and the machine's cores for minutes, so media kinds have threads of their own (their own queue,
tidecast/queue.py) and everything else, which a request or a user waits for (mail, events),
never queues behind them. A pool's sweep and wake-ups claim only its own kinds: a general
thread never picks a transcode, and a media thread never sends mail.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from tidecast.db.claims import FAILED, Heartbeat, WorkPolicy, WorkTable
from tidecast.db.schema import jobs
from tidecast.db.times import as_utc
from tidecast.db.tx import after_commit, transaction
from tidecast.errors import InvalidInput, NotFound, Unavailable

log = logging.getLogger(__name__)

KIND_MAX = 64
#: Worker pools: GENERAL (mail, events, everything short) and MEDIA (transcodes).
GENERAL = "general"
MEDIA = "media"
POOLS = (GENERAL, MEDIA)


@dataclass
class RunningJob:
    """What a handler sees of its job while it runs."""

    id: str
    kind: str
    subject: str | None
    payload: dict[str, Any]
    attempt: int
    _owner: Jobs = field(repr=False)
    _token: str = field(repr=False)
    _lease: Heartbeat = field(repr=False)

    @property
    def lost(self) -> bool:
        """True once another worker has taken this job over (our lease ran out): stop."""
        return self._lease.lost

    def progress(self, percent: float, *, eta: float | None = None) -> None:
        """Record how far the job is (0-100) and, if known, the seconds it still needs."""
        self._owner._progress(self.id, self._token, percent, eta)

    def remember(self, **values: Any) -> None:
        """Keep `values` in the job's payload, where its next attempt (after a crash, on any
        worker) reads them; a value of None forgets the key. Written only while we hold the job."""
        for key, value in values.items():
            if value is None:
                self.payload.pop(key, None)
            else:
                self.payload[key] = value
        self._owner._write(self.id, self._token, payload=dict(self.payload))


Handler = Callable[[RunningJob], None]
#: Called with the job's row and the reason when a job ends `failed`.
OnFailure = Callable[[Any, str], None]
#: Called with a connection in the retry's transaction and the job's row.
OnRetry = Callable[[Connection, Any], None]
#: Wakes a worker of `pool` for job `job_id`: `kick(job_id, pool)`.
Kick = Callable[[str, str], None]


class Jobs:
    def __init__(
        self,
        engine: Engine,
        *,
        kick: Kick | None = None,
        policy: WorkPolicy | None = None,
        retry_for: float = 24 * 3600.0,
    ) -> None:
        self.engine = engine
        self.kick = kick
        self.policy = policy or WorkPolicy(max_attempts=3)
        self.retry_for = timedelta(seconds=retry_for)
        self.clock = self.policy.clock
        self.work = WorkTable(engine, jobs, "queued", "running", self.policy)
        self._handlers: dict[str, Handler] = {}
        self._on_failure: dict[str, OnFailure] = {}
        self._on_retry: dict[str, OnRetry] = {}
        self._pools: dict[str, str] = {}

    def handle(
        self,
        kind: str,
        fn: Handler,
        *,
        pool: str | None = None,
        on_failure: OnFailure | None = None,
        on_retry: OnRetry | None = None,
    ) -> None:
        """Run `fn` for jobs of `kind` (wired in tidecast/container.py) in worker pool `pool`;
        unnamed, a kind keeps the pool it was given before (GENERAL for a new one)."""
        if pool is not None and pool not in POOLS:
            raise ValueError(f"unknown worker pool {pool!r}; one of {', '.join(POOLS)}")
        self._handlers[kind] = fn
        self._pools[kind] = pool or self._pools.get(kind, GENERAL)
        if on_failure is not None:
            self._on_failure[kind] = on_failure
        if on_retry is not None:
            self._on_retry[kind] = on_retry

    def pool_of(self, kind: str) -> str:
        """The worker pool that runs jobs of `kind` (kinds without a handler here: GENERAL,
        which fails them)."""
        return self._pools.get(kind, GENERAL)

    def _in_pool(self, pool: str | None) -> ColumnElement[bool] | None:
        """The job rows a pool's workers may claim (None: every row)."""
        if pool is None:
            return None
        media = [kind for kind, named in self._pools.items() if named == MEDIA]
        if pool == MEDIA:
            return jobs.c.kind.in_(media)
        return jobs.c.kind.not_in(media) if media else None

    def _wake(self, conn: Connection, job_id: str, kind: str) -> None:
        if self.kick is not None:
            kick, pool = self.kick, self.pool_of(kind)
            after_commit(conn, lambda: kick(job_id, pool))

    # -- asking for work ----------------------------------------------------------------------

    def enqueue(
        self, conn: Connection, kind: str, subject: str | None = None, payload: dict[str, Any] | None = None
    ) -> str:
        """Record a job in the transaction on `conn`; a worker is woken once it commits."""
        if not kind or len(kind) > KIND_MAX or kind not in self._handlers:
            raise ValueError(f"no handler for job kind {kind!r}")  # the calling code's bug
        now = self.clock()
        job_id = secrets.token_hex(12)
        conn.execute(
            insert(jobs).values(
                id=job_id,
                kind=kind,
                subject=subject,
                payload=payload or {},
                next_attempt_at=now,
                give_up_at=now + self.retry_for,
                created_at=now,
                updated_at=now,
            )
        )
        self._wake(conn, job_id, kind)
        return job_id

    # -- running ------------------------------------------------------------------------------

    def run(self, job_id: str, pool: str | None = None) -> bool:
        """Run job `job_id` here if it is due, nobody holds it and (given `pool`) its kind runs
        in that pool; whether it ran."""
        token, rows = self.work.claim(
            due_by=self.clock(),
            limit=1,
            only=job_id,
            where=self._in_pool(pool),
            read=lambda t: select(jobs).where(jobs.c.claim == t),
        )
        if not rows:
            return False
        self._run(rows[0], token)
        return True

    def run_due(self, pool: str | None = None) -> float | None:
        """Run every job due now (of the kinds `pool` runs; None: all), one at a time; seconds
        until the next falls due (None: none).

        Jobs that failed during this call wait for their backoff rather than running again.
        """
        started = self.clock()
        where = self._in_pool(pool)
        while True:
            token, rows = self.work.claim(
                due_by=started, limit=1, where=where, read=lambda t: select(jobs).where(jobs.c.claim == t)
            )
            if not rows:
                return self.work.seconds_to_next(where)
            self._run(rows[0], token)

    def backlog(self, pool: str) -> int:
        """Jobs of `pool` not finished: waiting (due or not) and running. What the workers'
        scaling follows (the QueueDepth metric, tidecast/metrics.py)."""
        query = select(func.count()).select_from(jobs).where(jobs.c.status.in_(("queued", "running")))
        in_pool = self._in_pool(pool)
        if in_pool is not None:
            query = query.where(in_pool)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def seconds_to_next(self, pool: str | None = None) -> float | None:
        """Seconds until a job of `pool` (None: any) falls due or its lease runs out."""
        return self.work.seconds_to_next(self._in_pool(pool))

    def _run(self, row: Any, token: str) -> None:
        attempts = row.attempts + 1
        if row.strikes >= self.policy.max_attempts:
            # Strikes are counted when an attempt starts (and given back when it ends in an
            # operational failure), so one whose worker was killed (out of memory, SIGKILL)
            # still counts: an input that kills every worker fails, not loops.
            reason = f"WorkerLost: the worker stopped during attempt {row.attempts} (killed or crashed)"
            self._give_up(row, token, row.attempts, reason)
            return
        strikes = row.strikes + 1
        if not self._write(row.id, token, attempts=attempts, strikes=strikes):
            return
        fn = self._handlers.get(row.kind)
        with self.work.heartbeat(token, as_utc(row.lease_until)) as lease:
            job = RunningJob(row.id, row.kind, row.subject, dict(row.payload), attempts, self, token, lease)
            try:
                if fn is None:
                    raise InvalidInput(f"no handler for job kind {row.kind!r} in this build")
                fn(job)
            except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
                self._failed(row, token, attempts, strikes, exc)
                return
        self._finish(row.id, token, attempts, status="done", progress=100.0, last_error=None)

    def _failed(self, row: Any, token: str, attempts: int, strikes: int, exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {exc}"[:2000]
        now = self.clock()
        if isinstance(exc, InvalidInput):
            self._give_up(row, token, attempts, reason)
            return
        if isinstance(exc, Unavailable):
            strikes -= 1  # an outside part was down: retried by time, not by count
            # Rows queued before lifetimes existed have none: their creation plus the lifetime.
            give_up_at = (
                as_utc(row.give_up_at)
                if row.give_up_at is not None
                else as_utc(row.created_at) + self.retry_for
            )
            if now >= give_up_at:
                hours = (now - as_utc(row.created_at)).total_seconds() / 3600
                self._give_up(
                    row,
                    token,
                    attempts,
                    f"gave up after {attempts} attempts over {hours:.1f} h; last: {reason}",
                )
                return
        elif strikes >= self.policy.max_attempts:
            self._give_up(row, token, attempts, reason)
            return
        wait = self.policy.retry_delay(attempts)
        log.warning(
            "job %s (%s) failed (attempt %d), retry in %.1fs: %s", row.id, row.kind, attempts, wait, reason
        )
        self._write(
            row.id,
            token,
            status="queued",
            attempts=attempts,
            strikes=strikes,
            last_error=reason,
            next_attempt_at=now + timedelta(seconds=wait),
        )

    def _give_up(self, row: Any, token: str, attempts: int, reason: str) -> None:
        log.error("job %s (%s %s) failed: %s", row.id, row.kind, row.subject, reason)
        if not self._finish(row.id, token, attempts, status="failed", last_error=reason):
            return
        hook = self._on_failure.get(row.kind)
        if hook is not None:
            try:
                with self.engine.connect() as conn:  # as the attempt left it (its payload)
                    row = conn.execute(select(jobs).where(jobs.c.id == row.id)).one()
                hook(row, reason)
            except Exception:  # the job's outcome stands; the hook is the kind's to repeat
                log.exception("job %s (%s): its on_failure hook failed", row.id, row.kind)

    def _finish(self, job_id: str, token: str, attempts: int, **values: Any) -> bool:
        return self._write(
            job_id, token, attempts=attempts, finished_at=self.clock(), eta_seconds=None, **values
        )

    def _progress(self, job_id: str, token: str, percent: float, eta: float | None) -> None:
        percent = min(100.0, max(0.0, float(percent)))
        self._write(job_id, token, progress=percent, eta_seconds=None if eta is None else max(0.0, eta))

    def _write(self, job_id: str, token: str, **values: Any) -> bool:
        """Update the job if we still hold it; a worker whose lease was taken over writes nothing.
        Whether it was written."""
        if values.get("status") is not None:
            values.update(claim=None, lease_until=None)
        with self.engine.begin() as conn:
            done = conn.execute(
                update(jobs)
                .where((jobs.c.id == job_id) & (jobs.c.claim == token))
                .values(updated_at=self.clock(), **values)
            )
        if done.rowcount != 1:
            log.warning("job %s: lease lost to another worker; this attempt's outcome is dropped", job_id)
            return False
        return True

    # -- reading and operating ----------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
        if row is None:
            raise NotFound(f"no job {job_id!r}")
        return Job.of(row)

    def latest(self, kind: str, subject: str) -> Job | None:
        """The newest job of `kind` on `subject` (a stream's transcode), if any."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(jobs)
                .where((jobs.c.kind == kind) & (jobs.c.subject == subject))
                .order_by(jobs.c.created_at.desc(), jobs.c.id.desc())
                .limit(1)
            ).first()
        return Job.of(row) if row is not None else None

    def list(self, *, status: str | None = None, limit: int = 50) -> list[Job]:
        query = select(jobs).order_by(jobs.c.created_at.desc(), jobs.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(jobs.c.status == status)
        with self.engine.connect() as conn:
            return [Job.of(r) for r in conn.execute(query)]

    def retry(self, job_id: str) -> None:
        """Queue a failed job again now, with its payload (it resumes where it stopped) and a
        fresh lifetime, only if it is still failed when the retry writes (tidecast/db/claims.py,
        `requeue_failed`); its kind's `on_retry` runs in the same transaction, after that write."""
        with transaction(self.engine) as conn:
            now = self.clock()
            status = self.work.requeue_failed(
                conn,
                job_id,
                attempts=0,
                strikes=0,
                progress=0,
                finished_at=None,
                next_attempt_at=now,
                give_up_at=now + self.retry_for,
                updated_at=now,
            )
            if status is None:
                raise NotFound(f"no job {job_id!r}")
            if status != FAILED:
                raise InvalidInput(f"job {job_id} is {status}; only a failed job can be retried")
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).one()
            hook = self._on_retry.get(row.kind)
            if hook is not None:
                hook(conn, row)
            self._wake(conn, job_id, row.kind)


@dataclass(frozen=True)
class Job:
    """A long job as `Jobs` reports it; the CLI renders it (`tidecast jobs list`)."""

    id: str
    kind: str
    subject: str | None
    status: str
    attempts: int
    progress: float
    eta_seconds: float | None
    last_error: str | None
    #: When a queued job stops being retried; None once it is not queued (nothing to give up).
    give_up_at: datetime | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    #: When a queued job runs next; None once it is not queued (the column keeps its last value).
    next_attempt_at: datetime | None

    @classmethod
    def of(cls, row: Any) -> Job:
        queued = row.status == "queued"
        return cls(
            id=row.id,
            kind=row.kind,
            subject=row.subject,
            status=row.status,
            attempts=row.attempts,
            progress=row.progress,
            eta_seconds=row.eta_seconds,
            last_error=row.last_error,
            give_up_at=_utc(row.give_up_at) if queued else None,
            created_at=as_utc(row.created_at),
            updated_at=as_utc(row.updated_at),
            finished_at=_utc(row.finished_at),
            next_attempt_at=_utc(row.next_attempt_at) if queued else None,
        )


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)
