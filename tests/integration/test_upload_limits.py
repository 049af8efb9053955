"""What an account may upload, on SQLite and PostgreSQL, through tus in-process: a verified
email address first (403), per-account quotas of bytes stored and bytes a day checked when the
upload is created (403 with the figures; parallel creations cannot overshoot together) and when
it completes, and videos over the media limits refused when the last byte arrives, naming the
limit, with nothing kept."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from tests.support import bombs
from tests.support.uploads import create, patch, streams, upload_all, user_token
from tidecast.container import Services
from tidecast.db.schema import jobs, uploads
from tidecast.db.times import now_utc

MIB = 1024 * 1024


@pytest.fixture
def svc(engine: Engine, make_services: Callable[..., Services]) -> Services:
    return make_services(  # no worker here
        engine,
        quiet=("jobs", "events"),
        bind=True,
        TIDECAST_UPLOAD_MAX_BYTES=8 * MIB,
        TIDECAST_QUOTA_STORAGE_BYTES=10 * MIB,
        TIDECAST_QUOTA_DAILY_BYTES=15 * MIB,
    )


def count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def upload_files(svc: Services) -> list[Path]:
    return sorted(svc.uploads.directory.iterdir()) if svc.uploads.directory.is_dir() else []


def test_uploading_needs_a_verified_email_address(svc: Services, engine: Engine) -> None:
    token = user_token(svc, engine, verified=False)
    refused = create(token, 1000)
    assert refused.status == 403 and refused.body["code"] == "FORBIDDEN", refused
    assert "Verify your email address (ann@example.com) before uploading" in refused.body["error"]
    assert count(engine, uploads) == 0 and upload_files(svc) == []  # nothing made

    verified = user_token(svc, engine, "u2", "bob")
    assert create(verified, 1000).status == 201


def test_storage_quota_is_checked_at_creation_with_the_figures(svc: Services, engine: Engine) -> None:
    token = user_token(svc, engine)
    first = create(token, 6 * MIB)
    assert first.status == 201, first
    # The unfinished 6 MiB is reserved: 5 MiB more would make 11 MiB of the 10 MiB allowed.
    over = create(token, 5 * MIB)
    assert over.status == 403 and over.body["code"] == "FORBIDDEN", over
    message = over.body["error"]
    assert message.startswith("quota exceeded: this upload of 5242880 bytes (5.0 MiB)")
    assert "would make 11534336 bytes (11.0 MiB) of video stored" in message
    assert "the storage quota is 10485760 bytes (10.0 MiB) (TIDECAST_QUOTA_STORAGE_BYTES)" in message
    assert count(engine, uploads) == 1 and len(upload_files(svc)) == 1  # the refused one left nothing
    assert create(token, 4 * MIB).status == 201  # exactly at the quota is within it
    # Another account has a quota of its own.
    assert create(user_token(svc, engine, "u2", "bob"), 6 * MIB).status == 201


def test_deleting_a_stream_frees_storage_but_not_the_days_upload(
    svc: Services, engine: Engine, tmp_path: Path
) -> None:
    token = user_token(svc, engine)
    video = bombs.still_bomb(tmp_path / "clip.mkv", hold=3)  # a real (small) video
    padded = video.read_bytes()
    # Complete uploads whose declared lengths we control: pad the file (Matroska
    # ignores what follows its last cluster) to 5 MiB each.
    padded += b"\x00" * (5 * MIB - len(padded))
    ids = []
    for _ in range(2):
        _, last = upload_all(token, padded, chunk=4 * MIB)
        ids.append(last.headers["tidecast-stream-id"])
    assert create(token, 1 * MIB).status == 403  # 10 MiB stored: full
    assert streams("DELETE", ids[0], token=token).status == 200
    _, last = upload_all(token, padded, chunk=4 * MIB)  # 5 MiB freed: fits again
    assert last.status == 204
    assert streams("DELETE", ids[1], token=token).status == 200  # 5 MiB stored now
    # 15 MiB uploaded today, though 10 of it was deleted since: the daily quota is spent.
    daily = create(token, 1)
    assert daily.status == 403, daily
    assert "would make 15728641 bytes (15.0 MiB) uploaded in 24 hours" in daily.body["error"]
    assert "the daily quota is 15728640 bytes (15.0 MiB) (TIDECAST_QUOTA_DAILY_BYTES)" in daily.body["error"]
    # A day later the day's uploads no longer count (what is stored still does).
    with engine.begin() as conn:
        conn.execute(update(uploads).values(created_at=now_utc() - timedelta(hours=25)))
    assert create(token, 5 * MIB + 1).status == 403  # 5 MiB stored + 5 MiB + 1 > 10 MiB
    assert create(token, 5 * MIB).status == 201


def test_parallel_creations_cannot_overshoot_the_quota(svc: Services, engine: Engine) -> None:
    token = user_token(svc, engine)
    results: list[int] = []
    start = threading.Barrier(8)

    def one() -> None:
        start.wait()
        results.append(create(token, 3 * MIB).status)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [201] * 3 + [403] * 5, results  # 3 x 3 MiB fit in 10 MiB
    with engine.connect() as conn:
        reserved = conn.execute(select(func.sum(uploads.c.length))).scalar_one()
    assert reserved == 9 * MIB


def test_unlimited_and_disabled_quotas(engine: Engine, make_services: Callable[..., Services]) -> None:
    # PeerTube's 0: no uploads at all
    services = make_services(engine, bind=True, TIDECAST_QUOTA_STORAGE_BYTES=-1, TIDECAST_QUOTA_DAILY_BYTES=0)
    refused = create(user_token(services, engine), 1)
    assert refused.status == 403 and "the daily quota is 0 bytes" in refused.body["error"]
    unlimited = make_services(
        engine, bind=True, TIDECAST_QUOTA_STORAGE_BYTES=-1, TIDECAST_QUOTA_DAILY_BYTES=-1
    )
    assert create(user_token(unlimited, engine, "u2", "bob"), 4 * 1024**3).status == 201


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (lambda d: bombs.huge_mjpeg(d / "huge.mkv"), "video is 16000x16000 (256.0 MP); the limit is 8.8 MP"),
        (lambda d: bombs.still_bomb(d / "day.mkv", hold=86400), "video is 24:00:00 long; the limit is 4:00"),
        (lambda d: bombs.many_tracks(d / "tracks.mkv", tracks=100), "video has 100 tracks; the limit is 64"),
    ],
    ids=["pixels", "duration", "tracks"],
)
def test_a_video_over_the_media_limits_is_refused_at_its_last_byte_naming_the_limit(
    svc: Services, engine: Engine, tmp_path: Path, make, named: str
) -> None:
    data = make(tmp_path).read_bytes()
    assert len(data) < 8 * MIB
    token = user_token(svc, engine)
    created = create(token, len(data))
    assert created.status == 201
    upload_id = created.headers["location"].rsplit("/", 1)[1]
    reply = patch(token, upload_id, 0, data)
    assert reply.status == 400, reply
    assert reply.body["error"].startswith("Upload refused and discarded: " + named), reply.body
    assert "(TIDECAST_MEDIA_MAX_" in reply.body["error"]
    assert count(engine, uploads) == 0 and count(engine, jobs) == 0 and upload_files(svc) == []
