"""Anvil (a real Ethereum node, npm `@foundry-rs/anvil`, pinned in package.json) and the
embedded chain, each on a free port, for tests that want a node over HTTP.

Anvil runs from node_modules (`make setup-dev` runs `npm ci`); nothing is downloaded at run
time. Where node or the package is absent the test skips, and fails under CI=true.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.parts import free_port, missing_part

ROOT = Path(__file__).resolve().parents[2]
ANVIL = ROOT / "node_modules" / ".bin" / "anvil"
ANVIL_PLATFORM_BINARY = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
ANVIL_CHAIN_ID = 31337


def require_node() -> str:
    node = shutil.which("node")
    if node is None:
        missing_part("node not found; Anvil and ethers.js need Node.js (Debian package nodejs)")
    return str(node)


def require_anvil() -> Path:
    require_node()
    if not ANVIL.exists():
        missing_part("node_modules/.bin/anvil not found; `make setup-dev` runs `npm ci` (package.json)")
    return ANVIL


def rpc(url: str, method: str, *params: object) -> object:
    reply = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    body = reply.json()
    if "error" in body:
        raise RuntimeError(f"{method}: {body['error']}")
    return body["result"]


@contextmanager
def running_anvil(
    port: int | None = None, *, chain_id: int | None = None, args: tuple[str, ...] = ()
) -> Iterator[str]:
    """Anvil on 127.0.0.1 (a free port unless given, more options in `args`); yields its URL,
    stops it after."""
    binary = require_anvil()
    port = port or free_port()
    extra = [*(["--chain-id", str(chain_id)] if chain_id is not None else []), *args]
    # A file, never a pipe nobody reads while the test runs: a full one blocks the writer.
    errors = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [str(binary), "--host", "127.0.0.1", "--port", str(port), "--silent", *extra],
        stdout=subprocess.DEVNULL,
        stderr=errors,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    try:
        while True:
            try:
                rpc(url, "eth_chainId")
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    errors.seek(0)
                    err = errors.read()[-2000:].decode("utf-8", "replace")
                    raise RuntimeError(f"anvil did not start: {err}") from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        errors.close()


@contextmanager
def running_embedded_chain(
    *, accounts: int = 10, block_seconds: float = 0, port: int | None = None, state_path: Path | None = None
) -> Iterator[str]:
    """The embedded chain (tidecast's eth-tester node over JSON-RPC) on a free port (or `port`),
    in memory, or kept at `state_path` (a copy of a template chain starts where it left off)."""
    from tidecast.chain.embedded import RpcServer

    server = RpcServer(
        "127.0.0.1",
        port or free_port(),
        accounts=accounts,
        block_seconds=block_seconds,
        state_path=state_path,
    )
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
