"""The whole platform as `tidecast dev` runs it (dev server, in-process worker, embedded chain,
IPFS node and SMTP capture), as a subprocess in a copy of the project, on free ports.

For the browser tests of the product's loop: nothing is bound in-process, so the pages meet
exactly what a developer running `make dev` meets. Settings make it quick: segments of 2 s, a
tiny two-rung ladder at x264's ultrafast preset, cheap bcrypt, the chain watcher indexing every
second without waiting for confirmations."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.parts import free_port
from tidecast.config import Settings

ROOT = Path(__file__).resolve().parents[2]
QUICK = {
    "HLS_SEGMENT_LENGTH": "2",
    "TIDECAST_HLS_LADDER": "240p:300k:32k,144p:120k:32k",
    "TIDECAST_HLS_PRESET": "ultrafast",
    "TIDECAST_BCRYPT_ROUNDS": "4",
    "TIDECAST_CHAIN_CONFIRMATIONS": "0",
    "TIDECAST_CHAIN_POLL_SECONDS": "1",
    "TIDECAST_KEY_PERIOD_SEGMENTS": "1",
}


@dataclass(frozen=True)
class Platform:
    base: str  # http://127.0.0.1:<port>
    rpc_url: str
    checkout: Path
    log: Path
    env: dict[str, str]  # what the platform runs with: a CLI given it talks to the same parts

    def chain(self) -> dict:
        return dict(httpx.get(self.base + "/_dev/chain", timeout=30).json()["data"])

    def verification_link(self, address: str, timeout: float = 30) -> str:
        """The verify-email link of the newest mail to `address` in the dev mailbox (the
        welcome mail a registration sends)."""
        deadline = time.monotonic() + timeout
        while True:
            for mail in httpx.get(self.base + "/_dev/mail.json", timeout=30).json()["data"]:
                found = re.search(r"https?://\S+/verify-email\?token=[\w-]+", mail["text"] or "")
                if address in mail["envelopeTo"] and found:
                    return found[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"no verification mail to {address} within {timeout} s")
            time.sleep(0.2)

    def verify_email(self, address: str) -> None:
        """Verify `address` as its verification page does (uploading needs it): the token from
        the mailed link, POSTed to /api/auth/verify-email."""
        token = self.verification_link(address).rsplit("=", 1)[1]
        reply = httpx.post(self.base + "/api/auth/verify-email", json={"token": token}, timeout=30)
        assert reply.status_code == 200, reply.text

    def verify_email_in(self, page: Any, address: str) -> None:
        """Verify `address` in a browser `page` as its owner would: open the link from the dev
        mailbox, confirm, see it verified."""
        from playwright.sync_api import expect

        page.goto(self.verification_link(address))
        page.get_by_role("button", name="Confirm my email address").click()
        expect(page.locator("#status")).to_contain_text("is verified")


def copy_checkout(work: Path) -> Path:
    """What `tidecast dev` runs from, copied into `work/checkout`: netlify.toml, the site (no
    streams) and the package, so the test's platform writes nothing into the project."""
    checkout = work / "checkout"
    checkout.mkdir()
    shutil.copy(ROOT / "netlify.toml", checkout / "netlify.toml")
    shutil.copytree(ROOT / "public", checkout / "public", ignore=shutil.ignore_patterns("streams"))
    shutil.copytree(ROOT / "tidecast", checkout / "tidecast", ignore=shutil.ignore_patterns("__pycache__"))
    return checkout


@contextmanager
def running_platform(work: Path, env: dict[str, str] | None = None) -> Iterator[Platform]:
    checkout = copy_checkout(work)
    port = free_port()
    rpc_url = f"http://127.0.0.1:{free_port()}"
    settings_vars = {name.upper() for name in Settings.model_fields}
    full_env = {
        **{key: value for key, value in os.environ.items() if key not in settings_vars},
        "PYTHONPATH": str(checkout),
        "TIDECAST_DATA_DIR": str(checkout / ".tidecast"),
        "SMTP_PORT": str(free_port()),
        "RPC_URL": rpc_url,  # the embedded chain, never a developer's 8545
        "IPFS_API_URL": f"http://127.0.0.1:{free_port()}",
        **QUICK,
        **(env or {}),
    }
    log = work / "tidecast-dev.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tidecast", "dev", "--port", str(port)],
            cwd=checkout,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + "/_dev/chain", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"tidecast dev did not come up:\n{log.read_text()[-4000:]}")
            time.sleep(0.2)
        yield Platform(base, rpc_url, checkout, log, full_env)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
