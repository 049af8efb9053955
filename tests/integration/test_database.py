"""Migrations and the streams data layer on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, inspect, text
from sqlalchemy.exc import IntegrityError

from tests.support.services import build_services
from tidecast.container import Services
from tidecast.db.engine import build_engine, normalise_url
from tidecast.db.migrate import alembic_config, current, downgrade, upgrade
from tidecast.db.schema import metadata, streams
from tidecast.errors import InvalidInput, NotFound, Unavailable


def test_migrations_match_the_schema(engine: Engine) -> None:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head is not None and current(engine) == head
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []


def test_downgrade_to_base_and_back(engine: Engine) -> None:
    downgrade(engine, "base")
    assert not {"streams", "events", "mail_outbox"} & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert {"streams", "events", "event_deliveries", "mail_outbox", "mail_suppressions"} <= set(
        inspect(engine).get_table_names()
    )


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:
    eng = build_engine(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    with eng.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    eng.dispose()


def test_urls_people_paste_pick_psycopg3() -> None:
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_constraints_hold_in_the_database(engine: Engine) -> None:
    now = datetime.now(UTC)
    row = {"id": "x1", "title": "t", "created_at": now, "updated_at": now}
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(streams).values(**row, status="exploded"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(streams).values(**row, progress=101))


def test_stream_lifecycle(services: Services) -> None:
    stream = services.streams.create(title="  Trimmed  ", description="d")
    assert stream.title == "Trimmed" and stream.status == "processing" and stream.progress == 0
    assert stream.created_at.utcoffset() == timedelta(0)
    ready = services.streams.set_status(stream.id, "ready", progress=100)
    assert ready.status == "ready" and ready.progress == 100
    assert ready.updated_at >= stream.updated_at
    with pytest.raises(NotFound):
        services.streams.set_status("missing", "ready")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": ""}, "'title'"),
        ({"title": "   "}, "'title'"),
        ({"title": "x" * 201}, "'title'"),
        ({"title": "ok", "description": "d" * 5001}, "'description'"),
    ],
)
def test_bad_stream_input_changes_nothing(services: Services, kwargs: dict, field: str) -> None:
    with pytest.raises(InvalidInput, match=field):
        services.streams.create(**kwargs)
    assert services.streams.list().items == []


def test_bad_status_changes_nothing(services: Services) -> None:
    stream = services.streams.create(title="s")
    with pytest.raises(InvalidInput, match="'status'"):
        services.streams.set_status(stream.id, "exploded")
    with pytest.raises(InvalidInput, match="'progress'"):
        services.streams.set_status(stream.id, "ready", progress=120)
    assert services.streams.get(stream.id).status == "processing"


def test_unicode_and_long_text_round_trip(services: Services) -> None:
    title = "ストリーム 🌊 <b>&amp;</b>"
    stream = services.streams.create(title=title, description="é" * 5000)
    again = services.streams.get(stream.id)
    assert again.title == title and len(again.description) == 5000


def test_an_unreachable_database_is_a_503_with_retry_after() -> None:
    """The engine translates "cannot connect" at the boundary: a 503 a client can retry, not a
    500, and nothing of the URL (its password) in the answer."""
    from tests.support.events import aws_event
    from tests.support.parts import free_port
    from tidecast.functions.streams import handler

    svc = build_services(DATABASE_URL=f"postgresql://bob:hunter2@127.0.0.1:{free_port()}/nowhere", bind=True)
    for path in ("/api/streams", "/api/streams/abcdefgh"):
        reply = handler(aws_event("1.0", "GET", path), None)
        body = json.loads(reply["body"])
        assert reply["statusCode"] == 503 and reply["headers"]["Retry-After"] == "5", reply
        assert body["code"] == "UNAVAILABLE" and "cannot be reached" in body["error"]
        assert "hunter2" not in reply["body"] and "bob" not in reply["body"]
    with pytest.raises(Unavailable):  # workers and the CLI see the domain error itself
        svc.streams.list()


def test_a_connection_lost_inside_a_transaction_stays_a_503(engine: Engine) -> None:
    """Found by the production load run: PostgreSQL stopping under a key request. The lost
    connection's error (Unavailable, a 503) reached `transaction()`, whose clean-up then asked
    the dead connection for its `info` and raised SQLAlchemy's PendingRollbackError in its
    place: a 500. The error that lost the connection is what comes out."""
    from tidecast.db.tx import transaction

    if engine.dialect.name == "postgresql":
        with pytest.raises(Unavailable):
            with transaction(engine) as conn:
                pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
                with engine.connect() as other:
                    other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
                conn.execute(text("SELECT 1"))
    with pytest.raises(LookupError):  # any error on a connection invalidated meanwhile
        with transaction(engine) as conn:
            conn.execute(text("SELECT 1"))
            conn.invalidate()
            raise LookupError("the caller's own error")
