"""`tidecast config` (typer's CliRunner on the real app) never prints a secret held in a URL
setting, not even when refusing a malformed one, and shows derived values where they come from."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tidecast.cli import app

URLS = {
    "RPC_URL": "https://user:s3cr3t@node.example/v3/9aa3d95b3bc440fa88ea12eaa4456161?apikey=abc",
    "IPFS_API_URL": "http://admin:pw@127.0.0.1:5001",
    "DATABASE_URL": "postgresql://bob:hunter2@db/x",
    "TIDECAST_QUEUE_URL": "redis://:redispw@h:6379/0",
}
#: Each variable's secrets: none may appear on its line, or anywhere in the output.
SECRETS = {
    "RPC_URL": ("s3cr3t", "9aa3d95b3bc440fa88ea12eaa4456161", "apikey=abc"),
    "IPFS_API_URL": (":pw@",),
    "DATABASE_URL": ("hunter2",),
    "TIDECAST_QUEUE_URL": ("redispw",),
}


def config(monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[int, str, dict[str, str]]:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, ["config"])
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    return result.exit_code, result.output, lines


def test_config_masks_every_url_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    code, output, lines = config(monkeypatch, **URLS)
    assert code == 0, output
    for name, secrets in SECRETS.items():
        for secret in secrets:
            assert secret not in output, (name, secret)
        assert "abc" not in lines[name] and "pw" not in lines[name].replace("redis", ""), lines[name]
    assert lines["RPC_URL"] == "https://user:********@node.example/v3/********?apikey=********"
    assert lines["IPFS_API_URL"] == "http://admin:********@127.0.0.1:5001"
    assert lines["DATABASE_URL"] == "postgresql://bob:********@db/x"
    assert lines["TIDECAST_QUEUE_URL"] == "redis://:********@h:6379/0"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TIDECAST_QUEUE_URL", "amqp://u:topsecret@h/"),
        ("TIDECAST_PUBLIC_URL", "ftp://u:topsecret@h/"),
        ("JWT_SECRET", "topsecret"),  # too short: refused without echoing it
    ],
)
def test_a_malformed_setting_is_named_without_its_secret(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    code, output, _ = config(monkeypatch, **{name: value})
    assert code == 2 and name in output, output
    assert "topsecret" not in output


def test_a_url_whose_port_does_not_parse_is_masked_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    code, output, lines = config(monkeypatch, TIDECAST_QUEUE_URL="redis://:topsecret@h:notaport/0")
    assert code == 0 and "topsecret" not in output
    assert lines["TIDECAST_QUEUE_URL"] == "********"


def test_config_shows_the_effective_siwe_domain(monkeypatch: pytest.MonkeyPatch) -> None:
    code, output, lines = config(monkeypatch)
    assert code == 0 and lines["TIDECAST_SIWE_DOMAIN"].startswith("localhost:8888 ("), output
    code, output, lines = config(monkeypatch, TIDECAST_PUBLIC_URL="https://watch.example:8443/app")
    assert lines["TIDECAST_SIWE_DOMAIN"] == "watch.example:8443 (the host of TIDECAST_PUBLIC_URL)"
    assert "(unset)" not in lines["TIDECAST_SIWE_DOMAIN"]
    code, output, lines = config(monkeypatch, TIDECAST_SIWE_DOMAIN="tidecast.example")
    assert lines["TIDECAST_SIWE_DOMAIN"] == "tidecast.example"


def test_credentials_in_the_public_url_do_not_leak_through_the_siwe_domain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The SIWE domain is derived from TIDECAST_PUBLIC_URL: its user-info is no part of a host,
    and must not be printed beside the masked URL it came from."""
    code, output, lines = config(monkeypatch, TIDECAST_PUBLIC_URL="https://u:pubsecret@watch.example:8443")
    assert code == 0 and "pubsecret" not in output, output
    assert lines["TIDECAST_PUBLIC_URL"] == "https://u:********@watch.example:8443"
    assert lines["TIDECAST_SIWE_DOMAIN"] == "watch.example:8443 (the host of TIDECAST_PUBLIC_URL)"
