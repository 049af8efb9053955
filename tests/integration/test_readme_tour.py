"""The README's tour, exactly as written, against a live dev server: the fenced `sh` blocks of its
"A tour, by copy and paste" section are read from README.md and run in order by bash, as a new
user pastes them, so the README and this test cannot drift apart. scripts/tour.sh must be those
same blocks.

The only change made to the text is the address: `API=http://localhost:8888` points at the
test's platform (`tidecast dev` as a subprocess on a free port, tests/support/platform.py), and
the CLI commands get that platform's settings (RPC_URL, the data directory) in the environment,
as they find them in `.tidecast/` when run from the clone. The platform runs the quick ladder
(two small rungs, ultrafast) so the tour's 8 MB clip transcodes in seconds.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.platform import running_platform

pytestmark = pytest.mark.slow  # a whole platform, the README tour run against it

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## A tour, by copy and paste"
SCRIPT_HEADER = """#!/usr/bin/env bash
# The README's tour ("A tour, by copy and paste"), block after block: run it from the top of the
# clone while `make dev` runs. tests/integration/test_readme_tour.py checks that this file is
# exactly the README's blocks, and runs them against a live dev server.
set -euo pipefail
"""


def tour_blocks(readme: str) -> list[str]:
    """The `sh` blocks of the tour section, in order."""
    assert SECTION in readme, f"README.md has no {SECTION!r} section"
    section = readme.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```", section, re.S | re.M)
    assert blocks, "the tour section has no ```sh blocks"
    return blocks


def tour_script(readme: str) -> str:
    return SCRIPT_HEADER + "\n".join(tour_blocks(readme))


def test_scripts_tour_sh_is_the_readme_tour() -> None:
    assert (ROOT / "scripts" / "tour.sh").read_text() == tour_script((ROOT / "README.md").read_text()), (
        "scripts/tour.sh differs from the README's tour: regenerate it with "
        "`python -m tests.integration.test_readme_tour > scripts/tour.sh`"
    )


def test_every_variable_the_tour_uses_is_defined_before() -> None:
    """Each $NAME the tour reads is set by an earlier line of the tour (a function's $1 aside),
    so nothing depends on a variable another section or the reader's shell defined."""
    text = "\n".join(tour_blocks((ROOT / "README.md").read_text()))
    assigned: set[str] = {"PATH", "HOME", "PS1"}
    for lineno, line in enumerate(text.splitlines(), 1):
        code = re.sub(r"'[^']*'", "", line)  # single-quoted text is not expanded
        for name in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", code):
            assert name in assigned, f"line {lineno} uses ${name} before any line defines it: {line}"
        assigned |= set(re.findall(r"(?:^|\s|\()(?:export )?([A-Za-z_][A-Za-z0-9_]*)=", line))


@pytest.mark.timeout(600)
def test_the_readme_tour_runs_against_a_dev_server(tmp_path: Path) -> None:
    script = tour_script((ROOT / "README.md").read_text())
    with running_platform(tmp_path) as platform:
        # `source .venv/bin/activate` from the clone: the virtualenv running these tests.
        (platform.checkout / ".venv").symlink_to(Path(sys.prefix))
        pointed = script.replace("API=http://localhost:8888", f"API={platform.base}")
        assert pointed != script, "the tour no longer sets API=http://localhost:8888"
        done = subprocess.run(
            ["bash", "-c", pointed],
            cwd=platform.checkout,
            env=platform.env,
            capture_output=True,
            text=True,
            timeout=480,
        )
        log = platform.log.read_text()[-3000:]
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n--- dev server log ---\n{log}"
    assert done.stdout.rstrip().endswith("200: 16 bytes"), done.stdout + done.stderr
    assert (platform.checkout / "key.bin").stat().st_size == 16
    assert "sent 100%" in done.stderr and "is ready" in done.stderr, done.stderr
    # The clip is over one request's 6 MB: it went in more than one PATCH.
    assert (platform.checkout / "clip.mp4").stat().st_size > 6 * 1024 * 1024


if __name__ == "__main__":
    sys.stdout.write(tour_script((ROOT / "README.md").read_text()))
