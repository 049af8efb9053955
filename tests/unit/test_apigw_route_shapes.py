"""Every function answers the same whichever API Gateway route shape carried the request.

A deployment routes `/api/{proxy+}` (the proxy is `NAME/rest`), `/.netlify/functions/NAME/{proxy+}`
(the proxy is `rest`) and `/.netlify/functions/NAME`, on REST APIs (v1: `resource`,
`pathParameters`) and HTTP APIs (v2: `routeKey`, `rawPath`, `pathParameters`). The events are
AWS's published samples with only those fields replaced; a second test sends what the generated
SAM template's own routes produce (`/api/NAME`, `/api/NAME/{proxy+}`, and the two above).
Each request uses a method no route takes (TRACE), so the handler's answer is the routing
decision itself, without services: 405 naming the methods of the route it matched.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from tests.support.events import routed_event
from tidecast.deploy.template import routes as template_routes
from tidecast.runtime.function import Function
from tidecast.runtime.netlify import load_netlify_config
from tidecast.runtime.registry import Registry
from tidecast.runtime.request import Request

FUNCTIONS = ["auth", "keys", "openapi", "payments", "streams", "unsubscribe", "uploads"]
VERSIONS = ["1.0", "2.0"]
ROOT = Path(__file__).resolve().parents[2]


def _app(name: str) -> Function:
    app = importlib.import_module(f"tidecast.functions.{name}").app
    assert isinstance(app, Function)
    return app


def _cases() -> list[tuple[str, str]]:
    """(function, subpath) for every route of every function, ids filled with a sample value."""
    cases = []
    for name in FUNCTIONS:
        for pattern in sorted({r.pattern for r in _app(name).routes}):
            parts = ["0xab12" if p.startswith("{") else p for p in pattern.split("/") if p]
            cases.append((name, "/".join(parts)))
    return cases


def _shapes(name: str, subpath: str) -> list[tuple[str, str, str | None]]:
    """(path, route template, proxy) for each route a deployment has for this request."""
    below = f"/{subpath}" if subpath else ""
    shapes: list[tuple[str, str, str | None]] = [
        (f"/api/{name}{below}", "/api/{proxy+}", f"{name}{below}"),
    ]
    if subpath:
        shapes.append(
            (f"/.netlify/functions/{name}{below}", f"/.netlify/functions/{name}/{{proxy+}}", subpath)
        )
    else:
        shapes.append((f"/.netlify/functions/{name}", f"/.netlify/functions/{name}", None))
    return shapes


def _expected(app: Function, subpath: str) -> tuple[int, str]:
    parts = [p for p in subpath.split("/") if p]
    allowed: set[str] = set()
    for route in app.routes:
        if route.match(parts) is not None:
            allowed |= set(route.methods) | ({"HEAD"} if "GET" in route.methods else set())
    if not allowed:
        return 404, ""
    return 405, ", ".join(sorted(allowed | {"OPTIONS"}))


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("name", "subpath"), _cases())
def test_every_route_shape_reaches_the_same_route(name: str, subpath: str, version: str) -> None:
    app = _app(name)
    status, allow = _expected(app, subpath)
    assert status == 405, f"{name}: the route {subpath!r} is not matched even by its own subpath"
    for path, template, proxy in _shapes(name, subpath):
        event = routed_event(version, "TRACE", path, template, proxy)
        assert Request.from_event(event, function_name=name).subpath == subpath, (path, template)
        reply = app.handler(event, None)
        assert reply["statusCode"] == status, (path, template, reply.get("body"))
        assert reply["headers"]["Allow"] == allow, (path, template, reply["body"])
        assert json.loads(reply["body"])["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize("version", VERSIONS)
def test_the_issue_case_list_streams_through_api_proxy(version: str) -> None:
    """GET /api/streams through /api/{proxy+} is the list, not a stream named "streams"."""
    event = routed_event(version, "GET", "/api/streams", "/api/{proxy+}", "streams")
    assert Request.from_event(event, function_name="streams").subpath == ""
    event = routed_event(version, "GET", "/api/streams/abc/playback", "/api/{proxy+}", "streams/abc/playback")
    assert Request.from_event(event, function_name="streams").subpath == "abc/playback"


@pytest.mark.parametrize("version", VERSIONS)
def test_a_stage_prefix_and_an_unknown_route_fall_back_to_the_path(version: str) -> None:
    event = routed_event(version, "GET", "/prod/api/streams/abc", "/{proxy+}", "api/streams/abc")
    assert Request.from_event(event, function_name="streams").subpath == "abc"


def _template_events(name: str, subpath: str) -> list[tuple[str, str, str | None]]:
    """(path, route, proxy) for each route of the generated SAM template that takes this request."""
    config = load_netlify_config(ROOT)
    names = Registry(config.functions_dir).names()
    found = []
    for route in template_routes(config, names):
        if route.function != name:
            continue
        if route.path.endswith("/{proxy+}"):
            prefix = route.path.removesuffix("/{proxy+}")
            if subpath:
                found.append((f"{prefix}/{subpath}", route.path, subpath))
        elif not subpath:
            found.append((route.path, route.path, None))
    return found


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("name", "subpath"), _cases())
def test_the_generated_templates_routes_reach_the_same_route(name: str, subpath: str, version: str) -> None:
    """The events the deployed HTTP API's own routes produce (tidecast deploy template)."""
    app = _app(name)
    status, allow = _expected(app, subpath)
    shapes = _template_events(name, subpath)
    assert shapes, f"the template has no route for {name} {subpath!r}"
    for path, template, proxy in shapes:
        event = routed_event(version, "TRACE", path, template, proxy)
        assert Request.from_event(event, function_name=name).subpath == subpath, (path, template)
        reply = app.handler(event, None)
        assert (reply["statusCode"], reply["headers"]["Allow"]) == (status, allow), (path, template)
