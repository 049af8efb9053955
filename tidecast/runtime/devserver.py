"""The dev server: netlify.toml routing in front of the same handlers Lambda calls.

Each request is matched against the functions path, then the redirect rules (first match
wins), then the publish directory. Function requests become API Gateway v1 events (see
events.py) and run on a thread pool under their timeout, so a slow or broken function never
takes the server down. Static files come from Starlette's StaticFiles: Range, ETag,
Last-Modified and conditional requests included.
"""

from __future__ import annotations

import contextlib
import logging
import mimetypes
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from tidecast.errors import ApiError, InternalError, NotFound, PayloadTooLarge
from tidecast.runtime.events import build_event, response_body, response_headers
from tidecast.runtime.invoke import failure, invoke_async
from tidecast.runtime.netlify import FUNCTIONS_PREFIX, NetlifyConfig
from tidecast.runtime.registry import Registry

log = logging.getLogger("tidecast.devserver")

# HLS and friends: mimetypes' tables get these wrong or lack them (.ts is often Qt Linguist).
MEDIA_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".vtt": "text/vtt",
    ".webmanifest": "application/manifest+json",
}


def register_media_types() -> None:
    for ext, ctype in MEDIA_TYPES.items():
        mimetypes.add_type(ctype, ext)


class DevServer:
    def __init__(
        self, netlify: NetlifyConfig, registry: Registry, *, max_body_bytes: int, workers: int = 32
    ) -> None:
        register_media_types()
        self.netlify = netlify
        self.registry = registry
        self.max_body_bytes = max_body_bytes
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fn")
        self.publish = netlify.publish_dir.resolve()
        self.static = StaticFiles(directory=self.publish, html=True, check_dir=False)

    def app(self, extra_routes: list[Any] | None = None) -> Starlette:
        routes = [*(extra_routes or []), Mount("/", app=self)]

        @contextlib.asynccontextmanager
        async def lifespan(_app: Starlette) -> AsyncIterator[None]:
            yield
            self.pool.shutdown(wait=False, cancel_futures=True)

        return Starlette(routes=routes, lifespan=lifespan)

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
            target = rule.target(bound, request.url.query)
            if not rule.rewrite:
                return await RedirectResponse(target, status_code=rule.status)(scope, receive, send)
            target_path = target.split("?", 1)[0]
            if target_path.startswith(FUNCTIONS_PREFIX):
                response = await self.call_function(request, target_path[len(FUNCTIONS_PREFIX) :])
                return await response(scope, receive, send)
            return await self.serve_static(scope, receive, send, target_path, rule.status)
        await self.serve_static(scope, receive, send, path, 200)

    def static_exists(self, path: str) -> bool:
        candidate = (self.publish / path.lstrip("/")).resolve()
        if candidate != self.publish and self.publish not in candidate.parents:
            return False
        return candidate.is_file() or (candidate / "index.html").is_file()

    async def serve_static(self, scope: Scope, receive: Receive, send: Send, path: str, status: int) -> None:
        """Stream a file from the publish directory; a 404 rewrite keeps its 404 status."""
        if scope["method"] not in ("GET", "HEAD"):
            response = _error(NotFound(f"Not found: {scope['path']}"), "static")
            return await response(scope, receive, send)
        inner = dict(scope, path=path, raw_path=path.encode(), root_path="")

        async def send_with_status(message: Message) -> None:
            if message["type"] == "http.response.start" and status != 200 and message["status"] == 200:
                message = dict(message, status=status)
            await send(message)

        await self.static(inner, receive, send_with_status)

    async def call_function(self, request: Request, rest: str) -> Response:
        name, _, subpath = rest.partition("/")
        try:
            fn = self.registry.get(name)
        except ApiError as exc:
            return _error(exc, "none")
        except Exception:  # a function that fails to import must not stop the server
            log.exception("loading function %s failed", name)
            return _error(InternalError(f"Function {name} failed to load; see the server log"), "none")
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            return _error(_too_large(int(declared), self.max_body_bytes), "none")
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > self.max_body_bytes:
                return _error(_too_large(len(body), self.max_body_bytes), "none")
        event = build_event(
            method=request.method,
            path=request.url.path,
            query=request.query_params.multi_items(),
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]],
            body=bytes(body),
            source_ip=request.client.host if request.client else "127.0.0.1",
            subpath=subpath.strip("/") or None,
            function_name=name,
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


def _too_large(size: int, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"Request body is over the limit of {limit} bytes (got {size}+)")


def _error(exc: ApiError, request_id: str) -> Response:
    reply = failure(exc, request_id)
    response = Response(content=response_body(reply), status_code=reply["statusCode"])
    response.raw_headers = [(k.encode(), v.encode()) for k, v in response_headers(reply)] + [
        (b"content-length", str(len(response.body)).encode())
    ]
    return response
