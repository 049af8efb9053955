"""The money path from a terminal, as a person tries it: `tidecast dev` runs in a copy of the
project (its embedded chain, SMTP server and worker), and `tidecast chain …` and
`tidecast payments …` run in other processes against it, finding its contracts through
`.tidecast/chain.json`. The worker inside `tidecast dev` indexes the stream and mails the
wallet's account (linked through the real Sign-In with Ethereum flow over HTTP)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.anvil import running_anvil
from tests.support.parts import free_port
from tidecast.chain.devnet import EMBEDDED_CHAIN_ID, WELL_KNOWN_KEYS, demo_accounts
from tidecast.imports import sane_import

pytestmark = pytest.mark.slow  # `tidecast dev` and dozens of CLI processes

ROOT = Path(__file__).resolve().parents[2]
DEMO = demo_accounts(10)
VIEWER, CREATOR, STRANGER = DEMO[2], DEMO[3], DEMO[4]
PASSWORD = "correct horse battery"
#: A decimal amount of TIDE as the CLI prints it: digits, an optional fraction, no exponent.
AMOUNT = r"(\d+(?:\.\d+)?) TIDE"


@dataclass
class Dev:
    """A running `tidecast dev` and how to run more `tidecast` commands beside it."""

    base: str
    checkout: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None
    log: Path

    def tidecast(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "tidecast", *args],
            cwd=self.checkout,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def ok(self, *args: str, **env: str) -> str:
        done = self.tidecast(*args, **env)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    def refused(self, *args: str, **env: str) -> str:
        """A command that must fail: its (red) message on stderr, without a traceback."""
        done = self.tidecast(*args, **env)
        assert done.returncode != 0, (args, done.stdout)
        return done.stderr

    def start(self) -> None:
        """Run `tidecast dev` (again) in the checkout, on the same ports, until it serves."""
        port = self.base.rsplit(":", 1)[1]
        with self.log.open("ab") as out:  # a file, not a pipe nobody reads while the server runs
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tidecast", "dev", "--port", port],
                cwd=self.checkout,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 150  # a start, not a speed check: workers share two cores
        while True:  # /_dev/chain answers once the contracts are deployed and the server is up
            try:
                if httpx.get(self.base + "/_dev/chain", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"tidecast dev did not start:\n{self.stop()}")
            time.sleep(0.2)

    def stop(self) -> str:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return self.log.read_text(errors="replace")


@pytest.fixture
def dev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Dev]:
    """`tidecast dev` in a copy of the project, on free ports, its data under the copy's .tidecast."""
    checkout = tmp_path / "clone"
    checkout.mkdir()
    shutil.copy(ROOT / "netlify.toml", checkout / "netlify.toml")
    shutil.copytree(ROOT / "public", checkout / "public")
    shutil.copytree(ROOT / "tidecast", checkout / "tidecast", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("TIDECAST_DATA_DIR", str(checkout / ".tidecast"))
    env = {
        **os.environ,
        "PYTHONPATH": str(checkout),
        "SMTP_PORT": str(free_port()),
        "RPC_URL": f"http://127.0.0.1:{free_port()}",  # the embedded chain, never a developer's 8545
        # The embedded IPFS node on a port of its own: another xdist worker's `tidecast dev` may
        # hold the default 5001 (this test's start failed on it in a parallel run).
        "IPFS_API_URL": f"http://127.0.0.1:{free_port()}",
    }
    log = tmp_path / "dev.log"
    log.touch()
    running = Dev(f"http://127.0.0.1:{free_port()}", checkout, env, None, log)
    try:
        running.start()
        yield running
    finally:
        running.stop()


def show(stdout: str) -> dict[str, Any]:
    """The figures `payments show` (and every payments command after its first line) prints."""
    found = {
        "id": r"payment stream (\d+): (?:active|inactive)",
        "state": r"payment stream \d+: (active|inactive)",
        "from": r"from (0x[0-9a-fA-F]{40})",
        "to": r"to   (0x[0-9a-fA-F]{40})",
        "rate": rf"rate +{AMOUNT} per second",
        "deposited": rf"deposited +{AMOUNT}",
        "withdrawn": rf"withdrawn +{AMOUNT}",
        "remaining": rf"remaining +{AMOUNT} \(not yet streamed\)",
    }
    figures: dict[str, Any] = {}
    for name, pattern in found.items():
        match = re.search(pattern, stdout)
        assert match is not None, (name, stdout)
        figures[name] = match[1]
    for name in ("rate", "deposited", "withdrawn", "remaining"):
        figures[name] = Decimal(figures[name])  # exact: parsed from the printed decimal string
    return figures


def tide_balances(dev: Dev) -> dict[int, Decimal]:
    """Each demo account's TIDE, as `tidecast chain accounts` prints it."""
    rows = [line.split() for line in dev.ok("chain", "accounts").splitlines()[1:]]
    assert len(rows) == 10 and all(row[-2] == "TIDE" for row in rows), rows
    return {int(row[0]): Decimal(row[-1]) for row in rows}


def link_wallet(base: str, account: Any) -> None:
    """Register, log in, and link `account`'s wallet by signing the SIWE message the server
    offers, over HTTP, as the site's pages do."""
    Account = sane_import("eth_account").Account
    encode_defunct = sane_import("eth_account.messages").encode_defunct
    with httpx.Client(base_url=base, timeout=60) as client:
        user = {"username": "ann", "email": "ann@example.com", "password": PASSWORD}
        assert client.post("/api/auth/register", json=user).status_code == 202
        login = client.post("/api/auth/login", json={"username": "ann", "password": PASSWORD})
        assert login.status_code == 200, login.text
        auth = {"Authorization": f"Bearer {login.json()['token']}"}
        offer = client.post(
            "/api/auth/wallet/nonce", json={"purpose": "link", "address": account.address}, headers=auth
        )
        assert offer.status_code == 201, offer.text
        message = offer.json()["data"]["message"]
        signature = Account.sign_message(encode_defunct(text=message), account.private_key).signature
        linked = client.post(
            "/api/auth/wallet/link",
            json={"message": message, "signature": "0x" + bytes(signature).hex()},
            headers=auth,
        )
        assert linked.status_code == 200, linked.text
        assert linked.json()["data"]["address"] == account.address


def mails(base: str, want: int, subject: str, timeout: float = 60) -> list[dict[str, Any]]:
    """The dev mailbox's mails with `subject`, once at least `want` of them arrived."""
    deadline = time.monotonic() + timeout
    while True:
        found = [
            m
            for m in httpx.get(base + "/_dev/mail.json", timeout=10).json()["data"]
            if m["subject"] == subject
        ]
        if len(found) >= want:
            return found
        assert time.monotonic() < deadline, f"{len(found)} of {want} {subject!r} mails after {timeout} s"
        time.sleep(0.5)


@pytest.mark.timeout(300)  # two starts of `tidecast dev`, and a dozen commands, each a process
def test_the_money_path_from_a_terminal(dev: Dev) -> None:
    info = dev.ok("chain", "info")
    assert f"chain id         {EMBEDDED_CHAIN_ID} (a development chain)" in info
    chain_file = dev.checkout / ".tidecast" / "chain.json"
    for name in ("PaymentStream", "DemoToken", "StreamRegistry"):
        assert re.search(
            rf"{name} +0x[0-9a-fA-F]{{40}} \({re.escape(str(chain_file))}; contract code there\)", info
        )
    assert not any(key[2:] in info for key in WELL_KNOWN_KEYS)
    before = tide_balances(dev)
    assert set(before.values()) == {Decimal(1_000_000)}

    link_wallet(dev.base, VIEWER)
    opened = dev.ok(
        "payments", "open", "--to", CREATOR.address, "--rate", "0.01", "--deposit", "5", "--from-demo", "2"
    )
    found = re.match(r"opened payment stream (\d+)\n", opened)
    assert found is not None, opened
    sid = found[1]
    s = show(opened)
    assert (s["id"], s["state"], s["from"], s["to"]) == (sid, "active", VIEWER.address, CREATOR.address)
    assert (s["rate"], s["deposited"], s["withdrawn"]) == (Decimal("0.01"), Decimal(5), Decimal(0))
    assert 0 < s["remaining"] <= 5
    assert tide_balances(dev)[2] == Decimal(1_000_000 - 5)

    # Idle, the embedded chain mines an empty block every 2 s: time passes on chain, and the
    # stream with it.
    deadline = time.monotonic() + 20
    while (later := show(dev.ok("payments", "show", sid)))["remaining"] == s["remaining"]:
        assert time.monotonic() < deadline, "nothing streamed in 20 s"
        time.sleep(0.5)
    assert later["deposited"] == 5 and later["remaining"] < s["remaining"]
    assert (s["remaining"] - later["remaining"]) % Decimal("0.01") == 0  # whole seconds at 0.01

    topped = dev.ok("payments", "top-up", sid, "--amount", "1", "--from-demo", "2")
    top_up_tx = re.match(rf"topped up payment stream {sid} \(transaction (0x[0-9a-f]{{64}})\)\n", topped)
    assert top_up_tx is not None, topped
    assert show(topped)["deposited"] == 6

    withdrew = dev.ok("payments", "withdraw", sid, "--from-demo", "3")
    assert withdrew.startswith(f"withdrew from payment stream {sid} (transaction 0x")
    taken = show(withdrew)["withdrawn"]
    assert Decimal("0.01") <= taken < 1 and taken == taken.quantize(Decimal("0.01"))  # whole seconds
    assert tide_balances(dev)[3] == 1_000_000 + taken  # exactly what the stream says was paid

    cancelled = dev.ok("payments", "cancel", sid, "--from-demo", "2")
    assert cancelled.startswith(f"cancelled payment stream {sid} (transaction 0x")
    end = show(cancelled)
    assert (end["state"], end["remaining"], end["deposited"]) == ("inactive", 0, 6)
    assert end["withdrawn"] >= taken
    after = tide_balances(dev)
    # What streamed went to the creator, the rest came back to the viewer; no token was lost.
    assert after[3] == 1_000_000 + end["withdrawn"] and after[2] == 1_000_000 - end["withdrawn"]
    assert "ended" in cancelled and "runs dry" not in cancelled

    # The worker in `tidecast dev` indexed the stream and its top-up (2 confirmations deep) and
    # mailed the linked wallet's account a confirmation for each.
    confirmations = mails(dev.base, 2, "Payment Confirmation")
    texts = "\n".join(m["text"] for m in confirmations)
    assert all(m["envelopeTo"] == ["ann@example.com"] for m in confirmations)
    assert "Amount: 5 TIDE" in texts and "Amount: 1 TIDE" in texts and top_up_tx[1] in texts

    log = dev.stop()
    assert "Traceback" not in log and " ERROR " not in log, log
    # The chain is kept on disk for the next start, and the file still names it: commands say
    # that its node is not running, in one line, not a traceback.
    assert (dev.checkout / ".tidecast" / "chain.json").exists()
    gone = dev.refused("payments", "show", sid)
    assert "RPC_URL" in gone and "cannot be reached" in gone
    assert dev.tidecast("chain", "info").returncode == 1
    # `make dev` again: the same chain, its contracts and the payment stream (issue 18: "unknown
    # stream" after every restart), and the demo accounts' balances as they were.
    dev.start()
    again = show(dev.ok("payments", "show", sid))
    assert (again["state"], again["deposited"], again["withdrawn"]) == ("inactive", 6, end["withdrawn"])
    assert tide_balances(dev) == after
    log = dev.stop()  # both runs: the first deployed, the second found the contracts there
    assert log.count("; deployed PaymentStream") == 1 and log.count("; contracts PaymentStream") == 1, log


def test_what_a_terminal_user_gets_wrong(dev: Dev) -> None:
    opened = dev.ok(
        "payments", "open", "--to", CREATOR.address, "--rate", "0.01", "--deposit", "5", "--from-demo", "2"
    )
    sid = show(opened)["id"]

    # Signing keys: an unset or empty variable, a variable that holds no key, no signer at all.
    assert "TIDECAST_TEST_KEY is empty or not set" in dev.refused(
        "payments", "top-up", sid, "--amount", "1", "--key-env", "TIDECAST_TEST_KEY"
    )
    not_a_key = dev.refused(
        "payments", "top-up", sid, "--amount", "1", "--key-env", "TIDECAST_TEST_KEY",
        TIDECAST_TEST_KEY="0xnot-a-key-at-all",
    )  # fmt: skip
    assert "TIDECAST_TEST_KEY" in not_a_key and "not-a-key" not in not_a_key
    assert "--from-demo N or --key-env" in dev.refused("payments", "cancel", sid)
    # A key from the environment signs like a demo account does.
    done = dev.ok(
        "payments", "top-up", sid, "--amount", "0.5", "--key-env", "TIDECAST_TEST_KEY",
        TIDECAST_TEST_KEY=VIEWER.private_key,
    )  # fmt: skip
    assert show(done)["deposited"] == Decimal("5.5") and VIEWER.private_key[2:] not in done

    # The contract's reasons, each a non-zero exit.
    assert "only the recipient" in dev.refused("payments", "withdraw", sid, "--from-demo", "2")
    assert "only the sender" in dev.refused("payments", "top-up", sid, "--amount", "1", "--from-demo", "4")
    assert "unknown stream" in dev.refused("payments", "show", "999")
    assert "unknown stream" in dev.refused("payments", "cancel", "999", "--from-demo", "2")
    # Amounts: exact decimals or a clear refusal, never rounded.
    assert "decimal places" in dev.refused(
        "payments", "top-up", sid, "--amount", "0.0000000000000000001", "--from-demo", "2"
    )
    assert "rate must be a decimal number" in dev.refused(
        "payments", "open", "--to", CREATOR.address, "--rate", "1e-2", "--deposit", "5", "--from-demo", "2"
    )
    assert "recipient" in dev.refused(
        "payments", "open", "--to", "0x1234", "--rate", "0.01", "--deposit", "5", "--from-demo", "2"
    )
    assert show(dev.ok("payments", "show", sid))["deposited"] == Decimal("5.5")  # nothing moved

    # Demo accounts are refused on a chain that is not a development chain (Anvil as chain 11155111).
    with running_anvil(chain_id=11155111) as sepolia_like:
        other = dev.refused(
            "payments", "open", "--to", CREATOR.address, "--rate", "0.01", "--deposit", "5",
            "--from-demo", "2", RPC_URL=sepolia_like,
        )  # fmt: skip
        assert "demo accounts exist only on development chains (this is chain 11155111)" in other

    log = dev.stop()
    assert "Traceback" not in log, log
