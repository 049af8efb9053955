"""Files holding secrets are private whatever the umask: the embedded SQLite database (password
hashes, live link tokens' hashes) with its -wal and -shm files, and the generated dev secret.

Each test sets the most permissive umask there is, 0, and restores the previous one after."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from tidecast.config import DEV_SECRETS_FILE, load_settings
from tidecast.db.engine import build_engine


@contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def current_umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


@pytest.fixture(autouse=True)
def umask_restored() -> Iterator[None]:
    """Every test leaves the process's umask as it found it."""
    before = current_umask()
    yield
    assert current_umask() == before


def test_a_new_sqlite_database_is_private_under_umask_0(tmp_path: Path) -> None:
    db = tmp_path / "new" / "dir" / "x.db"
    with umask(0):
        engine = build_engine(f"sqlite:///{db}")
        try:
            assert mode(db.parent) == 0o700
            assert mode(db) == 0o600
            with engine.begin() as conn:
                conn.execute(text("CREATE TABLE secrets (value TEXT)"))
                conn.execute(text("INSERT INTO secrets VALUES ('$2b$12$hash')"))
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            wal, shm = db.with_name("x.db-wal"), db.with_name("x.db-shm")
            assert wal.exists() and shm.exists()  # a pooled connection holds them open
            for path in (db, wal, shm):
                assert mode(path) & 0o077 == 0, (path.name, oct(mode(path)))
        finally:
            engine.dispose()
    assert mode(db) == 0o600


def test_an_existing_directory_is_left_as_it_is(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    with umask(0):
        engine = build_engine(f"sqlite:///{shared / 'x.db'}")
        engine.dispose()
    assert mode(shared) == 0o755  # not ours to change
    assert mode(shared / "x.db") == 0o600


def test_the_dev_secret_and_data_dir_are_private_under_umask_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "fresh" / "data"
    monkeypatch.setenv("TIDECAST_DATA_DIR", str(data))
    with umask(0):
        settings = load_settings()
    assert settings.tidecast_data_dir == data
    assert mode(data) == 0o700
    secrets_file = data / DEV_SECRETS_FILE
    assert mode(secrets_file) == 0o600
    assert json.loads(secrets_file.read_text())["JWT_SECRET"] == settings.jwt_secret_value
    assert sorted(p.name for p in data.iterdir()) == [DEV_SECRETS_FILE]  # no temporary file left
    with umask(0):
        again = load_settings()  # a restart keeps the secret and the modes
    assert again.jwt_secret_value == settings.jwt_secret_value
    assert mode(data) == 0o700 and mode(secrets_file) == 0o600
