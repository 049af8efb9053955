"""One `add` over the node: parts in, blocks staged, the DAG built, answers out in Kubo's order.

Kubo's order (kubo core/commands/add.go and boxo's coreunix adder): each file's line as soon as
the file is imported, named by its path; then, for each top-level directory once all of it has
arrived, its directories depth first, children in link order (by name bytes), each directory
after its children; the top-level directory last. `wrap-with-directory` puts every top-level
entry in one directory named "" (its line's Name is empty). A lone file sent without a name is
named by its CID. Empty directories are kept (Kubo's `--empty-dirs` default).

What is different on purpose: Kubo pins each top-level entry as it finishes; here nothing is
pinned, and nothing leaves the staging area, until the whole upload was read and every DAG
built, so a failure (a bad name, a truncated body, the size limit) stores and pins nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from multiformats import CID

from tidecast.errors import InvalidInput
from tidecast.ipfs.blockstore import BlockStore
from tidecast.ipfs.importer import (
    Added,
    BlockSink,
    DiscardBlocks,
    ImportOptions,
    add_directory,
    add_file,
    add_symlink,
)
from tidecast.ipfs.multipart import Part
from tidecast.ipfs.nodes import cid_text

Emit = Callable[[dict[str, Any]], None]
#: Kubo sends a progress line each time another 256 KiB of a file was read.
PROGRESS_STEP = 256 * 1024
MAX_SYMLINK_BYTES = 4096


@dataclass(frozen=True)
class AddOptions:
    importer: ImportOptions = field(default_factory=ImportOptions)
    wrap: bool = False
    pin: bool = True
    only_hash: bool = False
    progress: bool = False
    cid_base: str | None = None  # "base32" upgrades CIDv0 to v1 in the answers, as Kubo does


@dataclass
class _Dir:
    entries: dict[str, Added | _Dir] = field(default_factory=dict)


def add_parts(parts: Iterable[Part], store: BlockStore, options: AddOptions, emit: Emit) -> list[CID]:
    """Import every part, answer each line through `emit`, and return the roots (pinned
    unless `options.pin` is false; stored unless `only_hash`)."""
    if options.only_hash:
        return _Adder(DiscardBlocks(), options, emit).run(parts)
    with store.staging() as staged:
        roots = _Adder(staged, options, emit).run(parts)
        staged.commit()
        if options.pin:
            for root in roots:
                store.pin_locked(root, verify=False)
    return roots


class _Adder:
    def __init__(self, sink: BlockSink, options: AddOptions, emit: Emit) -> None:
        self.sink = sink
        self.options = options
        self.emit = emit
        self.top = _Dir()
        self.current: str | None = None  # the top-level entry being received
        self.finished: set[str] = set()
        self.roots: list[CID] = []
        self.unnamed = False

    def run(self, parts: Iterable[Part]) -> list[CID]:
        count = 0
        for part in parts:
            count += 1
            if self.unnamed or (not part.path and count > 1):
                raise InvalidInput("an unnamed file must be the only part of an add")
            self._part(part)
        if count == 0:
            raise InvalidInput("expected a file argument")
        if self.options.wrap:
            self.roots = [self._finish(self.top, "").cid]
        elif self.current is not None:
            self._close_top(self.current)
        return self.roots

    def _part(self, part: Part) -> None:
        if not part.path:  # a lone file without a name: Kubo names it by its CID
            if part.kind != "file":
                raise InvalidInput("a directory or symlink part needs a name")
            added = add_file(self._progress(part.data, ""), self.sink, self.options.importer)
            self.unnamed = True
            self._line(cid_text(added.cid), added)
            self.roots.append(added.cid)
            return
        head = part.path[0]
        if not self.options.wrap and head != self.current:
            if self.current is not None:
                self._close_top(self.current)
            if head in self.finished:
                raise InvalidInput(f"the parts of {head!r} are not sent together")
            self.current = head
        parent = self._parent(part.path)
        name, path = part.path[-1], "/".join(part.path)
        if part.kind == "directory":
            existing = parent.entries.setdefault(name, _Dir())
            if not isinstance(existing, _Dir):
                raise InvalidInput(f"{path!r} is sent twice (as a file and as a directory)")
            for _ in part.data:
                pass
            return
        if name in parent.entries:
            raise InvalidInput(f"{path!r} is sent twice")
        if part.kind == "symlink":
            added = add_symlink(_bounded(part.data, path), self.sink, self.options.importer)
        else:
            added = add_file(self._progress(part.data, path), self.sink, self.options.importer)
        parent.entries[name] = added
        self._line(path, added)

    def _parent(self, path: list[str]) -> _Dir:
        here = self.top
        for depth, name in enumerate(path[:-1]):
            child = here.entries.setdefault(name, _Dir())
            if not isinstance(child, _Dir):
                raise InvalidInput(f"{'/'.join(path[: depth + 1])!r} is a file, not a directory")
            here = child
        return here

    def _close_top(self, head: str) -> None:
        self.finished.add(head)
        entry = self.top.entries[head]
        self.roots.append(self._finish(entry, head).cid if isinstance(entry, _Dir) else entry.cid)

    def _finish(self, directory: _Dir, path: str) -> Added:
        """Build `directory` bottom up, a line for each directory after its children."""
        entries: list[tuple[str, Added]] = []
        for name in sorted(directory.entries, key=lambda n: n.encode("utf-8", "surrogatepass")):
            entry = directory.entries[name]
            if isinstance(entry, _Dir):
                child_path = f"{path}/{name}" if path else name
                entry = self._finish(entry, child_path)
            entries.append((name, entry))
        added = add_directory(entries, self.sink, self.options.importer)
        self._line(path, added)
        return added

    def _line(self, name: str, added: Added) -> None:
        cid = added.cid
        if self.options.cid_base == "base32" and cid.version == 0:
            cid = cid.set(version=1)
        self.emit({"Name": name, "Hash": cid_text(cid), "Size": str(added.size)})

    def _progress(self, data: Iterator[bytes], name: str) -> Iterator[bytes]:
        if not self.options.progress:
            yield from data
            return
        done = reported = 0
        for chunk in data:
            done += len(chunk)
            if done - reported >= PROGRESS_STEP:
                reported = done
                self.emit({"Name": name, "Bytes": done})
            yield chunk
        self.emit({"Name": name, "Bytes": done})


def _bounded(data: Iterator[bytes], path: str) -> bytes:
    target = b""
    for chunk in data:
        target += chunk
        if len(target) > MAX_SYMLINK_BYTES:
            raise InvalidInput(f"symlink {path!r}: target over {MAX_SYMLINK_BYTES} bytes")
    return target
