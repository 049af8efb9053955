"""A local FAKE of Stripe's API for the billing tests: localstripe, in a subprocess on a free
127.0.0.1 port.

Stripe itself cannot be reached from the test machines (nor should tests spend anything there),
so nothing here proves that tidecast works against Stripe: it proves that tidecast works against
localstripe (PyPI, pinned in requirements-dev.lock), a stateful imitation of Stripe's API that
the official `stripe` library talks to when its API base points here (`api_base`). localstripe
has no Checkout Sessions; those, their hosted payment page, the refund and dispute webhooks and
the `/_test/` controls are this project's extension of it, in tidecast/billing/fake_stripe.py.

`LocalStripe` drives what a customer, a bank or a card network would do in Stripe's place: pay a
session (as its page does), finish a delayed payment, open and close a dispute. Webhooks are
localstripe's: every event is stored (GET /v1/events/{id}) and posted, signed with the endpoint's
secret like Stripe's, about one second later to every registered endpoint.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support.parts import free_port
from tests.support.procs import stop

#: Any `sk_test_` key works on localstripe; the tests and the app under test use this one.
SECRET_KEY = "sk_test_tidecast"
START_TIMEOUT = 30.0
STOP_GRACE = 5.0
#: Starts on a free port, retried this many times should another process take the port first.
START_ATTEMPTS = 3
ROOT = Path(__file__).resolve().parents[2]


class LocalStripeError(Exception):
    """A control request the fake refused: `status` and Stripe's `error` body (a declined card is
    402 with `{"type": "card_error", "code": "card_declined", ...}`)."""

    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(f"{status}: {error.get('message', error)}")
        self.status = status
        self.error = error


class LocalStripe:
    """A running fake: the API's address and the test-only controls."""

    def __init__(self, api_base: str) -> None:
        #: What STRIPE_API_BASE (the `stripe` library's "api" base address) is set to.
        self.api_base = api_base
        self._http = httpx.Client(
            base_url=api_base, timeout=10.0, headers={"Authorization": f"Bearer {SECRET_KEY}"}
        )

    def close(self) -> None:
        self._http.close()

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self._http.request(method, path, json=body)
        if response.status_code >= 400:
            try:
                error = response.json().get("error", {})
            except ValueError:
                error = {"message": response.text}
            raise LocalStripeError(response.status_code, error)
        if not response.content:
            return {}
        data: dict[str, Any] = response.json()
        return data

    def register_webhook(self, url: str, secret: str, events: list[str] | None = None) -> None:
        """Every event (or only those of `events`) from now on is posted to `url`, signed with
        `secret`. Endpoints add up: each registered one receives its events."""
        body: dict[str, Any] = {"url": url, "secret": secret}
        if events is not None:
            body["events"] = list(events)
        self._send("POST", f"/_config/webhooks/{uuid.uuid4().hex}", body)

    def pay(self, session_id: str, card: str = "4242424242424242", *, delayed: bool = False) -> None:
        """What the hosted page does with `card` (`4000000000000002` declines: LocalStripeError
        402). `delayed`: the session completes unpaid, as with a bank debit, until
        `finish_async`."""
        self._send("POST", f"/_test/checkout/{session_id}/pay", {"card": card, "delayed": delayed})

    def finish_async(self, session_id: str, *, succeeded: bool) -> None:
        """A delayed payment's outcome: `checkout.session.async_payment_succeeded` (the session
        becomes paid) or `checkout.session.async_payment_failed`."""
        self._send("POST", f"/_test/checkout/{session_id}/async", {"succeeded": succeeded})

    def dispute(self, payment_intent: str, amount: int | None = None) -> str:
        """The cardholder disputes the intent's charge (all of it unless `amount`):
        `charge.dispute.created`. Returns the dispute's id."""
        body: dict[str, Any] = {"payment_intent": payment_intent}
        if amount is not None:
            body["amount"] = amount
        return str(self._send("POST", "/_test/disputes", body)["id"])

    def close_dispute(self, dispute_id: str, *, won: bool) -> None:
        """The dispute ends, `won` or lost: `charge.dispute.closed`."""
        self._send("POST", f"/_test/disputes/{dispute_id}/close", {"won": won})

    def session(self, session_id: str) -> dict[str, Any]:
        """The Checkout Session as the API returns it."""
        return self._send("GET", f"/v1/checkout/sessions/{session_id}")


def _ready(proc: subprocess.Popen[bytes], api_base: str, deadline: float) -> bool:
    """Whether the server answers before `deadline`; False when it exited (its port taken)."""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            if httpx.get(f"{api_base}/_test/health", timeout=1.0).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"localstripe did not answer at {api_base} within {START_TIMEOUT:.0f} s")


@contextmanager
def local_stripe(log_dir: Path) -> Iterator[LocalStripe]:
    """localstripe with this project's extension, running until the block ends; its output goes
    to `log_dir`/localstripe.log."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "localstripe.log"
    with log_path.open("ab") as log:
        deadline = time.monotonic() + START_TIMEOUT
        for _ in range(START_ATTEMPTS):
            port = free_port()
            api_base = f"http://127.0.0.1:{port}"
            proc = subprocess.Popen(
                [sys.executable, "-u", "-m", "tidecast.billing.fake_stripe", "--port", str(port)],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                if _ready(proc, api_base, deadline):
                    break
            except BaseException:
                stop(proc, signal.SIGINT, grace=STOP_GRACE)
                raise
        else:
            raise RuntimeError(f"localstripe did not start; see {log_path}")
        fake = LocalStripe(api_base)
        try:
            yield fake
        finally:
            fake.close()
            stop(proc, signal.SIGINT, grace=STOP_GRACE)
