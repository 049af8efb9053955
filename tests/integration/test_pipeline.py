"""The transcode job end to end with real parts: tus upload in-process, real ffmpeg through
HLSService, the embedded IPFS node, SQLite and PostgreSQL; the failure paths; deleting; and a
worker SIGKILLed in the middle of a transcode."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tests.support import media
from tests.support.devserver import running_devserver
from tests.support.ipfs_node import gateway, running_node
from tests.support.media import decoded_frames, key_tags
from tests.support.uploads import make_video, streams, upload_all, user_token
from tidecast.container import Services
from tidecast.db.schema import event_deliveries, events, jobs, stream_keys
from tidecast.errors import InvalidInput
from tidecast.ipfs.blockstore import BlockStore
from tidecast.ipfs.embedded import IpfsNode
from tidecast.media.encrypt import decrypt
from tidecast.media.pipeline import Growing

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def node(tmp_path: Path) -> Iterator[IpfsNode]:
    with running_node(tmp_path / "ipfs-store") as started:
        yield started


def settings_env(tmp_path: Path, node: IpfsNode) -> dict[str, str]:
    return {
        "IPFS_API_URL": node.url,
        "HLS_OUTPUT_DIR": str(tmp_path / "public" / "streams"),
        "TIDECAST_RETRY_BASE_SECONDS": "0.2",
        "TIDECAST_RETRY_MAX_SECONDS": "0.4",
        "TIDECAST_LEASE_SECONDS": "2",
        "TIDECAST_IPFS_TIMEOUT": "5",
        # The smallest real ladder: fast on two shared cores, still two renditions.
        "TIDECAST_HLS_LADDER": "180p:300k:32k,90p:100k:32k",
        "TIDECAST_HLS_PRESET": "ultrafast",
        "HLS_SEGMENT_LENGTH": "1",
    }


@pytest.fixture
def svc(engine: Engine, node: IpfsNode, tmp_path: Path, make_services: Callable[..., Services]) -> Services:
    # The tests run the jobs themselves.
    return make_services(engine, quiet=("jobs", "events"), bind=True, **settings_env(tmp_path, node))


@pytest.fixture
def token(svc: Services, engine: Engine) -> str:
    return user_token(svc, engine)


def uploaded(token: str, path: Path) -> str:
    _, last = upload_all(token, path.read_bytes(), chunk=256 * 1024)
    return last.headers["tidecast-stream-id"]


def started_events(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(events).where(events.c.name == "stream.started")))


def pinned(svc: Services) -> set[str]:
    return {p["cid"] for p in svc.ipfs.pins()}


def test_upload_to_ready_published_pinned_and_served(
    svc: Services, engine: Engine, token: str, tmp_path: Path
) -> None:
    stream_id = uploaded(token, make_video(tmp_path / "in.mp4", seconds=3))
    seen: list[tuple[float, float | None]] = []
    real = svc.pipeline._set_progress

    def spy(stream: str, percent: float, eta: float | None) -> bool:
        seen.append((percent, eta))
        return real(stream, percent, eta)

    svc.pipeline._set_progress = spy  # type: ignore[method-assign]
    svc.pipeline.progress_every = 0.0
    svc.jobs.run_due()

    stream = streams("GET", stream_id).body["data"]
    assert stream["status"] == "ready", stream
    assert stream["progress"] == 100 and stream["etaSeconds"] is None and stream["error"] is None
    assert 2.5 <= stream["duration"] <= 3.5
    assert stream["masterPlaylist"] == f"/streams/{stream_id}/master.m3u8"
    assert [v["quality"] for v in stream["variants"]] == ["180p", "90p"]
    assert stream["thumbnail"] == f"/streams/{stream_id}/thumbnail.jpg"
    out = tmp_path / "public" / "streams" / stream_id
    assert (out / "master.m3u8").is_file() and (out / "thumbnail.jpg").is_file()
    # Pictures to choose the thumbnail from: JPEGs of different moments (a quarter and three
    # quarters in; the middle is the default's, this video being under 5 s), each a file
    # published with the stream; the creator's choice is one of them and nothing else.
    choices = stream["thumbnailChoices"]
    assert choices[0] == stream["thumbnail"] and len(choices) == 3
    pictures = [(out / c.rsplit("/", 1)[1]).read_bytes() for c in choices]
    assert all(p.startswith(b"\xff\xd8") for p in pictures) and len(set(pictures)) == 3
    assert svc.streams.update(stream_id, "u1", {"thumbnail": choices[2]}).thumbnail == choices[2]
    for foreign in ("https://example.com/x.jpg", f"/streams/{stream_id}/master.m3u8", ""):
        with pytest.raises(InvalidInput, match="thumbnailChoices"):
            svc.streams.update(stream_id, "u1", {"thumbnail": foreign})
    assert svc.streams.get(stream_id).thumbnail == choices[2]
    svc.streams.update(stream_id, "u1", {"thumbnail": choices[0]})
    stream = streams("GET", stream_id).body["data"]
    assert sorted(p.name for p in out.parent.iterdir()) == [stream_id]  # no work directories left
    # Progress moved forward while it ran, and ended at 100.
    percents = [p for p, _ in seen]
    assert percents and percents == sorted(percents) and 0 < percents[0] < 100
    # Pinned on IPFS, the same bytes through the node.
    assert stream["cid"] and stream["cid"] in pinned(svc)
    assert svc.ipfs.cat_bytes(f"{stream['cid']}/master.m3u8") == (out / "master.m3u8").read_bytes()
    # stream.started once, with the chain subscriber's delivery waiting.
    published = started_events(engine)
    assert len(published) == 1 and published[0].payload == {"streamId": stream_id}  # an id, not API JSON
    with engine.connect() as conn:
        subscribers = (
            conn.execute(
                select(event_deliveries.c.subscriber).where(event_deliveries.c.event_id == published[0].id)
            )
            .scalars()
            .all()
        )
    assert subscribers == ["chain.record_stream_start"]
    # The source is gone; running the (done) job's kind again publishes nothing twice.
    assert not list((tmp_path / ".tidecast" / "uploads").iterdir())
    job = svc.jobs.latest("stream.transcode", stream_id)
    assert job is not None and job.status == "done" and job.attempts == 1
    assert svc.jobs.run_due() is None and len(started_events(engine)) == 1


@pytest.mark.slow  # a whole encode, then every segment opened
def test_published_segments_are_ciphertext_everywhere_and_open_with_the_stored_keys(
    svc: Services, engine: Engine, token: str, tmp_path: Path, node: IpfsNode
) -> None:
    svc.pipeline.key_period_segments = 2  # 3 segments of 1 s: periods 0 (two) and 1 (one)
    stream_id = uploaded(token, make_video(tmp_path / "in.mp4", seconds=3))
    svc.jobs.run_due()
    stream = streams("GET", stream_id).body["data"]
    assert stream["status"] == "ready", stream
    assert stream["encrypted"] is True and stream["keyPeriodSeconds"] == 2.0 and stream["keyPeriods"] == 2
    assert svc.media_keys.count(stream_id) == 2
    keys = [svc.media_keys.key(stream_id, p) for p in range(2)]
    assert len(set(keys)) == 2
    assert started_events(engine)[0].payload == {"streamId": stream_id}
    # Nothing in the database is a key in the clear.
    with engine.connect() as conn:
        wrapped = [bytes(w) for w in conn.execute(select(stream_keys.c.wrapped)).scalars()]
    assert len(wrapped) == 2 and not any(k in w for k in keys for w in wrapped)

    project = tmp_path  # the dev server's publish dir is where HLS_OUTPUT_DIR's parent is
    (project / "netlify.toml").write_text('[build]\npublish = "public"\nfunctions = "fns"\n')
    (project / "fns").mkdir()
    cid = stream["cid"]
    with running_devserver(project, public_routes=node.gateway.routes()) as base:
        sources = {
            "site": f"{base}/streams/{stream_id}",
            "gateway": f"{node.url}/ipfs/{cid}",
            "gateway via the dev server": f"{base}/ipfs/{cid}",
        }
        for where, root in sources.items():
            for quality in ("180p", "90p"):
                playlist = gateway(f"{root}/{quality}/playlist.m3u8")
                assert playlist.status_code == 200, (where, playlist.status_code)
                tags = key_tags(playlist.text)
                assert len(tags) == 3
                for index, (segment, method, uri, iv) in enumerate(tags):
                    assert method == "AES-128" and uri == f"/api/keys/{stream_id}/{index // 2}"
                    data = gateway(f"{root}/{quality}/{segment}").content
                    assert len(data) > 1000 and decoded_frames(data) == 0, (where, quality, segment)
                    plain = decrypt(data, svc.media_keys.key(stream_id, index // 2), iv)
                    assert decoded_frames(plain) == 15, (where, quality, segment)  # 1 s at 15 fps


def test_a_stream_plays_while_it_transcodes(
    svc: Services, engine: Engine, token: str, tmp_path: Path
) -> None:
    """What a viewer finds at the moment the stream turns playable, while its job still runs: a
    `processing` stream with a master, growing (EVENT) playlists that list only segments on
    disk, and every key they name stored; then the same stream, ready."""
    stream_id = uploaded(token, make_video(tmp_path / "in.mp4", seconds=8))
    out = tmp_path / "public" / "streams" / stream_id
    seen: dict[str, Any] = {}
    real = Growing.playable

    def look(self: Growing, variants: Any, duration: float) -> None:
        real(self, variants, duration)
        seen["api"] = streams("GET", stream_id).body["data"]
        seen["master"] = (out / "master.m3u8").read_text()
        seen["playlist"] = (out / "180p" / "playlist.m3u8").read_text()
        seen["keys"] = svc.media_keys.count(stream_id)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Growing, "playable", look)
        svc.jobs.run_due()
    early = seen["api"]
    assert early["status"] == "processing" and early["playable"] is True, early
    assert early["masterPlaylist"] == f"/streams/{stream_id}/master.m3u8"
    assert [v["quality"] for v in early["variants"]] == ["180p", "90p"]
    assert early["encrypted"] and 7.5 <= early["duration"] <= 8.5  # the source's, to size a deposit
    assert "180p/playlist.m3u8" in seen["master"] and "90p/playlist.m3u8" in seen["master"]
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in seen["playlist"] and "#EXT-X-ENDLIST" not in seen["playlist"]
    listed = key_tags(seen["playlist"])
    assert 0 < len(listed) < 8  # the first seconds, not the whole
    assert seen["keys"] >= 1 + max(int(uri.rsplit("/", 1)[1]) for _, _, uri, _ in listed)
    done = streams("GET", stream_id).body["data"]
    assert done["status"] == "ready" and done["playable"] is True
    assert (out / "180p" / "playlist.m3u8").read_text().startswith(seen["playlist"])  # it only grew
    assert svc.media_keys.count(stream_id) == done["keyPeriods"] == 8


def test_a_failed_job_withdraws_what_it_published_while_it_grew(
    svc: Services, engine: Engine, token: str, tmp_path: Path
) -> None:
    """A file cut short plays while it is encoded, as far as it goes, then fails: the stream is
    no longer playable, its keys and files go (its upload stays, as for any failure)."""
    stream_id = uploaded(token, media.truncated(tmp_path / "cut.mkv", keep=0.7))
    turned: list[bool] = []
    real = Growing.playable

    def note(self: Growing, variants: Any, duration: float) -> None:
        real(self, variants, duration)
        turned.append(streams("GET", stream_id).body["data"]["playable"])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Growing, "playable", note)
        svc.jobs.run_due()
    assert turned == [True]
    stream = streams("GET", stream_id).body["data"]
    assert stream["status"] == "failed" and "truncated" in stream["error"], stream
    assert stream["playable"] is False and stream["masterPlaylist"] is None and stream["variants"] == []
    assert stream["keyPeriodSeconds"] is None and svc.media_keys.count(stream_id) == 0
    assert not (tmp_path / "public" / "streams" / stream_id).exists()


def test_a_damaged_video_fails_the_stream_with_the_reason(
    svc: Services, engine: Engine, token: str, tmp_path: Path
) -> None:
    stream_id = uploaded(token, make_video(tmp_path / "in.mp4", seconds=2))
    upload_file = next((tmp_path / ".tidecast" / "uploads").iterdir())
    upload_file.write_bytes(b"\x00" * 4096)  # the bytes rot after the upload was accepted
    svc.jobs.run_due()
    stream = streams("GET", stream_id).body["data"]
    assert stream["status"] == "failed" and "not a video" in stream["error"], stream
    job = svc.jobs.latest("stream.transcode", stream_id)
    assert job is not None and job.status == "failed" and job.attempts == 1
    assert started_events(engine) == []
    assert not (tmp_path / "public" / "streams" / stream_id).exists()
    assert upload_file.is_file(), "a failed stream's upload goes only with its owner's delete or retention"


def test_an_outside_part_down_is_retried_then_ready(
    svc: Services, engine: Engine, token: str, tmp_path: Path, node: IpfsNode
) -> None:
    stream_id = uploaded(token, make_video(tmp_path / "in.mp4", seconds=2))
    node.stop()
    svc.jobs.run_due()
    job = svc.jobs.latest("stream.transcode", stream_id)
    assert (
        job is not None and job.status == "queued" and job.attempts == 1 and "Unavailable" in job.last_error
    )
    assert streams("GET", stream_id).body["data"]["status"] == "processing"
    assert started_events(engine) == []
    again = IpfsNode(
        BlockStore(tmp_path / "ipfs-store", sync=False), "127.0.0.1", node.port, max_add_bytes=1 << 30
    )
    again.start()
    try:
        deadline = time.monotonic() + 10
        while streams("GET", stream_id).body["data"]["status"] == "processing":
            assert time.monotonic() < deadline
            svc.jobs.run_due()
            time.sleep(0.1)
    finally:
        again.stop()
    assert streams("GET", stream_id).body["data"]["status"] == "ready"
    assert len(started_events(engine)) == 1


def restart(node: IpfsNode, tmp_path: Path) -> IpfsNode:
    again = IpfsNode(
        BlockStore(tmp_path / "ipfs-store", sync=False), "127.0.0.1", node.port, max_add_bytes=1 << 30
    )
    again.start()
    return again


def count_encodes(svc: Services) -> list[str]:
    encodes: list[str] = []
    real = svc.hls.create_hls_stream

    def spy(source: Path, name: str, **kwargs: Any) -> dict[str, Any]:
        encodes.append(name)
        return real(source, name, **kwargs)

    svc.hls.create_hls_stream = spy  # type: ignore[method-assign]
    return encodes


def upload_of(svc: Services, stream_id: str) -> Path:
    from tidecast.db.schema import uploads

    with svc.engine.connect() as conn:
        upload_id = conn.execute(select(uploads.c.id).where(uploads.c.stream_id == stream_id)).scalar_one()
    return svc.uploads.path(upload_id)


def test_ipfs_down_for_many_attempts_keeps_the_upload_and_only_publishes_again(
    svc: Services, engine: Engine, token: str, tmp_path: Path, node: IpfsNode
) -> None:
    """Retried by time, not by count; each attempt resumes at the publish; the upload stays
    until the stream is ready."""
    encodes = count_encodes(svc)
    stream_id = uploaded(token, make_video(tmp_path / "in.mp4", seconds=2))
    source = upload_of(svc, stream_id)
    node.stop()
    deadline = time.monotonic() + 30
    while (job := svc.jobs.latest("stream.transcode", stream_id)) is not None and job.attempts < 5:
        assert time.monotonic() < deadline and job.status == "queued", job
        svc.jobs.run_due()
        time.sleep(0.1)
    assert streams("GET", stream_id).body["data"]["status"] == "processing"
    assert source.is_file() and encodes == [stream_id]
    again = restart(node, tmp_path)
    try:
        deadline = time.monotonic() + 20
        while streams("GET", stream_id).body["data"]["status"] == "processing":
            assert time.monotonic() < deadline
            svc.jobs.run_due()
            time.sleep(0.1)
    finally:
        again.stop()
    assert streams("GET", stream_id).body["data"]["status"] == "ready"
    assert encodes == [stream_id] and not source.exists()


def test_a_failed_stream_keeps_its_upload_and_output_and_runs_again_from_where_it_stopped(
    svc: Services, engine: Engine, token: str, tmp_path: Path, node: IpfsNode
) -> None:
    encodes = count_encodes(svc)
    from datetime import timedelta

    svc.jobs.retry_for = timedelta(seconds=1)
    stream_id = uploaded(token, make_video(tmp_path / "in.mp4", seconds=2))
    source = upload_of(svc, stream_id)
    node.stop()
    deadline = time.monotonic() + 30
    while streams("GET", stream_id).body["data"]["status"] == "processing":
        assert time.monotonic() < deadline
        svc.jobs.run_due()
        time.sleep(0.1)
    failed = streams("GET", stream_id).body["data"]
    assert failed["status"] == "failed" and "gave up after" in failed["error"], failed
    assert "Unavailable" in failed["error"] or "IPFS" in failed["error"]
    assert source.is_file() and (tmp_path / "public" / "streams" / stream_id / "master.m3u8").is_file()

    svc.jobs.retry_for = timedelta(hours=1)
    job_id = svc.pipeline.rerun(stream_id, svc.jobs)
    assert streams("GET", stream_id).body["data"]["status"] == "processing"
    with pytest.raises(InvalidInput, match="only a failed stream"):
        svc.pipeline.rerun(stream_id, svc.jobs)
    again = restart(node, tmp_path)
    try:
        assert svc.jobs.run(job_id) is True
    finally:
        again.stop()
    assert streams("GET", stream_id).body["data"]["status"] == "ready"
    assert encodes == [stream_id] and not source.exists()


def test_jobs_retry_of_a_failed_transcode_runs_the_stream_again(
    svc: Services, engine: Engine, token: str, tmp_path: Path
) -> None:
    """It used to end `done` at once: "stream is failed; nothing to do"."""
    stream_id = uploaded(token, make_video(tmp_path / "in.mp4", seconds=2))
    source = upload_of(svc, stream_id)
    good = source.read_bytes()
    source.write_bytes(b"\x00" * 4096)
    svc.jobs.run_due()
    assert streams("GET", stream_id).body["data"]["status"] == "failed"
    job = svc.jobs.latest("stream.transcode", stream_id)
    assert job is not None and job.status == "failed"
    source.write_bytes(good)  # an operator put the right bytes back
    svc.jobs.retry(job.id)
    assert streams("GET", stream_id).body["data"]["status"] == "processing"
    svc.jobs.run_due()
    assert streams("GET", stream_id).body["data"]["status"] == "ready"
    source.unlink(missing_ok=True)
    with pytest.raises(InvalidInput, match="ready"):
        svc.pipeline.rerun(stream_id, svc.jobs)


def test_deleting_a_failed_stream_takes_its_upload(
    svc: Services, engine: Engine, token: str, tmp_path: Path
) -> None:
    stream_id = uploaded(token, make_video(tmp_path / "in.mp4", seconds=2))
    source = upload_of(svc, stream_id)
    source.write_bytes(b"\x00" * 4096)
    svc.jobs.run_due()
    assert streams("GET", stream_id).body["data"]["status"] == "failed" and source.is_file()
    assert streams("DELETE", stream_id, token=token).status == 200
    assert not source.exists()


def test_old_failed_streams_and_stale_builds_are_cleared(
    svc: Services, engine: Engine, token: str, tmp_path: Path
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from tidecast.db.schema import streams as streams_table
    from tidecast.db.times import now_utc

    stream_id = uploaded(token, make_video(tmp_path / "in.mp4", seconds=2))
    source = upload_of(svc, stream_id)
    source.write_bytes(b"\x00" * 4096)
    svc.jobs.run_due()
    out = tmp_path / "public" / "streams"
    stale, live = out / ".abcdefgh.tmp-1234", out / ".ijklmnop.tmp-5678"
    for build in (stale, live):
        (build / "180p").mkdir(parents=True)
        (build / "180p" / "segment0.ts").write_bytes(b"ciphertext")
    old = time.time() - 3600
    for path in (stale, stale / "180p", stale / "180p" / "segment0.ts"):
        os.utime(path, (old, old))
    assert svc.pipeline.expire_failed(timedelta(days=30)) == {"failed": 0, "builds": 1}
    assert source.is_file() and live.is_dir() and not stale.exists()
    with engine.begin() as conn:
        conn.execute(
            update(streams_table)
            .where(streams_table.c.id == stream_id)
            .values(updated_at=now_utc() - timedelta(days=31))
        )
    assert svc.pipeline.expire_failed(timedelta(days=30))["failed"] == 1
    assert not source.exists()
    assert streams("GET", stream_id).body["data"]["status"] == "failed"  # the row stays, with its reason


def test_an_attempt_that_dies_after_its_pin_leaves_no_pin_behind(
    svc: Services, engine: Engine, token: str, tmp_path: Path
) -> None:
    """The CID is recorded in the job before the pin. The next attempt resumes at the publish
    when the encoded output is intact (the same files, so the same CID, pinned once), and
    encodes again under fresh keys when it is not (another CID: the old pin is removed first).
    When the job gives up, the stream fails and its pin goes; the upload stays."""
    before = pinned(svc)
    pins: list[str] = []
    encodes: list[str] = []
    real_pin, real_publish = svc.ipfs.pin_cid, svc.pipeline._publish
    real_encode = svc.hls.create_hls_stream

    def spy_pin(cid: str) -> dict[str, Any]:
        pins.append(cid)
        return real_pin(cid)

    def spy_encode(source: Path, name: str, **kwargs: Any) -> dict[str, Any]:
        encodes.append(name)
        return real_encode(source, name, **kwargs)

    def dies(*args: Any) -> bool:
        raise RuntimeError("worker died between the pin and the publish")

    def wait_ready(stream_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + 30
        while streams("GET", stream_id).body["data"]["status"] == "processing":
            assert time.monotonic() < deadline
            time.sleep(0.25)  # the retry's back-off
            svc.jobs.run_due()
        return dict(streams("GET", stream_id).body["data"])

    svc.ipfs.pin_cid = spy_pin  # type: ignore[method-assign]
    svc.hls.create_hls_stream = spy_encode  # type: ignore[method-assign]
    svc.pipeline._publish = dies  # type: ignore[method-assign]
    resumed = uploaded(token, make_video(tmp_path / "a.mp4", seconds=2))
    svc.jobs.run_due()
    job = svc.jobs.latest("stream.transcode", resumed)
    assert job is not None and job.status == "queued" and len(pins) == 1
    assert pins[0] in pinned(svc)  # pinned, and recorded for the next attempt
    svc.pipeline._publish = real_publish  # type: ignore[method-assign]
    stream = wait_ready(resumed)
    assert stream["status"] == "ready" and pins == [stream["cid"], stream["cid"]]
    assert encodes == [resumed], "the second attempt encoded again instead of resuming"
    assert pinned(svc) - before == {stream["cid"]}

    # The encoded output changed under the job (a segment lost): encoded again, new CID.
    svc.pipeline._publish = dies  # type: ignore[method-assign]
    redone = uploaded(token, make_video(tmp_path / "b.mp4", seconds=2))
    svc.jobs.run_due()
    first = pins[-1]
    next((tmp_path / "public" / "streams" / redone).glob("*/segment0.ts")).unlink()
    svc.pipeline._publish = real_publish  # type: ignore[method-assign]
    again = wait_ready(redone)
    assert encodes[-2:] == [redone, redone] and again["cid"] != first
    assert pinned(svc) - before == {stream["cid"], again["cid"]}  # the first attempt's pin is gone

    # The job gives up (one strike allowed): the stream fails, its pin goes, its upload stays.
    from dataclasses import replace

    svc.pipeline._publish = dies  # type: ignore[method-assign]
    svc.jobs.policy = replace(svc.jobs.policy, max_attempts=1)
    failed = uploaded(token, make_video(tmp_path / "c.mp4", seconds=2))
    svc.jobs.run_due()
    gone = streams("GET", failed).body["data"]
    assert gone["status"] == "failed" and "worker died" in gone["error"]
    assert pinned(svc) - before == {stream["cid"], again["cid"]}
    assert svc.uploads.has_source_of(failed)


def test_delete_is_for_the_owner_and_removes_files_and_pin(
    svc: Services, engine: Engine, token: str, tmp_path: Path
) -> None:
    stream_id = uploaded(token, make_video(tmp_path / "in.mp4", seconds=2))
    svc.jobs.run_due()
    cid = streams("GET", stream_id).body["data"]["cid"]
    other = user_token(svc, engine, "u2", "bob")
    assert streams("DELETE", stream_id).status == 401
    assert streams("DELETE", stream_id, token=other).status == 403
    assert streams("DELETE", "nosuchstream", token=token).status == 404
    assert streams("GET", stream_id).status == 200
    gone = streams("DELETE", stream_id, token=token)
    assert gone.status == 200, gone
    assert streams("GET", stream_id).status == 404
    assert not (tmp_path / "public" / "streams" / stream_id).exists()
    assert cid not in pinned(svc)
    with engine.connect() as conn:  # ids, not the stream's API JSON: the row is gone, the CID is unpinned
        payloads = conn.execute(select(events.c.payload).where(events.c.name == "stream.deleted")).all()
    assert [p.payload for p in payloads] == [{"streamId": stream_id, "cid": cid}]
    svc.events.deliver_due()  # the subscriber's run finds nothing left and succeeds
    with engine.connect() as conn:
        statuses = conn.execute(select(event_deliveries.c.status)).scalars().all()
    assert "dead" not in statuses


def test_a_stream_deleted_event_of_the_old_shape_still_removes_files_and_pin(
    svc: Services, engine: Engine, token: str, tmp_path: Path
) -> None:
    """Events stored before payloads carried ids hold the stream's API JSON; a pending or
    retried one must still do its work."""
    from sqlalchemy import delete

    from tidecast.db.schema import streams as streams_table
    from tidecast.db.tx import transaction

    stream_id = uploaded(token, make_video(tmp_path / "in.mp4", seconds=2))
    svc.jobs.run_due()
    old_json = streams("GET", stream_id).body["data"]
    assert old_json["cid"] in pinned(svc)
    with transaction(engine) as conn:
        conn.execute(delete(streams_table).where(streams_table.c.id == stream_id))
        event_id = svc.events.publish(conn, "stream.deleted", {"stream": old_json})
    svc.events.deliver_due()
    assert not (tmp_path / "public" / "streams" / stream_id).exists()
    assert old_json["cid"] not in pinned(svc)
    with engine.connect() as conn:
        statuses = (
            conn.execute(select(event_deliveries.c.status).where(event_deliveries.c.event_id == event_id))
            .scalars()
            .all()
        )
    assert statuses == ["done"]


def test_deleting_a_processing_stream_stops_its_job_and_publishes_nothing(
    svc: Services, engine: Engine, token: str, tmp_path: Path
) -> None:
    stream_id = uploaded(token, make_video(tmp_path / "in.mp4", seconds=2))
    assert streams("DELETE", stream_id, token=token).status == 200
    svc.jobs.run_due()
    job = svc.jobs.latest("stream.transcode", stream_id)
    assert job is not None and job.status == "done"
    assert started_events(engine) == []
    assert (
        not list((tmp_path / "public" / "streams").glob("*"))
        if (tmp_path / "public" / "streams").exists()
        else True
    )
    assert not list((tmp_path / ".tidecast" / "uploads").iterdir())


WORKER = """
import sys
from tidecast.config import load_settings
from tidecast.container import create_services
svc = create_services(load_settings(env_file=None))
svc.jobs.kick = None
svc.events.kick = None
svc.jobs.run_due()
"""


@pytest.mark.slow  # an 8 s encode killed, a lease waited out
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_worker_killed_mid_transcode_leaves_nothing_published_and_the_job_runs_again(
    svc: Services, engine: Engine, db_url: str, token: str, tmp_path: Path, node: IpfsNode
) -> None:
    # Long enough that the kill lands inside the encode (bounded: 8 s of 320x180).
    stream_id = uploaded(token, make_video(tmp_path / "in.mp4", seconds=8, size="320x180"))
    env = {**os.environ, **settings_env(tmp_path, node), "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen([sys.executable, "-c", WORKER], env=env, cwd=tmp_path, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not list((tmp_path / "public" / "streams").glob(f"{stream_id}/*/*.ts")):
            assert worker.poll() is None, "the worker ended before the encode began"
            assert time.monotonic() < deadline, "no segment written within 60 s"
            time.sleep(0.05)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its ffmpeg, mid-encode
        worker.wait(timeout=10)
    killed = streams("GET", stream_id).body["data"]
    assert killed["status"] == "processing"
    # What it published as it grew stays in view, each listed segment with its key stored, until
    # the next attempt starts over (it makes new keys).
    half = tmp_path / "public" / "streams" / stream_id
    if killed["playable"]:
        listed = key_tags(half / "90p" / "playlist.m3u8")
        assert 0 < len(listed) < 8 and all((half / "90p" / s).is_file() for s, *_ in listed)
        assert svc.media_keys.count(stream_id) >= 1 + max(
            int(uri.rsplit("/", 1)[1]) for _, _, uri, _ in listed
        )
    assert started_events(engine) == []
    with engine.connect() as conn:
        assert conn.execute(select(jobs.c.status)).scalar() == "running"

    time.sleep(2.2)  # the dead worker's lease runs out; this process takes the job over
    svc.jobs.run_due()
    stream = streams("GET", stream_id).body["data"]
    assert stream["status"] == "ready", stream
    job = svc.jobs.latest("stream.transcode", stream_id)
    # The killed attempt counted (attempts count from their start); this second one finished it.
    assert job is not None and job.status == "done" and job.attempts == 2
    out = tmp_path / "public" / "streams"
    assert sorted(p.name for p in out.iterdir()) == [stream_id]  # the killed attempt's work dir is gone
    # The keys are the second attempt's (the killed one stored none): they open what is published.
    assert stream["encrypted"] and svc.media_keys.count(stream_id) == stream["keyPeriods"] == 8
    segment, _, uri, iv = key_tags(out / stream_id / "90p" / "playlist.m3u8")[-1]
    period = int(uri.rsplit("/", 1)[1])
    data = (out / stream_id / "90p" / segment).read_bytes()
    assert decoded_frames(decrypt(data, svc.media_keys.key(stream_id, period), iv)) > 0
    assert len(started_events(engine)) == 1
