"""Runs the real dev server (uvicorn + tidecast's ASGI app) on a free port in a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from tests.support.parts import free_port
from tidecast.runtime.devserver import DevServer, server_config
from tidecast.runtime.netlify import load_netlify_config
from tidecast.runtime.registry import Registry


@contextmanager
def running_devserver(
    root: Path,
    *,
    max_body_bytes: int = 6 * 1024 * 1024,
    body_timeout: float = 30.0,
    header_timeout: float = 10.0,
    trusted_proxies: list[str] | None = None,
    dev_routes: list[Any] | None = None,
    public_routes: list[Any] | None = None,
) -> Iterator[str]:
    """The dev server as `tidecast dev` configures it (uvicorn settings included)."""
    netlify = load_netlify_config(root)
    registry = Registry(netlify.functions_dir, settings=netlify.function_settings, import_root=root)
    app = DevServer(netlify, registry, max_body_bytes=max_body_bytes, body_timeout=body_timeout).app(
        dev_routes, public_routes
    )
    port = free_port()
    config = server_config(
        app, host="127.0.0.1", port=port, trusted_proxies=trusted_proxies or [], header_timeout=header_timeout
    )
    config.log_level = "warning"
    server = uvicorn.Server(config)
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
