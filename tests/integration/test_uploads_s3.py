"""tus uploads on an object store (TIDECAST_STORAGE_URL=s3://…) on a real S3 server, SeaweedFS:
each PATCH is one object `uploads/<id>/<offset>`, nothing is written to the local disk, resuming
and refusals behave as on the local directory, and the worker's copy of the upload is the chunks
assembled in order."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select, update

from tests.support.ipfs_node import running_node
from tests.support.media import decoded_frames, key_tags
from tests.support.seaweed import S3_BUCKET, SeaweedServer
from tests.support.uploads import create, make_video, patch, streams, tus, upload_all, user_token
from tidecast.container import Services
from tidecast.db.schema import jobs, uploads
from tidecast.db.times import now_utc
from tidecast.media.encrypt import decrypt
from tidecast.media.pipeline import Growing
from tidecast.media.upload_objects import chunk_key
from tidecast.storage import Storage


@pytest.fixture
def svc(
    engine: Engine,
    make_services: Callable[..., Services],
    s3_server: SeaweedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Services:
    for name, value in s3_server.credentials_env().items():
        monkeypatch.setenv(name, value)
    prefix = f"t-{secrets.token_hex(6)}"  # the session's bucket is shared: a prefix a test
    return make_services(
        engine,
        quiet=("jobs", "events"),
        bind=True,
        TIDECAST_UPLOAD_MAX_BYTES=2 * 1024 * 1024,
        TIDECAST_STORAGE_URL=f"s3://{S3_BUCKET}/{prefix}?endpoint={s3_server.endpoint}",
    )


@pytest.fixture
def token(svc: Services, engine: Engine) -> str:
    return user_token(svc, engine)


@pytest.fixture
def store(svc: Services) -> Storage:
    assert svc.objects is not None
    return svc.objects


def upload_id_of(reply: object) -> str:
    return str(reply.headers["location"]).rsplit("/", 1)[1]  # type: ignore[attr-defined]


def count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_each_patch_is_one_object_and_resuming_works(
    svc: Services, token: str, store: Storage, tmp_path: Path
) -> None:
    upload_id = upload_id_of(create(token, 1000))
    assert tus("HEAD", upload_id, token=token).headers["upload-offset"] == "0"
    assert store.list(f"uploads/{upload_id}/") == []
    assert patch(token, upload_id, 0, b"a" * 300).headers["upload-offset"] == "300"
    again = patch(token, upload_id, 0, b"b" * 300)  # a stale offset
    assert again.status == 409 and "300" in again.body["error"]
    assert patch(token, upload_id, 300, b"c" * 400).headers["upload-offset"] == "700"
    assert [(o.key, o.size) for o in store.list(f"uploads/{upload_id}/")] == [
        (chunk_key(upload_id, 0), 300),
        (chunk_key(upload_id, 300), 400),
    ]
    assert store.get(chunk_key(upload_id, 0)) == b"a" * 300  # the stale PATCH changed nothing
    # Nothing on the local disk.
    assert not (tmp_path / ".tidecast" / "uploads").exists()
    assert tus("HEAD", upload_id, token=token, version="2.0").headers["upload-offset"] == "700"


def test_a_chunk_stored_but_not_counted_is_replaced_by_the_retry(
    svc: Services, engine: Engine, token: str, store: Storage
) -> None:
    """A function that died between storing the chunk and counting it: the client's retry at the
    counted offset replaces the object, and the assembled upload has the retry's bytes."""
    data = b"0123456789" * 50
    upload_id = upload_id_of(create(token, len(data)))
    assert patch(token, upload_id, 0, data[:200]).status == 204
    store.put(chunk_key(upload_id, 200), b"X" * 250)  # stored, never counted
    store.put(chunk_key(upload_id, 450), b"Y" * 50)  # beyond: never counted either
    assert tus("HEAD", upload_id, token=token).headers["upload-offset"] == "200"
    assert patch(token, upload_id, 200, data[200:300]).headers["upload-offset"] == "300"
    with engine.begin() as conn:  # not a video: look at the bytes before completing
        conn.execute(update(uploads).where(uploads.c.id == upload_id).values(length=300))
    assert svc.uploads.objects is not None
    with svc.uploads.objects.assembled(upload_id, 300) as assembled:
        assert assembled.read_bytes() == data[:300]
    assert not assembled.exists()


def test_a_complete_video_becomes_a_processing_stream_and_keeps_its_chunks(
    svc: Services, engine: Engine, token: str, store: Storage, tmp_path: Path
) -> None:
    data = make_video(tmp_path / "in.mp4").read_bytes()
    upload_id, last = upload_all(token, data, chunk=max(1, len(data) // 3))
    assert last.status == 204, last
    stream_id = last.headers["tidecast-stream-id"]
    assert streams("GET", stream_id).body["data"]["status"] == "processing"
    job = svc.jobs.latest("stream.transcode", stream_id)
    assert job is not None and job.status == "queued"
    # Kept until the stream is ready; the worker reads them assembled.
    assert sum(o.size for o in store.list(f"uploads/{upload_id}/")) == len(data)
    assert svc.uploads.has_source_of(stream_id)
    with svc.uploads.source_file(upload_id) as source:
        assert source.read_bytes() == data
    assert patch(token, upload_id, len(data), b"x").status == 409
    svc.uploads.discard_sources_of(stream_id)
    assert store.list(f"uploads/{upload_id}/") == [] and not svc.uploads.has_source_of(stream_id)


def test_bytes_that_are_not_a_video_are_refused_at_the_end_and_discarded(
    svc: Services, engine: Engine, token: str, store: Storage
) -> None:
    data = b"this is plain text pretending to be an mp4 " * 50
    upload_id = upload_id_of(create(token, len(data)))
    assert patch(token, upload_id, 0, data[:1000]).status == 204
    last = patch(token, upload_id, 1000, data[1000:])
    assert last.status == 400 and "not a video" in last.body["error"], last
    assert tus("HEAD", upload_id, token=token).status == 404
    assert store.list(f"uploads/{upload_id}/") == []
    assert count(engine, jobs) == 0


def test_an_upload_over_the_probe_bound_is_refused_by_the_worker_not_the_request(
    engine: Engine,
    make_services: Callable[..., Services],
    s3_server: SeaweedServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Over TIDECAST_UPLOAD_PROBE_MAX_BYTES the completing PATCH downloads nothing (a large
    upload would not fit API Gateway's 29 s): the stream is created `processing`, and the
    transcode worker's probe fails it with the reason the request would have given."""
    for name, value in s3_server.credentials_env().items():
        monkeypatch.setenv(name, value)
    svc = make_services(
        engine,
        quiet=("jobs", "events"),
        bind=True,
        TIDECAST_STORAGE_URL=f"s3://{S3_BUCKET}/t-{secrets.token_hex(6)}?endpoint={s3_server.endpoint}",
        TIDECAST_UPLOAD_PROBE_MAX_BYTES=1000,
        HLS_OUTPUT_DIR=str(tmp_path / "public" / "streams"),
    )
    token = user_token(svc, engine)
    data = b"this is plain text pretending to be an mp4 " * 50
    upload_id = upload_id_of(create(token, len(data)))
    assert patch(token, upload_id, 0, data[:1000]).status == 204
    last = patch(token, upload_id, 1000, data[1000:])
    assert last.status == 204, last
    stream_id = last.headers["tidecast-stream-id"]
    assert streams("GET", stream_id).body["data"]["status"] == "processing"
    svc.jobs.run_due()
    stream = streams("GET", stream_id).body["data"]
    assert stream["status"] == "failed" and "not a video" in stream["error"], stream
    assert upload_id in stream["error"] and "tidecast-upload-" not in stream["error"]  # no temp name
    job = svc.jobs.latest("stream.transcode", stream_id)
    assert job is not None and job.status == "failed" and job.attempts == 1  # refused, not retried


def test_termination_and_owners(svc: Services, engine: Engine, token: str, store: Storage) -> None:
    upload_id = upload_id_of(create(token, 100))
    assert patch(token, upload_id, 0, b"x" * 10).status == 204
    other = user_token(svc, engine, "u2", "bob")
    assert patch(other, upload_id, 10, b"y").status == 404
    assert tus("DELETE", upload_id, token=other).status == 404
    assert tus("DELETE", upload_id, token=token).status == 204
    assert tus("HEAD", upload_id, token=token).status == 404
    assert patch(token, upload_id, 10, b"y").status == 404
    assert store.list(f"uploads/{upload_id}/") == []
    assert count(engine, uploads) == 0


def test_two_patches_at_one_offset_run_in_turn(
    svc: Services, engine: Engine, token: str, store: Storage
) -> None:
    """The row is the lock: of two PATCHes racing at one offset, one counts and the other is
    told the offset moved; the stored bytes are the counted one's."""
    upload_id = upload_id_of(create(token, 1000))
    answers: dict[bytes, int] = {}

    def send(fill: bytes) -> None:
        answers[fill] = patch(token, upload_id, 0, fill * 400).status

    threads = [threading.Thread(target=send, args=(fill,)) for fill in (b"p", b"q")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers.values()) == [204, 409], answers
    winner = next(fill for fill, status in answers.items() if status == 204)
    assert store.get(chunk_key(upload_id, 0)) == winner * 400
    assert tus("HEAD", upload_id, token=token).headers["upload-offset"] == "400"


def test_the_sweep_expires_untouched_uploads_and_orphan_chunks(
    svc: Services, engine: Engine, token: str, store: Storage
) -> None:
    stale, fresh = (upload_id_of(create(token, 100)) for _ in range(2))
    for upload_id in (stale, fresh):
        assert patch(token, upload_id, 0, b"z" * 10).status == 204
    with engine.begin() as conn:
        conn.execute(
            update(uploads).where(uploads.c.id == stale).values(updated_at=now_utc() - timedelta(hours=25))
        )
    orphan = "o" * 24
    store.put(chunk_key(orphan, 0), b"left by a function killed before its row")
    assert svc.uploads.expire() == {"expired": 1, "orphans": 0}  # the orphan is young
    assert tus("HEAD", stale, token=token).status == 404 and store.list(f"uploads/{stale}/") == []
    assert tus("HEAD", fresh, token=token).headers["upload-offset"] == "10"
    objects = svc.uploads.objects
    assert objects is not None
    # As the sweep a day later sees it: the orphan goes, the live upload stays.
    assert objects.remove_orphans(now_utc() + timedelta(minutes=1), svc.uploads._known) == 1
    assert store.list(f"uploads/{orphan}/") == []
    assert [o.key for o in store.list("uploads/")] == [chunk_key(fresh, 0)]


def test_the_worker_transcodes_from_the_chunks_publishes_to_the_store_and_delete_empties_it(
    engine: Engine,
    make_services: Callable[..., Services],
    s3_server: SeaweedServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Uploads to playback and delete with nothing kept on a disk: the transcode job reads the
    upload assembled from its chunks, publishes the encrypted ladder to the store, and the
    stream's URLs are the store's; a player fetching them there (anonymously, as a viewer does)
    gets ciphertext that the stream's keys open, with the key URIs still the site's. The worker's
    own directory is empty again, the chunks are freed when the stream is ready, and deleting
    the stream empties its prefix in the store."""
    for name, value in s3_server.credentials_env().items():
        monkeypatch.setenv(name, value)
    prefix = f"t-{secrets.token_hex(6)}"
    output = tmp_path / "public" / "streams"
    with running_node(tmp_path / "ipfs-store") as node:
        svc = make_services(
            engine,
            quiet=("jobs", "events"),
            bind=True,
            TIDECAST_STORAGE_URL=f"s3://{S3_BUCKET}/{prefix}?endpoint={s3_server.endpoint}",
            IPFS_API_URL=node.url,
            HLS_OUTPUT_DIR=str(output),
            TIDECAST_HLS_LADDER="90p:100k:32k",
            TIDECAST_HLS_PRESET="ultrafast",
            HLS_SEGMENT_LENGTH="1",
            TIDECAST_KEY_PERIOD_SEGMENTS="2",
        )
        store = svc.objects
        assert store is not None
        token = user_token(svc, engine)
        upload_id, last = upload_all(
            token, make_video(tmp_path / "in.mp4", seconds=6).read_bytes(), chunk=64 * 1024
        )
        stream_id = last.headers["tidecast-stream-id"]
        assert len(store.list(f"uploads/{upload_id}/")) > 1
        early: dict[str, Any] = {}
        real = Growing.playable

        def look(self: Growing, variants: Any, duration: float) -> None:
            """While it grows, a viewer plays it from the store (anonymously)."""
            real(self, variants, duration)
            data = streams("GET", stream_id).body["data"]
            with httpx.Client(timeout=10) as viewer:
                master = viewer.get(data["masterPlaylist"])
                variant = viewer.get(data["variants"][0]["playlist"])
                listed = key_tags(variant.text)
                early.update(
                    status=data["status"],
                    master=master.status_code,
                    variant=variant.text,
                    cache=variant.headers.get("cache-control", ""),
                    segments=[
                        viewer.get(data["variants"][0]["playlist"].rsplit("/", 1)[0] + "/" + seg).status_code
                        for seg, *_ in listed
                    ],
                )

        with pytest.MonkeyPatch.context() as spy:
            spy.setattr(Growing, "playable", look)
            svc.jobs.run_due()
        assert early["status"] == "processing" and early["master"] == 200, early
        assert "#EXT-X-PLAYLIST-TYPE:EVENT" in early["variant"] and "#EXT-X-ENDLIST" not in early["variant"]
        assert early["segments"] and set(early["segments"]) == {200}, early  # all it lists is there
        assert "no-cache" in early["cache"]  # a growing playlist is asked for again, not cached
        stream = streams("GET", stream_id).body["data"]
        assert stream["status"] == "ready", stream
        assert store.list(f"uploads/{upload_id}/") == []
        assert not svc.uploads.has_source_of(stream_id)
        # Nothing of it on the worker's disk: the store serves it.
        assert not output.exists() or list(output.iterdir()) == []
        _played_from_the_store(svc, s3_server, prefix, stream_id, stream)
        gone = streams("DELETE", stream_id, token=token)
        assert gone.status == 200, gone
        assert store.list(f"streams/{stream_id}/") == []
        with httpx.Client(timeout=10) as viewer:
            assert viewer.get(stream["masterPlaylist"]).status_code in (403, 404)


def _played_from_the_store(
    svc: Services, s3_server: SeaweedServer, prefix: str, stream_id: str, stream: dict[str, Any]
) -> None:
    store = svc.objects
    assert store is not None
    public = f"{s3_server.endpoint}/{S3_BUCKET}/{prefix}/streams/{stream_id}"
    assert stream["masterPlaylist"] == f"{public}/master.m3u8"
    assert [v["playlist"] for v in stream["variants"]] == [f"{public}/90p/playlist.m3u8"]
    assert stream["thumbnail"] == f"{public}/thumbnail.jpg"
    keys = {o.key for o in store.list(f"streams/{stream_id}/")}
    assert {f"streams/{stream_id}/master.m3u8", f"streams/{stream_id}/thumbnail.jpg"} <= keys
    # The thumbnails to choose from are in the store too, at its URLs.
    assert stream["thumbnailChoices"][0] == stream["thumbnail"] and len(stream["thumbnailChoices"]) >= 2
    for choice in stream["thumbnailChoices"]:
        assert (
            choice.startswith(f"{public}/thumbnail")
            and f"streams/{stream_id}/{choice.rsplit('/', 1)[1]}" in keys
        )
    with httpx.Client(timeout=10) as viewer:  # no credentials: what a browser sends
        master = viewer.get(stream["masterPlaylist"])
        assert master.status_code == 200, master.text
        assert master.headers["content-type"] == "application/vnd.apple.mpegurl"
        assert "immutable" in master.headers.get("cache-control", "")
        variant = viewer.get(stream["variants"][0]["playlist"])
        assert variant.status_code == 200
        tags = key_tags(variant.text)
        assert len(tags) >= 2
        for index, (segment, method, uri, iv) in enumerate(tags):
            assert method == "AES-128" and uri == f"/api/keys/{stream_id}/{index // 2}"
            data = viewer.get(f"{public}/90p/{segment}")
            assert data.status_code == 200 and data.headers["content-type"] == "video/mp2t"
            assert decoded_frames(data.content) == 0  # ciphertext in the store
            plain = decrypt(data.content, svc.media_keys.key(stream_id, index // 2), iv)
            assert decoded_frames(plain) > 0
        assert viewer.get(stream["thumbnail"]).headers["content-type"] == "image/jpeg"
