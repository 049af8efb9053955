"""The wake-up queue on huey: SQLite storage embedded, Redis at scale, the same tasks on both.

The database is the record of work (outbox rows, event deliveries, job rows); huey is how
workers are woken, how retries are timed and how work spreads over threads and machines. A task
here carries no work, only a wake-up: a drain ("deliver whatever is due") or, for a long job,
the id of the job row to run. A lost or duplicated wake-up costs nothing: the periodic sweep
(every minute, and at every worker start) finds anything a lost wake-up left behind, and a
duplicate finds the row already claimed or done.

huey over RQ, Dramatiq or Celery: it is the only one of them with an embedded (SQLite) storage,
so `make dev` needs no server, and its Redis storage is the same API. It is small (one package,
no dependencies) and actively kept.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

#: Seconds before a drain that raised runs again.
DRAIN_ERROR_RETRY_SECONDS = 5.0

#: Drain tasks return seconds until their next due row (None: nothing waiting).
Drain = Callable[[], float | None]


def build_huey(url: str, *, name: str = "tidecast") -> Any:
    """A huey instance for `redis://`/`rediss://` or `sqlite:///path` URLs."""
    from huey import RedisHuey, SqliteHuey

    scheme = urlsplit(url).scheme
    if scheme in ("redis", "rediss"):
        # blocking=True: workers wait on BRPOP, so a wake-up is picked up at once.
        return RedisHuey(name, url=url, results=False, blocking=True, read_timeout=1)
    if scheme == "sqlite":
        from tidecast.db.engine import private_file

        path = Path(url[len("sqlite:///") :])
        private_file(path)
        return SqliteHuey(name, filename=str(path), results=False, timeout=15)
    raise ValueError(f"unsupported queue URL scheme {scheme!r}")


class Queue:
    """tidecast's named wake-up tasks on one huey instance."""

    SWEEP = "tidecast.sweep"

    def __init__(self, huey: Any) -> None:
        self.huey = huey
        self._drains: dict[str, Any] = {}
        self._tasks: dict[str, Any] = {}
        # Per process: the earliest follow-up already scheduled for each drain, so a burst of
        # failures schedules one retry wake-up rather than one per failed row.
        self._scheduled: dict[str, float] = {}
        self._lock = threading.Lock()
        from huey import crontab

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
        from huey import crontab

        def task() -> None:
            fn()

        task.__name__ = name
        self._tasks[name] = self.huey.periodic_task(crontab(minute=minute, hour=hour), name=name)(task)

    @property
    def names(self) -> list[str]:
        return [*self._drains, *self._tasks]

    def run(self, name: str, item_id: str) -> None:
        """Wake a worker to run item `item_id` of task `name`."""
        self._tasks[name](item_id)

    def kick(self, name: str) -> None:
        """Wake a worker to drain `name` now."""
        self._drains[name]()

    def sweep(self) -> None:
        for name in self._drains:
            self.kick(name)

    def follow_up(self, name: str, wait: float | None) -> None:
        """Wake drain `name` again in `wait` seconds (None: nothing is waiting)."""
        if wait is not None:
            self._follow_up(name, wait)

    def _follow_up(self, name: str, wait: float) -> None:
        due = time.time() + max(wait, 0.0)
        with self._lock:
            scheduled = self._scheduled.get(name)
            if scheduled is not None and time.time() < scheduled <= due + 0.5:
                return
            self._scheduled[name] = due
        # huey's scheduler ticks each second; a wait under that runs on the next tick.
        self._drains[name].schedule(delay=max(wait, 0.0))

    def drain_now(self, name: str) -> None:
        """Run a drain in this thread, without the queue (tests)."""
        self._drains[name].call_local()

    def consumer(self, *, workers: int = 2, in_process: bool = False) -> Any:
        """A huey consumer; `in_process=True` leaves signals to the host (the dev server)."""
        from huey.consumer import Consumer

        cls = Consumer
        if in_process:

            class HostedConsumer(Consumer):  # type: ignore[misc]
                """Runs inside another server's process, which owns the signals."""

                def _set_signal_handlers(self) -> None:
                    pass

            cls = HostedConsumer
        # max_delay bounds how long an idle SQLite-backed worker takes to notice a wake-up.
        return cls(self.huey, workers=workers, worker_type="thread", max_delay=1.0, periodic=True)
