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


def test_upload_bounds_are_range_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDECAST_UPLOAD_MAX_OPEN", "0")
    monkeypatch.setenv("TIDECAST_UPLOAD_EXPIRY_HOURS", "-1")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "TIDECAST_UPLOAD_MAX_OPEN" in str(info.value) and "TIDECAST_UPLOAD_EXPIRY_HOURS" in str(info.value)
    monkeypatch.setenv("TIDECAST_UPLOAD_MAX_OPEN", "2")
    monkeypatch.setenv("TIDECAST_UPLOAD_EXPIRY_HOURS", "0.5")
    settings = load_settings()
    assert (settings.tidecast_upload_max_open, settings.tidecast_upload_expiry_hours) == (2, 0.5)


def test_quotas_and_media_limits_are_range_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDECAST_QUOTA_STORAGE_BYTES", "-2")  # -1 is unlimited, 0 no uploads
    monkeypatch.setenv("TIDECAST_MEDIA_MAX_PIXELS", "-1")  # 0 is no limit
    with pytest.raises(ConfigError) as info:
        load_settings()
    for name in ("TIDECAST_QUOTA_STORAGE_BYTES", "TIDECAST_MEDIA_MAX_PIXELS"):
        assert name in str(info.value)
    monkeypatch.setenv("TIDECAST_QUOTA_STORAGE_BYTES", "-1")
    monkeypatch.setenv("TIDECAST_MEDIA_MAX_PIXELS", "0")
    settings = load_settings()
    assert (settings.tidecast_quota_storage_bytes, settings.tidecast_media_max_pixels) == (-1, 0)
    assert settings.tidecast_quota_daily_bytes == 10 * 1024**3  # the defaults stand
    assert settings.tidecast_media_max_duration_seconds == 4 * 3600


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
    for name, value in PRODUCTION_CHAIN.items():
        monkeypatch.setenv(name, value)
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


def test_chain_settings_are_validated_naming_the_variable_never_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TOKEN_ADDRESS", "0x1234")
    monkeypatch.setenv("PLATFORM_PRIVATE_KEY", "not-a-key-but-secret")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "TOKEN_ADDRESS" in str(caught.value) and "PLATFORM_PRIVATE_KEY" in str(caught.value)
    assert "not-a-key-but-secret" not in str(caught.value)


def test_keys_are_normalised_and_range_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPLOYER_PRIVATE_KEY", "AB" * 32)
    settings = load_settings()
    assert settings.deployer_private_key is not None
    assert settings.deployer_private_key.get_secret_value() == "0x" + "ab" * 32
    monkeypatch.setenv("DEPLOYER_PRIVATE_KEY", "0x" + "00" * 32)  # zero is not a key
    with pytest.raises(ConfigError):
        load_settings()


def test_production_needs_the_chain_settings_and_refuses_demo_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDECAST_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:pw@db/tidecast")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    for name in (
        "PLATFORM_PRIVATE_KEY",
        "PAYMENT_STREAM_CONTRACT_ADDRESS",
        "TOKEN_ADDRESS",
        "STREAM_REGISTRY_ADDRESS",
    ):
        assert name in str(caught.value)
    for name, value in PRODUCTION_CHAIN.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PLATFORM_PRIVATE_KEY", ANVIL_KEY_0)
    with pytest.raises(ConfigError) as demo:
        load_settings()
    assert "well-known development key" in str(demo.value) and ANVIL_KEY_0 not in str(demo.value)


def write_chain_file_for(data_dir: Path, rpc_url: str) -> None:
    from tidecast.chain.devnet import ChainFile, write_chain_file

    write_chain_file(
        data_dir,
        ChainFile(
            rpc_url=rpc_url,
            chain_id=31337,
            genesis_hash="0x" + "ab" * 32,
            block=3,
            payment_stream="0x" + "11" * 20,
            token="0x" + "22" * 20,
            registry="0x" + "33" * 20,
            platform_private_key=ANVIL_KEY_0,
            node="external",
        ),
    )


def test_development_fills_unset_chain_settings_from_the_chain_file(
    monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    write_chain_file_for(isolated / ".tidecast", "http://localhost:8545")
    settings = load_settings()
    assert settings.token_address == "0x" + "22" * 20 and settings.tidecast_chain_id == 31337
    assert settings.chain_source("token_address") == str(isolated / ".tidecast" / "chain.json")
    shown = settings.masked()
    assert shown["TOKEN_ADDRESS"].endswith("(from " + str(isolated / ".tidecast" / "chain.json") + ")")
    assert ANVIL_KEY_0 not in "\n".join(shown.values()) and shown["PLATFORM_PRIVATE_KEY"].startswith("****")
    # The environment wins, field by field.
    monkeypatch.setenv("TOKEN_ADDRESS", "0x" + "99" * 20)
    mixed = load_settings()
    assert mixed.token_address == "0x" + "99" * 20 and mixed.chain_source("token_address") == "environment"
    assert mixed.stream_registry_address == "0x" + "33" * 20
    # Another node (another RPC_URL) is not the file's: nothing is taken from it.
    monkeypatch.setenv("RPC_URL", "http://127.0.0.1:9999")
    assert load_settings().stream_registry_address is None
    # Production never reads it.
    monkeypatch.setenv("RPC_URL", "http://localhost:8545")
    monkeypatch.setenv("TIDECAST_ENV", "production")
    for name, value in {"JWT_SECRET": "s" * 40, "DATABASE_URL": "sqlite:///x.db", **PRODUCTION_CHAIN}.items():
        monkeypatch.setenv(name, value)
    assert load_settings().stream_registry_address == PRODUCTION_CHAIN["STREAM_REGISTRY_ADDRESS"]


ANVIL_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
PRODUCTION_CHAIN = {
    "PLATFORM_PRIVATE_KEY": "0x" + "5a" * 32,
    "PAYMENT_STREAM_CONTRACT_ADDRESS": "0x" + "aa" * 20,
    "TOKEN_ADDRESS": "0x" + "bb" * 20,
    "STREAM_REGISTRY_ADDRESS": "0x" + "cc" * 20,
    "TIDECAST_MEDIA_KEY_SECRET": "m" * 40,
}


def test_overrides_win_over_the_environment_and_are_read_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDECAST_BCRYPT_ROUNDS", "12")
    settings = load_settings(env_file=None, overrides={"TIDECAST_BCRYPT_ROUNDS": "4", "smtp_port": "2526"})
    assert settings.tidecast_bcrypt_rounds == 4 and settings.smtp_port == 2526
    with pytest.raises(ConfigError, match="TIDECAST_BCRYPT_ROUNDS"):
        load_settings(env_file=None, overrides={"TIDECAST_BCRYPT_ROUNDS": "lots"})
    with pytest.raises(ConfigError, match="TIDECAST_NO_SUCH is not a tidecast setting"):
        load_settings(env_file=None, overrides={"TIDECAST_NO_SUCH": "1"})
