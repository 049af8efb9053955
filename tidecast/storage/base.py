"""The storage interface: objects under keys, where uploads and published media live.

Two implementations, chosen by one setting (tidecast/storage/__init__.py `open_storage`): a local
directory (the embedded default; what a laptop and the dev server use) and any S3-compatible
object store (what Lambda needs, since its functions share no disk). Callers see only this
interface, so the upload and media code is the same on both.

Keys are relative POSIX paths (`uploads/<id>/<offset>`, `streams/<id>/master.m3u8`). A key is
checked before any I/O, the same way in both implementations, so no key can leave the directory
or the bucket's prefix (`..`, an absolute path, an empty segment, a backslash or a control
character is refused as InvalidInput).

Errors: a missing object is MissingObject (a NotFound, naming the key); the store down or
refusing is Unavailable (retried by the jobs, as a full disk is).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from tidecast.errors import InvalidInput, NotFound

#: One segment of a key: printable ASCII without slash or backslash (S3 allows more; nothing
#: tidecast names needs it, and a narrow alphabet keeps local paths and URLs plain).
_SEGMENT = re.compile(r"[A-Za-z0-9._\-+=@,~]{1,255}", re.ASCII)
KEY_MAX = 1024


class MissingObject(NotFound):
    """No object under the key asked for."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: datetime


def check_key(key: str) -> str:
    """`key` if it is a safe relative key, else InvalidInput naming what is wrong."""
    if not isinstance(key, str) or not key:
        raise InvalidInput("storage key: empty")
    if len(key) > KEY_MAX:
        raise InvalidInput(f"storage key: longer than {KEY_MAX} characters")
    if key.startswith("/"):
        raise InvalidInput(f"storage key {key[:80]!r}: absolute; keys are relative")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidInput(f"storage key {key[:80]!r}: empty, '.' or '..' segment")
        if not _SEGMENT.fullmatch(segment):
            raise InvalidInput(
                f"storage key {key[:80]!r}: only letters, digits and . _ - + = @ , ~ between slashes"
            )
    return key


def check_prefix(prefix: str) -> str:
    """A prefix to list or delete under: empty (everything) or a key ending with '/'."""
    if prefix == "":
        return prefix
    if not prefix.endswith("/"):
        raise InvalidInput(f"storage prefix {prefix[:80]!r}: must end with '/'")
    check_key(prefix[:-1])
    return prefix


class Storage(ABC):
    """Objects under keys. Every write is atomic: a reader sees the old object, the new one or
    none, never part of one."""

    @abstractmethod
    def put(
        self,
        key: str,
        data: bytes | BinaryIO,
        *,
        content_type: str | None = None,
        cache_control: str | None = None,
    ) -> int:
        """Store `data` (bytes, or a binary file read to its end) under `key`; its size.
        `content_type` and `cache_control` are the headers a viewer's GET gets back where the
        store serves objects itself (S3); a local directory's web server derives its own."""

    @abstractmethod
    def get(self, key: str) -> bytes:
        """A small object whole (a playlist, a manifest). MissingObject if absent."""

    @abstractmethod
    def download(self, key: str, target: Path) -> int:
        """Stream the object into the local file `target` (for ffmpeg and the probe, which want
        a path), never whole in memory; its size. MissingObject if absent."""

    @abstractmethod
    def size(self, key: str) -> int:
        """The object's size in bytes. MissingObject if absent."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; a missing one is not an error (deletes are retried)."""

    @abstractmethod
    def list(self, prefix: str = "") -> list[StoredObject]:
        """Every object under `prefix` ('' or ending with '/'), sorted by key."""

    @abstractmethod
    def url(self, key: str) -> str:
        """Where a viewer fetches the object (a site path, the store's public URL or a CDN)."""

    def delete_prefix(self, prefix: str) -> int:
        """Remove everything under `prefix` (a stream's output, an upload's chunks); how many."""
        if check_prefix(prefix) == "":
            raise InvalidInput("storage prefix: refusing to delete everything")
        found = self.list(prefix)
        for item in found:
            self.delete(item.key)
        return len(found)
