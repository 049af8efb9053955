from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tidecast.config import load_settings
from tidecast.errors import ConfigError


def test_defaults_are_embedded(isolated: Path) -> None:
    settings = load_settings()
    assert settings.tidecast_env == "development"
    assert settings.effective_database_url.startswith("sqlite:///")
    assert settings.hls_segment_length == 10


def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PORT", "not-a-port")
    monkeypatch.setenv("HLS_SEGMENT_LENGTH", "0")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "SMTP_PORT" in str(info.value)
    assert "HLS_SEGMENT_LENGTH" in str(info.value)


def test_production_names_every_missing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDECAST_ENV", "production")
    monkeypatch.setenv("SMTP_USER", "mailer")
    with pytest.raises(ConfigError) as info:
        load_settings()
    for name in ("JWT_SECRET", "DATABASE_URL", "SMTP_PASSWORD"):
        assert name in str(info.value)


def test_production_starts_with_secrets(monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    monkeypatch.setenv("TIDECAST_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:pw@db/tidecast")
    settings = load_settings()
    assert settings.production
    assert not (isolated / ".tidecast" / "dev-secrets.json").exists()


def test_dev_secret_is_generated_once_and_private(isolated: Path) -> None:
    first = load_settings().jwt_secret
    second = load_settings().jwt_secret
    assert first is not None and second is not None
    assert first.get_secret_value() == second.get_secret_value()
    assert len(first.get_secret_value()) >= 32
    path = isolated / ".tidecast" / "dev-secrets.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_env_file_is_honoured_and_environment_wins(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (isolated / ".env").write_text("HLS_SEGMENT_LENGTH=6\nSMTP_HOST=mail.example\n")
    monkeypatch.setenv("SMTP_HOST", "relay.example")
    settings = load_settings()
    assert settings.hls_segment_length == 6
    assert settings.smtp_host == "relay.example"


def test_masked_never_shows_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", "topsecretvalue-" + "x" * 32)
    monkeypatch.setenv("SMTP_PASSWORD", "mailpassword")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:dbpassword@db:5432/tidecast")
    shown = "\n".join(f"{k}={v}" for k, v in load_settings().masked().items())
    for secret in ("topsecretvalue", "mailpassword", "dbpassword"):
        assert secret not in shown
    assert "JWT_SECRET=******** (set)" in shown
    assert "postgresql://app:********@db:5432/tidecast" in shown


def test_short_jwt_secret_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", "short-secret-value")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "JWT_SECRET" in str(caught.value) and "32 bytes" in str(caught.value)
    assert "short-secret-value" not in str(caught.value)


def test_siwe_domain_defaults_to_the_public_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDECAST_PUBLIC_URL", "https://watch.example:8443/")
    assert load_settings().siwe_domain == "watch.example:8443"
    monkeypatch.setenv("TIDECAST_SIWE_DOMAIN", "tidecast.example")
    assert load_settings().siwe_domain == "tidecast.example"
