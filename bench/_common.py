"""What the benchmarks share: a throwaway SQLite database, and servers run as their own processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.parts import free_port  # noqa: E402 - needs ROOT on the path first

__all__ = ["DEV_APP", "ROOT", "bench_env", "free_port", "seed_stream", "start"]

SEED = (
    "from tidecast.config import load_settings; from tidecast.container import create_services; "
    "from tidecast.db.migrate import upgrade; "
    "s = create_services(load_settings()); upgrade(s.engine); print(s.streams.create(title='bench').id)"
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


#: The dev server as `tidecast dev` builds it, run as its own uvicorn process: argv port, root.
DEV_APP = """
import sys, pathlib, uvicorn
from tidecast.config import load_settings
from tidecast.container import create_services
from tidecast.runtime.devserver import DevServer, server_config
from tidecast.runtime.netlify import load_netlify_config
from tidecast.runtime.registry import Registry
root = pathlib.Path(sys.argv[2])
settings = load_settings()
netlify = load_netlify_config(root)
registry = Registry(
    netlify.functions_dir, settings=netlify.function_settings, import_root=root,
    services=create_services(settings),
)
app = DevServer(netlify, registry, max_body_bytes=settings.tidecast_max_body_bytes).app()
config = server_config(app, host="127.0.0.1", port=int(sys.argv[1]), trusted_proxies=[])
config.log_level, config.access_log = "warning", False
# Config configured logging when it was made; the two lines above come too late for it.
import logging
logging.getLogger("uvicorn.access").disabled = True
logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
uvicorn.Server(config).run()
"""


def start(source: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """Run `source` as a server process on a free port; the process and its base URL once it answers."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", source, str(port), str(ROOT)], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(base + "/", timeout=1)
            return proc, base
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start") from None
            time.sleep(0.1)
