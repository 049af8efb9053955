"""js-ipfs (npm `ipfs`, pinned in package.json), a real IPFS daemon speaking the Kubo RPC API,
for tests that check tidecast's IPFS client and CIDs against a node nobody here wrote.

The daemon runs from node_modules (`make setup-dev` runs `npm ci`); nothing is downloaded at
run time. It starts offline on a fresh repository in a temporary directory: `--init-config`
gives it an empty bootstrap list, no swarm addresses, mDNS, pubsub or routing, and the API and
gateway on free 127.0.0.1 ports; `--enable-preload=false` keeps it from asking preload nodes.
Starting takes ~3 s (Node loading js-ipfs, generating a key, initialising the repository), so
the conftest fixture keeps one daemon for the session. Where node or the package is absent the
test skips, and fails under CI=true.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.anvil import ROOT, require_node
from tests.support.parts import free_port, missing_part

JSIPFS = ROOT / "node_modules" / ".bin" / "jsipfs"
START_SECONDS = 60


@dataclass(frozen=True)
class JsIpfs:
    api_url: str
    gateway_url: str
    repo: Path


def require_jsipfs() -> Path:
    require_node()
    if not JSIPFS.exists():
        missing_part("node_modules/.bin/jsipfs not found; `make setup-dev` runs `npm ci` (package.json)")
    return JSIPFS


def daemon_config(api_port: int, gateway_port: int) -> dict[str, object]:
    """The parts of js-ipfs's config that keep it on loopback and off the network."""
    return {
        "Addresses": {
            "Swarm": [],
            "Announce": [],
            "NoAnnounce": [],
            "API": f"/ip4/127.0.0.1/tcp/{api_port}",
            "Gateway": f"/ip4/127.0.0.1/tcp/{gateway_port}",
            "RPC": "/ip4/127.0.0.1/tcp/0",
            "Delegates": [],
        },
        "Bootstrap": [],
        "Discovery": {"MDNS": {"Enabled": False}, "webRTCStar": {"Enabled": False}},
        "Pubsub": {"Enabled": False},
        "Routing": {"Type": "none"},
    }


def answers(api_url: str) -> bool:
    try:
        return httpx.post(f"{api_url}/api/v0/version", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def running_jsipfs() -> Iterator[JsIpfs]:
    """A js-ipfs daemon on a fresh repository and free ports; stopped (and its repository
    removed) after."""
    binary = require_jsipfs()
    with tempfile.TemporaryDirectory(prefix="jsipfs-") as tmp:
        api_port, gateway_port = free_port(), free_port()
        config = Path(tmp) / "config.json"
        config.write_text(json.dumps(daemon_config(api_port, gateway_port)))
        repo = Path(tmp) / "repo"
        env = {**os.environ, "IPFS_PATH": str(repo)}
        log = open(Path(tmp) / "daemon.log", "wb")
        proc = subprocess.Popen(
            [
                str(binary),
                "daemon",
                "--offline",
                "--enable-preload=false",
                "--init-profile",
                "test",
                "--init-config",
                str(config),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp,
        )
        api_url = f"http://127.0.0.1:{api_port}"
        deadline = time.monotonic() + START_SECONDS
        try:
            while not answers(api_url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    output = (Path(tmp) / "daemon.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"js-ipfs did not start: {output}")
                time.sleep(0.05)
            yield JsIpfs(api_url, f"http://127.0.0.1:{gateway_port}", repo)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
