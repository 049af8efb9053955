"""`tidecast doctor` against real parts: a migrated database, the embedded chain with the
contracts deployed, an IPFS node, an SMTP server; then each of them wrong or gone.

The doctor reads the process environment (it checks a deployment's configuration as the
platform would read it), so these tests set the environment, as test_config does.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.chain import deployed
from tests.support.ipfs_node import running_node
from tests.support.parts import free_port
from tests.support.seaweed import S3_BUCKET, SeaweedServer
from tests.support.smtp import SmtpServer
from tidecast.cli import app
from tidecast.db.engine import build_engine
from tidecast.db.migrate import upgrade
from tidecast.doctor import examine

SECRETS = {
    "TIDECAST_ENV": "production",
    "JWT_SECRET": "s" * 48,
    "TIDECAST_MEDIA_KEY_SECRET": "m" * 48,
    "TIDECAST_PUBLIC_URL": "https://tidecast.example",
}


@pytest.fixture
def ipfs_url(tmp_path: Path) -> Iterator[str]:
    with running_node(tmp_path / "ipfs") as node:
        yield node.url


def _closed_port() -> int:
    """A port nothing listens on: bound and closed again."""
    port = free_port()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    return port


def _set(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def _migrated(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    engine = build_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def test_a_production_configuration_whose_parts_all_answer_is_all_ok(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    deployed_embedded_chain: str,
    ipfs_url: str,
    smtp: SmtpServer,
) -> None:
    chain = deployed(deployed_embedded_chain)
    # A key of its own: production refuses the development chain's well-known ones.
    own_key = {"PLATFORM_PRIVATE_KEY": "0x" + "5a" * 32}
    _set(monkeypatch, {**SECRETS, **chain.env(**own_key), **smtp.env(), "IPFS_API_URL": ipfs_url})
    monkeypatch.setenv("DATABASE_URL", _migrated(tmp_path))

    result = CliRunner().invoke(app, ["doctor"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["ok", "settings"],
        ["ok", "database"],
        ["ok", "queue"],
        ["warn", "storage"],  # unset: right for one machine, not for Lambda
        ["ok", "ipfs"],
        ["ok", "chain"],
        ["ok", "smtp"],
    ], result.output
    assert f"chain {chain.deployment.chain_id}, the three contracts have code" in result.output
    assert smtp.handler.received == []  # a greeting, never a mail


def test_each_part_that_does_not_answer_names_its_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ipfs, rpc, mail = _closed_port(), _closed_port(), _closed_port()
    _set(
        monkeypatch,
        {
            **SECRETS,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
            "IPFS_API_URL": f"http://127.0.0.1:{ipfs}",
            "RPC_URL": f"http://127.0.0.1:{rpc}",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(mail),
            "SMTP_TIMEOUT": "2",
            "TIDECAST_CHAIN_TIMEOUT": "2",
            "TIDECAST_IPFS_TIMEOUT": "2",
            "PLATFORM_PRIVATE_KEY": "0x" + "11" * 32,
            "PAYMENT_STREAM_CONTRACT_ADDRESS": "0x" + "22" * 20,
            "TOKEN_ADDRESS": "0x" + "33" * 20,
            "STREAM_REGISTRY_ADDRESS": "0x" + "44" * 20,
        },
    )

    result = CliRunner().invoke(app, ["doctor"])

    assert result.exit_code == 1, result.output
    found = {f.part: f for f in examine(env_file=None)}
    assert found["settings"].outcome == "ok"
    assert found["database"].outcome == "fail"
    assert (
        "DATABASE_URL=" in found["database"].detail
        and "run `tidecast db upgrade`" in found["database"].detail
    )
    assert found["queue"].outcome == "ok"  # the SQLite queue under the data directory
    assert found["storage"].outcome == "warn" and "share no disk, set s3://BUCKET" in found["storage"].detail
    assert "TIDECAST_STORAGE_URL=(unset: local directories)" in found["storage"].detail
    assert found["ipfs"].outcome == "fail" and f"IPFS_API_URL=http://127.0.0.1:{ipfs}" in found["ipfs"].detail
    assert found["chain"].outcome == "fail" and f"RPC_URL=http://127.0.0.1:{rpc}" in found["chain"].detail
    assert found["smtp"].outcome == "fail" and f"SMTP_HOST=127.0.0.1:{mail}" in found["smtp"].detail
    assert "4 of 7 checks failed: database, ipfs, chain, smtp" in result.output


def test_contracts_without_code_and_a_wrong_chain_id_are_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, embedded_chain: str, ipfs_url: str, smtp: SmtpServer
) -> None:
    # A fresh chain: nothing deployed at these addresses.
    _set(monkeypatch, {**SECRETS, **smtp.env(), "IPFS_API_URL": ipfs_url, "RPC_URL": embedded_chain})
    monkeypatch.setenv("DATABASE_URL", _migrated(tmp_path))
    _set(
        monkeypatch,
        {
            "PLATFORM_PRIVATE_KEY": "0x" + "11" * 32,
            "PAYMENT_STREAM_CONTRACT_ADDRESS": "0x" + "22" * 20,
            "TOKEN_ADDRESS": "0x" + "33" * 20,
            "STREAM_REGISTRY_ADDRESS": "0x" + "44" * 20,
        },
    )
    chain = {f.part: f for f in examine(env_file=None)}["chain"]
    assert chain.outcome == "fail"
    assert "no contract code at PAYMENT_STREAM_CONTRACT_ADDRESS 0x" in chain.detail
    assert "TOKEN_ADDRESS" in chain.detail and "STREAM_REGISTRY_ADDRESS" in chain.detail

    monkeypatch.setenv("TIDECAST_CHAIN_ID", "1")
    chain = {f.part: f for f in examine(env_file=None)}["chain"]
    assert chain.outcome == "fail" and "TIDECAST_CHAIN_ID says 1" in chain.detail


def test_production_without_its_secrets_names_them_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDECAST_ENV", "production")

    result = CliRunner().invoke(app, ["doctor"])

    assert result.exit_code == 1, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("fail  settings")
    for name in ("JWT_SECRET", "DATABASE_URL", "TIDECAST_MEDIA_KEY_SECRET", "PLATFORM_PRIVATE_KEY"):
        assert name in first, first


def test_development_says_it_is_not_checking_production(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", _migrated(tmp_path))
    found = {f.part: f for f in examine(env_file=None)}
    assert found["settings"].outcome == "warn" and "TIDECAST_ENV=production" in found["settings"].detail
    assert found["database"].outcome == "ok"


def test_the_object_store_is_written_read_and_left_clean(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, s3_server: SeaweedServer
) -> None:
    """On a real S3 server (SeaweedFS): a bucket that answers is ok and keeps nothing of the
    probe; credentials it refuses, or a store that is down, name TIDECAST_STORAGE_URL."""
    # The other parts are pointed at nothing, quickly: only the storage finding is under test.
    _set(
        monkeypatch,
        {
            **SECRETS,
            **s3_server.credentials_env(),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
            "IPFS_API_URL": f"http://127.0.0.1:{_closed_port()}",
            "RPC_URL": f"http://127.0.0.1:{_closed_port()}",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(_closed_port()),
            "SMTP_TIMEOUT": "1",
            "TIDECAST_CHAIN_TIMEOUT": "1",
            "TIDECAST_IPFS_TIMEOUT": "1",
            "PLATFORM_PRIVATE_KEY": "0x" + "11" * 32,
            "PAYMENT_STREAM_CONTRACT_ADDRESS": "0x" + "22" * 20,
            "TOKEN_ADDRESS": "0x" + "33" * 20,
            "STREAM_REGISTRY_ADDRESS": "0x" + "44" * 20,
        },
    )
    prefix = f"doctor-{secrets.token_hex(4)}"
    monkeypatch.setenv("TIDECAST_STORAGE_URL", f"s3://{S3_BUCKET}/{prefix}?endpoint={s3_server.endpoint}")
    findings = examine(env_file=None)
    found = {f.part: f for f in findings}
    assert "storage" in found and found["storage"].outcome == "ok", findings
    assert found["storage"].detail.endswith("writable")
    client = s3_server.client()
    assert client.list_objects_v2(Bucket=S3_BUCKET, Prefix=prefix).get("KeyCount", 0) == 0

    # Credentials the store refuses (SeaweedFS creates a missing bucket on a put by an admin
    # identity, so a wrong secret is the refusal this server can show).
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    found = {f.part: f for f in examine(env_file=None)}
    assert found["storage"].outcome == "fail"
    assert f"TIDECAST_STORAGE_URL=s3://{S3_BUCKET}/{prefix}" in found["storage"].detail
    assert "SignatureDoesNotMatch" in found["storage"].detail, found["storage"]

    monkeypatch.setenv(
        "TIDECAST_STORAGE_URL", f"s3://{S3_BUCKET}/p?endpoint=http://127.0.0.1:{_closed_port()}"
    )
    found = {f.part: f for f in examine(env_file=None)}
    assert found["storage"].outcome == "fail" and "unreachable" in found["storage"].detail
