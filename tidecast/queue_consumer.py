"""huey's consumer, with its threads telling a `QueueOutage` when the queue stops answering.

huey's Worker logs every failed poll with a traceback (`Error reading from queue`), and its
Scheduler every failed read of the schedule, once a second each: a 29 s Redis outage made about
300 ERROR lines over three processes. These subclasses do the same work and report failures
to the queue's `QueueOutage` instead (a WARNING when an outage starts, one a minute while it
lasts, INFO when it ends, then a sweep). Errors that are not the queue's (a task that raised)
are logged as huey logs them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from huey.consumer import Consumer, Scheduler, Worker

if TYPE_CHECKING:
    from tidecast.queue import Queue, QueueOutage


def consumer_for(queue: Queue, *, workers: int, in_process: bool) -> Any:
    """A consumer of `queue.huey` with `workers` threads whose outages go to `queue.outage`."""
    outage, errors = queue.outage, queue._errors

    class ReportingWorker(Worker):  # type: ignore[misc]
        def loop(self, now: Any = None) -> None:
            try:
                task = self.huey.dequeue()
            except errors as exc:
                outage.failed(exc)
                self.sleep()  # huey's backoff, at most the consumer's max_delay
                return
            except Exception:
                self._logger.exception("Error reading from queue")
                self.sleep()
                return
            outage.answered()
            if task is None:
                if not self.huey.storage.blocking:
                    self.sleep()
                return
            self.delay = self.default_delay
            try:
                self.huey.execute(task, now)
            except errors as exc:  # huey's own bookkeeping around the task (revocation keys)
                outage.failed(exc)
            except Exception:
                self._logger.exception("Unhandled error during execution of task %s.", task.id)

    class ReportingScheduler(Scheduler):  # type: ignore[misc]
        def loop(self, now: Any = None) -> None:
            current: float = self._next_loop  # type: ignore[has-type]
            self._next_loop = current + self.interval
            if current + self.interval < time.monotonic():
                self._next_loop = time.monotonic()  # a stall (suspend): skip, as huey does
                return
            _enqueue_scheduled(self.huey, outage, errors, now)
            if self.periodic and self._next_periodic <= time.monotonic():
                while self._next_periodic <= time.monotonic():
                    self._next_periodic += self.periodic_task_seconds
                self.enqueue_periodic_tasks(now)
            self.sleep_for_interval(current, self.interval)

        def enqueue_periodic_tasks(self, now: Any) -> None:
            try:
                for task in self.huey.read_periodic(now):
                    self._logger.info("Enqueueing periodic task %s.", task)
                    self.huey.enqueue(task)
            except errors as exc:
                outage.failed(exc)  # missed ticks: the sweep on recovery stands in for them

    class ReportingConsumer(Consumer):  # type: ignore[misc]
        worker_class = ReportingWorker
        scheduler_class = ReportingScheduler

        if in_process:

            def _set_signal_handlers(self) -> None:
                """Runs inside another server's process (or `Workers`), which owns the signals."""

    # max_delay bounds how long an idle SQLite-backed worker takes to notice a wake-up, and a
    # worker polling a queue that does not answer tries again at least this often.
    return ReportingConsumer(queue.huey, workers=workers, worker_type="thread", max_delay=1.0, periodic=True)


def _enqueue_scheduled(
    huey: Any, outage: QueueOutage, errors: tuple[type[BaseException], ...], now: Any
) -> None:
    """Move the tasks whose time has come from the schedule to the queue. A task read and then
    not enqueued (the server went away in between) is a follow-up wake-up: the sweep on
    recovery stands in for it."""
    try:
        tasks = huey.read_schedule(now)
    except errors as exc:
        outage.failed(exc)
        return
    outage.answered()
    for task in tasks:
        try:
            huey.enqueue(task)
        except errors as exc:
            outage.failed(exc)
            return
