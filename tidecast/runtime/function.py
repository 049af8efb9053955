"""`Function`: routes inside one deployed function, and the handler that never raises.

A function module builds one `Function`, declares routes relative to the function's own path
(`""` is the function's root, `"{id}"` one segment below it) and exports `handler = app.handler`.
The handler turns every outcome into a response: domain errors keep their message and get
their status at the edge (tidecast/runtime/errors.py); anything unexpected is logged with the
request id and answered with a bare 500.

Routes reach services through `request.services`. The container is the one the host binds
(`app.bind(services)`: the dev server, the CLI and tests share theirs), or, on Lambda, the one
the function's `services` factory builds on the first request (the application passes
`tidecast.container.from_environment`), kept while the sandbox stays warm. It builds each
service on first use, so a function pays only for what its requests touch.

The runtime is generic: it never imports the application's container or any domain package
(tests/unit/test_layering.py holds that); the container's type is named for the type checker only.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tidecast.errors import NotFound
from tidecast.runtime import snapstart
from tidecast.runtime.contract import Contract
from tidecast.runtime.errors import MethodNotAllowed, is_expected
from tidecast.runtime.request import Request
from tidecast.runtime.responses import Response, error_response

if TYPE_CHECKING:
    from tidecast.config import Settings
    from tidecast.container import Services

log = logging.getLogger("tidecast.functions")
#: Every Function in the process (a Lambda sandbox holds one), for SnapStart's hooks.
FUNCTIONS: weakref.WeakSet[Function] = weakref.WeakSet()

RouteHandler = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    methods: frozenset[str]
    segments: tuple[str, ...]
    endpoint: RouteHandler
    #: What the route takes and answers (tidecast/runtime/contract.py), for the OpenAPI document.
    contract: Contract | None = None

    @property
    def pattern(self) -> str:
        return "/".join(self.segments)

    def match(self, parts: list[str]) -> dict[str, str] | None:
        if len(parts) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for want, got in zip(self.segments, parts, strict=True):
            if want.startswith("{") and want.endswith("}"):
                if not got:
                    return None
                params[want[1:-1]] = got
            elif want != got:
                return None
        return params


class Function:
    def __init__(
        self,
        name: str,
        *,
        services: Callable[[], Services] | None = None,
        timeout: float | None = None,
        max_body_bytes: int | None = None,
        public_path: str | None = None,
    ) -> None:
        self.name = name
        #: Where the site exposes the function (netlify.toml sends /api/* to functions).
        self.public_path = public_path or f"/api/{name}"
        self.timeout = timeout
        self.max_body_bytes = max_body_bytes
        self.routes: list[Route] = []
        self._build = services
        self._services: Services | None = None
        #: Whether `_services` is the one `_build` made (and so this function's to release).
        self._built = False
        self._lock = threading.Lock()
        FUNCTIONS.add(self)
        if services is not None:
            snapstart.register_once(FUNCTIONS)

    def bind(self, services: Services | None) -> None:
        """Serve requests with `services` (None: build one from the environment when needed)."""
        self._services = services
        self._built = False

    def warm(self) -> list[str]:
        """Build the container the first request would build, and warm it (`Services.warm`):
        SnapStart's init, so the snapshot holds what a cold request would pay for. The modules
        imported, by name."""
        services = self.services
        warm = getattr(services, "warm", None)
        return list(warm()) if callable(warm) else []

    def release(self) -> None:
        """Close and forget a container this function built (its connections, its caches); the
        next request builds a fresh one. A bound container is the host's, and is left alone."""
        with self._lock:
            built = self._services if self._built else None
            if built is not None:
                self._services, self._built = None, False
        if built is not None:
            built.close()

    @property
    def services(self) -> Services:
        if self._services is None:
            with self._lock:
                if self._services is None:
                    if self._build is None:
                        raise RuntimeError(
                            f"function {self.name!r} has no services: bind some, or pass services="
                        )
                    self._services = self._build()
                    self._built = True
        return self._services

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def route(
        self, methods: str | list[str], pattern: str = "", contract: Contract | None = None
    ) -> Callable[[RouteHandler], RouteHandler]:
        wanted = frozenset(m.upper() for m in ([methods] if isinstance(methods, str) else methods))
        segments = tuple(s for s in pattern.strip("/").split("/") if s)

        def register(endpoint: RouteHandler) -> RouteHandler:
            self.routes.append(Route(wanted, segments, endpoint, contract))
            return endpoint

        return register

    def handler(self, event: Any, context: Any = None) -> dict[str, Any]:
        """The Lambda entry point. Never raises."""
        started = time.perf_counter()
        request_id = _request_id(event, context)
        version = event.get("version", "1.0") if isinstance(event, dict) else "1.0"
        method = path = "?"
        try:
            has_body = isinstance(event, dict) and bool(event.get("body"))
            request = Request.from_event(
                event, context, function_name=self.name, max_body=self._max_body() if has_body else None
            )
            request_id, method, path = request.request_id, request.method, request.path
            request.services_from(lambda: self.services)
            response = self._dispatch(request)
        except Exception as exc:
            if not is_expected(exc):
                log.exception("function %s failed (request %s)", self.name, request_id)
            response = error_response(exc, request_id)
        log.info(
            "%s %s %s -> %d in %.1f ms (request %s)",
            self.name,
            method,
            path,
            response.status,
            (time.perf_counter() - started) * 1000,
            request_id,
        )
        return response.render(version, request_id)

    def _dispatch(self, request: Request) -> Response:
        parts = [p for p in request.subpath.split("/") if p] if request.subpath else []
        allowed: set[str] = set()
        for route in self.routes:
            params = route.match(parts)
            if params is None:
                continue
            methods = set(route.methods) | ({"HEAD"} if "GET" in route.methods else set())
            allowed |= methods
            if request.method in methods:
                response = route.endpoint(request, **params)
                if request.method == "HEAD":
                    response.body = None
                return response
        if not allowed:
            raise NotFound(f"No route for {request.path}")
        if request.method == "OPTIONS":
            allow = ", ".join(sorted(allowed | {"OPTIONS"}))
            return Response(204, None, {"Allow": allow})
        raise MethodNotAllowed(request.method, sorted(allowed | {"OPTIONS"}))

    def _max_body(self) -> int:
        if self.max_body_bytes is not None:
            return self.max_body_bytes
        return self.settings.tidecast_max_body_bytes


def _request_id(event: Any, context: Any) -> str:
    if isinstance(event, dict):
        rid = (event.get("requestContext") or {}).get("requestId")
        if rid:
            return str(rid)
    return str(getattr(context, "aws_request_id", "") or "unknown")
