"""One view of an incoming request, whichever API Gateway payload version carried it.

REST APIs (and Netlify's legacy functions) send payload v1: `httpMethod`, `path`,
`multiValueHeaders`, `multiValueQueryStringParameters`. HTTP APIs send v2: `rawPath`,
`rawQueryString`, comma-joined `headers`, a `cookies` list and `requestContext.http`.
Handlers read a `Request` and never care which one arrived.

Hand-written rather than aws-lambda-powertools' data classes: powertools has a separate
resolver per payload version, answers an unknown method with 404 rather than 405 + Allow,
and its import costs ~180 ms of a cold start on this machine; this module is ~150 lines.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from tidecast.errors import InvalidInput, TooLarge
from tidecast.lib.jsondepth import exceeds_depth

if TYPE_CHECKING:
    from tidecast.container import Services

#: JSON nesting allowed in a body. Python's decoder recurses once per level; after a library
#: raises the recursion limit (eth-account's py_ecc sets 100000), a body of 100,000 `[` would
#: overflow the C stack and kill the process. Bodies are checked before they are parsed.
MAX_JSON_DEPTH = 64
#: Digits allowed in a JSON integer: Python refuses to parse more than 4300 anyway, with a
#: ValueError the decoder does not turn into a JSONDecodeError.
MAX_JSON_INT_DIGITS = 100
_QUERY_INT = re.compile(r"[+-]?[0-9]{1,18}", re.ASCII)


@dataclass
class Request:
    method: str
    path: str
    subpath: str
    headers: dict[str, str]
    header_lists: dict[str, list[str]]
    query: dict[str, str]
    query_lists: dict[str, list[str]]
    cookies: dict[str, str]
    body: bytes
    source_ip: str
    request_id: str
    version: str
    event: dict[str, Any] = field(repr=False)
    context: Any = field(default=None, repr=False)
    _services: Services | None = field(default=None, repr=False)
    _services_from: Callable[[], Services] | None = field(default=None, repr=False)

    @property
    def services(self) -> Services:
        """The container of the function serving this request (given by `Function.handler`,
        fetched when a route first asks, so a route that needs none never builds one)."""
        if self._services is None:
            if self._services_from is None:
                raise RuntimeError("this request was not dispatched by a Function: it has no services")
            self._services = self._services_from()
        return self._services

    @services.setter
    def services(self, services: Services) -> None:
        self._services = services

    def services_from(self, source: Callable[[], Services]) -> None:
        """Where `services` comes from when a route first asks for it."""
        self._services_from = source

    @classmethod
    def from_event(
        cls, event: Any, context: Any = None, *, function_name: str = "", max_body: int | None = None
    ) -> Request:
        if not isinstance(event, dict):
            raise InvalidInput("Event must be a JSON object (an API Gateway proxy event)")
        try:
            if event.get("version") == "2.0" and "rawPath" in event:
                return cls._from_v2(event, context, function_name, max_body)
            if "httpMethod" in event:
                return cls._from_v1(event, context, function_name, max_body)
        except (AttributeError, TypeError, ValueError) as exc:
            # A field of the wrong shape: API Gateway never sends these, hand-made events might.
            raise InvalidInput(f"Malformed event: {exc}") from None
        raise InvalidInput("Unsupported event: expected an API Gateway REST (v1) or HTTP API (v2) event")

    @classmethod
    def _from_v1(cls, event: dict[str, Any], context: Any, name: str, max_body: int | None) -> Request:
        header_lists: dict[str, list[str]] = {}
        for key, values in (event.get("multiValueHeaders") or {}).items():
            header_lists.setdefault(key.lower(), []).extend(str(v) for v in values or [])
        for key, value in (event.get("headers") or {}).items():
            header_lists.setdefault(key.lower(), [str(value)])
        query_lists: dict[str, list[str]] = {}
        for key, values in (event.get("multiValueQueryStringParameters") or {}).items():
            query_lists[key] = [str(v) for v in values or []]
        for key, value in (event.get("queryStringParameters") or {}).items():
            query_lists.setdefault(key, [str(value)])
        ctx = event.get("requestContext") or {}
        path = str(event.get("path") or ctx.get("path") or "/")
        cookies = _parse_cookie_headers(header_lists.get("cookie", []))
        return cls(
            method=str(event.get("httpMethod") or ctx.get("httpMethod") or "GET").upper(),
            path=path,
            subpath=_subpath(event, path, name),
            headers={k: ",".join(v) for k, v in header_lists.items()},
            header_lists=header_lists,
            query={k: v[-1] for k, v in query_lists.items() if v},
            query_lists=query_lists,
            cookies=cookies,
            body=_body(event, max_body),
            source_ip=str((ctx.get("identity") or {}).get("sourceIp") or ""),
            request_id=str(ctx.get("requestId") or uuid.uuid4()),
            version="1.0",
            event=event,
            context=context,
        )

    @classmethod
    def _from_v2(cls, event: dict[str, Any], context: Any, name: str, max_body: int | None) -> Request:
        headers = {k.lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        query_lists: dict[str, list[str]] = {}
        for key, value in parse_qsl(event.get("rawQueryString") or "", keep_blank_values=True):
            query_lists.setdefault(key, []).append(value)
        ctx = event.get("requestContext") or {}
        http = ctx.get("http") or {}
        path = str(event.get("rawPath") or http.get("path") or "/")
        cookie_values = list(event.get("cookies") or []) or (
            [headers["cookie"]] if "cookie" in headers else []
        )
        return cls(
            method=str(http.get("method") or "GET").upper(),
            path=path,
            subpath=_subpath(event, path, name),
            headers=headers,
            header_lists={k: [v] for k, v in headers.items()},
            query={k: v[-1] for k, v in query_lists.items()},
            query_lists=query_lists,
            cookies=_parse_cookie_headers(cookie_values),
            body=_body(event, max_body),
            source_ip=str(http.get("sourceIp") or ""),
            request_id=str(ctx.get("requestId") or uuid.uuid4()),
            version="2.0",
            event=event,
            context=context,
        )

    def json(self) -> Any:
        """The body parsed as JSON, or a 400 that says what is wrong with it."""
        if not self.body:
            raise InvalidInput("Request body is required (JSON)")
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("Malformed JSON body: not UTF-8 text") from None
        if exceeds_depth(text, MAX_JSON_DEPTH):
            raise InvalidInput(f"Malformed JSON body: nested deeper than {MAX_JSON_DEPTH} levels")
        try:
            return json.loads(text, parse_int=_json_int, parse_constant=_json_constant)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"Malformed JSON body: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise InvalidInput("Malformed JSON body: expected an object")
        return data

    def query_int(self, name: str, default: int, *, minimum: int, maximum: int) -> int:
        raw = self.query.get(name)
        if raw is None:
            return default
        # ASCII digits only: int() also reads other scripts' digits (full-width, Arabic-Indic).
        if not _QUERY_INT.fullmatch(raw.strip()):
            raise InvalidInput(f"Invalid '{name}' parameter: must be an integer")
        value = int(raw.strip(), 10)
        if not minimum <= value <= maximum:
            raise InvalidInput(f"Invalid '{name}' parameter: must be between {minimum} and {maximum}")
        return value


def _json_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_JSON_INT_DIGITS:
        raise InvalidInput(f"Malformed JSON body: a number has more than {MAX_JSON_INT_DIGITS} digits")
    return int(digits)


def _json_constant(name: str) -> Any:
    raise InvalidInput(f"Malformed JSON body: {name} is not JSON")


def _body(event: dict[str, Any], max_body: int | None) -> bytes:
    raw = event.get("body")
    if raw is None or raw == "":
        return b""
    if not isinstance(raw, str):
        raise InvalidInput("Event body must be a string")
    if event.get("isBase64Encoded"):
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("Event body is marked base64 but is not valid base64") from None
    else:
        data = raw.encode("utf-8", "surrogatepass")
    if max_body is not None and len(data) > max_body:
        raise TooLarge(f"Request body is {len(data)} bytes; the limit is {max_body}")
    return data


def _subpath(event: dict[str, Any], path: str, name: str) -> str:
    """The part of the path below the function.

    API Gateway's `{proxy+}` holds it only when the route names the function
    (`/.netlify/functions/NAME/{proxy+}`). Behind a shared route (`/api/{proxy+}`) the proxy is
    `NAME/rest`: the function's own name comes first. Without a proxy, or when the route is not
    known, the path says it (`/api/NAME/rest`, `/.netlify/functions/NAME/rest`, a stage prefix
    before either).
    """
    proxy = (event.get("pathParameters") or {}).get("proxy")
    if proxy is not None:
        proxy = str(proxy).strip("/")
        route = _route_segments(event)
        if route is None or not name or name in route:
            return proxy
        first, _, rest = proxy.partition("/")
        if first == name:
            return rest.strip("/")
    segments = [unquote(s) for s in path.split("/")]
    marker = ["", ".netlify", "functions", name]
    if name and segments[: len(marker)] == marker:
        return "/".join(segments[len(marker) :]).strip("/")
    if name and name in segments:
        return "/".join(segments[segments.index(name) + 1 :]).strip("/")
    return ""


def _route_segments(event: dict[str, Any]) -> list[str] | None:
    """The literal segments of the route that matched (`resource` in v1, `routeKey` in v2),
    or None when the event does not say (`$default`, a hand-made event)."""
    if event.get("version") == "2.0":
        key = str(event.get("routeKey") or "")
        template = key.split(" ", 1)[1] if " " in key else ""
    else:
        ctx = event.get("requestContext") or {}
        template = str(event.get("resource") or ctx.get("resourcePath") or "")
    if "{proxy+}" not in template:
        return None
    return [s for s in template.split("/") if s and not s.startswith("{")]


def _parse_cookie_headers(values: list[str]) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for value in values:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(value)
        except CookieError:
            continue
        cookies.update({k: m.value for k, m in jar.items()})
    return cookies
