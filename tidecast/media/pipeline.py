"""The transcode job: an uploaded video becomes a published stream, or a failed one with a reason.

One job (`stream.transcode`, subject the stream id) runs in steps, and an attempt resumes at the
step the one before it did not finish:
1. encode: HLSService.create_hls_stream with progress written to the job row and the stream row
   (throttled), cancelled when the stream is deleted or the job's lease is lost, every
   rendition HLS AES-128 encrypted as ffmpeg writes it, with fresh keys, one per key period
   (TIDECAST_KEY_PERIOD_SEGMENTS segments; the key URI is the site's `/api/keys/<stream>/<period>`),
   and the thumbnail. The stream plays while this runs (`Growing`, tidecast/media/live.py):
   its playlists grow in place, its keys are stored as they are named, and it turns `playable`
   (still `processing`) once every rendition has a segment. When the encode is done, the job's
   payload records it (`encoded`: the results, the keys sealed by the vault, and every file's
   size);
2. publish: `ipfs add -r` of the stream's directory unpinned, its CID kept in the job's payload
   (`pinning`), then pinned; then, in ONE transaction, the stream `ready` with its results,
   conditioned on it still being `processing`, its keys stored and `stream.started` published
   (its subscriber records it on chain). A stream is never ready without its keys.
Only then is the uploaded source deleted: until the stream is ready (or deleted) the upload is
kept, so no failure, however long, costs the creator their video.

An attempt whose `encoded` output is still there, file for file, skips step 1: an IPFS node or
a disk that was down costs a publish, not a transcode. Otherwise it starts over: what an earlier
attempt left, and what it published as it grew (its keys, the stream's playable state, its
objects in the store), is withdrawn, and the pin it may have made of that output (whose CID
differs, since the keys are fresh) is unpinned first.

Failures (tidecast/jobs.py decides what happens next):
- InvalidInput (not a video, unreadable): the job fails at once;
- Unavailable (IPFS down, the disk full or read-only, ffmpeg killed): retried with capped
  backoff for TIDECAST_JOB_RETRY_FOR_SECONDS, however many attempts that takes;
- anything else: retried up to TIDECAST_JOB_MAX_ATTEMPTS.
When the job ends `failed` (`on_failure`), the stream is marked failed with the reason and is
no longer playable: the keys it published as it grew are deleted. Its upload, and an encoded
output, are kept, so `tidecast streams retry <id>` (or `tidecast jobs
retry`) can run it again, from where it stopped. A failed stream's upload and files go when its
owner deletes it, or after TIDECAST_RETENTION_DAYS (`expire_failed`).
A stream deleted while it is processing: the job stops (cancel), removes what it made and its
upload, and ends `done` with nothing published; a stream deleted between the add and the
publish is unpinned.
"""

from __future__ import annotations

import base64
import logging
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, select, update

from tidecast.db.schema import streams
from tidecast.db.times import now_utc
from tidecast.db.tx import transaction
from tidecast.errors import InvalidInput, NotFound
from tidecast.media import stream_events
from tidecast.media.encrypt import KeyRing
from tidecast.media.uploads import TRANSCODE

if TYPE_CHECKING:
    from tidecast.event_bus import EventBus
    from tidecast.ipfs.service import IPFSService
    from tidecast.jobs import Jobs, RunningJob
    from tidecast.media.hls import HLSService, Progress
    from tidecast.media.keys import MediaKeys
    from tidecast.media.published import PublishedMedia
    from tidecast.media.uploads import UploadService

log = logging.getLogger(__name__)

#: Share of the progress bar the encode takes; the thumbnail and the IPFS add take the rest.
ENCODE_SHARE = 90.0
#: Seconds between progress writes: each is a database write, and a bar needs no more.
PROGRESS_EVERY = 1.0
#: A hidden build directory nobody wrote to for this long is a dead attempt's (a live encode
#: writes a segment every few seconds and renews its lease every 5).
STALE_BUILD = timedelta(minutes=30)


class StreamGone(Exception):
    """The stream was deleted while its job ran: stop, clean up, publish nothing."""


#: A stream that plays no more (its encode failed or starts again): what its row forgets.
WITHDRAWN: dict[str, Any] = {
    "playable": False,
    "master_playlist": None,
    "variants": None,
    "key_period_seconds": None,
    "key_periods": None,
}


class Pipeline:
    def __init__(
        self,
        engine: Engine,
        *,
        hls: HLSService,
        ipfs: IPFSService,
        events: EventBus,
        uploads: UploadService,
        media_keys: MediaKeys,
        key_period_segments: int = 1,
        published: PublishedMedia | None = None,
    ) -> None:
        self.engine = engine
        self.hls = hls
        self.ipfs = ipfs
        self.events = events
        self.uploads = uploads
        self.media_keys = media_keys
        self.key_period_segments = key_period_segments
        #: The object store a ready stream is served from (TIDECAST_STORAGE_URL), or None when
        #: the site serves it from HLS_OUTPUT_DIR (the embedded default).
        self.published = published
        #: Seconds between progress writes (tests set 0 to see every report).
        self.progress_every = PROGRESS_EVERY

    def transcode(self, job: RunningJob) -> None:
        """The `stream.transcode` job handler (wired in tidecast/container.py)."""
        stream_id = str(job.subject)
        upload_id = str(job.payload.get("upload", ""))
        status = self._status(stream_id)
        if status != "processing":  # deleted, or a re-run after the publish committed
            log.info("transcode %s: stream is %s; nothing to do", stream_id, status or "gone")
            if status is None:
                self._clean(stream_id, upload_id, job)
            return
        try:
            self._run(job, stream_id, upload_id)
        except StreamGone:
            log.info("transcode %s: stream deleted while processing; cleaned up", stream_id)
            self._clean(stream_id, upload_id, job)
        except Exception:  # the job's policy decides: fail now, retry by time, or by count
            if self._status(stream_id) is None and not job.lost:
                log.info("transcode %s: stream deleted while processing; cleaned up", stream_id)
                self._clean(stream_id, upload_id, job)
                return
            raise

    def failed(self, job: Any, reason: str) -> None:
        """The job gave up (`on_failure`): the stream is failed with the reason. Its upload is
        kept, and so is an encoded output, for a re-run; a pin made of it is not."""
        stream_id = str(job.subject)
        with self.engine.begin() as conn:
            failed = conn.execute(
                update(streams)
                .where((streams.c.id == stream_id) & (streams.c.status == "processing"))
                .values(
                    status="failed", error=reason[:2000], eta_seconds=None, updated_at=now_utc(), **WITHDRAWN
                )
            )
            if failed.rowcount == 1:  # what it published while it grew is withdrawn: no key plays it
                self.media_keys.drop(conn, stream_id)
        payload = dict(job.payload or {})
        if not payload.get("encoded"):
            self._remove_files(stream_id)
        if self.published is not None:  # a re-run publishes again from the encoded output
            try:
                self.published.remove(stream_id)
            except Exception:  # the deletion or the next attempt removes them
                log.warning("transcode %s: could not remove its published objects", stream_id, exc_info=True)
        cid = payload.get("pinning")
        if cid:
            try:
                self._unpin(str(cid))
            except Exception:  # the next attempt or the deletion unpins it
                log.warning("transcode %s: could not unpin %s", stream_id, cid, exc_info=True)

    def retried(self, conn: Connection, job: Any) -> None:
        """`tidecast jobs retry` of a failed transcode (`on_retry`, in its transaction): the
        stream is processing again, if what the job needs is still there."""
        stream_id = str(job.subject)
        status = conn.execute(select(streams.c.status).where(streams.c.id == stream_id)).scalar()
        if status is None:
            raise NotFound(f"stream {stream_id} no longer exists")
        if status == "ready":
            raise InvalidInput(f"stream {stream_id} is ready; there is nothing to run again")
        payload = dict(job.payload or {})
        if not payload.get("encoded") and not self.uploads.has_source(str(payload.get("upload", ""))):
            raise InvalidInput(
                f"stream {stream_id}: its uploaded file is gone, so it cannot be transcoded again; "
                "upload the video again"
            )
        conn.execute(
            update(streams)
            .where(streams.c.id == stream_id)
            .values(status="processing", error=None, progress=0.0, job_id=job.id, updated_at=now_utc())
        )

    def rerun(self, stream_id: str, jobs: Jobs) -> str:
        """Run a failed stream again (`tidecast streams retry`): its last transcode job, which
        resumes where it stopped; the job's id."""
        status = self._status(stream_id)
        if status is None:
            raise NotFound(f"no stream {stream_id!r}")
        if status != "failed":
            raise InvalidInput(f"stream {stream_id} is {status}; only a failed stream can be run again")
        last = jobs.latest(TRANSCODE, stream_id)
        if last is None:
            raise InvalidInput(f"stream {stream_id} has no transcode job to run again")
        if last.status != "failed":
            raise InvalidInput(
                f"stream {stream_id}'s last transcode job {last.id} is {last.status}, not failed"
            )
        jobs.retry(last.id)
        return last.id

    def expire_failed(self, keep: timedelta) -> dict[str, int]:
        """Streams failed longer than `keep` ago lose their upload and files (the stream row
        stays, with its reason, until its owner deletes it); hidden build directories nobody is
        building in are removed. Hourly (`tidecast.media.expire_failed`)."""
        cutoff = now_utc() - keep
        with self.engine.connect() as conn:
            old = (
                conn.execute(
                    select(streams.c.id).where(
                        (streams.c.status == "failed") & (streams.c.updated_at < cutoff)
                    )
                )
                .scalars()
                .all()
            )
        freed = 0
        for stream_id in old:
            if self.uploads.has_source_of(str(stream_id)) or self.output_dir(str(stream_id)).exists():
                self.uploads.discard_sources_of(str(stream_id))
                self._remove_files(str(stream_id))
                freed += 1
        swept = self.sweep_builds()
        if freed or swept:
            log.info(
                "media: %d failed streams' uploads and files removed, %d stale builds swept", freed, swept
            )
        return {"failed": freed, "builds": swept}

    def sweep_builds(self, *, idle: timedelta = STALE_BUILD) -> int:
        """Remove hidden build, replaced and removal directories (`.<id>.tmp-*`, `.old-*`,
        `.removing-*`) that nothing has written to for `idle`: what a killed worker left, or a
        disk error kept its own clean-up from removing. They hold ciphertext only, but disk."""
        root = Path(self.hls.output_dir)
        if not root.is_dir():
            return 0
        horizon = time.time() - idle.total_seconds()
        swept = 0
        for stale in root.glob(".*.*-*"):
            if not stale.is_dir():
                continue
            try:
                newest = max([stale.stat().st_mtime] + [p.stat().st_mtime for p in stale.iterdir()])
            except OSError:
                continue
            if newest < horizon:
                shutil.rmtree(stale, ignore_errors=True)
                swept += not stale.exists()
        return swept

    # -- the steps -------------------------------------------------------------------------

    def _run(self, job: RunningJob, stream_id: str, upload_id: str) -> None:
        encoded = self._encoded(job, stream_id)
        if encoded is None:
            encoded = self._encode(job, stream_id, upload_id)
        else:
            log.info("transcode %s: the encoded stream is in place; publishing it", stream_id)
        keys = [
            self.media_keys.open(stream_id, period, base64.b64decode(sealed))
            for period, sealed in enumerate(encoded["keys"])
        ]
        self._check(job, stream_id)
        self._set_progress(stream_id, 95.0, None)
        # Added unpinned, recorded, then pinned: a kill anywhere leaves either no pin or one the
        # next attempt finds in the payload (a node's GC may take unpinned blocks meanwhile:
        # the pin then fetches them, or fails and the attempt is retried). The same files give
        # the same CID, so a resumed attempt pins what an earlier one recorded.
        cid = str(self.ipfs.upload_directory(self.output_dir(stream_id), pin=False)["cid"])
        job.remember(pinning=cid)
        self._check(job, stream_id)  # a worker that lost the job could not record it: no pin
        self.ipfs.pin_cid(cid)
        result, thumbnail = encoded["result"], encoded["thumbnail"]
        if self.published is not None:
            # Copied before the stream is ready (a viewer is never sent to a URL with nothing
            # behind it); an attempt that dies here leaves objects the next one replaces.
            self.published.publish(stream_id, self.output_dir(stream_id), replace=False)
            result, thumbnail = self.published.relocate(stream_id, result, thumbnail)
            self._check(job, stream_id)
        if not self._publish(stream_id, result, thumbnail, cid, keys):
            self._unpin(cid)
            if self.published is not None:
                self.published.remove(stream_id)
            job.remember(pinning=None)
            raise StreamGone(stream_id)
        if self.published is not None:
            self._remove_files(stream_id)  # served from the store now: the worker keeps nothing
        self.uploads.discard_source(upload_id)
        job.remember(encoded=None, pinning=None)  # the keys are the stream's now

    def _encode(self, job: RunningJob, stream_id: str, upload_id: str) -> dict[str, Any]:
        """Step 1: the ladder, encrypted, and its thumbnail, in place; recorded in the job."""
        self._unpin_leftover(job)  # an earlier attempt's output had other keys, so another CID
        # The upload as a local file: itself on the local directory, its chunks assembled into
        # a temporary file (gone when the encode ends) on an object store.
        with self.uploads.source_file(upload_id) as source:
            return self._encode_from(job, stream_id, source)

    def _encode_from(self, job: RunningJob, stream_id: str, source: Path) -> dict[str, Any]:
        self._withdraw(stream_id)  # a previous attempt's output, complete or not, and its keys
        cancel = threading.Event()
        last = [0.0]

        def on_progress(p: Progress) -> None:
            now = time.monotonic()
            if now - last[0] < self.progress_every:
                return
            last[0] = now
            if job.lost or not self._set_progress(stream_id, p.percent * ENCODE_SHARE / 100, p.eta_seconds):
                cancel.set()
                return
            job.progress(p.percent * ENCODE_SHARE / 100, eta=p.eta_seconds)

        keys = KeyRing(self.key_period_segments, key_uri(stream_id), self.media_keys.new_key)
        growing = Growing(self, job, stream_id, keys)
        result = self.hls.create_hls_stream(
            source, stream_id, on_progress=on_progress, cancel=cancel, keys=keys, live=growing
        )
        self._check(job, stream_id)
        thumbnail = result.get("thumbnail") or self.hls.generate_thumbnail(source, stream_id)
        encoded = {
            "result": result,
            "thumbnail": thumbnail,
            "keys": [
                base64.b64encode(self.media_keys.seal(stream_id, period, key)).decode("ascii")
                for period, key in enumerate(keys.keys())
            ],
            "files": _manifest(self.output_dir(stream_id)),
        }
        job.remember(encoded=encoded)
        return encoded

    def _encoded(self, job: RunningJob, stream_id: str) -> dict[str, Any] | None:
        """What an earlier attempt encoded, if every file it recorded is still there as it was."""
        encoded = job.payload.get("encoded")
        if not isinstance(encoded, dict) or not isinstance(encoded.get("files"), dict):
            return None
        try:
            if _manifest(self.output_dir(stream_id)) == encoded["files"]:
                return encoded
        except OSError:
            pass
        log.info("transcode %s: the encoded stream changed since it was made; encoding again", stream_id)
        job.remember(encoded=None)
        return None

    def _publish(
        self, stream_id: str, result: dict[str, Any], thumbnail: str, cid: str, keys: Sequence[bytes]
    ) -> bool:
        """Ready, its keys and `stream.started`, together or not at all; False when the stream
        is gone."""
        with transaction(self.engine) as conn:
            done = conn.execute(
                update(streams)
                .where((streams.c.id == stream_id) & (streams.c.status == "processing"))
                .values(
                    status="ready",
                    playable=True,
                    progress=100.0,
                    eta_seconds=None,
                    error=None,
                    master_playlist=result["masterPlaylist"],
                    variants=result["variants"],
                    duration=result.get("duration"),
                    thumbnail=thumbnail,
                    thumbnails=result.get("thumbnails") or [thumbnail],
                    cid=cid,
                    key_period_seconds=result["keyPeriodSeconds"],
                    key_periods=len(keys),
                    updated_at=now_utc(),
                )
            )
            if done.rowcount != 1:
                return False
            self.media_keys.store(conn, stream_id, keys)
            self.events.publish(conn, stream_events.STARTED, stream_events.started(stream_id))
        return True

    # -- state -----------------------------------------------------------------------------

    def output_dir(self, stream_id: str) -> Path:
        return Path(self.hls.output_dir) / stream_id

    def _status(self, stream_id: str) -> str | None:
        with self.engine.connect() as conn:
            status = conn.execute(select(streams.c.status).where(streams.c.id == stream_id)).scalar()
        return None if status is None else str(status)

    def _check(self, job: RunningJob, stream_id: str) -> None:
        if self._status(stream_id) != "processing":
            raise StreamGone(stream_id)
        if job.lost:
            raise RuntimeError("lease lost to another worker; that worker runs the job again")

    def _set_progress(self, stream_id: str, percent: float, eta: float | None) -> bool:
        """Write progress to a stream still processing; False when it no longer is."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(streams)
                .where((streams.c.id == stream_id) & (streams.c.status == "processing"))
                .values(
                    progress=min(100.0, max(0.0, percent)),
                    eta_seconds=None if eta is None else max(0.0, eta),
                    updated_at=now_utc(),
                )
            )
        return bool(done.rowcount == 1)

    def _remove_files(self, stream_id: str) -> None:
        """The stream's directory and any hidden work directory a killed attempt left beside it
        (HLSService builds in `.<id>.tmp-*` and renames; a SIGKILL skips its cleanup)."""
        remove_files(self.hls, stream_id)

    def _withdraw(self, stream_id: str) -> None:
        """Before an encode: whatever an earlier attempt published (files here and in the store,
        keys, the stream's playable state) goes, since this one makes new keys."""
        self._remove_files(stream_id)
        if self.published is not None:
            self.published.remove(stream_id)
        with self.engine.begin() as conn:
            conn.execute(
                update(streams)
                .where((streams.c.id == stream_id) & (streams.c.status == "processing"))
                .values(**WITHDRAWN)
            )
            self.media_keys.drop(conn, stream_id)

    def _clean(self, stream_id: str, upload_id: str, job: RunningJob) -> None:
        """What a job that ends without publishing leaves: its files (on disk and in the
        store), its source, and the pin of an attempt that got that far."""
        self._remove_files(stream_id)
        if self.published is not None:
            self.published.remove(stream_id)
        if upload_id:
            self.uploads.discard_source(upload_id)
        self._unpin_leftover(job, quiet=True)

    def _unpin_leftover(self, job: RunningJob, *, quiet: bool = False) -> None:
        """Unpin what an attempt of this job pinned and did not publish (only a stream still
        processing, failed or deleted comes here: a published one returns earlier). `quiet`
        where the job is ending anyway: a node that is down then is logged, not raised, so the
        outcome stays the stream's (the pin stays listed in `tidecast ipfs pins`)."""
        cid = job.payload.get("pinning")
        if not cid:
            return
        try:
            self._unpin(str(cid))
        except Exception:
            if not quiet:
                raise
            log.warning(
                "transcode %s: could not unpin %s left by an attempt", job.subject, cid, exc_info=True
            )
            return
        job.remember(pinning=None)

    def _unpin(self, cid: str) -> None:
        try:
            self.ipfs.unpin_cid(cid)
        except NotFound:
            pass


class Growing:
    """The pipeline's side of a stream that plays while it transcodes (tidecast/media/live.py):
    its keys stored as its playlists grow, each before a playlist names it; its files copied to
    the object store as they are written, when there is one; and, once its master is published,
    the stream marked playable (still `processing`). Each step is conditioned on the stream
    still processing and this worker still holding the job: otherwise StreamGone (deleted) or
    a lost lease stops the encode, through the segment receiver, as a full disk would."""

    def __init__(self, pipeline: Pipeline, job: RunningJob, stream_id: str, keys: KeyRing) -> None:
        self.pipeline = pipeline
        self.job = job
        self.stream_id = stream_id
        self.ring = keys

    def keys(self, keys: Sequence[bytes]) -> None:
        with transaction(self.pipeline.engine) as conn:
            self._still_ours(conn)
            self.pipeline.media_keys.add(conn, self.stream_id, keys)

    def files(self, paths: Sequence[str]) -> None:
        published = self.pipeline.published
        if published is None:  # served from HLS_OUTPUT_DIR, where they already are
            return
        root = self.pipeline.output_dir(self.stream_id)
        for path in paths:
            published.put(self.stream_id, root, path)

    def playable(self, variants: Sequence[dict[str, object]], duration: float) -> None:
        hls, published = self.pipeline.hls, self.pipeline.published
        master = f"{hls.url_prefix}/{self.stream_id}/master.m3u8"
        listed = [dict(v) for v in variants]
        if published is not None:
            master = published.url(self.stream_id, master)
            listed = [{**v, "playlist": published.url(self.stream_id, str(v["playlist"]))} for v in listed]
        with transaction(self.pipeline.engine) as conn:
            self._still_ours(conn)
            conn.execute(
                update(streams)
                .where((streams.c.id == self.stream_id) & (streams.c.status == "processing"))
                .values(
                    playable=True,
                    master_playlist=master,
                    variants=listed,
                    duration=round(duration, 3),
                    key_period_seconds=float(self.ring.period_segments * hls.segment_length),
                    updated_at=now_utc(),
                )
            )
        log.info("transcode %s: playable while it transcodes", self.stream_id)

    def _still_ours(self, conn: Connection) -> None:
        if self.job.lost:
            raise RuntimeError("lease lost to another worker; that worker runs the job again")
        status = conn.execute(
            select(streams.c.status).where(streams.c.id == self.stream_id).with_for_update()
        ).scalar()
        if status != "processing":
            raise StreamGone(self.stream_id)


def key_uri(stream_id: str) -> Callable[[int], str]:
    """Where a player asks for a key: the site's keys endpoint, root-relative (a player that
    loaded the playlist from a foreign IPFS gateway rewrites it to the site)."""
    return lambda period: f"/api/keys/{stream_id}/{period}"


def remove_stream_media(
    hls: HLSService,
    ipfs: IPFSService,
    uploads: UploadService,
    stream_id: str,
    cid: str | None,
    published: PublishedMedia | None = None,
) -> None:
    """What a deleted stream leaves behind: its files (on disk and in the object store), its
    upload and its pin. Idempotent (a second run, or one after a partial first, finds less to
    do); the `stream.deleted` subscriber runs it."""
    remove_files(hls, stream_id)
    if published is not None:
        published.remove(stream_id)
    uploads.discard_sources_of(stream_id)
    if cid:
        try:
            ipfs.unpin_cid(cid)
        except NotFound:
            pass


def _manifest(root: Path) -> dict[str, int]:
    """Every file under `root` and its size: what a resumed attempt checks is still there."""
    return {str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*")) if p.is_file()}


def remove_files(hls: HLSService, stream_id: str) -> None:
    try:
        hls.remove(stream_id)
    except NotFound:
        pass
    for stale in Path(hls.output_dir).glob(f".{stream_id}.*"):
        shutil.rmtree(stale, ignore_errors=True)
