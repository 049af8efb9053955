"""Helpers for tests that need a real part (a server binary) that may be absent."""

from __future__ import annotations

import os
import socket

import pytest


def missing_part(reason: str) -> None:
    """Skip with the reason printed; under CI=true a missing part fails the run instead."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"required part missing under CI: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
