"""Retrying network calls: the reference's `withRetry`, on tenacity, with a deadline and a predicate.

Two kinds of retry live in tidecast. In-call retries (`with_retry`) smooth over blips inside
one call: a refused connect, a timeout. Durable retries (mail and event deliveries) survive the
process: they store the next attempt's time in the database and use `backoff_delay` for it,
so the schedule is the same whichever worker picks the row up.
"""

from __future__ import annotations

import errno
import random
import socket
import sys
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: OS errors worth another try: the peer is restarting, overloaded or briefly unreachable.
_TRANSIENT_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EPIPE,
    errno.ETIMEDOUT,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.EAGAIN,
}


def is_transient(exc: BaseException) -> bool:
    """True for failures that may pass on their own: timeouts, refused or dropped connections,
    SMTP 4xx replies. A 5xx reply, a TLS certificate failure or a programming error is permanent.
    """
    if getattr(exc, "transient", None) is not None:
        return bool(exc.transient)  # type: ignore[attr-defined]
    smtplib = sys.modules.get("smtplib")  # not imported: exc cannot be an SMTP error
    if smtplib is not None:
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            codes = [code for code, _msg in exc.recipients.values()]
            return bool(codes) and all(400 <= code < 500 for code in codes)
        if isinstance(exc, smtplib.SMTPResponseException):
            return bool(400 <= exc.smtp_code < 500)
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return True
    if isinstance(exc, TimeoutError | socket.timeout):
        return True
    if isinstance(exc, ConnectionError):
        return True
    if isinstance(exc, OSError) and exc.errno in _TRANSIENT_ERRNOS:
        return True
    httpx = sys.modules.get("httpx")
    if httpx is not None and isinstance(exc, httpx.TransportError):
        return True
    # web3's HTTPProvider speaks through requests: a refused, dropped or timed-out call to a node.
    requests = sys.modules.get("requests")
    return requests is not None and isinstance(
        exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout
    )


def with_retry(
    fn: Callable[[], T],
    *,
    max_retries: int = 3,
    delay: float = 1.0,
    backoff: float = 2.0,
    deadline: float | None = None,
    jitter: float | None = None,
    retry_on: Callable[[BaseException], bool] = is_transient,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call `fn` until it succeeds, at most `max_retries` times in all (as the reference counts).

    Waits `delay`, `delay*backoff`, ... between attempts, plus up to `jitter` seconds (default:
    a tenth of `delay`) so that many callers failing together do not retry in lockstep. Stops
    early when the next wait would pass `deadline` seconds since the first call. Only errors for
    which `retry_on` is true are retried; the last error is raised unchanged.
    """
    if max_retries < 1:
        raise ValueError("max_retries must be at least 1")
    from tenacity import (  # lazy: tenacity (~90 ms) only when a call is retried
        Retrying,
        retry_if_exception,
        stop_after_attempt,
        stop_before_delay,
        wait_exponential,
        wait_random,
    )

    stop = stop_after_attempt(max_retries)
    if deadline is not None:
        stop = stop | stop_before_delay(deadline)  # type: ignore[assignment]
    retrying = Retrying(
        stop=stop,
        wait=wait_exponential(multiplier=delay, exp_base=backoff)
        + wait_random(0, delay / 10 if jitter is None else jitter),
        retry=retry_if_exception(retry_on),
        reraise=True,
        sleep=sleep,
    )
    return retrying(fn)


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before durable attempt `attempt + 1`, after `attempt` failures (1-based).

    Exponential with "full jitter" (uniform between half and the whole step): failures that
    happened together, say 200 mails refused while the relay restarted, spread out on retry.
    Written here rather than taken from tenacity because tenacity's wait strategies need a live
    retry state; this schedule outlives the process.
    """
    step = min(cap, base * 2 ** max(0, attempt - 1))
    return (rng or random).uniform(step / 2, step)
