"""`tidecast chain …` as a developer runs it, in a fresh working directory, against Anvil."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.anvil import running_anvil
from tidecast.chain.devnet import WELL_KNOWN_KEYS

pytestmark = pytest.mark.slow  # the CLI in subprocesses against a chain it deploys

ROOT = Path(__file__).resolve().parents[2]


def tidecast(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tidecast", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_info_and_accounts_on_a_development_chain(anvil: str, tmp_path: Path) -> None:
    deployed = tidecast(["chain", "deploy"], tmp_path, RPC_URL=anvil)
    assert deployed.returncode == 0, deployed.stderr
    lines = dict(line.split("=", 1) for line in deployed.stdout.splitlines())
    assert set(lines) == {
        "PAYMENT_STREAM_CONTRACT_ADDRESS",
        "TOKEN_ADDRESS",
        "STREAM_REGISTRY_ADDRESS",
        "TIDECAST_CHAIN_ID",
    }
    assert lines["TIDECAST_CHAIN_ID"] == "31337" and "demo account 0" in deployed.stderr
    assert not any(key[2:] in deployed.stdout + deployed.stderr for key in WELL_KNOWN_KEYS)
    assert (tmp_path / ".tidecast" / "chain.json").exists()

    info = tidecast(["chain", "info"], tmp_path, RPC_URL=anvil)
    assert info.returncode == 0, info.stderr
    chain_file = tmp_path / ".tidecast" / "chain.json"  # TIDECAST_DATA_DIR (the `isolated` fixture)
    assert f"DemoToken        {lines['TOKEN_ADDRESS']} ({chain_file}; contract code there)" in info.stdout
    assert "chain id         31337 (a development chain)" in info.stdout
    # The environment wins, and info says so; an address without code is called out.
    moved = tidecast(["chain", "info"], tmp_path, RPC_URL=anvil, TOKEN_ADDRESS="0x" + "12" * 20)
    assert f"DemoToken        0x{'12' * 20} (environment; NO CODE" in moved.stdout
    assert not any(key[2:] in info.stdout for key in WELL_KNOWN_KEYS)  # the platform key never shows

    accounts = tidecast(["chain", "accounts"], tmp_path, RPC_URL=anvil)
    assert accounts.returncode == 0, accounts.stderr
    rows = [line.split() for line in accounts.stdout.splitlines()[1:]]
    assert len(rows) == 10 and rows[1][1] == "platform" and rows[1][3] in WELL_KNOWN_KEYS
    assert rows[5][-2:] == ["TIDE", "1000000"]


def test_accounts_refuses_other_chains_and_deploy_needs_a_key(tmp_path: Path) -> None:
    with running_anvil(chain_id=11155111) as sepolia_like:
        accounts = tidecast(["chain", "accounts"], tmp_path, RPC_URL=sepolia_like)
        assert accounts.returncode == 2 and "not a development chain" in accounts.stderr
        deploy = tidecast(["chain", "deploy"], tmp_path, RPC_URL=sepolia_like)
        assert deploy.returncode == 2 and "DEPLOYER_PRIVATE_KEY" in deploy.stderr
        key = sorted(WELL_KNOWN_KEYS)[3]  # funded on this Anvil, whatever its chain id
        done = tidecast(
            ["chain", "deploy", "--platform", "0x" + "ab" * 20],
            tmp_path,
            RPC_URL=sepolia_like,
            DEPLOYER_PRIVATE_KEY=key,
        )
        assert done.returncode == 0, done.stderr
        assert "TIDECAST_CHAIN_ID=11155111" in done.stdout and key[2:] not in done.stdout + done.stderr
        assert not (tmp_path / ".tidecast" / "chain.json").exists()  # not a development chain


def test_an_unreachable_node_is_named_masked(tmp_path: Path) -> None:
    from tests.support.parts import free_port

    url = f"http://user:secretpw@127.0.0.1:{free_port()}"
    info = tidecast(["chain", "info"], tmp_path, RPC_URL=url)
    assert info.returncode == 1 and "no Ethereum node answers at RPC_URL" in info.stderr
    assert "secretpw" not in info.stdout + info.stderr
