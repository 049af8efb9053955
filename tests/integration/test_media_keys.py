"""The key vault on real SQLite and PostgreSQL: keys sealed at rest, opened only with the secret
that sealed them and only for their own (stream, period); bad input changes nothing."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine, delete, select, update

from tidecast.db.schema import stream_keys, streams
from tidecast.errors import ConfigError, InvalidInput, NotFound
from tidecast.media.keys import MediaKeys
from tidecast.media.streams import insert_stream

SECRET = b"s" * 16 + os.urandom(16)


@pytest.fixture
def vault(engine: Engine) -> MediaKeys:
    return MediaKeys(engine, SECRET)


def new_stream(engine: Engine) -> str:
    with engine.begin() as conn:
        return insert_stream(conn, title="a stream")


def rows(engine: Engine, stream_id: str) -> dict[int, bytes]:
    with engine.connect() as conn:
        found = conn.execute(
            select(stream_keys.c.period, stream_keys.c.wrapped).where(stream_keys.c.stream_id == stream_id)
        )
        return {int(p): bytes(w) for p, w in found}


def test_keys_round_trip_sealed_as_the_contract_says(engine: Engine, vault: MediaKeys) -> None:
    stream = new_stream(engine)
    keys = [vault.new_key() for _ in range(3)]
    assert len(set(keys)) == 3 and {len(k) for k in keys} == {16}
    with engine.begin() as conn:
        vault.store(conn, stream, keys)
    assert [vault.key(stream, p) for p in range(3)] == keys
    assert vault.count(stream) == 3
    stored = rows(engine, stream)
    assert sorted(stored) == [0, 1, 2]
    for period, wrapped in stored.items():
        assert len(wrapped) == 12 + 16 + 16 and keys[period] not in wrapped
        # The format, from the contract alone: HKDF-SHA256(secret, info) -> AES-256-GCM,
        # nonce || ciphertext+tag, AAD "<stream>/<period>".
        kek = HKDF(hashes.SHA256(), 32, None, b"tidecast media keys v1").derive(SECRET)
        opened = AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], f"{stream}/{period}".encode())
        assert opened == keys[period]
    assert len({w[:12] for w in stored.values()}) == 3  # a fresh nonce each


def test_unknown_streams_and_periods_are_not_found(engine: Engine, vault: MediaKeys) -> None:
    stream = new_stream(engine)
    with engine.begin() as conn:
        vault.store(conn, stream, [vault.new_key(), vault.new_key()])
    unencrypted = new_stream(engine)
    for sid, period in [
        (stream, 2),
        (stream, -1),
        (stream, 2**31),
        (stream, 10**30),
        (unencrypted, 0),
        ("nosuchstream", 0),
        ("a\x00b", 0),
        ("../../etc", 0),
        ("x" * 33, 0),
        ("", 0),
    ]:
        with pytest.raises(NotFound):
            vault.key(sid, period)
    for odd in (True, 1.0, "0", None):
        with pytest.raises(NotFound):
            vault.key(stream, odd)  # type: ignore[arg-type]
    assert vault.count(unencrypted) == 0 and vault.count("a\x00b") == 0


def test_a_wrong_secret_is_a_clear_error(engine: Engine, vault: MediaKeys) -> None:
    stream = new_stream(engine)
    with engine.begin() as conn:
        vault.store(conn, stream, [vault.new_key()])
    other = MediaKeys(engine, os.urandom(32))
    with pytest.raises(ConfigError, match="TIDECAST_MEDIA_KEY_SECRET is not the secret it was sealed with"):
        other.key(stream, 0)
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        MediaKeys(engine, b"short")


def test_a_sealed_key_opens_only_for_its_own_stream_and_period(engine: Engine, vault: MediaKeys) -> None:
    first, second = new_stream(engine), new_stream(engine)
    with engine.begin() as conn:
        vault.store(conn, first, [vault.new_key(), vault.new_key()])
        vault.store(conn, second, [vault.new_key()])
    sealed = rows(engine, first)
    with engine.begin() as conn:  # a row copied to another period, and to another stream
        conn.execute(
            update(stream_keys)
            .where((stream_keys.c.stream_id == first) & (stream_keys.c.period == 1))
            .values(wrapped=sealed[0])
        )
        conn.execute(update(stream_keys).where(stream_keys.c.stream_id == second).values(wrapped=sealed[0]))
    vault.key(first, 0)  # the original still opens
    for sid, period in [(first, 1), (second, 0)]:
        with pytest.raises(ConfigError, match="does not open"):
            vault.key(sid, period)
    flipped = bytearray(sealed[0])
    flipped[20] ^= 1
    with engine.begin() as conn:
        conn.execute(
            update(stream_keys)
            .where((stream_keys.c.stream_id == first) & (stream_keys.c.period == 0))
            .values(wrapped=bytes(flipped))
        )
    with pytest.raises(ConfigError, match="does not open"):
        vault.key(first, 0)


def test_store_replaces_and_bad_keys_change_nothing(engine: Engine, vault: MediaKeys) -> None:
    stream = new_stream(engine)
    with engine.begin() as conn:
        vault.store(conn, stream, [vault.new_key() for _ in range(3)])
    kept = vault.new_key()
    with engine.begin() as conn:  # a re-run of the transcode: its keys, and only them
        vault.store(conn, stream, [kept])
    assert vault.count(stream) == 1 and vault.key(stream, 0) == kept
    with pytest.raises(NotFound):
        vault.key(stream, 1)
    before = rows(engine, stream)
    for bad in ([b"short"], [vault.new_key(), b"x" * 17], ["0" * 16]):
        with pytest.raises(InvalidInput, match="16 bytes"), engine.begin() as conn:
            vault.store(conn, stream, bad)  # type: ignore[arg-type]
        assert rows(engine, stream) == before
    with pytest.raises(InvalidInput, match="not a stream id"), engine.begin() as conn:
        vault.store(conn, "a\x00", [kept])
    assert rows(engine, stream) == before


def test_store_is_in_the_callers_transaction_and_keys_go_with_their_stream(
    engine: Engine, vault: MediaKeys
) -> None:
    stream = new_stream(engine)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        vault.store(conn, stream, [vault.new_key()])
        raise RuntimeError("the publish failed after the keys were written")
    assert vault.count(stream) == 0
    with engine.begin() as conn:
        vault.store(conn, stream, [vault.new_key()])
        conn.execute(delete(streams).where(streams.c.id == stream))
    assert vault.count(stream) == 0 and rows(engine, stream) == {}


def test_rotating_the_secret_keeps_every_stream_playable_and_reseals_in_place(engine: Engine) -> None:
    """New secret current, old one listed as previous: keys open throughout; `reseal` moves
    each row to the new secret in batches, only rows still under an old one, and says what no
    secret given opens."""
    new_secret, stray_secret = b"n" * 16 + os.urandom(16), b"x" * 16 + os.urandom(16)
    old = MediaKeys(engine, SECRET)
    first, second, stray = new_stream(engine), new_stream(engine), new_stream(engine)
    keys = {sid: [old.new_key() for _ in range(3)] for sid in (first, second)}
    with engine.begin() as conn:
        old.store(conn, first, keys[first])
        old.store(conn, second, keys[second])
        MediaKeys(engine, stray_secret).store(conn, stray, [old.new_key()])
    rotating = MediaKeys(engine, new_secret, previous=[SECRET])
    assert [rotating.key(first, p) for p in range(3)] == keys[first]  # opens under the old one
    with pytest.raises(ConfigError, match="TIDECAST_MEDIA_KEY_PREVIOUS_SECRETS"):
        MediaKeys(engine, new_secret).key(first, 0)  # without it listed, it does not
    sealed_before = rows(engine, first)
    # A key the pipeline stores meanwhile goes under the new secret at once.
    newest = new_stream(engine)
    with engine.begin() as conn:
        rotating.store(conn, newest, [rotating.new_key()])

    assert rotating.reseal(batch=2) == {"resealed": 6, "current": 1, "unopenable": 1}
    assert rows(engine, first) != sealed_before
    only_new = MediaKeys(engine, new_secret)
    assert [only_new.key(sid, p) for sid in (first, second) for p in range(3)] == keys[first] + keys[second]
    with pytest.raises(ConfigError, match="does not open"):
        only_new.key(stray, 0)  # left as it was: no secret given opens it
    assert rotating.reseal() == {"resealed": 0, "current": 7, "unopenable": 1}  # idempotent
    with pytest.raises(ConfigError, match="PREVIOUS_SECRETS must be at least 32 bytes"):
        MediaKeys(engine, new_secret, previous=[b"short"])


def test_previous_secrets_are_checked_and_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    from tidecast.config import load_settings

    old_one, old_two = "a" * 40, "b" * 40
    monkeypatch.setenv("TIDECAST_MEDIA_KEY_PREVIOUS_SECRETS", f"{old_one}, {old_two}")
    settings = load_settings(env_file=None)
    assert settings.media_key_previous_values == [old_one.encode(), old_two.encode()]
    shown = settings.masked()["TIDECAST_MEDIA_KEY_PREVIOUS_SECRETS"]
    assert old_one not in shown and "set" in shown
    monkeypatch.setenv("TIDECAST_MEDIA_KEY_PREVIOUS_SECRETS", f"{old_one},tooshort")
    with pytest.raises(ConfigError, match="TIDECAST_MEDIA_KEY_PREVIOUS_SECRETS") as caught:
        load_settings(env_file=None)
    assert "tooshort" not in str(caught.value) and "secret 2" in str(caught.value)


def test_an_empty_previous_secrets_list_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deployment's secret carries the key always (CloudFormation's dynamic reference fails on
    a missing one), empty outside a rotation: that is no previous secret, not a short one."""
    from tidecast.config import load_settings

    for blank in ("", "  "):
        monkeypatch.setenv("TIDECAST_MEDIA_KEY_PREVIOUS_SECRETS", blank)
        settings = load_settings(env_file=None)
        assert settings.tidecast_media_key_previous_secrets is None
        assert settings.media_key_previous_values == []
