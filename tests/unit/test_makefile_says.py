"""`make dev` on a fresh machine says what it is doing before each long step: pip runs with
--quiet and is silent for a minute or two, which looked like a hang."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_each_pip_step_of_make_dev_is_announced() -> None:
    # -n: print, never run; -W: as if requirements.lock had just changed (a fresh setup).
    planned = subprocess.run(
        ["make", "-n", "-W", "requirements.lock", "-W", "pyproject.toml", "dev"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert planned.returncode == 0, planned.stderr
    lines = planned.stdout.splitlines()
    long_steps = [
        i for i, line in enumerate(lines) if "pip install" in line or "tidecast dev" in line.split("#")[0]
    ]
    assert long_steps, planned.stdout
    for i in long_steps:
        if lines[i].startswith("echo"):
            continue
        assert i > 0 and lines[i - 1].startswith('echo "make: '), f"no word before: {lines[i]}"
