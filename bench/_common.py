"""What the benchmarks share: a throwaway SQLite database with one stream in it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.parts import free_port  # noqa: E402 - needs ROOT on the path first

__all__ = ["ROOT", "bench_env", "free_port", "seed_stream"]

SEED = (
    "from tidecast.container import get_services; from tidecast.db.migrate import upgrade; "
    "s = get_services(); upgrade(s.engine); print(s.streams.create(title='bench')['id'])"
)


def bench_env(tmp: str) -> dict[str, str]:
    """The environment both sides of a benchmark run in: a private data dir and database."""
    return {
        **os.environ,
        "TIDECAST_DATA_DIR": tmp,
        "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
        "PYTHONPATH": str(ROOT),
    }


def seed_stream(env: dict[str, str]) -> str:
    """Migrate the database and add one stream; its id."""
    done = subprocess.run([sys.executable, "-c", SEED], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()
