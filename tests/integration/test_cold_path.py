"""What a cold start loads: a fresh interpreter imports one function and answers one event, and
nothing of the parts that function does not use is imported (checked by `sys.modules`).

Run in a subprocess: this test process has long since imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.services import build_services
from tidecast.db.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]

#: Module prefixes the streams function must never load: other parts' code and libraries.
NOT_FOR_STREAMS = [
    "tidecast.accounts.service",
    "tidecast.accounts.mail",
    "tidecast.accounts.wallets",
    "tidecast.lib.siwe",
    "tidecast.lib.passwords",
    "tidecast.accounts.tokens",
    "tidecast.mail.email",
    "tidecast.mail.outbox",
    "tidecast.mail.smtp",
    "tidecast.event_bus",
    "tidecast.queue",
    "tidecast.jobs",
    "smtplib",
    "bcrypt",
    "jwt",
    "jinja2",
    "html2text",
    "email_validator",
    "huey",
    "redis",
    "web3",
    "eth_account",
    "eth_utils",
    "py_ecc",
    "eth_tester",
    "eth",  # py-evm
    "vyper",
    "tidecast.embedded",
    "tidecast.chain.deploy",
    "tidecast.chain.service",
    "tidecast.chain.signer",
    "tidecast.payments.status",
    "ipfshttpclient",
    "multiformats",
    "multipart",  # python-multipart, the embedded IPFS node's upload parser
    "tidecast.ipfs",
    "av",
    "imageio_ffmpeg",
    "m3u8",
    "tidecast.media.probe",
    "tidecast.media.ffmpeg",
    "tidecast.media.playlists",
    "tidecast.media.hls",
    "alembic",
    "typer",
    "starlette",
    "uvicorn",
]

#: A login needs accounts, tokens and bcrypt, and still no mail, SMTP, queue or chain code.
NOT_FOR_LOGIN = [
    "tidecast.mail.email",
    "tidecast.mail.outbox",
    "tidecast.mail.smtp",
    "tidecast.accounts.mail",
    "tidecast.queue",
    "smtplib",
    "jinja2",
    "html2text",
    "huey",
    "redis",
    "web3",
    "eth_account",
    "py_ecc",
    "eth_tester",
    "eth",
]

#: The CLI and the container load no chain, IPFS or media library at import: only `tidecast
#: chain …`, `tidecast ipfs …`, `tidecast transcode` and `tidecast dev` (its embedded parts) do,
#: inside the command.
NOT_AT_IMPORT = [
    "web3",
    "eth_tester",
    "eth",
    "eth_account",
    "py_ecc",
    "tidecast.chain.node.evm",
    "vyper",
    "multiformats",
    "tidecast.ipfs",
    "av",
    "imageio_ffmpeg",
    "m3u8",
    "tidecast.media.probe",
    "tidecast.media.ffmpeg",
    "tidecast.media.playlists",
    "tidecast.media.hls",
]

PROBE = """
import json, sys
sys.path.insert(0, {root!r})
from tests.support.events import aws_event
from tidecast.functions.{function} import handler
reply = handler(aws_event("1.0", {method!r}, {path!r}, body={body!r}), None)
print(json.dumps({{"status": reply["statusCode"], "modules": sorted(sys.modules)}}))
"""


def cold(function: str, method: str, path: str, env: dict[str, str], body: str | None = None) -> dict:
    source = PROBE.format(root=str(ROOT), function=function, method=method, path=path, body=body)
    done = subprocess.run(
        [sys.executable, "-c", source], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def loaded(modules: list[str], prefixes: list[str]) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes)]


@pytest.mark.slow  # fresh interpreters, one a function
def test_the_streams_function_loads_only_what_it_uses(tmp_path: Path) -> None:
    env = {**os.environ, "TIDECAST_DATA_DIR": str(tmp_path / ".tidecast"), "TIDECAST_BCRYPT_ROUNDS": "4"}
    svc = build_services()
    upgrade(svc.engine)
    stream = svc.streams.create(title="cold")
    svc.close()

    found = cold("streams", "GET", f"/api/streams/{stream.id}", env)
    assert found["status"] == 200
    assert loaded(found["modules"], NOT_FOR_STREAMS) == []
    # The probe itself can fail: the list names modules that a wider import does load.
    wide = cold("auth", "POST", "/api/auth/login", env, body='{"username": "nobody", "password": "x"}')
    assert wide["status"] == 401
    assert "bcrypt" in wide["modules"] and "tidecast.accounts.service" in wide["modules"]
    assert loaded(wide["modules"], NOT_FOR_LOGIN) == []


def test_the_cli_and_the_container_import_no_chain_or_ipfs_library() -> None:
    probe = (
        "import json, sys\n"
        "import tidecast.cli, tidecast.container, tidecast.config\n"
        "from tidecast.cli import app\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert loaded(json.loads(done.stdout), NOT_AT_IMPORT) == []
