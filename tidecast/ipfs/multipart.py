"""The parts of an `add` upload, as Kubo's clients send them, pulled one at a time.

Kubo (boxo/files/multipartfile.go) reads a flat `multipart/form-data` body: every part is a
file (`application/octet-stream`, or no type), a directory (`application/x-directory`) or a
symlink (`application/symlink`), named by its whole path in the Content-Disposition
`filename`, URL-query-escaped (Go's `url.QueryEscape`; js clients use `encodeURIComponent`,
which the same unescaping reads). The form field's name (`file`, `files`, `path`) is not
looked at. `Abspath` headers (filestore) are ignored: this node always stores the bytes.

python-multipart (the streaming parser Starlette uses) does the byte-level parsing and
enforces header limits; it pushes events through callbacks, which are queued here so that the
importer can *pull* a part's data as an iterator, one body chunk in memory at a time.

Names are stricter than Kubo's (which cleans `/a/../b` into `b`): an absolute name, an empty
segment, `.`/`..`, a NUL, a segment over 255 bytes or more than 128 levels is refused with
InvalidInput, since such
a name in an upload is a mistake or an attack, not a path to keep.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote_plus

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from tidecast.errors import InvalidInput

Kind = Literal["file", "directory", "symlink"]
FILE_TYPES = ("", "application/octet-stream")
DIRECTORY_TYPES = ("application/x-directory",)
SYMLINK_TYPES = ("application/symlink",)
MAX_NAME_BYTES = 255
#: Directory levels in one upload. Kubo sets none; building a tree thousands deep recursed
#: past Python's limit (a 500), and no real upload nests 128 levels (Linux paths stop at 4096
#: bytes, so at most ~2000 one-letter levels).
MAX_DEPTH = 128
MAX_HEADERS = 16
MAX_HEADER_BYTES = 8192


@dataclass
class Part:
    """One part: its path (segments; empty for an unnamed file), kind, and its data, to be
    read once, in order, before the next part is asked for."""

    path: list[str]
    kind: Kind
    data: Iterator[bytes]


def boundary_of(content_type: str) -> bytes:
    kind, params = parse_options_header(content_type)
    if kind not in (b"multipart/form-data", b"multipart/mixed"):
        raise InvalidInput("add takes a multipart/form-data body (Content-Type)")
    boundary = params.get(b"boundary", b"")
    if not boundary or len(boundary) > 200:
        raise InvalidInput("the multipart Content-Type has no boundary")
    return boundary


def split_name(raw: str, kind: Kind) -> list[str]:
    """A part's filename as path segments (see the module docstring for what is refused)."""
    try:
        name = unquote_plus(raw, errors="strict")
    except UnicodeDecodeError:
        raise InvalidInput(f"file name {raw[:120]!r} is not UTF-8 once unescaped") from None
    if name == "":
        return []
    if kind == "directory" and name.endswith("/"):
        name = name[:-1]
    if name.startswith("/"):
        raise InvalidInput(f"file name {name[:120]!r} is absolute; names in an upload are relative")
    segments = name.split("/")
    if len(segments) > MAX_DEPTH:
        raise InvalidInput(f"file name {name[:120]!r}... nests {len(segments)} levels; at most {MAX_DEPTH}")
    for segment in segments:
        if segment in ("", ".", ".."):
            raise InvalidInput(f"file name {name[:120]!r} has an empty, '.' or '..' segment")
        if "\x00" in segment or len(segment.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
            raise InvalidInput(f"file name {name[:120]!r} has a NUL or a segment over {MAX_NAME_BYTES} bytes")
    return segments


class PartReader:
    """Pulls body chunks from `read` (b"" at the end) and hands out Parts."""

    def __init__(self, content_type: str, read: Callable[[], bytes]) -> None:
        self._read = read
        self._events: deque[tuple[str, bytes]] = deque()
        self._ended = False
        self._exhausted = False
        self._header_field = b""
        self._headers: dict[str, bytes] = {}
        self._parser = MultipartParser(
            boundary_of(content_type),
            {
                "on_part_begin": lambda: self._events.append(("begin", b"")),
                "on_part_data": lambda d, s, e: self._events.append(("data", bytes(d[s:e]))),
                "on_part_end": lambda: self._events.append(("end", b"")),
                "on_header_field": self._on_field,
                "on_header_value": self._on_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": lambda: self._events.append(("headers", b"")),
                "on_end": self._on_end,
            },
            max_header_count=MAX_HEADERS,
            max_header_size=MAX_HEADER_BYTES,
        )
        self._value = b""

    def _on_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _on_header_end(self) -> None:
        # Queued like every event: the parser may run ahead of the parts being handed out.
        self._events.append(("header", self._header_field.lower() + b":" + self._value))
        self._header_field = self._value = b""

    def _on_end(self) -> None:
        self._ended = True

    def _next(self) -> tuple[str, bytes] | None:
        while not self._events:
            if self._exhausted:
                return None
            chunk = self._read()
            try:
                if chunk:
                    self._parser.write(chunk)
                else:
                    self._exhausted = True
                    self._parser.finalize()
                    if not self._ended:
                        raise InvalidInput("the multipart body is truncated (no closing boundary)")
            except MultipartParseError as exc:
                raise InvalidInput(f"malformed multipart body: {exc}") from None
        return self._events.popleft()

    def parts(self) -> Iterator[Part]:
        while True:
            event = self._next()
            if event is None:
                return
            if event[0] == "begin":
                self._headers = {}
                continue
            if event[0] == "header":
                name, _, value = event[1].partition(b":")
                self._headers[name.decode("latin-1")] = value
                continue
            if event[0] != "headers":
                continue  # data of a part nobody read (never happens: parts are drained)
            part = self._part(self._headers)
            yield part
            for _ in part.data:  # drain what the consumer left
                pass

    def _part(self, headers: dict[str, bytes]) -> Part:
        ctype = parse_options_header(headers.get("content-type", b""))[0].decode("latin-1").lower()
        if ctype in FILE_TYPES:
            kind: Kind = "file"
        elif ctype in DIRECTORY_TYPES:
            kind = "directory"
        elif ctype in SYMLINK_TYPES:
            kind = "symlink"
        elif ctype.startswith("multipart/"):
            raise InvalidInput("nested multipart directories are not supported; send one part per path")
        else:
            kind = "file"  # Kubo treats any other type as a file's
        _, params = parse_options_header(headers.get("content-disposition", b""))
        try:
            raw = params.get(b"filename", b"").decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("a part's filename is not UTF-8") from None
        return Part(split_name(raw, kind), kind, self._data())

    def _data(self) -> Iterator[bytes]:
        while True:
            event = self._next()
            if event is None:
                raise InvalidInput("the multipart body is truncated inside a part")
            if event[0] == "end":
                return
            if event[1]:
                yield event[1]
