"""Engine construction: SQLite (embedded, WAL) or PostgreSQL (psycopg 3) from one URL.

An embedded SQLite file holds password hashes and live link tokens' hashes: it is created
0600 in a directory created 0700, whatever the umask (SQLite gives its -wal and -shm files the
main file's mode).

The engine is the boundary to an outside part: a database that cannot be reached (refused,
dropped, timed out) or an SQLite file locked past its busy timeout is translated here into
`Unavailable` (503 with Retry-After at the edge; a retry for workers) instead of a 500.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import OperationalError

from tidecast.errors import Unavailable
from tidecast.files import private_dir

#: Seconds a client is told to wait when the database is out of reach, or busy.
RETRY_UNREACHABLE = 5
RETRY_BUSY = 1


def normalise_url(url: str) -> str:
    """Accept the URLs people paste (`postgres://`, `postgresql://`) and pick psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def build_engine(url: str) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_file(Path(parsed.database))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args={"connect_timeout": 10}
        )
    event.listen(engine, "handle_error", unavailable)
    return engine


def unavailable(ctx: ExceptionContext) -> BaseException | None:
    """The outside error as `Unavailable` when the database is out of reach or busy, else None
    (SQLAlchemy then raises it from the original, which stays in the log)."""
    if ctx.is_disconnect or (
        ctx.connection is None and isinstance(ctx.sqlalchemy_exception, OperationalError)
    ):
        return Unavailable("The database cannot be reached; try again shortly", retry_after=RETRY_UNREACHABLE)
    if ctx.dialect.name == "sqlite" and "database is locked" in str(ctx.original_exception):
        return Unavailable("The database is busy; try again shortly", retry_after=RETRY_BUSY)
    return None


def private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 (and its directory 0700) unless it exists."""
    if not path.parent.exists():
        private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.fchmod(fd, 0o600)  # the umask may have removed more than it should have; be exact
    os.close(fd)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; busy_timeout waits instead of failing.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.close()
