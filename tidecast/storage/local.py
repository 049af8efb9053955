"""Objects as files under one directory: the embedded default (a laptop, the dev server, tests).

A put writes a temporary file beside its target, fsyncs it and renames it over the target, so a
reader (or a process killed mid-write) never sees part of an object. Temporary names carry a
'#', which no key may contain, so listing never returns one.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from tidecast.errors import Unavailable
from tidecast.storage.base import MissingObject, Storage, StoredObject, check_key, check_prefix

COPY_CHUNK = 1 << 20
_FAILURES = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EIO: "disk I/O error",
    errno.EFBIG: "file too large for the file system",
    errno.EACCES: "permission denied",
}


def _unavailable(exc: OSError, where: Path) -> Unavailable:
    what = _FAILURES.get(exc.errno or 0, "cannot write")
    return Unavailable(f"storage: {what} at {where} ({exc.strerror or exc})", retry_after=60)


class LocalStorage(Storage):
    def __init__(self, root: Path, *, public_base: str = "/streams") -> None:
        self.root = Path(root)
        self.public_base = public_base.rstrip("/")

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def path(self, key: str) -> Path:
        """The file behind `key` (for code that still needs a path on the embedded default)."""
        return self.root / check_key(key)

    def put(
        self,
        key: str,
        data: bytes | BinaryIO,
        *,
        content_type: str | None = None,
        cache_control: str | None = None,
    ) -> int:
        # The headers are the web server's business here (the dev server types by extension).
        del content_type, cache_control
        target = self.path(key)
        temp = target.with_name(f"{target.name}#tmp-{secrets.token_hex(6)}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with temp.open("wb") as out:
                if isinstance(data, bytes | bytearray | memoryview):
                    out.write(data)
                else:
                    shutil.copyfileobj(data, out, COPY_CHUNK)
                out.flush()
                os.fsync(out.fileno())
                size = out.tell()
            os.replace(temp, target)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise _unavailable(exc, self.root) from exc
        return size

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise MissingObject(f"no object {key!r} in storage") from None

    def download(self, key: str, target: Path) -> int:
        try:
            with self.path(key).open("rb") as src, Path(target).open("wb") as out:
                shutil.copyfileobj(src, out, COPY_CHUNK)
                return out.tell()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            if not self.exists(key):
                raise MissingObject(f"no object {key!r} in storage") from None
            raise

    def size(self, key: str) -> int:
        path = self.path(key)
        if not path.is_file():
            raise MissingObject(f"no object {key!r} in storage")
        return path.stat().st_size

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        path = self.path(key)
        try:
            path.unlink(missing_ok=True)
        except IsADirectoryError:  # a key is never a directory; a prefix is not deleted this way
            return
        # Empty directories left behind are removed so that a deleted prefix leaves nothing.
        parent = path.parent
        while parent != self.root and parent.is_relative_to(self.root):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def list(self, prefix: str = "") -> list[StoredObject]:
        check_prefix(prefix)
        base = self.root / prefix if prefix else self.root
        if not base.is_dir():
            return []
        found = []
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                if "#" in name:
                    continue  # a put in progress
                path = Path(dirpath) / name
                try:
                    stat = path.stat()
                except FileNotFoundError:  # deleted while we looked
                    continue
                found.append(
                    StoredObject(
                        path.relative_to(self.root).as_posix(),
                        stat.st_size,
                        datetime.fromtimestamp(stat.st_mtime, UTC),
                    )
                )
        return sorted(found, key=lambda item: item.key)

    def url(self, key: str) -> str:
        return f"{self.public_base}/{quote(check_key(key))}"
