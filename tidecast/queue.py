"""The wake-up queues on huey: SQLite storage embedded, Redis at scale, the same tasks on both.

The database is the record of work (outbox rows, event deliveries, job rows); huey is how
workers are woken, how retries are timed and how work spreads over threads and machines. A task
here carries no work, only a wake-up: a drain ("deliver whatever is due") or, for a long job,
the id of the job row to run. A lost or duplicated wake-up costs nothing: the periodic sweep
(every minute, at every worker start, and as soon as the queue answers again after an outage)
finds anything a lost wake-up left behind, and a duplicate finds the row already claimed or done.

There are two queues, one per worker pool (tidecast/jobs.py): `general` (mail, events, the
chain watcher, retention: what a request or a user waits for) and `media` (transcodes, each
holding a thread and the machine's cores for minutes). Each has its own consumer threads, so a
transcode never delays a password-reset mail. `Workers` runs the pools of one process.

When the queue's server stops answering (Redis restarted), every poll fails; huey would log
each one. `QueueOutage` says it once when it starts, once a minute while it lasts and once when
it ends, and then sweeps at once: the wake-ups lost meanwhile are found in seconds, not at the
next minute's sweep.

huey over RQ, Dramatiq or Celery: it is the only one of them with an embedded (SQLite) storage,
so `make dev` needs no server, and its Redis storage is the same API. It is small (one package,
no dependencies) and actively kept.
"""

from __future__ import annotations

import logging
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from tidecast.db.engine import private_file

log = logging.getLogger(__name__)

#: Seconds before a drain that raised runs again.
DRAIN_ERROR_RETRY_SECONDS = 5.0
#: Seconds between the reports of a queue outage that goes on.
OUTAGE_REPORT_SECONDS = 60.0
#: Seconds between checks that every consumer thread is alive (huey's default).
HEALTH_CHECK_SECONDS = 10.0

#: Drain tasks return seconds until their next due row (None: nothing waiting).
Drain = Callable[[], float | None]


def build_huey(url: str, *, name: str = "tidecast") -> Any:
    """A huey instance for `redis://`/`rediss://` or `sqlite:///path` URLs; `name` is the queue
    (several share one server or file)."""
    from huey import RedisHuey, SqliteHuey  # lazy: huey + storages (~1 s) only to build a queue

    scheme = urlsplit(url).scheme
    if scheme in ("redis", "rediss"):
        # blocking=True: workers wait on BRPOP, so a wake-up is picked up at once.
        return RedisHuey(name, url=url, results=False, blocking=True, read_timeout=1)
    if scheme == "sqlite":
        path = Path(url[len("sqlite:///") :])
        private_file(path)
        return SqliteHuey(name, filename=str(path), results=False, timeout=15)
    raise ValueError(f"unsupported queue URL scheme {scheme!r}")


def storage_errors() -> tuple[type[BaseException], ...]:
    """What huey's storages raise when their server or file does not answer."""
    found: list[type[BaseException]] = [sqlite3.OperationalError, ConnectionError, TimeoutError]
    try:
        import redis.exceptions  # lazy: redis (~350 ms) only when a queue is built
    except ImportError:  # pragma: no cover - redis is a dependency
        return tuple(found)
    return (*found, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class QueueOutage:
    """One process's view of whether its queue server answers, reported once per interval.

    `failed(exc)` after a call to the queue failed, `answered()` after one succeeded. The first
    failure logs a WARNING, one more follows each `every` seconds while nothing answers, and the
    first answer after logs INFO and calls every `on_recovery` hook (the sweeps). Thread-safe:
    every consumer thread of every pool in the process reports to one of these.
    """

    def __init__(
        self, where: str, *, every: float = OUTAGE_REPORT_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.where = where
        self.every = every
        self.clock = clock
        self._recovery: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._since: float | None = None
        self._reported = 0.0
        self._failures = 0

    def on_recovery(self, hook: Callable[[], None]) -> None:
        self._recovery.append(hook)

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, exc: BaseException) -> None:
        now = self.clock()
        with self._lock:
            self._failures += 1
            if self._since is None:
                self._since = self._reported = now
                first = True
            elif now - self._reported >= self.every:
                self._reported = now
                first = False
            else:
                return
            since, failures = self._since, self._failures
        if first:
            log.warning(
                "queue %s does not answer (%s: %s); wake-ups wait until it does, the work stays in "
                "the database",
                self.where,
                type(exc).__name__,
                str(exc)[:200],
            )
        else:
            log.warning(
                "queue %s still does not answer after %.0f s (%d failed calls; %s)",
                self.where,
                now - since,
                failures,
                str(exc)[:200],
            )

    def answered(self) -> None:
        if self._since is None:  # the warm path takes no lock
            return
        with self._lock:
            if self._since is None:
                return
            lasted, failures = self.clock() - self._since, self._failures
            self._since, self._failures = None, 0
        log.info(
            "queue %s answers again after %.1f s (%d failed calls); sweeping for the work it missed",
            self.where,
            lasted,
            failures,
        )
        for hook in self._recovery:
            try:
                hook()
            except Exception as exc:  # noqa: BLE001 - it went down again: reported as such
                self.failed(exc)


class Queue:
    """tidecast's named wake-up tasks on one huey instance (one worker pool's queue)."""

    SWEEP = "tidecast.sweep"

    def __init__(self, huey: Any, *, outage: QueueOutage | None = None) -> None:
        self.huey = huey
        self.outage = outage or QueueOutage(huey.name)
        self.outage.on_recovery(self.sweep)
        self._drains: dict[str, Any] = {}
        self._tasks: dict[str, Any] = {}
        # Per process: the earliest follow-up already scheduled for each drain, so a burst of
        # failures schedules one retry wake-up rather than one per failed row.
        self._scheduled: dict[str, float] = {}
        self._lock = threading.Lock()
        self._errors = storage_errors()
        from huey import crontab  # lazy: huey + storages (~1 s) only to build a queue

        self.huey.periodic_task(crontab(minute="*"), name=self.SWEEP)(self.sweep)
        self.huey.on_startup(name="tidecast.startup")(self.sweep)

    def register(self, name: str, drain: Drain) -> None:
        def run() -> None:
            try:
                wait = drain()
            except Exception:
                # The database was unreachable or locked: try again soon rather than at the
                # next sweep; huey logs the error when it is re-raised.
                self._follow_up(name, DRAIN_ERROR_RETRY_SECONDS)
                raise
            if wait is not None:
                self._follow_up(name, wait)

        run.__name__ = name
        self._drains[name] = self.huey.task(name=name)(run)

    def register_item(self, name: str, run: Callable[[str], object]) -> None:
        """A task that wakes a worker for one item (a job row's id): `run(name, item_id)`."""

        def task(item_id: str) -> None:
            run(item_id)

        task.__name__ = name
        self._tasks[name] = self.huey.task(name=name)(task)

    def register_periodic(self, name: str, fn: Callable[[], object], *, hour: str, minute: str) -> None:
        """`fn` on a crontab schedule (UTC), on whichever worker's scheduler fires first."""
        from huey import crontab  # lazy: huey + storages (~1 s) only to build a queue

        def task() -> None:
            fn()

        task.__name__ = name
        self._tasks[name] = self.huey.periodic_task(crontab(minute=minute, hour=hour), name=name)(task)

    def depth(self) -> int:
        """Wake-ups waiting in the queue (asks the queue's store: an outage raises). `tidecast
        doctor` asks it, and it is what a worker pool scales on."""
        return int(self.huey.pending_count())

    @property
    def names(self) -> list[str]:
        return [*self._drains, *self._tasks]

    def run(self, name: str, item_id: str) -> None:
        """Wake a worker to run item `item_id` of task `name`."""
        self._send(lambda: self._tasks[name](item_id))

    def kick(self, name: str) -> None:
        """Wake a worker to drain `name` now."""
        self._send(self._drains[name])

    def sweep(self) -> None:
        for name in self._drains:
            self.kick(name)

    def follow_up(self, name: str, wait: float | None) -> None:
        """Wake drain `name` again in `wait` seconds (None: nothing is waiting)."""
        if wait is not None:
            self._follow_up(name, wait)

    def _send(self, enqueue: Callable[[], object]) -> None:
        """Enqueue a wake-up. A queue that does not answer loses it, which costs nothing but
        time: the row is the record, and the sweep when the queue answers again finds it. So
        the caller (a request's after-commit hook, a drain) carries on, and the outage is
        reported once, not once per wake-up."""
        try:
            enqueue()
        except self._errors as exc:
            self.outage.failed(exc)
            return
        self.outage.answered()

    def _follow_up(self, name: str, wait: float) -> None:
        due = time.time() + max(wait, 0.0)
        with self._lock:
            scheduled = self._scheduled.get(name)
            if scheduled is not None and time.time() < scheduled <= due + 0.5:
                return
            self._scheduled[name] = due
        # huey's scheduler ticks each second; a wait under that runs on the next tick.
        self._send(lambda: self._drains[name].schedule(delay=max(wait, 0.0)))

    def drain_now(self, name: str) -> None:
        """Run a drain in this thread, without the queue (tests)."""
        self._drains[name].call_local()

    def consumer(self, *, workers: int = 2, in_process: bool = False) -> Any:
        """A huey consumer of this queue whose threads report outages once (`QueueOutage`);
        `in_process=True` leaves signals to the host (the dev server, `Workers`)."""
        from tidecast.queue_consumer import consumer_for  # lazy: huey's consumer (~600 ms), workers only

        return consumer_for(self, workers=workers, in_process=in_process)


class Workers:
    """The consumers of one process: a pool of threads per queue, started and stopped together.

    `run()` is `tidecast worker`: it owns the process's signals as huey's consumer does (SIGINT
    waits for running tasks, SIGTERM stops at once; the threads are daemons) and restarts any
    consumer thread that died.
    """

    def __init__(self, pools: Sequence[tuple[str, Queue, int]]) -> None:
        #: (pool name, its queue, its threads), pools without threads left out.
        self.pools = [(name, queue, threads) for name, queue, threads in pools if threads > 0]
        self.consumers = [q.consumer(workers=n, in_process=True) for _, q, n in self.pools]
        self._stop = threading.Event()
        self._graceful = True

    def start(self) -> None:
        for consumer in self.consumers:
            consumer.start()

    def stop(self, *, graceful: bool = True) -> None:
        for consumer in self.consumers:
            consumer.stop_flag.set()  # every pool stops taking work at once, then we wait
        for consumer in self.consumers:
            consumer.stop(graceful=graceful)

    def run(self) -> None:
        """Start, serve until SIGINT or SIGTERM, stop."""
        previous = {sig: signal.signal(sig, self._signalled) for sig in (signal.SIGINT, signal.SIGTERM)}
        checked = time.monotonic()
        try:
            self.start()
            while not self._stop.wait(0.2):
                if time.monotonic() - checked >= HEALTH_CHECK_SECONDS:
                    checked = time.monotonic()
                    for consumer in self.consumers:
                        consumer.check_worker_health()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            log.info("stopping workers (%s)", "waiting for running tasks" if self._graceful else "now")
            self.stop(graceful=self._graceful)

    def _signalled(self, signum: int, frame: FrameType | None) -> None:
        self._graceful = signum == signal.SIGINT
        self._stop.set()
