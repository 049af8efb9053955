"""The published contract holds against a live dev server: schemathesis (pinned in
requirements-dev.lock) generates requests from /api/openapi.json, stateless and along the
OpenAPI links (register -> login -> verify; upload create -> HEAD -> PATCH; stream get ->
patch -> playback -> delete; playback -> keys), logged in as a verified user.

Checks run: no server error, every status, content type, header and body as documented.
Not run yet, each for its reason (issue 19's remaining work, in docs/i19-api-decisions.md):
  positive_data_acceptance   the request models do not yet carry every rule the services apply
                             (username pattern, password policy, email syntax, SIWE grammar), so
                             schema-valid requests are refused with a 400 naming the rule;
  negative_data_rejection,   tus routes read their headers in the handler: a schema-violating
  missing_required_header    Tus-Resumable on OPTIONS is accepted (tus says OPTIONS needs none).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.parts import free_port

ROOT = Path(__file__).resolve().parents[2]
ST = Path(sys.executable).parent / "st"
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
PASSWORD = "correct horse battery staple"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copy(ROOT / "netlify.toml", clone / "netlify.toml")
    shutil.copytree(ROOT / "public", clone / "public")
    shutil.copytree(ROOT / "tidecast", clone / "tidecast", ignore=shutil.ignore_patterns("__pycache__"))
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(clone),
        "SMTP_PORT": str(free_port()),
        "RPC_URL": f"http://127.0.0.1:{free_port()}",
        "IPFS_API_URL": f"http://127.0.0.1:{free_port()}",
    }
    log = (tmp_path / "dev.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tidecast", "dev", "--port", str(port)],
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(base + "/api/openapi.json", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError((tmp_path / "dev.log").read_text())
        time.sleep(0.5)
    try:
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def login_token(base: str) -> str:
    """Register, verify (the link from the dev mailbox) and log in: a verified user's token."""
    name = f"contract{int(time.time() * 1000) % 10**8}"
    registered = httpx.post(
        base + "/api/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": PASSWORD},
    )
    assert registered.status_code == 202, registered.text
    token = None
    for _ in range(100):
        mail = json.dumps(httpx.get(base + "/_dev/mail.json").json())
        found = re.search(r"verify-email/?\?token=([A-Za-z0-9_\-.]+)", mail)
        if found:
            token = found[1]
            break
        time.sleep(0.2)
    assert token is not None, "no verification mail arrived"
    assert httpx.post(base + "/api/auth/verify-email", json={"token": token}).status_code == 200
    login = httpx.post(base + "/api/auth/login", json={"username": name, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return str(login.json()["token"])


def test_schemathesis_finds_no_server_error_and_no_schema_violation(server: str, tmp_path: Path) -> None:
    token = login_token(server)
    run = subprocess.run(
        [
            str(ST),
            "run",
            f"{server}/api/openapi.json",
            "--url",
            server,
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            ",".join(CHECKS),
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            "20",
            "--seed",
            "19",
            "--request-timeout",
            "20",
            "--no-color",
        ],
        cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.support.schemathesis_hooks", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    summary = (
        run.stdout[run.stdout.rfind("SUMMARY") - 40 :] if "SUMMARY" in run.stdout else run.stdout[-6000:]
    )
    print(summary)
    assert "Server error" not in run.stdout, run.stdout[-15000:]
    assert "Response violates schema" not in run.stdout, run.stdout[-15000:]
    assert run.returncode == 0, run.stdout[-15000:]
