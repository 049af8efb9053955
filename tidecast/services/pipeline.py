"""The transcode job: an uploaded video becomes a published stream, or a failed one with a reason.

One job (`stream.transcode`, subject the stream id) runs, from the start every time:
1. clean what a previous attempt left (its output directory; HLSService never renames a
   half-made one into place, and a killed attempt's complete one is redone, not trusted);
2. HLSService.create_hls_stream with progress written to the job row and the stream row
   (throttled), cancelled when the stream is deleted or the job's lease is lost, every
   rendition HLS AES-128 encrypted with fresh keys, one per key period (TIDECAST_KEY_PERIOD_
   SEGMENTS segments; the key URI is the site's `/api/keys/<stream>/<period>`);
3. the thumbnail; 4. `ipfs add -r` of the stream's directory unpinned, its CID kept in the
   job's payload (`pinning`), then pinned;
5. in ONE transaction: the stream `ready` with its results and key period figures,
   conditioned on it still being `processing`, its keys sealed and stored (replacing any an
   earlier attempt stored), and `stream.started` published (its subscriber records it on chain).
   A stream is never ready without its keys; keys of an attempt that did not publish are never
   stored (they lived only in that worker's memory, with the ciphertext nobody can open).
Only then is the uploaded source deleted. A worker killed anywhere before step 5 commits leaves
the stream `processing` and unpublished; the job is taken over when its lease runs out and runs
again. A killed attempt can have pinned its output before the publish; the next attempt
encrypts under fresh keys, so its CID always differs. The CID is therefore recorded in the job
before it is pinned, and every attempt first unpins what the one before it recorded, as does a
stream's failure or deletion: no pin outlives its attempt unless it was published.

Failures: InvalidInput (not a video, unreadable) marks the stream `failed` with the reason at
once and fails the job; anything else is left to the job's retries, and the last attempt marks
the stream `failed` too, so a stream never stays `processing` after its job gave up.
A stream deleted while it is processing: the job stops (cancel), removes what it made, and ends
`done` with nothing published; a stream deleted between the add and the publish is unpinned.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select, update

from tidecast.db.schema import streams
from tidecast.db.times import now_utc
from tidecast.db.tx import transaction
from tidecast.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from tidecast.event_bus import EventBus
    from tidecast.jobs import RunningJob
    from tidecast.services.hls import HLSService, Progress
    from tidecast.services.ipfs import IPFSService
    from tidecast.services.media_keys import MediaKeys
    from tidecast.services.uploads import UploadService

log = logging.getLogger(__name__)

#: Share of the progress bar the encode takes; the thumbnail and the IPFS add take the rest.
ENCODE_SHARE = 90.0
#: Seconds between progress writes: each is a database write, and a bar needs no more.
PROGRESS_EVERY = 1.0


class StreamGone(Exception):
    """The stream was deleted while its job ran: stop, clean up, publish nothing."""


class Pipeline:
    def __init__(
        self,
        engine: Engine,
        *,
        hls: HLSService,
        ipfs: IPFSService,
        events: EventBus,
        uploads: UploadService,
        max_attempts: int,
        media_keys: MediaKeys,
        key_period_segments: int = 1,
    ) -> None:
        self.engine = engine
        self.hls = hls
        self.ipfs = ipfs
        self.events = events
        self.uploads = uploads
        self.max_attempts = max_attempts
        self.media_keys = media_keys
        self.key_period_segments = key_period_segments
        #: Seconds between progress writes (tests set 0 to see every report).
        self.progress_every = PROGRESS_EVERY

    def transcode(self, job: RunningJob) -> None:
        """The `stream.transcode` job handler (wired in tidecast/container.py)."""
        stream_id = str(job.subject)
        status = self._status(stream_id)
        if status != "processing":  # deleted, or a re-run after the publish committed
            log.info("transcode %s: stream is %s; nothing to do", stream_id, status or "gone")
            if status is None:
                self._clean(stream_id, str(job.payload.get("upload", "")), job)
            return
        upload_id = str(job.payload.get("upload", ""))
        try:
            self._unpin_leftover(job)
            self._run(job, stream_id)
        except StreamGone:
            log.info("transcode %s: stream deleted while processing; cleaned up", stream_id)
            self._clean(stream_id, upload_id, job)
        except InvalidInput as exc:
            if self._status(stream_id) is None:
                self._clean(stream_id, upload_id, job)
                return

            self._fail(stream_id, exc.message, upload_id, job)
            raise
        except Exception as exc:  # Cancelled, Unavailable, a crash: retried unless the stream went
            if self._status(stream_id) is None and not job.lost:
                log.info("transcode %s: stream deleted while processing; cleaned up", stream_id)
                self._clean(stream_id, upload_id, job)
                return
            if job.attempt >= self.max_attempts and not job.lost:
                self._fail(stream_id, f"transcode failed after {job.attempt} attempts: {exc}", upload_id, job)
            raise

    # -- the steps -------------------------------------------------------------------------

    def _run(self, job: RunningJob, stream_id: str) -> None:
        source = self.uploads.path(str(job.payload["upload"]))
        if not source.is_file():
            raise InvalidInput("the uploaded file is gone; upload the video again")
        self._remove_files(stream_id)  # a previous attempt's output, complete or not
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

        from tidecast.media.encrypt import KeyRing

        keys = KeyRing(self.key_period_segments, key_uri(stream_id), self.media_keys.new_key)
        result = self.hls.create_hls_stream(
            source, stream_id, on_progress=on_progress, cancel=cancel, keys=keys
        )
        self._check(job, stream_id)
        thumbnail = result.get("thumbnail") or self.hls.generate_thumbnail(source, stream_id)
        self._check(job, stream_id)
        self._set_progress(stream_id, 95.0, None)
        # Added unpinned, recorded, then pinned: a kill anywhere leaves either no pin or one the
        # next attempt finds in the payload (a node's GC may take unpinned blocks meanwhile:
        # the pin then fetches them, or fails and the attempt is retried).
        cid = str(self.ipfs.upload_directory(self.output_dir(stream_id), pin=False)["cid"])
        job.remember(pinning=cid)
        self._check(job, stream_id)  # a worker that lost the job could not record it: no pin
        self.ipfs.pin_cid(cid)
        if not self._publish(stream_id, result, thumbnail, cid, keys.keys()):
            self._unpin(cid)
            job.remember(pinning=None)
            raise StreamGone(stream_id)
        self.uploads.discard_source(str(job.payload["upload"]))

    def _publish(
        self, stream_id: str, result: dict[str, Any], thumbnail: str, cid: str, keys: Sequence[bytes]
    ) -> bool:
        """Ready, its keys and `stream.started`, together or not at all; False when the stream
        is gone."""
        from tidecast.services.streams import to_json

        with transaction(self.engine) as conn:
            done = conn.execute(
                update(streams)
                .where((streams.c.id == stream_id) & (streams.c.status == "processing"))
                .values(
                    status="ready",
                    progress=100.0,
                    eta_seconds=None,
                    error=None,
                    master_playlist=result["masterPlaylist"],
                    variants=result["variants"],
                    duration=result.get("duration"),
                    thumbnail=thumbnail,
                    cid=cid,
                    key_period_seconds=result["keyPeriodSeconds"],
                    key_periods=len(keys),
                    updated_at=now_utc(),
                )
            )
            if done.rowcount != 1:
                return False
            self.media_keys.store(conn, stream_id, keys)
            row = conn.execute(select(streams).where(streams.c.id == stream_id)).one()
            self.events.publish(conn, "stream.started", {"stream": to_json(row)})
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

    def _fail(self, stream_id: str, reason: str, upload_id: str, job: RunningJob) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(streams)
                .where((streams.c.id == stream_id) & (streams.c.status == "processing"))
                .values(status="failed", error=reason[:2000], eta_seconds=None, updated_at=now_utc())
            )
        self._clean(stream_id, upload_id, job)

    def _remove_files(self, stream_id: str) -> None:
        """The stream's directory and any hidden work directory a killed attempt left beside it
        (HLSService builds in `.<id>.tmp-*` and renames; a SIGKILL skips its cleanup)."""
        remove_files(self.hls, stream_id)

    def _clean(self, stream_id: str, upload_id: str, job: RunningJob) -> None:
        """What a job that ends without publishing leaves: its files, its source, and the pin
        of an attempt that got that far."""
        self._remove_files(stream_id)
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


def key_uri(stream_id: str) -> Callable[[int], str]:
    """Where a player asks for a key: the site's keys endpoint, root-relative (a player that
    loaded the playlist from a foreign IPFS gateway rewrites it to the site)."""
    return lambda period: f"/api/keys/{stream_id}/{period}"


def remove_stream_media(hls: HLSService, ipfs: IPFSService, stream: dict[str, Any]) -> None:
    """What a deleted stream leaves behind: its files and its pin. Idempotent (a second run, or
    one after a partial first, finds less to do); the `stream.deleted` subscriber runs it."""
    remove_files(hls, str(stream["id"]))
    cid = stream.get("cid")
    if cid:
        try:
            ipfs.unpin_cid(str(cid))
        except NotFound:
            pass


def remove_files(hls: HLSService, stream_id: str) -> None:
    try:
        hls.remove(stream_id)
    except NotFound:
        pass
    for stale in Path(hls.output_dir).glob(f".{stream_id}.*"):
        shutil.rmtree(stale, ignore_errors=True)
