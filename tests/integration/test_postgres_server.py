"""The tests' own PostgreSQL server keeps answering however much it logs.

A fresh-clone CI run hung for its whole 90 minutes: the server's stderr was a pipe nobody read,
every `DROP DATABASE` (one per test) logs a checkpoint, and once the pipe's 64 KiB were full the
checkpointer blocked on the write, so every later `DROP DATABASE` waited on it for ever (in C,
where pytest-timeout's signal never lands).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest

from tests.support.postgres import PostgresServer, running_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    """A server of this test's own: a hung one must not take the session's with it."""
    with running_postgres() as server:
        yield server


def test_a_server_that_logs_more_than_a_pipe_holds_still_answers(own_server: PostgresServer) -> None:
    dsn = f"host=127.0.0.1 port={own_server.port} user=tidecast dbname=postgres"
    done: list[int] = []

    def log_a_lot() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            # 400 lines of 1 KiB each at LOG level, which the server writes to its log: six
            # times what a pipe holds.
            conn.execute(
                "DO $$ BEGIN FOR i IN 1..400 LOOP RAISE LOG '%', repeat('x', 1024); END LOOP; END $$"
            )
            done.append(conn.execute("SELECT 1").fetchone()[0])  # type: ignore[index]

    writer = threading.Thread(target=log_a_lot, daemon=True)
    writer.start()
    writer.join(timeout=30)
    assert done == [1], "the server stopped answering once its log output filled a pipe"
    assert own_server.log_path.stat().st_size > 400 * 1024
