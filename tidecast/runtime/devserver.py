"""The dev server: netlify.toml routing in front of the same handlers Lambda calls.

Each request is matched against the functions path, then the redirect rules (first match
wins), then the publish directory. Function requests become API Gateway v1 events (see
events.py) and run on a thread pool under their timeout, so a slow or broken function never
takes the server down. Static files are found here (see `_resolve`: Netlify's pretty URLs,
and never outside the publish directory) and sent by Starlette's StaticFiles: Range, ETag,
Last-Modified and conditional requests included.

Every path below is the percent-decoded form the ASGI server puts in scope["path"] (uvicorn
decodes invalid UTF-8 escapes such as %ff to U+FFFD). Rule matching, shadowing and static
lookup all use that one form; raw_path is never decoded a second time.

Every answer carries `X-Content-Type-Options: nosniff`: the site's origin sends only what its
files' names say, never a type a browser guessed from the bytes. Content from IPFS is not on
this origin at all: `/ipfs/` redirects to the CID's own origin (see tidecast/ipfs/gateway.py).

Two things a local server must not trust: the dev pages under `/_dev/` (the mailbox holds reset
links) answer only requests whose Host is local, so a DNS-rebinding page cannot read them; and
`X-Forwarded-For` is believed only from the proxies TIDECAST_TRUSTED_PROXIES names (none by
default), so a local client cannot pick its own source address to dodge the per-IP limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import stat
import uuid
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tidecast.errors import DomainError, NotFound, TooLarge
from tidecast.net.headertimeout import header_timeout_protocol
from tidecast.net.mediatypes import register_media_types
from tidecast.runtime.apigw import build_event, response_body, response_headers
from tidecast.runtime.errors import EdgeError, InternalError, RequestTimeout, error_parts
from tidecast.runtime.invoke import failure, invoke_async
from tidecast.runtime.netlify import FUNCTIONS_PREFIX, NetlifyConfig
from tidecast.runtime.registry import Registry

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger("tidecast.devserver")
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

# HLS and friends: mimetypes' tables get these wrong or lack them (.ts is often Qt Linguist).


# NAME_MAX on Linux and macOS: no file name there is longer, so a longer segment is refused
# before any syscall (which would fail with ENAMETOOLONG anyway).
MAX_NAME_BYTES = 255
# Backslash (a separator on Windows), NUL (refused by the OS with ValueError) and U+FFFD (see
# _safe_parts): a path segment holding one of these never names a published file.
REFUSED_IN_NAMES = ("\\", "\x00", "\ufffd")


@dataclass(frozen=True)
class _File:
    """A regular file inside the publish directory, ready for StaticFiles.file_response."""

    path: str
    stat: os.stat_result


@dataclass(frozen=True)
class _Moved:
    """The path answers at another URL (a trailing slash added or removed): redirect there."""

    location: str


class DevServer:
    def __init__(
        self,
        netlify: NetlifyConfig,
        registry: Registry,
        *,
        max_body_bytes: int,
        body_timeout: float = 30.0,
        workers: int = 32,
    ) -> None:
        register_media_types()
        self.netlify = netlify
        self.registry = registry
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fn")
        self.publish = netlify.publish_dir.resolve()
        self.static = StaticFiles(directory=self.publish, html=True, check_dir=False)

    def app(
        self, dev_routes: list[BaseRoute] | None = None, public_routes: list[BaseRoute] | None = None
    ) -> ASGIApp:
        """The ASGI app: `public_routes` (the parts' routes for everyone, such as the IPFS
        gateway's `<cid>.ipfs.localhost` host and its /ipfs/ redirect: a gateway host answers
        every path itself), then `dev_routes` (the embedded parts' pages, all under /_dev/,
        which answer only to a local Host), then netlify.toml's routing."""
        for route in dev_routes or []:
            path = getattr(route, "path", "")
            if path != "/_dev" and not path.startswith("/_dev/"):
                raise ValueError(f"a dev page must be under /_dev/ (got {path!r}); see public_routes")
        routes = [*(public_routes or []), *(dev_routes or []), Mount("/", app=self)]

        @contextlib.asynccontextmanager
        async def lifespan(_app: Starlette) -> AsyncIterator[None]:
            yield
            self.pool.shutdown(wait=False, cancel_futures=True)

        async def unrouted(request: Request, _exc: Exception) -> Response:
            # Only a path no route can match gets here: one holding a decoded line break, which
            # the catch-all mount's pattern does not match. Answer it as the edge answers any 404.
            status, body, headers = error_parts(NotFound("No route for this path"), "dev-server")
            return JSONResponse(body, status, headers)

        app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: unrouted})
        return NoSniff(LocalDevPages(app))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path = scope["path"]
        if path.startswith(FUNCTIONS_PREFIX) or path == FUNCTIONS_PREFIX.rstrip("/"):
            response = await self.call_function(request, path[len(FUNCTIONS_PREFIX) :])
            return await response(scope, receive, send)
        query = dict(request.query_params)
        for rule in self.netlify.rules:
            bound = rule.match(path, query)
            if bound is None:
                continue
            if not rule.force and self.static_exists(path):
                break  # an existing file shadows the rule (Netlify's default)
            if not rule.rewrite:
                target = rule.target(bound, request.url.query, encode=True)
                return await RedirectResponse(target, status_code=rule.status)(scope, receive, send)
            target_path = rule.rewrite_path(bound)
            if target_path.startswith(FUNCTIONS_PREFIX):
                response = await self.call_function(request, target_path[len(FUNCTIONS_PREFIX) :])
                return await response(scope, receive, send)
            return await self.serve_static(scope, receive, send, target_path, rule.status, rewrite=True)
        await self.serve_static(scope, receive, send, path, 200)

    def static_exists(self, path: str) -> bool:
        """Whether the publish directory answers `path`, so that an unforced rule yields to it.

        Netlify: "By default, you can't shadow a URL that actually exists within the site"
        (docs.netlify.com/routing/redirects/rewrites-proxies/#shadowing); "If a file exists,
        we will serve that file rather than applying the rule, unless the rule is forced"
        (answers.netlify.com/t/changed-behavior-in-redirects/10084). A URL exists if
        `_resolve` answers it: a file reached through a pretty URL, or a trailing-slash
        redirect to one, shadows a rule exactly as a file at the exact path does. (Rules
        match with or without a trailing slash, so /about/ meets the rule for /about and
        yields to the redirect towards about.html.)
        """
        return self._resolve(path, canonical=True) is not None

    async def serve_static(
        self, scope: Scope, receive: Receive, send: Send, path: str, status: int, *, rewrite: bool = False
    ) -> None:
        """Stream a file from the publish directory; a 404 rewrite keeps its 404 status.

        A rewrite target is served from whichever file it names (`to = "/docs"` serves
        docs/index.html) rather than redirecting the client to a URL it never asked for.
        Anything not found, hostile paths included, is the publish directory's 404.html
        with status 404, as on Netlify, or a plain 404 when there is none.
        """
        if scope["method"] not in ("GET", "HEAD"):
            response = _error(NotFound(f"Not found: {scope['path']}"), str(uuid.uuid4()))
            return await response(scope, receive, send)
        found = self._resolve(path, canonical=not rewrite)
        if isinstance(found, _Moved):
            query = scope.get("query_string", b"").decode("latin-1")
            location = f"{found.location}?{query}" if query else found.location
            return await RedirectResponse(location, status_code=301)(scope, receive, send)
        if found is None:
            page = self._file(["404.html"])
            if page is None:
                return await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
            return await FileResponse(page.path, stat_result=page.stat, status_code=404)(scope, receive, send)

        async def send_with_status(message: Message) -> None:
            if message["type"] == "http.response.start" and status != 200 and message["status"] == 200:
                message = dict(message, status=status)
            await send(message)

        if found.path.endswith(PLAYLIST_SUFFIX):
            response = _playlist_response(found.path, scope)
        else:
            response = self.static.file_response(found.path, found.stat, scope)
        await response(scope, receive, send_with_status)

    def _resolve(self, path: str, *, canonical: bool) -> _File | _Moved | None:
        """What the publish directory answers for `path`: a file, a redirect, or nothing.

        Netlify's pretty URLs as its CDN serves them, followed from the measured table in
        github.com/slorber/trailing-slash-guide (rows "Netlify, Default" and "Netlify, Pretty
        Urls on", which agree), for about.html and docs/index.html:

          /about        serves about.html         /docs    redirects (301) to /docs/
          /about.html   serves about.html too     /docs/   serves docs/index.html
          /about/       redirects to /about       both about.html and about/index.html:
                                                  /about serves about.html, /about/ redirects

        A file at the exact path always wins; /page.html/ (a file asked for as a directory)
        redirects to /page.html by the same rule as /about/. `canonical=False` is for rewrite
        targets, which never redirect and serve the file the path names.
        """
        parts = _safe_parts(path)
        if parts is None:
            return None
        if not parts:
            return self._file(["index.html"])
        *parent, name = parts
        slash = path.endswith("/")
        here = "/" + "/".join(quote(part) for part in parts)
        exact = self._file(parts)
        if exact is not None and not slash:
            return exact
        page = self._file([*parent, f"{name}.html"])
        if page is not None:
            return _Moved(here) if slash and canonical else page
        index = self._file([*parts, "index.html"])
        if index is not None:
            return _Moved(here + "/") if not slash and canonical else index
        if exact is not None:
            return _Moved(here) if canonical else exact
        return None

    def _file(self, parts: Sequence[str]) -> _File | None:
        """The regular file at `parts` under the publish directory, if there is one.

        `parts` come from `_safe_parts`, so they hold no separators, NULs or "..": the
        real-path check is for symlinks, which (as with StaticFiles' default) may not lead
        out of the publish directory. Any OSError (a name too long for this file system, a
        loop, no permission) means no such file rather than a 500.
        """
        joined = os.path.join(self.publish, *parts)
        try:
            real = os.path.realpath(joined)
            if os.path.commonpath([real, self.publish]) != str(self.publish):
                return None
            result = os.stat(real)
        except (OSError, ValueError):
            return None
        return _File(joined, result) if stat.S_ISREG(result.st_mode) else None

    async def call_function(self, request: Request, rest: str) -> Response:
        name, _, subpath = rest.partition("/")
        # One id from the first byte: the answers given here before the function runs (413,
        # 408, an unknown function) carry it as API Gateway's do, and the event gets the same.
        request_id = str(uuid.uuid4())
        try:
            fn = self.registry.get(name)
        except DomainError as exc:
            return _error(exc, request_id)
        except Exception:  # a function that fails to import must not stop the server
            log.exception("loading function %s failed", name)
            return _error(InternalError(f"Function {name} failed to load; see the server log"), request_id)
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            return _error(_too_large(int(declared), self.max_body_bytes), request_id)
        body = bytearray()
        try:
            async with asyncio.timeout(self.body_timeout):
                async for chunk in request.stream():
                    body.extend(chunk)
                    if len(body) > self.max_body_bytes:
                        return _error(_too_large(len(body), self.max_body_bytes), request_id)
        except TimeoutError:
            log.info(
                "%s %s: body not complete after %gs; 408", request.method, request.url.path, self.body_timeout
            )
            return _error(
                RequestTimeout(f"Request body did not arrive within {self.body_timeout:g}s"), request_id
            )
        except ClientDisconnect:
            log.info("%s %s: client went away before its body arrived", request.method, request.url.path)
            return Response(status_code=499)  # nobody is listening; never sent
        event = build_event(
            method=request.method,
            path=request.url.path,
            query=request.query_params.multi_items(),
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]],
            body=bytes(body),
            source_ip=request.client.host if request.client else "127.0.0.1",
            subpath=subpath.strip("/") or None,
            function_name=name,
            request_id=request_id,
        )
        reply = await invoke_async(fn, event, self.pool)
        content = response_body(reply) if request.method != "HEAD" else b""
        headers = [(k, v) for k, v in response_headers(reply) if k != "content-length"]
        if not any(k == "x-request-id" for k, _ in headers):
            # API Gateway always tells the client its request id; so do we.
            headers.append(("x-request-id", event["requestContext"]["requestId"]))
        headers.append(("content-length", str(len(content))))
        response = Response(content=content, status_code=reply["statusCode"])
        response.raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        return response


def _safe_parts(path: str) -> list[str] | None:
    """The path's segments as file names, or None when no file in the publish dir has it.

    Empty and "." segments are dropped. A ".." segment (sent encoded as %2e%2e, or as ".."
    by a client that does not normalise), a backslash (a separator on Windows), a NUL (the
    OS refuses it with ValueError), U+FFFD (what uvicorn puts for an escape that is not
    UTF-8, such as %ff: not the name the client sent) and a name over MAX_NAME_BYTES make
    the whole path not found: such a request is a probe, not a link to a file.

    So does any other segment starting with "." (".." included): hidden names are work in
    progress, never published. HLSService builds a stream in `streams/.<id>.tmp-*` (plaintext
    segments until they are encrypted) and renames it into place.
    """
    parts: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment.startswith(".") or any(c in segment for c in REFUSED_IN_NAMES):
            return None
        try:
            if len(segment.encode("utf-8")) > MAX_NAME_BYTES:
                return None
        except UnicodeEncodeError:  # a lone surrogate: no file name either
            return None
        parts.append(segment)
    return parts


def _too_large(size: int, limit: int) -> TooLarge:
    return TooLarge(f"Request body is over the limit of {limit} bytes (got {size}+)")


class NoSniff:
    """Adds `X-Content-Type-Options: nosniff` to every response that does not say it already."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_nosniff(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(key.lower() == b"x-content-type-options" for key, _ in headers):
                    headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_nosniff)


class LocalDevPages:
    """Answers /_dev/ paths only when the request's Host is localhost or a loopback address:
    a page on another origin that rebinds its DNS name to 127.0.0.1 still sends its own Host."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["path"] == "/_dev" or scope["path"].startswith("/_dev/")):
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if not is_local_host(host):
                response = PlainTextResponse("The dev pages answer only to a local Host (localhost).", 403)
                return await response(scope, receive, send)
        await self.app(scope, receive, send)


def is_local_host(host: str) -> bool:
    """`localhost`, `127.0.0.1`, `[::1]`, with or without a port."""
    name = host.strip().lower()
    if name.startswith("["):
        name = name[1:].partition("]")[0]
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    return name in LOCAL_HOSTS


def server_config(
    app: ASGIApp, *, host: str, port: int, trusted_proxies: list[str], header_timeout: float = 10.0
) -> uvicorn.Config:
    """uvicorn's settings for the dev server. uvicorn believes X-Forwarded-For from 127.0.0.1 by
    default; here only the configured proxies are believed, and none when none are configured.
    A request's headers must arrive within `header_timeout` seconds (see headertimeout.py)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=trusted_proxies or None,
        http=header_timeout_protocol(header_timeout),
    )


#: HLS playlists: a growing stream's are replaced after every segment (tidecast/media/live.py).
PLAYLIST_SUFFIX = ".m3u8"
#: No playlist is larger (tidecast/media/receiver.py PLAYLIST_MAX).
PLAYLIST_MAX = 16 << 20


def _playlist_response(path: str, scope: Scope) -> Response:
    """A playlist as one version: read from one open file, its length and ETag from that same
    file. StaticFiles stats the path and opens it again later, so a playlist renamed over in
    between was sent with the old length and the new bytes (Chromium: a broken connection,
    ERR_CONTENT_LENGTH_MISMATCH). Revalidated on every request (`no-cache`: it grows), with
    If-None-Match answered 304; no Range (players fetch playlists whole)."""
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            body = handle.read(PLAYLIST_MAX + 1)
    except OSError:
        return PlainTextResponse("Not Found", status_code=404)
    if len(body) > PLAYLIST_MAX:
        return PlainTextResponse("Playlist too large", status_code=500)
    tag = hashlib.md5(f"{info.st_mtime_ns}-{info.st_size}".encode(), usedforsecurity=False).hexdigest()
    headers = {"ETag": f'"{tag}"', "Cache-Control": "no-cache"}
    asked = Headers(scope=scope).get("if-none-match", "")
    if f'"{tag}"' in [part.strip().removeprefix("W/") for part in asked.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(
        body if scope["method"] == "GET" else b"", media_type="application/vnd.apple.mpegurl", headers=headers
    )


def _error(exc: DomainError | EdgeError, request_id: str) -> Response:
    reply = failure(exc, request_id)
    response = Response(content=response_body(reply), status_code=reply["statusCode"])
    response.raw_headers = [(k.encode(), v.encode()) for k, v in response_headers(reply)] + [
        (b"content-length", str(len(response.body)).encode())
    ]
    return response
