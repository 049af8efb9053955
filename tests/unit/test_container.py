"""The container: each part built on first access, once (also under concurrent first access),
only with the parts it needs; any part can be handed in instead."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tidecast.config import load_settings
from tidecast.container import PARTS, Services, create_services, part
from tidecast.db.engine import build_engine


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return build_engine(f"sqlite:///{tmp_path / 'c.db'}")


def test_nothing_is_built_until_asked_for(engine: Engine) -> None:
    svc = create_services(load_settings(env_file=None), engine=engine)
    assert svc.built() == ["engine"]  # only what was handed in
    assert svc.streams is svc.streams
    assert svc.built() == ["engine", "streams"]
    svc.accounts  # noqa: B018 - building it is the point
    assert {"events", "hasher", "tokens", "limits", "links", "accounts"} <= set(svc.built())
    # Accounts publish events; they never need mail, SMTP or the queue to do so.
    assert not {"email", "outbox", "transport", "queue", "account_mail"} & set(svc.built())


def test_every_part_can_be_handed_in(engine: Engine) -> None:
    given = {name: object() for name in PARTS}
    svc = Services(load_settings(env_file=None), **given)
    for name in PARTS:
        assert getattr(svc, name) is given[name], name
    with pytest.raises(TypeError, match="unknown parts \\['mailer'\\]"):
        Services(load_settings(env_file=None), mailer=object())


def test_a_part_is_built_once_under_concurrent_first_access(engine: Engine) -> None:
    calls: list[int] = []
    started = threading.Barrier(8)

    def slow_build(s: Services) -> object:
        calls.append(1)
        threading.Event().wait(0.05)  # wide window for a second builder to slip in
        return object()

    class Probe(Services):
        probe = part(slow_build)

    svc = Probe(load_settings(env_file=None), engine=engine)
    seen: list[object] = []

    def reach() -> None:
        started.wait(timeout=5)
        seen.append(svc.probe)

    threads = [threading.Thread(target=reach) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(calls) == 1 and len(seen) == 8 and all(s is seen[0] for s in seen)


def test_a_failed_build_is_tried_again_on_the_next_access(engine: Engine) -> None:
    attempts: list[int] = []

    def flaky(s: Services) -> object:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("not yet")
        return "built"

    class Probe(Services):
        probe = part(flaky)

    svc = Probe(load_settings(env_file=None), engine=engine)
    with pytest.raises(ConnectionError):
        svc.probe  # noqa: B018
    assert svc.probe == "built" and len(attempts) == 2


def test_media_keys_are_sealed_under_the_configured_secret(engine: Engine, tmp_path: Path) -> None:
    from tidecast.config import Settings
    from tidecast.db.migrate import upgrade
    from tidecast.errors import ConfigError
    from tidecast.media.streams import insert_stream

    upgrade(engine)
    with engine.begin() as conn:
        stream = insert_stream(conn, title="t")
    first = create_services(Settings(tidecast_media_key_secret="a" * 32), engine=engine)
    key = first.media_keys.new_key()
    with engine.begin() as conn:
        first.media_keys.store(conn, stream, [key])
    assert (
        create_services(Settings(tidecast_media_key_secret="a" * 32), engine=engine).media_keys.key(stream, 0)
        == key
    )
    with pytest.raises(ConfigError, match="TIDECAST_MEDIA_KEY_SECRET"):
        create_services(Settings(tidecast_media_key_secret="b" * 32), engine=engine).media_keys.key(stream, 0)
    with pytest.raises(ConfigError, match="TIDECAST_MEDIA_KEY_SECRET is not set"):
        create_services(Settings(), engine=engine).media_keys  # noqa: B018 - building it is the point
    # Reading streams never builds the vault (nor imports cryptography's AEAD for it).
    reader = create_services(Settings(tidecast_media_key_secret="a" * 32), engine=engine)
    reader.streams.get(stream)
    assert "media_keys" not in reader.built()
