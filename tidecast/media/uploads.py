"""Resumable uploads: bytes arrive in chunks at known offsets, and a complete video becomes a stream.

The upload's row is the truth about how many bytes count (`received`); the bytes themselves are
a file under `<data dir>/uploads` named by the upload's id. A chunk is written at its offset,
synced, and only then counted by updating the row, all under an exclusive lock on the file, so
two requests for one upload never interleave and a crash between the write and the update
leaves extra bytes that the next chunk at the counted offset overwrites (the file is cut to
that chunk's end). A chunk whose request was cut off never reaches a function (API Gateway and
the dev server drop an incomplete body), so the unit of resumption is the chunk: the client asks
for the offset (HEAD) and sends again from there.

Uploading needs an account whose email address is verified (NotAllowed otherwise: a throwaway
account cannot cost the platform transcodes), and fits the account's quotas
(tidecast/media/quotas.py): the declared Upload-Length is checked when the upload is created
(and reserved), and again when it completes.

When the last byte arrives the file is probed; what is not a video, or a video over the media
limits (TIDECAST_MEDIA_MAX_*: duration, pixels, frame rate, tracks), is refused (InvalidInput,
naming the limit) and discarded with its row, so nothing is made of it. On an object store an
upload over TIDECAST_UPLOAD_PROBE_MAX_BYTES is not downloaded in the request (it would not fit
API Gateway's 29 s): the transcode worker's probe refuses it instead, failing the stream.

A video becomes, in one transaction, a stream in `processing` owned by the uploader, a
transcode job, and the upload marked complete.

Uploads belong to their owner: someone else's id is NotFound, exactly as an unknown one. The
upload directory must be one file system shared by every function instance that serves the
same uploads (the dev server's data directory). With an object store (TIDECAST_STORAGE_URL=
s3://..., what Lambda needs) there is no file: each chunk is an object, the row is the lock, and
the probe and the transcode read the chunks assembled into a temporary file
(tidecast/media/upload_objects.py).

Unfinished uploads are bounded, since each may hold up to TIDECAST_UPLOAD_MAX_BYTES of disk:
- a user holds at most TIDECAST_UPLOAD_MAX_OPEN (5) at once. Creating one more discards their
  longest-untouched unfinished upload rather than refusing: the studio starts a new upload when
  a different file is chosen and a tus client rarely deletes what it gave up on, so refusing
  would lock out an honest user until the sweep, while discarding the stalest costs them only
  what they had abandoned;
- the hourly sweep (`expire`) deletes unfinished uploads untouched for
  TIDECAST_UPLOAD_EXPIRY_HOURS (24), and files in the directory with no row that are as old (a
  process killed between creating the file and its row). A client that comes back after either
  gets 404 and starts again, as tus clients do.
A discard takes the file's lock first, so it never cuts a chunk being written.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import Engine, delete, select, update

from tidecast.db.schema import streams, uploads, users
from tidecast.db.times import now_utc
from tidecast.db.tx import advisory_lock, transaction
from tidecast.errors import Conflict, InvalidInput, NotAllowed, NotFound, TooLarge
from tidecast.files import private_dir

if TYPE_CHECKING:
    from tidecast.jobs import Jobs
    from tidecast.storage import Storage
from tidecast.media.probe import MediaLimits, probe
from tidecast.media.quotas import Quotas
from tidecast.media.streams import insert_stream
from tidecast.media.upload_objects import UploadObjects

log = logging.getLogger(__name__)

UPLOAD_ID = re.compile(r"[A-Za-z0-9_\-]{16,32}", re.ASCII)
#: The job kind a complete upload asks for (tidecast/media/pipeline.py runs it).
TRANSCODE = "stream.transcode"
FILENAME_MAX = 255
TITLE_MAX = 200


@dataclass(frozen=True)
class Upload:
    id: str
    owner_id: str
    length: int
    received: int
    metadata: dict[str, str]
    status: str
    stream_id: str | None

    @property
    def complete(self) -> bool:
        return self.status == "complete"


def check_metadata(metadata: dict[str, str]) -> dict[str, str]:
    """The fields an upload may declare: `filetype` (video/*, required), `filename`, `title`."""
    for key, value in metadata.items():
        if "\x00" in value:
            raise InvalidInput(f"Invalid Upload-Metadata '{key}': NUL characters are not allowed")
    filetype = metadata.get("filetype", "").strip().lower()
    if not filetype:
        raise InvalidInput("Upload-Metadata must declare 'filetype' (a video/* media type)")
    if not re.fullmatch(r"video/[a-z0-9][a-z0-9.+\-]{0,100}", filetype):
        raise InvalidInput(f"Invalid Upload-Metadata 'filetype' {filetype[:80]!r}: only video/* is accepted")
    filename = metadata.get("filename", "")
    if len(filename) > FILENAME_MAX or "/" in filename or "\\" in filename:
        raise InvalidInput(
            f"Invalid Upload-Metadata 'filename': a file name of at most {FILENAME_MAX} characters"
        )
    title = metadata.get("title", "").strip()
    if len(title) > TITLE_MAX:
        raise InvalidInput(f"Invalid Upload-Metadata 'title': at most {TITLE_MAX} characters")
    return {"filetype": filetype, "filename": filename, "title": title}


def stream_title(metadata: dict[str, str]) -> str:
    """The title the stream gets: the declared one, else the file's name without extension."""
    title = metadata.get("title") or Path(metadata.get("filename") or "").stem.strip()
    return (title or "Untitled")[:TITLE_MAX]


class UploadService:
    def __init__(
        self,
        engine: Engine,
        directory: Path,
        *,
        max_bytes: int,
        jobs: Jobs,
        probe: Callable[[Path], Any] | None = None,
        default_price: str = "0",
        max_open: int = 5,
        expiry: timedelta = timedelta(hours=24),
        limits: MediaLimits | None = None,
        quotas: Quotas | None = None,
        objects: Storage | None = None,
        probe_max_bytes: int | None = None,
    ) -> None:
        self.engine = engine
        #: An object store (TIDECAST_STORAGE_URL=s3://...): each chunk is an object
        #: `uploads/<id>/<offset>` (tidecast/media/upload_objects.py). None: one file per upload
        #: in `directory`, as on a laptop.
        self.objects = UploadObjects(objects) if objects is not None else None
        #: What a new stream costs a second (TIDECAST_DEFAULT_PRICE, normalised) until its
        #: creator sets a price.
        self.default_price = default_price
        self.directory = directory
        self.max_bytes = max_bytes
        self.max_open = max_open
        self.expiry = expiry
        self.jobs = jobs
        self._probe = probe
        #: On an object store, uploads larger than this are probed by the transcode worker,
        #: not in the completing PATCH (a download of gigabytes does not fit a request).
        self.probe_max_bytes = probe_max_bytes
        #: What a video may be (TIDECAST_MEDIA_MAX_*), checked when its last byte arrives.
        self.limits = limits or MediaLimits()
        #: What an account may store and upload a day (TIDECAST_QUOTA_*).
        self.quotas = quotas or Quotas()

    def path(self, upload_id: str) -> Path:
        if not UPLOAD_ID.fullmatch(upload_id):
            raise NotFound("Upload not found")
        return self.directory / upload_id

    # -- the tus operations ------------------------------------------------------------------

    def create(self, owner_id: str, length: int, metadata: dict[str, str]) -> Upload:
        if length <= 0:
            raise InvalidInput("Invalid Upload-Length: an empty file is not a video")
        if length > self.max_bytes:
            raise TooLarge(f"Upload-Length {length} is over the limit of {self.max_bytes} bytes")
        fields = check_metadata(metadata)
        self._check_verified(owner_id)
        upload_id = secrets.token_urlsafe(18)
        if self.objects is None:
            private_dir(self.directory.parent)
            private_dir(self.directory)
            fd = os.open(self.path(upload_id), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
        now = now_utc()
        try:
            with self.engine.begin() as conn:
                # Insert, then count with the new row in: parallel creations are checked in turn
                # (the lock on PostgreSQL, the insert's write lock on SQLite), and a refusal
                # rolls the row back.
                advisory_lock(conn, "uploads", owner_id)
                conn.execute(
                    uploads.insert().values(
                        id=upload_id,
                        owner_id=owner_id,
                        length=length,
                        received=0,
                        metadata=fields,
                        status="receiving",
                        created_at=now,
                        updated_at=now,
                    )
                )
                self.quotas.check(conn, owner_id, length)
        except BaseException:
            if self.objects is None:
                self.path(upload_id).unlink(missing_ok=True)
            raise
        self._evict(owner_id)
        return Upload(upload_id, owner_id, length, 0, fields, "receiving", None)

    def get(self, owner_id: str, upload_id: str) -> Upload:
        path = self.path(upload_id)  # NotFound for a malformed id, before any query
        with self.engine.connect() as conn:
            row = conn.execute(
                select(uploads).where((uploads.c.id == upload_id) & (uploads.c.owner_id == owner_id))
            ).first()
        if row is None or not (row.status == "complete" or self.objects is not None or path.exists()):
            raise NotFound("Upload not found")
        return _upload(row)

    def append(self, owner_id: str, upload_id: str, offset: int, data: bytes) -> Upload:
        """Write `data` at `offset` (which must be the upload's offset); complete it at the end."""
        if self.objects is not None:
            return self._append_object(owner_id, upload_id, offset, data)
        with self._locked(upload_id) as handle:
            assert handle is not None  # the local directory's file
            current = self.get(owner_id, upload_id)
            end = _check_chunk(current, offset, data)
            if data:
                handle.seek(offset)
                handle.write(data)
                handle.truncate()
                handle.flush()
                os.fsync(handle.fileno())
            if end < current.length:
                with self.engine.begin() as conn:
                    conn.execute(
                        update(uploads)
                        .where((uploads.c.id == upload_id) & (uploads.c.received == offset))
                        .values(received=end, updated_at=now_utc())
                    )
                return Upload(**{**current.__dict__, "received": end})
            return self._complete(current)

    def _append_object(self, owner_id: str, upload_id: str, offset: int, data: bytes) -> Upload:
        """The chunk as one object, under the row's lock (no shared disk to `flock` on): the
        row is touched first, which locks it until commit on PostgreSQL and takes SQLite's write
        lock, so two PATCHes of one upload run in turn across function instances. The object
        is stored before the offset moves, so a crash between leaves an object at the counted
        offset, which the client's retry replaces."""
        assert self.objects is not None
        self.path(upload_id)  # NotFound for a malformed id, before any query
        with self.engine.begin() as conn:
            touched = conn.execute(
                update(uploads)
                .where((uploads.c.id == upload_id) & (uploads.c.owner_id == owner_id))
                .values(updated_at=uploads.c.updated_at)
            ).rowcount
            row = conn.execute(select(uploads).where(uploads.c.id == upload_id)).first() if touched else None
            if row is None:
                raise NotFound("Upload not found")
            current = _upload(row)
            end = _check_chunk(current, offset, data)
            if data or end == current.length:
                self.objects.put_chunk(upload_id, offset, data)
            if end < current.length:
                conn.execute(
                    update(uploads)
                    .where((uploads.c.id == upload_id) & (uploads.c.received == offset))
                    .values(received=end, updated_at=now_utc())
                )
                return Upload(**{**current.__dict__, "received": end})
        return self._complete(current)

    def terminate(self, owner_id: str, upload_id: str) -> None:
        """Drop an unfinished upload and its bytes; a complete one belongs to its stream."""
        with self._locked(upload_id):
            current = self.get(owner_id, upload_id)
            if current.complete:
                raise Conflict("Upload is complete: delete its stream instead")
            self._discard(upload_id)

    def expire(self) -> dict[str, int]:
        """Delete unfinished uploads untouched for `expiry`, and old files with no upload row;
        how many of each (the hourly job)."""
        cutoff = now_utc() - self.expiry
        with self.engine.connect() as conn:
            stale = (
                conn.execute(
                    select(uploads.c.id).where(
                        (uploads.c.status == "receiving") & (uploads.c.updated_at < cutoff)
                    )
                )
                .scalars()
                .all()
            )
        expired = sum(self._discard_if(upload_id, uploads.c.updated_at < cutoff) for upload_id in stale)
        orphans = 0
        oldest = cutoff.timestamp()
        old_files = []
        if self.objects is not None:
            orphans = self.objects.remove_orphans(cutoff, self._known)
        for path in self.directory.iterdir() if self.objects is None and self.directory.is_dir() else ():
            try:
                if UPLOAD_ID.fullmatch(path.name) and path.stat().st_mtime < oldest:
                    old_files.append(path)
            except FileNotFoundError:  # discarded while we looked
                continue
        for chunk in (old_files[i : i + 500] for i in range(0, len(old_files), 500)):
            with self.engine.connect() as conn:
                known = set(
                    conn.execute(
                        select(uploads.c.id).where(uploads.c.id.in_([p.name for p in chunk]))
                    ).scalars()
                )
            for path in chunk:
                if path.name not in known:
                    path.unlink(missing_ok=True)
                    orphans += 1
        if expired or orphans:
            log.info("uploads: %d unfinished expired, %d orphan files removed", expired, orphans)
        return {"expired": expired, "orphans": orphans}

    def discard_source(self, upload_id: str) -> None:
        """Delete a complete upload's bytes once its stream no longer needs them."""
        path = self.path(upload_id)
        if self.objects is not None:
            self.objects.discard(upload_id)
        else:
            path.unlink(missing_ok=True)

    def has_source(self, upload_id: str) -> bool:
        """Whether the upload's bytes are still stored."""
        path = self.path(upload_id)
        return self.objects.has(upload_id) if self.objects is not None else path.is_file()

    def has_source_of(self, stream_id: str) -> bool:
        with self.engine.connect() as conn:
            ids = conn.execute(select(uploads.c.id).where(uploads.c.stream_id == stream_id)).scalars().all()
        return any(self.has_source(str(i)) for i in ids)

    def discard_sources_of(self, stream_id: str) -> None:
        """Delete the bytes of every upload that made `stream_id` (it was deleted or expired)."""
        with self.engine.connect() as conn:
            ids = conn.execute(select(uploads.c.id).where(uploads.c.stream_id == stream_id)).scalars().all()
        for upload_id in ids:
            self.discard_source(str(upload_id))

    # -- inside ------------------------------------------------------------------------------

    def _check_verified(self, owner_id: str) -> None:
        """NotAllowed unless the account's email address is verified."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users.c.email, users.c.email_verified_at).where(users.c.id == owner_id)
            ).first()
        if row is None or row.email_verified_at is None:
            address = f" ({row.email})" if row is not None else ""
            raise NotAllowed(
                f"Verify your email address{address} before uploading: follow the link in the mail "
                "we sent, or ask for a new one on your account page"
            )

    def _known(self, ids: list[str]) -> set[str]:
        """Which of `ids` have an upload row."""
        with self.engine.connect() as conn:
            return set(conn.execute(select(uploads.c.id).where(uploads.c.id.in_(ids))).scalars())

    @contextmanager
    def source_file(self, upload_id: str) -> Iterator[Path]:
        """The upload's bytes as a local file, for ffmpeg and the probe: the file itself on the
        local directory, the chunks assembled into a temporary file on an object store (removed
        when the block ends). InvalidInput if they are gone."""
        path = self.path(upload_id)
        if self.objects is None:
            if not path.is_file():
                raise InvalidInput("the uploaded file is gone; upload the video again")
            yield path
            return
        with self.engine.connect() as conn:
            length = conn.execute(select(uploads.c.length).where(uploads.c.id == upload_id)).scalar()
        with self.objects.assembled(upload_id, None if length is None else int(length)) as assembled:
            yield assembled

    def _complete(self, current: Upload) -> Upload:
        # On an object store a large upload is not downloaded here: the transcode worker's
        # probe (HLSService) refuses what is not a video, failing the stream with the reason.
        if self.objects is None or self.probe_max_bytes is None or current.length <= self.probe_max_bytes:
            try:
                with self.source_file(current.id) as path:
                    if self._probe is not None:
                        self._probe(path)
                    else:
                        probe(path, limits=self.limits)
            except InvalidInput as exc:
                self._discard(current.id)
                raise InvalidInput(f"Upload refused and discarded: {exc.message}") from None

        try:
            return self._accept(current)
        except NotAllowed as exc:  # over a quota lowered since the upload was created
            self._discard(current.id)
            raise type(exc)(f"Upload refused and discarded: {exc.message}") from None

    def _accept(self, current: Upload) -> Upload:
        """The stream, its transcode job and the upload complete, in one transaction, if the
        account is still within its quotas."""
        with transaction(self.engine) as conn:
            advisory_lock(conn, "uploads", current.owner_id)
            stream_id = insert_stream(
                conn,
                title=stream_title(current.metadata),
                owner_id=current.owner_id,
                price_per_second=self.default_price,
            )
            job_id = self.jobs.enqueue(conn, TRANSCODE, stream_id, {"upload": current.id})
            conn.execute(update(streams).where(streams.c.id == stream_id).values(job_id=job_id))
            conn.execute(
                update(uploads)
                .where(uploads.c.id == current.id)
                .values(received=current.length, status="complete", stream_id=stream_id, updated_at=now_utc())
            )
            self.quotas.check(conn, current.owner_id, current.length)  # after the writes (SQLite)
        return Upload(
            **{**current.__dict__, "received": current.length, "status": "complete", "stream_id": stream_id}
        )

    def _evict(self, owner_id: str) -> None:
        """Discard the owner's unfinished uploads beyond the newest `max_open`."""
        with transaction(self.engine) as conn:
            advisory_lock(conn, "uploads", owner_id)  # two creates at once evict in turn
            extra = (
                conn.execute(
                    select(uploads.c.id)
                    .where((uploads.c.owner_id == owner_id) & (uploads.c.status == "receiving"))
                    .order_by(uploads.c.updated_at.desc(), uploads.c.id)
                    .offset(self.max_open)
                )
                .scalars()
                .all()
            )
        for upload_id in extra:
            self._discard_if(upload_id, uploads.c.status == "receiving")

    def _discard_if(self, upload_id: str, condition: Any) -> bool:
        """Discard an unfinished upload under its file's lock if `condition` still holds of its
        row then (a chunk may have arrived, or the last one completed it, meanwhile)."""
        try:
            with self._locked(upload_id):
                with self.engine.begin() as conn:
                    gone = conn.execute(
                        delete(uploads).where(
                            (uploads.c.id == upload_id) & (uploads.c.status == "receiving") & condition
                        )
                    ).rowcount
                if gone:
                    self._remove_bytes(upload_id)
                return bool(gone)
        except NotFound:  # no file: discarded already; a row without one is no use either
            with self.engine.begin() as conn:
                conn.execute(
                    delete(uploads).where((uploads.c.id == upload_id) & (uploads.c.status == "receiving"))
                )
            return False

    def _discard(self, upload_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(uploads).where(uploads.c.id == upload_id))
        self._remove_bytes(upload_id)

    def _remove_bytes(self, upload_id: str) -> None:
        if self.objects is not None:
            self.objects.discard(upload_id)
        else:
            self.path(upload_id).unlink(missing_ok=True)

    @contextmanager
    def _locked(self, upload_id: str) -> Iterator[IO[bytes] | None]:
        """The upload's file, open for writing under an exclusive lock (across processes too).
        On an object store there is no file: the row is the lock (`_append_object` touches it;
        a discard deletes it, after which a PATCH finds no upload)."""
        path = self.path(upload_id)
        if self.objects is not None:
            yield None
            return
        try:
            handle = open(path, "r+b")
        except FileNotFoundError:
            raise NotFound("Upload not found") from None
        with handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield handle


def _check_chunk(current: Upload, offset: int, data: bytes) -> int:
    """Where the chunk ends, if it may be written at `offset` of `current`."""
    if current.complete:
        raise Conflict("Upload is already complete")
    if offset != current.received:
        raise Conflict(f"Upload-Offset {offset} does not match the upload's offset {current.received}")
    end = offset + len(data)
    if end > current.length:
        raise TooLarge(f"The chunk would end at byte {end}, past Upload-Length {current.length}")
    return end


def _upload(row: Any) -> Upload:
    return Upload(
        row.id,
        row.owner_id,
        int(row.length),
        int(row.received),
        dict(row.metadata),
        row.status,
        row.stream_id,
    )
