"""The Kubo RPC subset under /api/v0/, answered as Kubo answers (go-ipfs-cmds' HTTP shapes).

- Browsers only from the node's own origin: another Origin or Referer, or a browser's POST
  with neither, is Kubo's `403 - Forbidden` before anything else (see origins.py).
- POST only: anything else is Kubo's plain `405 - Method Not Allowed` with `Allow: POST`.
- Arguments in the query string (`arg`, repeated), booleans as Go's strconv.ParseBool reads
  them, an unreadable value a 400.
- Errors as Kubo's body `{"Message", "Code", "Type": "error"}` (Code 1 for the caller's
  mistakes, 0 otherwise). The status comes from the one mapping (tidecast/runtime/errors.py):
  400 for bad input (Kubo's own), and, where Kubo answers 500 for everything else, 404 for a
  missing block, path or pin and 413 for an add over TIDECAST_IPFS_MAX_ADD_BYTES. Kubo's
  clients treat any non-200 as an error carrying the Message, so they behave the same.
- NDJSON lines (`add`, `repo/gc`) are Go's json.Encoder output: compact, `<>&` escaped.

`add` reads its body on a worker thread that pulls chunks from the event loop (so the
importer streams it to disk, one chunk in memory), and answers once the whole upload is in:
every error, the size limit included, is then a clean status instead of an error trailer
after a 200, at the cost of progress lines arriving together at the end.
"""

from __future__ import annotations

import asyncio
import json
import logging
import platform
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from anyio import from_thread
from multiformats import CID
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from tidecast import __version__
from tidecast.errors import DomainError, InvalidInput, NotFound, TooLarge
from tidecast.ipfs.adding import AddOptions, add_parts
from tidecast.ipfs.blockstore import BlockStore
from tidecast.ipfs.cids import parse_cid
from tidecast.ipfs.importer import ImportOptions
from tidecast.ipfs.multipart import PartReader
from tidecast.ipfs.nodes import cid_text
from tidecast.ipfs.origins import FORBIDDEN_BODY, browser_allowed
from tidecast.ipfs.reader import Reader
from tidecast.net.status import domain_status

log = logging.getLogger("tidecast.ipfs")
PREFIX = "/api/v0/"
TRUE = ("1", "t", "T", "TRUE", "true", "True")
FALSE = ("0", "f", "F", "FALSE", "false", "False")
PIN_TYPES = ("all", "direct", "indirect", "recursive")
#: Every method reaches the endpoint, which answers 405 itself (Kubo's body and Allow).
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
#: Seconds an upload may go without sending a byte before it is given up (408 would be
#: unheard; the add fails and stores nothing).
IDLE_SECONDS = 60.0


def go_json(value: Any) -> str:
    """JSON as Go's json.Encoder writes it (compact, HTML characters escaped, a newline)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"


def kubo_error(exc: BaseException) -> Response:
    status, _ = domain_status(exc)
    if isinstance(exc, DomainError):
        message = exc.message
    else:
        log.error("ipfs rpc: unexpected failure", exc_info=exc)
        message = "internal error"
    code = 1 if status in (400, 413) else 0
    body = go_json({"Message": message, "Code": code, "Type": "error"})
    return Response(body, status_code=status, media_type="application/json")


class Options:
    """A request's query options, read as go-ipfs-cmds reads them."""

    def __init__(self, request: Request) -> None:
        self.query = request.query_params

    def args(self) -> list[str]:
        return self.query.getlist("arg")

    def one_arg(self) -> str:
        args = self.args()
        if len(args) != 1:
            raise InvalidInput('argument "ipfs-path" is required' if not args else "expected one argument")
        return args[0]

    def boolean(self, name: str, default: bool) -> bool:
        value = self.query.get(name)
        if value is None or value == "":
            return default if value is None else True
        if value in TRUE:
            return True
        if value in FALSE:
            return False
        raise InvalidInput(f"invalid value {value[:40]!r} for option {name!r}: not a boolean")

    def integer(self, name: str, default: int | None) -> int | None:
        value = self.query.get(name)
        if value is None:
            return default
        try:
            return int(value, 10)
        except ValueError:
            raise InvalidInput(f"invalid value {value[:40]!r} for option {name!r}: not an integer") from None


class KuboRpc:
    def __init__(self, store: BlockStore, *, max_add_bytes: int) -> None:
        self.store = store
        self.reader = Reader(store)
        self.max_add_bytes = max_add_bytes
        self.commands: dict[str, Callable[[Request, Options], Any]] = {
            "add": self.add,
            "cat": self.cat,
            "block/get": self.block_get,
            "pin/add": self.pin_add,
            "pin/rm": self.pin_rm,
            "pin/ls": self.pin_ls,
            "repo/gc": self.repo_gc,
            "version": self.version,
        }

    def routes(self) -> list[BaseRoute]:
        return [Route(PREFIX + "{command:path}", self.endpoint, methods=ANY_METHOD)]

    async def endpoint(self, request: Request) -> Response:
        if not browser_allowed(request.scope):
            log.warning("ipfs rpc: refused %s from another origin (possible CSRF)", request.url.path)
            return PlainTextResponse(FORBIDDEN_BODY, 403, headers={"X-Content-Type-Options": "nosniff"})
        if request.method != "POST":
            return PlainTextResponse("405 - Method Not Allowed\n", 405, headers={"Allow": "POST"})
        command = self.commands.get(request.path_params["command"].strip("/"))
        if command is None:
            return kubo_error(NotFound(f"unknown command {request.path_params['command'][:80]!r}"))
        try:
            result: Response = await command(request, Options(request))
            return result
        except Exception as exc:  # noqa: BLE001 - every failure is answered in Kubo's shape
            return kubo_error(exc)

    # -- add --------------------------------------------------------------------------------

    async def add(self, request: Request, options: Options) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_add_bytes:
            raise _too_large(self.max_add_bytes)
        chunk_size = _chunker(request.query_params.get("chunker"))
        fixed = (("hash", ("sha2-256",)), ("trickle", FALSE), ("inline", FALSE), ("nocopy", FALSE))
        for name, allowed in fixed:
            value = request.query_params.get(name)
            if value is not None and value not in allowed:
                raise InvalidInput(f"option {name}={value[:40]} is not supported by this node")
        version = options.integer("cid-version", None)
        raw = request.query_params.get("raw-leaves")
        base = request.query_params.get("cid-base")
        if base not in (None, "base58btc", "base32"):
            raise InvalidInput(f"cid-base {base[:40]!r} is not supported (base58btc, base32)")
        add_options = AddOptions(
            importer=ImportOptions(
                cid_version=0 if version is None else version,
                raw_leaves=None if raw is None else options.boolean("raw-leaves", False),
                chunk_size=chunk_size,
            ),
            wrap=options.boolean("wrap-with-directory", False),
            pin=options.boolean("pin", True),
            only_hash=options.boolean("only-hash", False),
            progress=options.boolean("progress", False),
            cid_base=base,
        )
        content_type = request.headers.get("content-type", "")
        lines: list[str] = []
        read = self._body_reader(request)

        def run() -> None:
            parts = PartReader(content_type, read).parts()
            add_parts(parts, self.store, add_options, lambda line: lines.append(go_json(line)))

        await run_in_threadpool(run)
        headers = {"X-Chunked-Output": "1", "Trailer": "X-Stream-Error"}
        return Response("".join(lines), media_type="application/json", headers=headers)

    def _body_reader(self, request: Request) -> Callable[[], bytes]:
        """A blocking `read()` for a worker thread: the next body chunk (b"" at the end),
        TooLarge past the limit, InvalidInput when the client stops sending."""
        stream = request.stream()
        limit = self.max_add_bytes
        seen = 0

        async def next_chunk() -> bytes:
            try:
                async with asyncio.timeout(IDLE_SECONDS):
                    return await anext(stream)
            except StopAsyncIteration:
                return b""
            except TimeoutError:
                raise InvalidInput(f"the upload stalled (nothing for {IDLE_SECONDS:g}s)") from None
            except ClientDisconnect:
                raise InvalidInput("the client went away mid-upload") from None

        def read() -> bytes:
            nonlocal seen
            chunk = from_thread.run(next_chunk)
            seen += len(chunk)
            if seen > limit:
                raise _too_large(limit)
            return chunk

        return read

    # -- reading ---------------------------------------------------------------------------

    async def cat(self, request: Request, options: Options) -> Response:
        offset = options.integer("offset", 0) or 0
        length = options.integer("length", None)
        if offset < 0:
            raise InvalidInput("cannot specify negative offset")
        if length is not None and length < 0:
            length = None  # Kubo: -1 means to the end
        arg = options.one_arg()

        def prepare() -> tuple[CID, int, int]:
            cid = self.reader.resolve(arg)
            stat = self.reader.stat(cid)
            if stat.kind == "directory":
                raise InvalidInput("this dag node is a directory")
            start = min(offset, stat.size)
            count = stat.size - start if length is None else min(length, stat.size - start)
            self.reader.check_range(cid, start, count)
            return cid, start, count

        cid, start, count = await run_in_threadpool(prepare)
        headers = {"X-Stream-Output": "1", "X-Content-Length": str(count), "Content-Length": str(count)}
        body = _threaded(self.reader.read(cid, start, count))
        return StreamingResponse(body, media_type="text/plain", headers=headers)

    async def block_get(self, request: Request, options: Options) -> Response:
        cid = parse_cid(options.one_arg())
        block = await run_in_threadpool(self.store.get, cid)
        return Response(block, media_type="text/plain", headers={"X-Stream-Output": "1"})

    # -- pins ------------------------------------------------------------------------------

    async def pin_add(self, request: Request, options: Options) -> Response:
        if not options.boolean("recursive", True):
            raise InvalidInput("direct pins are not supported by this node; pin recursively")
        args = options.args()
        if not args:
            raise InvalidInput('argument "ipfs-path" is required')

        def pin_all() -> list[str]:
            pinned = []
            for arg in args:
                cid = self.reader.resolve(arg)
                self.store.pin(cid)
                pinned.append(cid_text(cid))
            return pinned

        return _json({"Pins": await run_in_threadpool(pin_all)})

    async def pin_rm(self, request: Request, options: Options) -> Response:
        args = options.args()
        if not args:
            raise InvalidInput('argument "ipfs-path" is required')
        cids = [await run_in_threadpool(self.reader.resolve, arg) for arg in args]
        for cid in cids:
            self.store.unpin(cid)
        return _json({"Pins": [cid_text(cid) for cid in cids]})

    async def pin_ls(self, request: Request, options: Options) -> Response:
        kind = request.query_params.get("type", "all")
        if kind not in PIN_TYPES:
            raise InvalidInput(
                f"invalid type '{kind[:40]}', must be one of {{direct, indirect, recursive, all}}"
            )
        args = options.args()
        stream = options.boolean("stream", False)
        keys = await run_in_threadpool(self._pins, kind, args)
        if stream:
            lines = "".join(go_json({"Cid": c, "Type": t}) for c, t in keys.items())
            return Response(lines, media_type="application/json")
        return _json({"Keys": {c: {"Type": t} for c, t in keys.items()}})

    def _pins(self, kind: str, args: list[str]) -> dict[str, str]:
        recursive = {cid_text(c): c for c in self.store.pins()}
        indirect: dict[str, str] = {}
        if kind in ("all", "indirect") or args:
            for root in recursive.values():
                for cid in list(self.store.walk(root))[1:]:
                    text = cid_text(cid)
                    if text not in recursive:
                        indirect.setdefault(text, str(root))
        found: dict[str, str] = {}
        if args:
            for arg in args:
                text = cid_text(self.reader.resolve(arg))
                if text in recursive and kind in ("all", "recursive"):
                    found[text] = "recursive"
                elif text in indirect and kind in ("all", "indirect"):
                    found[text] = f"indirect through {indirect[text]}"
                else:
                    raise NotFound(f"path '{arg[:200]}' is not pinned")
            return found
        if kind in ("all", "recursive"):
            found.update(dict.fromkeys(recursive, "recursive"))
        if kind in ("all", "indirect"):
            found.update(dict.fromkeys(indirect, "indirect"))
        return found

    async def repo_gc(self, request: Request, options: Options) -> Response:
        removed = await run_in_threadpool(self.store.gc)
        body = "".join(go_json({"Key": {"/": cid_text(cid)}}) for cid in removed)
        return Response(body, media_type="application/json", headers={"X-Chunked-Output": "1"})

    async def version(self, request: Request, options: Options) -> Response:
        return _json(
            {
                "Version": f"{__version__}-tidecast",
                "Commit": "",
                "Repo": "tidecast",
                "System": f"{platform.machine()}/{platform.system().lower()}",
                "Golang": f"python{platform.python_version()}",
            }
        )


def _json(value: Any) -> Response:
    return Response(go_json(value), media_type="application/json")


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"the upload is over this node's limit of {limit} bytes (TIDECAST_IPFS_MAX_ADD_BYTES)")


def _chunker(value: str | None) -> int:
    if value is None or value == "":
        return 262144
    kind, _, size = value.partition("-")
    if kind != "size" or not size.isdigit():
        raise InvalidInput(f"chunker {value[:40]!r} is not supported; use size-<bytes>")
    return int(size)


def _threaded(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """The reader's blocking iterator, each step on a worker thread."""
    return iterate_in_threadpool(chunks)
