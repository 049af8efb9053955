"""An upload's bytes on an object store: one object per tus chunk, `uploads/<id>/<offset>`.

A PATCH is at most Lambda's 6 MB, and an object store has no "write at offset", so each chunk is
its own object named by the offset it starts at, written as 20 digits so that listing the
upload's prefix returns its chunks in byte order. A chunk sent again at the same offset (a
client retrying after a lost answer) replaces the object. The upload's row says how many bytes
count; `assembled` follows the chunks from offset 0, each starting where the one before ended,
up to the upload's length, and ignores what lies beyond (a chunk stored by a request that died
before it was counted).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from tidecast.errors import InvalidInput
from tidecast.storage import Storage

OFFSET_DIGITS = 20
#: Orphan checks ask the database about this many upload ids at a time.
ORPHAN_BATCH = 500


def chunk_key(upload_id: str, offset: int) -> str:
    return f"uploads/{upload_id}/{offset:0{OFFSET_DIGITS}d}"


class UploadObjects:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def put_chunk(self, upload_id: str, offset: int, data: bytes) -> None:
        self.storage.put(chunk_key(upload_id, offset), data)

    def has(self, upload_id: str) -> bool:
        return bool(self.storage.list(f"uploads/{upload_id}/"))

    def discard(self, upload_id: str) -> None:
        self.storage.delete_prefix(f"uploads/{upload_id}/")

    def chunks(self, upload_id: str) -> dict[int, int]:
        """Offset -> size of every chunk object stored for the upload."""
        found = {}
        for item in self.storage.list(f"uploads/{upload_id}/"):
            name = item.key.rsplit("/", 1)[1]
            if len(name) == OFFSET_DIGITS and name.isdigit():
                found[int(name)] = item.size
        return found

    @contextmanager
    def assembled(self, upload_id: str, length: int | None = None) -> Iterator[Path]:
        """The chunks, in order from offset 0, concatenated into a temporary file (removed when
        the block ends). `length`: stop there (the row's length); None: while chunks follow on.
        InvalidInput when a chunk is missing (the bytes are gone)."""
        chunks = self.chunks(upload_id)
        if not chunks:
            raise InvalidInput("the uploaded file is gone; upload the video again")
        # Named by the upload's id in a directory of its own, as on the local directory: a
        # refusal's reason names the file, and a temporary name means nothing to its creator.
        with tempfile.TemporaryDirectory(prefix="tidecast-upload-") as work:
            path = Path(work) / upload_id
            with path.open("wb") as out:
                position = 0
                while position in chunks and (length is None or position < length):
                    size = chunks[position]
                    if size == 0:
                        break
                    out.write(self.storage.get(chunk_key(upload_id, position)))
                    position += size
            if length is not None and position != length:
                raise InvalidInput(
                    f"the upload's bytes are incomplete (stored up to {position} of {length}); "
                    "upload the video again"
                )
            yield path

    def remove_orphans(self, older_than: datetime, known: Callable[[list[str]], set[str]]) -> int:
        """Remove the chunks of uploads with no row whose newest chunk is older than
        `older_than` (a process that stored a chunk and died before its row existed, or a row
        deleted while a chunk was being stored); how many uploads."""
        newest: dict[str, datetime] = {}
        for item in self.storage.list("uploads/"):
            upload_id = item.key.split("/")[1]
            if upload_id not in newest or item.modified > newest[upload_id]:
                newest[upload_id] = item.modified
        old = sorted(upload_id for upload_id, when in newest.items() if when < older_than)
        removed = 0
        for start in range(0, len(old), ORPHAN_BATCH):
            batch = old[start : start + ORPHAN_BATCH]
            alive = known(batch)
            for upload_id in batch:
                if upload_id not in alive:
                    self.discard(upload_id)
                    removed += 1
        return removed
