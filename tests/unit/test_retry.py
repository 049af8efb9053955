"""with_retry (the reference's withRetry on tenacity) and the durable backoff schedule."""

from __future__ import annotations

import errno
import random
import smtplib

import httpx
import pytest

from tidecast.retry import backoff_delay, is_transient, with_retry


class Flaky:
    def __init__(self, failures: int, exc: BaseException) -> None:
        self.failures = failures
        self.exc = exc
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.exc
        return "ok"


def test_retries_transient_errors_with_growing_delays() -> None:
    slept: list[float] = []
    fn = Flaky(2, ConnectionRefusedError(errno.ECONNREFUSED, "refused"))
    assert with_retry(fn, max_retries=3, delay=1.0, backoff=2.0, jitter=0, sleep=slept.append) == "ok"
    assert fn.calls == 3 and slept == [1.0, 2.0]


def test_gives_up_after_max_retries_with_the_last_error() -> None:
    fn = Flaky(5, TimeoutError("slow"))
    with pytest.raises(TimeoutError, match="slow"):
        with_retry(fn, max_retries=3, delay=0.01, sleep=lambda _s: None)
    assert fn.calls == 3  # "max retries" counts attempts, as the reference's loop does


def test_permanent_errors_are_not_retried() -> None:
    fn = Flaky(1, ValueError("bad input"))
    with pytest.raises(ValueError):
        with_retry(fn, max_retries=5, sleep=lambda _s: None)
    assert fn.calls == 1


def test_deadline_stops_before_a_wait_that_would_pass_it() -> None:
    slept: list[float] = []
    fn = Flaky(10, ConnectionResetError(errno.ECONNRESET, "reset"))
    with pytest.raises(ConnectionResetError):
        with_retry(fn, max_retries=10, delay=1.0, backoff=2.0, jitter=0, deadline=4.0, sleep=slept.append)
    assert slept == [1.0, 2.0]  # the next wait (4 s) would end past the 4 s deadline


def test_custom_predicate() -> None:
    fn = Flaky(1, KeyError("x"))
    assert with_retry(fn, retry_on=lambda e: isinstance(e, KeyError), sleep=lambda _s: None) == "ok"


def test_jitter_spreads_waits() -> None:
    slept: list[float] = []
    with pytest.raises(TimeoutError):
        with_retry(Flaky(9, TimeoutError()), max_retries=4, delay=1.0, jitter=0.5, sleep=slept.append)
    assert all(base <= s <= base + 0.5 for s, base in zip(slept, [1.0, 2.0, 4.0], strict=True))


def test_max_retries_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        with_retry(lambda: 1, max_retries=0)


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (smtplib.SMTPResponseException(421, b"busy"), True),
        (smtplib.SMTPResponseException(451, b"greylisted"), True),
        (smtplib.SMTPResponseException(550, b"no such user"), False),
        (smtplib.SMTPRecipientsRefused({"a@x.example": (450, b"later")}), True),
        (smtplib.SMTPRecipientsRefused({"a@x.example": (550, b"no")}), False),
        (smtplib.SMTPServerDisconnected("gone"), True),
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), True),
        (OSError(errno.ENETUNREACH, "unreachable"), True),
        (OSError(errno.ENOENT, "no file"), False),
        (TimeoutError(), True),
        (httpx.ConnectError("down"), True),
        (ValueError("bug"), False),
    ],
)
def test_is_transient(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_backoff_grows_to_its_cap_with_jitter() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(n, base=2.0, cap=60.0, rng=rng) for n in range(1, 10)]
    for n, d in enumerate(delays, start=1):
        step = min(60.0, 2.0 * 2 ** (n - 1))
        assert step / 2 <= d <= step
    assert max(delays) <= 60.0
