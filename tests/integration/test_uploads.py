"""POST /api/uploads (tus 1.0 core + creation + termination), in-process, on SQLite and PostgreSQL:
the protocol, every refusal on its boundary (and that it changes nothing), owners, resuming, and
a complete video becoming a `processing` stream with its transcode job."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from tests.support.uploads import create, make_video, metadata, patch, streams, tus, upload_all, user_token
from tidecast.container import UPLOADS_EXPIRE_TASK, Services
from tidecast.db.schema import jobs, uploads
from tidecast.db.times import now_utc
from tidecast.errors import InvalidInput
from tidecast.functions.uploads import parse_metadata


@pytest.fixture
def svc(engine: Engine, make_services: Callable[..., Services]) -> Services:
    # No worker here; test_pipeline runs the jobs.
    return make_services(
        engine, quiet=("jobs", "events"), bind=True, TIDECAST_UPLOAD_MAX_BYTES=2 * 1024 * 1024
    )


@pytest.fixture
def token(svc: Services, engine: Engine) -> str:
    return user_token(svc, engine)


def count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def upload_id_of(reply: object) -> str:
    return str(reply.headers["location"]).rsplit("/", 1)[1]  # type: ignore[attr-defined]


def test_options_tells_the_protocol_without_a_login(svc: Services) -> None:
    reply = tus("OPTIONS", headers={"Tus-Resumable": "garbage"})
    assert reply.status == 204
    assert reply.headers["tus-version"] == "1.0.0"
    assert set(reply.headers["tus-extension"].split(",")) == {"creation", "termination"}
    assert reply.headers["tus-max-size"] == str(2 * 1024 * 1024)


def test_create_head_patch_in_chunks_and_resume(
    svc: Services, engine: Engine, token: str, tmp_path: Path
) -> None:
    created = create(token, 1000)
    assert created.status == 201, created
    assert created.headers["location"] == f"/.netlify/functions/uploads/{upload_id_of(created)}"
    assert created.headers["tus-resumable"] == "1.0.0"
    assert "Location" in created.headers["access-control-expose-headers"]
    upload_id = upload_id_of(created)
    head = tus("HEAD", upload_id, token=token)
    assert (
        head.status == 200
        and head.headers["upload-offset"] == "0"
        and head.headers["upload-length"] == "1000"
    )
    assert head.headers["cache-control"] == "no-store"

    first = patch(token, upload_id, 0, b"a" * 300)
    assert first.status == 204 and first.headers["upload-offset"] == "300"
    # A client that lost the answer asks where it stands and goes on from there.
    assert tus("HEAD", upload_id, token=token).headers["upload-offset"] == "300"
    again = patch(token, upload_id, 0, b"b" * 300)  # a stale offset
    assert again.status == 409 and "300" in again.body["error"]
    assert patch(token, upload_id, 300, b"c" * 400).headers["upload-offset"] == "700"
    stored = (tmp_path / ".tidecast" / "uploads" / upload_id).read_bytes()
    assert stored == b"a" * 300 + b"c" * 400
    # The same path reached through API Gateway v2 answers the same.
    assert tus("HEAD", upload_id, token=token, version="2.0").headers["upload-offset"] == "700"


@pytest.mark.parametrize(
    ("headers", "status", "words"),
    [
        ({"Tus-Resumable": "0.2.2", "Upload-Length": "10"}, 412, "Tus-Resumable"),
        ({"Tus-Resumable": "", "Upload-Length": "10"}, 412, "Tus-Resumable"),
        ({}, 400, "Upload-Length header is required"),
        ({"Upload-Length": "-5"}, 400, "Invalid Upload-Length"),
        ({"Upload-Length": "ten"}, 400, "Invalid Upload-Length"),
        ({"Upload-Length": "1e3"}, 400, "Invalid Upload-Length"),
        ({"Upload-Length": "99999999999999999999999"}, 400, "Invalid Upload-Length"),
        ({"Upload-Length": "0"}, 400, "empty file"),
        ({"Upload-Length": str(2 * 1024 * 1024 + 1)}, 413, "over the limit"),
        ({"Upload-Defer-Length": "1"}, 400, "Upload-Defer-Length"),
        ({"Upload-Length": "10", "Upload-Metadata": metadata(filename="a.mp4")}, 400, "filetype"),
        ({"Upload-Length": "10", "Upload-Metadata": metadata(filetype="image/png")}, 400, "video/*"),
        ({"Upload-Length": "10", "Upload-Metadata": "filetype !!notbase64"}, 400, "base64"),
        (
            {"Upload-Length": "10", "Upload-Metadata": "filetype dmlkZW8vbXA0,filetype dmlkZW8vbXA0"},
            400,
            "twice",
        ),
        (
            {"Upload-Length": "10", "Upload-Metadata": metadata(filetype="video/mp4", filename="../x.mp4")},
            400,
            "filename",
        ),
        (
            {"Upload-Length": "10", "Upload-Metadata": metadata(filetype="video/mp4", title="x" * 201)},
            400,
            "title",
        ),
    ],
)
def test_creation_refusals_name_the_problem_and_store_nothing(
    svc: Services,
    engine: Engine,
    token: str,
    headers: dict[str, str],
    status: int,
    words: str,
    tmp_path: Path,
) -> None:
    sent = {"Upload-Metadata": metadata(filetype="video/mp4"), **headers}
    reply = tus("POST", token=token, headers=sent)
    assert reply.status == status, reply
    assert words in reply.body["error"]
    assert reply.headers["tus-resumable"] == "1.0.0"
    if status == 412:
        assert reply.headers["tus-version"] == "1.0.0"
    assert count(engine, uploads) == 0
    assert (
        not list((tmp_path / ".tidecast" / "uploads").glob("*"))
        if (tmp_path / ".tidecast" / "uploads").exists()
        else True
    )


def test_patch_refusals_change_nothing(svc: Services, engine: Engine, token: str) -> None:
    upload_id = upload_id_of(create(token, 100))
    assert patch(token, upload_id, 0, b"x" * 10).status == 204
    cases = [
        (
            patch(token, upload_id, 10, b"y", **{"Content-Type": "application/octet-stream"}),
            415,
            "offset+octet-stream",
        ),
        (patch(token, upload_id, 10, b"y", **{"Tus-Resumable": "2.0.0"}), 412, "Tus-Resumable"),
        (patch(token, upload_id, 3, b"y"), 409, "does not match"),
        (patch(token, upload_id, 11, b"y"), 409, "does not match"),
        (patch(token, upload_id, 10, b"y" * 91), 413, "past Upload-Length"),
        (
            tus(
                "PATCH",
                upload_id,
                token=token,
                headers={"Content-Type": "application/offset+octet-stream"},
                body=b"y",
            ),
            400,
            "Upload-Offset",
        ),
        (patch(token, upload_id, -1, b"y", **{"Upload-Offset": "-1"}), 400, "Upload-Offset"),
        (patch(token, "nonexistent-upload-id-x", 10, b"y"), 404, "not found"),
        (patch(token, "../../etc/passwd", 10, b"y"), 404, "No route"),
        (patch(token, "x" * 40, 10, b"y"), 404, "not found"),
    ]
    for reply, status, words in cases:
        assert reply.status == status, reply
        assert words in reply.body["error"], reply
    head = tus("HEAD", upload_id, token=token)
    assert head.headers["upload-offset"] == "10"


def test_uploads_are_their_owners_only(svc: Services, engine: Engine, token: str) -> None:
    upload_id = upload_id_of(create(token, 100))
    other = user_token(svc, engine, "u2", "bob")
    assert tus("HEAD", upload_id, token=other).status == 404
    assert patch(other, upload_id, 0, b"x").status == 404
    assert tus("DELETE", upload_id, token=other).status == 404
    anonymous = patch("", upload_id, 0, b"x")
    assert anonymous.status == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")
    assert tus("POST", headers={"Upload-Length": "10"}).status == 401
    assert tus("HEAD", upload_id, token="not.a.token").status == 401
    assert tus("HEAD", upload_id, token=token).headers["upload-offset"] == "0"


def test_termination_drops_the_bytes(svc: Services, engine: Engine, token: str, tmp_path: Path) -> None:
    upload_id = upload_id_of(create(token, 100))
    patch(token, upload_id, 0, b"x" * 10)
    assert tus("DELETE", upload_id, token=token).status == 204
    assert tus("HEAD", upload_id, token=token).status == 404
    assert not (tmp_path / ".tidecast" / "uploads" / upload_id).exists()
    assert count(engine, uploads) == 0


def test_a_complete_video_becomes_a_processing_stream_with_a_job(
    svc: Services, engine: Engine, token: str, tmp_path: Path
) -> None:
    data = make_video(tmp_path / "in.mp4").read_bytes()
    upload_id, last = upload_all(token, data, chunk=max(1, len(data) // 3))
    stream_id = last.headers["tidecast-stream-id"]
    assert tus("HEAD", upload_id, token=token).headers["tidecast-stream-id"] == stream_id
    shown = streams("GET", stream_id)
    assert shown.status == 200
    stream = shown.body["data"]
    assert stream["status"] == "processing" and stream["ownerId"] == "u1" and stream["title"] == "My clip"
    assert stream["progress"] == 0 and stream["etaSeconds"] is None
    job = svc.jobs.latest("stream.transcode", stream_id)
    assert job is not None and job.status == "queued"
    # Complete: no more bytes, no second stream.
    assert patch(token, upload_id, len(data), b"x").status == 409
    assert count(engine, jobs) == 1


def test_bytes_that_are_not_a_video_are_refused_at_the_end_and_discarded(
    svc: Services, engine: Engine, token: str, tmp_path: Path
) -> None:
    data = b"this is plain text pretending to be an mp4 " * 50
    created = create(token, len(data))
    upload_id = upload_id_of(created)
    assert patch(token, upload_id, 0, data[:1000]).status == 204
    last = patch(token, upload_id, 1000, data[1000:])
    assert last.status == 400 and "not a video" in last.body["error"], last
    assert tus("HEAD", upload_id, token=token).status == 404
    assert not (tmp_path / ".tidecast" / "uploads" / upload_id).exists()
    assert count(engine, jobs) == 0
    assert streams("GET").body["data"]["items"] == []


def test_one_upload_too_many_discards_the_owners_longest_untouched(
    svc: Services, engine: Engine, token: str, tmp_path: Path
) -> None:
    """At most TIDECAST_UPLOAD_MAX_OPEN (5) unfinished uploads each; someone else's and
    finished ones are not counted or touched."""
    directory = tmp_path / ".tidecast" / "uploads"
    data = make_video(tmp_path / "in.mp4").read_bytes()
    done, _ = upload_all(token, data, chunk=len(data))  # finished: not counted
    mine = [upload_id_of(create(token, 100)) for _ in range(5)]
    other = user_token(svc, engine, "u2", "bob")
    theirs = upload_id_of(create(other, 100))
    assert patch(token, mine[0], 0, b"x" * 10).status == 204  # touched: now the freshest
    assert count(engine, uploads) == 7
    sixth = upload_id_of(create(token, 100))
    # mine[1] was the longest untouched: it went, bytes and row; the rest are as they were.
    assert tus("HEAD", mine[1], token=token).status == 404 and not (directory / mine[1]).exists()
    for kept in (mine[0], *mine[2:], sixth):
        assert tus("HEAD", kept, token=token).status == 200
    assert tus("HEAD", mine[0], token=token).headers["upload-offset"] == "10"
    assert tus("HEAD", theirs, token=other).status == 200
    assert tus("HEAD", done, token=token).headers["tidecast-stream-id"]
    assert count(engine, uploads) == 7
    assert sorted(p.name for p in directory.iterdir()) == sorted([mine[0], *mine[2:], sixth, theirs, done])


def test_the_sweep_expires_untouched_uploads_and_orphan_files(
    svc: Services, engine: Engine, token: str, tmp_path: Path
) -> None:
    directory = tmp_path / ".tidecast" / "uploads"
    stale, fresh = (upload_id_of(create(token, 100)) for _ in range(2))
    data = make_video(tmp_path / "in.mp4").read_bytes()
    done, _ = upload_all(token, data, chunk=len(data))
    day_ago = now_utc() - timedelta(hours=25)
    with engine.begin() as conn:
        conn.execute(update(uploads).where(uploads.c.id.in_([stale, done])).values(updated_at=day_ago))
    orphan, young_orphan = directory / ("o" * 24), directory / ("y" * 24)
    orphan.write_bytes(b"left by a process killed between the file and its row")
    young_orphan.write_bytes(b"its row may be on its way")
    os.utime(orphan, (day_ago.timestamp(), day_ago.timestamp()))
    (directory / "README").write_text("not an upload's name: left alone")
    os.utime(directory / "README", (day_ago.timestamp(), day_ago.timestamp()))
    assert svc.uploads.expire() == {"expired": 1, "orphans": 1}
    assert tus("HEAD", stale, token=token).status == 404 and not (directory / stale).exists()
    assert tus("HEAD", fresh, token=token).status == 200
    assert tus("HEAD", done, token=token).headers["tidecast-stream-id"]  # finished: its stream's
    assert not orphan.exists() and young_orphan.exists() and (directory / "README").exists()
    assert svc.uploads.expire() == {"expired": 0, "orphans": 0}  # nothing twice
    # The workers' hourly job is this sweep.
    with engine.begin() as conn:
        conn.execute(update(uploads).where(uploads.c.id == fresh).values(updated_at=day_ago))
    assert UPLOADS_EXPIRE_TASK in svc.queue.names
    svc.queue._tasks[UPLOADS_EXPIRE_TASK].call_local()
    assert tus("HEAD", fresh, token=token).status == 404


def test_metadata_parsing() -> None:
    assert parse_metadata("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential") == {
        "filename": "world_domination_plan.pdf",
        "is_confidential": "",
    }
    assert parse_metadata(None) == {} and parse_metadata("  ") == {}
    for bad in ["a b c", "k\u00e9y dg==", "key,key", "x" * 5000, "key 4pyT,", ",key dg=="]:
        with pytest.raises(InvalidInput):
            parse_metadata(bad)
