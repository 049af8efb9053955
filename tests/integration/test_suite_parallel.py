"""The suite's parallel run keeps a group on one worker.

`make test` runs pytest-xdist with `--dist loadgroup`, and tests/conftest.py puts the tests of a
module with a module-scoped fixture (a platform, a browser, an encoded video) into one group, so
the fixture is built once. pytest 9.2 silently broke that (xdist issue 1386: the group rode on
the node id, which pytest no longer lets a plugin change): every group was spread over the
workers and each rebuilt the fixture. This runs a small suite the way `make test` does and fails
when a group is split, whatever pytest or xdist version the lock holds.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

SUITE = """
import pytest

@pytest.mark.xdist_group("together")
@pytest.mark.parametrize("n", range(6))
def test_grouped(n):
    assert n >= 0

@pytest.mark.parametrize("n", range(6))
def test_free(n):
    assert n >= 0
"""


def test_a_group_runs_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_one.py").write_text(SUITE)
    (tmp_path / "test_two.py").write_text(SUITE)
    # Only xdist is loaded (the other plugins, schemathesis above all, cost each process seconds).
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "xdist",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-v",
            "-p",
            "no:cacheprovider",
        ],
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    ran = re.findall(r"\[(gw\d)\] .*?PASSED (\S+)", run.stdout)
    assert len(ran) == 24, run.stdout
    grouped = {worker for worker, test in ran if "test_grouped" in test}
    free = {worker for worker, test in ran if "test_free" in test}
    assert len(grouped) == 1, f"the group ran on {sorted(grouped)}:\n{run.stdout}"
    assert free, run.stdout
