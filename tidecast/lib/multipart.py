"""What an `add` sends: Kubo's multipart body, built from files on disk as it streams.

The body is the one Kubo's own client sends (go-ipfs-files' MultiFileReader): one flat part per
path, named `file`, the path in `filename` percent-escaped (Kubo reads it with
`url.QueryUnescape`, js-ipfs with `decodeURIComponent`; `%20` and `%2F` mean the same to both),
directories as empty `application/x-directory` parts before their entries, symlinks as
`application/symlink` parts holding the target, entries in sorted order.

Hand-written rather than httpx's `files=`: httpx wants every file open before the request
starts (a directory of 10,000 segments would be 10,000 descriptors), and here each file is
opened when its part is reached, read in bounded chunks, and counted for a progress bar. The
tree is listed (and checked) before anything is sent, so a bad entry fails before the node
sees a byte; a file that changes or vanishes while it streams aborts the upload.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from tidecast.errors import InvalidInput, NotFound

#: Bytes read from a file per chunk of the body.
READ_SIZE = 1 << 20
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Entry:
    """One part of the body: `name` is the path the node sees (relative, '/'-separated)."""

    name: str
    kind: Literal["file", "directory", "symlink", "bytes"]
    path: Path | None = None
    data: bytes = b""
    size: int = 0


def list_path(path: Path, *, hidden: bool = False) -> list[Entry]:
    """`path` (a file, a symlink or a directory tree) as the entries `ipfs add -r` sends, named
    from `path`'s own name. Names starting with "." below `path` are left out unless `hidden`
    (Kubo's default), so the CIDs are the ones `ipfs add -r` gives."""
    path = Path(path)
    name = path.name or os.path.basename(os.path.abspath(path))
    entries: list[Entry] = []

    def visit(current: Path, rel: str) -> None:
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            raise NotFound(f"no such file or directory: {str(current)!r}") from None
        except PermissionError:
            raise InvalidInput(f"cannot read {str(current)!r}: permission denied") from None
        if stat.S_ISLNK(info.st_mode):
            target = os.readlink(os.fsencode(current))
            entries.append(Entry(rel, "symlink", data=target, size=len(target)))
        elif stat.S_ISREG(info.st_mode):
            entries.append(Entry(rel, "file", path=current, size=info.st_size))
        elif stat.S_ISDIR(info.st_mode):
            entries.append(Entry(rel, "directory"))
            try:
                children = sorted(os.listdir(os.fsencode(current)))
            except PermissionError:
                raise InvalidInput(f"cannot list {str(current)!r}: permission denied") from None
            for child in children:
                text = os.fsdecode(child)
                if text.startswith(".") and not hidden:
                    continue
                visit(current / text, f"{rel}/{text}")
        else:
            raise InvalidInput(f"{str(current)!r} is not a file, directory or symlink")

    visit(path, name)
    return entries


@dataclass
class Body:
    """A multipart body over `entries`, generated again from the start each time it is
    iterated (a retried add sends it anew). `on_progress` gets the file bytes sent so far."""

    entries: list[Entry]
    on_progress: Progress | None = None

    def __post_init__(self) -> None:
        self.boundary = secrets.token_hex(16)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def total(self) -> int:
        return sum(e.size for e in self.entries if e.kind in ("file", "bytes"))

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        for entry in self.entries:
            yield self._head(entry)
            if entry.kind == "file":
                assert entry.path is not None
                for chunk in _read(entry):
                    sent += len(chunk)
                    if self.on_progress is not None:
                        self.on_progress(sent)
                    yield chunk
            elif entry.data:
                if entry.kind == "bytes":
                    sent += len(entry.data)
                    if self.on_progress is not None:
                        self.on_progress(sent)
                yield entry.data
            yield b"\r\n"
        yield f"--{self.boundary}--\r\n".encode()

    def _head(self, entry: Entry) -> bytes:
        kind = {
            "directory": "application/x-directory",
            "symlink": "application/symlink",
        }.get(entry.kind, "application/octet-stream")
        disposition = 'form-data; name="file"'
        if entry.name:
            disposition += f'; filename="{quote(entry.name, safe="")}"'
        head = f"--{self.boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {kind}\r\n\r\n"
        return head.encode()


def _read(entry: Entry) -> Iterator[bytes]:
    """The file's bytes, exactly the size listed: a file that grew or shrank since it was
    listed would give a CID for neither version, so the upload stops instead."""
    assert entry.path is not None
    left = entry.size
    try:
        with open(entry.path, "rb") as handle:
            while left > 0:
                chunk = handle.read(min(READ_SIZE, left))
                if not chunk:
                    break
                left -= len(chunk)
                yield chunk
            extra = handle.read(1)
    except FileNotFoundError:
        raise NotFound(f"{str(entry.path)!r} disappeared while it was uploaded") from None
    if left or extra:
        raise InvalidInput(f"{str(entry.path)!r} changed size while it was uploaded")
