"""Runs the real dev server (uvicorn + tidecast's ASGI app) on a free port in a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from tests.support.parts import free_port
from tidecast.runtime.devserver import DevServer
from tidecast.runtime.netlify import load_netlify_config
from tidecast.runtime.registry import Registry


@contextmanager
def running_devserver(root: Path, *, max_body_bytes: int = 6 * 1024 * 1024) -> Iterator[str]:
    netlify = load_netlify_config(root)
    registry = Registry(netlify.functions_dir, settings=netlify.function_settings, import_root=root)
    app = DevServer(netlify, registry, max_body_bytes=max_body_bytes).app()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("dev server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
