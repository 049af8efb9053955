"""`tidecast payments …` and `tidecast chain …` with no node at RPC_URL (issue 18): one line on
stderr naming RPC_URL, exit status 1, never a traceback. Run as a person runs them, each in its
own process, against a port where nothing listens."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.parts import free_port

pytestmark = pytest.mark.slow  # each case waits out a CLI's connection timeouts

ROOT = Path(__file__).resolve().parents[2]
ADDRESSES = {  # where a fresh development chain puts them; nothing answers there anyway
    "PAYMENT_STREAM_CONTRACT_ADDRESS": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    "TOKEN_ADDRESS": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    "STREAM_REGISTRY_ADDRESS": "0x9fE46736679d2D9a65F0992F6272e9f8Ec6EB7c5",
}
COMMANDS = [
    ("payments", "show", "1"),
    ("payments", "open", "--to", "0x90F79bf6EB2c4f870365E785982E1f101E93b906", "--rate", "0.1",
     "--deposit", "1", "--from-demo", "2"),
    ("payments", "top-up", "1", "--amount", "1", "--from-demo", "2"),
    ("payments", "withdraw", "1", "--from-demo", "3"),
    ("payments", "cancel", "1", "--key-env", "VIEWER_KEY"),
    ("chain", "info"),
    ("chain", "accounts"),
    ("chain", "deploy"),
]  # fmt: skip


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_no_node_is_one_line_and_exit_1(args: tuple[str, ...], isolated: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RPC_URL": url,
        "TIDECAST_CHAIN_TIMEOUT": "2",
        "VIEWER_KEY": "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
        **ADDRESSES,
    }
    done = subprocess.run(
        [sys.executable, "-m", "tidecast", *args],
        cwd=isolated,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("tidecast: ") and "RPC_URL" in lines[0] and url in lines[0], lines
