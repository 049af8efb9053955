"""Card payments on a laptop (an embedded part): localstripe, a local FAKE of Stripe's API.

`tidecast dev` starts it when card payments are not configured (no STRIPE_SECRET_KEY) and
localstripe is installed (`make dev` installs it from requirements-dev.lock): the fake runs on
127.0.0.1, on a free port (or STRIPE_API_BASE's: nobody needs to know it, since the browser is
sent to each session's own URL and two dev servers never contend for one), its webhook points
at this dev server's /api/billing/webhook with a secret made for the run, and the billing
function talks to it exactly as it would talk to Stripe. Its hosted page takes the test card
4242 4242 4242 4242.
No money moves and nothing reaches Stripe. With STRIPE_SECRET_KEY set (Stripe's test-mode keys
work on a laptop too), it is not started.
"""

from __future__ import annotations

import errno
import importlib.util
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from starlette.routing import BaseRoute

from tidecast.config import Settings
from tidecast.files import private_dir
from tidecast.lib.processes import die_with_parent
from tidecast.net.sockets import free_port, is_loopback, port_in_use

START_TIMEOUT = 30.0
#: Any `sk_test_` key opens localstripe: this one is not a secret (the fake holds no money).
DEV_SECRET_KEY = "sk_test_tidecast_dev"  # noqa: S105 - a fake's key, public by design


class StripePart:
    name = "card payments (localstripe, a fake of Stripe)"
    setting = "STRIPE_API_BASE"

    def __init__(self, port: int, log_dir: Path) -> None:
        self.port = port
        self.log_dir = log_dir
        self.webhook_secret = "whsec_dev_" + secrets.token_hex(16)
        self._proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def plan(cls, settings: Settings) -> StripePart | None:
        if settings.production or settings.stripe_secret_key is not None:
            return None  # Stripe itself (test or live keys) is configured
        if importlib.util.find_spec("localstripe") is None:
            return None  # `tidecast dev`'s banner says how card payments come on
        port = free_port()
        if settings.stripe_api_base:
            parts = urlsplit(settings.stripe_api_base)
            if not is_loopback(parts.hostname or "") or parts.port is None:
                return None
            port = parts.port
        return cls(port, settings.tidecast_data_dir)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        if port_in_use(self.port):
            raise OSError(errno.EADDRINUSE, f"port {self.port} is in use")
        private_dir(self.log_dir)
        log = (self.log_dir / "localstripe.log").open("ab")
        self._proc = subprocess.Popen(  # noqa: S603 - our own module, this interpreter
            [sys.executable, "-m", "tidecast.billing.fake_stripe", "--port", str(self.port)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent(),  # `tidecast dev` SIGKILLed leaves no fake behind
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"localstripe stopped at start; see {self.log_dir / 'localstripe.log'}")
            try:
                if httpx.get(f"{self.endpoint}/_test/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"localstripe did not answer within {START_TIMEOUT:.0f} s")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def configure(self, settings: Settings) -> Settings:
        settings = settings.with_default("stripe_secret_key", DEV_SECRET_KEY)
        settings = settings.with_default("stripe_webhook_secret", self.webhook_secret)
        settings = settings.with_default("stripe_api_base", self.endpoint)
        if self._proc is not None:  # started: point its webhook at this dev server
            httpx.post(
                f"{self.endpoint}/_config/webhooks/tidecast",
                data={
                    "url": f"{settings.tidecast_public_url}/api/billing/webhook",
                    "secret": self.webhook_secret,
                },
                headers={"Authorization": f"Bearer {DEV_SECRET_KEY}"},
                timeout=5.0,
            ).raise_for_status()
        return settings

    def routes(self) -> list[BaseRoute]:
        return []

    def public_routes(self) -> list[BaseRoute]:
        return []

    def banner(self, base_url: str) -> str:
        return (
            f"cards     {self.endpoint}: localstripe, a FAKE of Stripe (no money moves); "
            f"buy credit at {base_url}/credit/ with card 4242 4242 4242 4242"
        )
