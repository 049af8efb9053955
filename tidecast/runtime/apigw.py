"""Building API Gateway REST (payload v1) events from HTTP requests.

The dev server and `tidecast functions invoke` both build events here, so what a handler sees
locally is what API Gateway (and Netlify) hands it in the cloud. `path` is the path the client
sent, not the rewritten one (Netlify CLI's dev server gets this wrong: netlify/cli#559).
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterable
from typing import Any

TEXT_TYPES = (
    "text/",
    "application/json",
    "application/x-www-form-urlencoded",
    "application/xml",
    "application/javascript",
)


def is_text(content_type: str | None, body: bytes) -> bool:
    """Bodies API Gateway passes as text; everything else travels base64-encoded."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype and not (ctype.startswith(TEXT_TYPES) or ctype.endswith(("+json", "+xml"))):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def build_event(
    *,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]] = (),
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    source_ip: str = "127.0.0.1",
    subpath: str | None = None,
    function_name: str = "",
    stage: str = "dev",
    request_id: str | None = None,
) -> dict[str, Any]:
    multi_headers: dict[str, list[str]] = {}
    for key, value in headers:
        multi_headers.setdefault(key.lower(), []).append(value)
    multi_query: dict[str, list[str]] = {}
    for key, value in query:
        multi_query.setdefault(key, []).append(value)
    content_type = multi_headers.get("content-type", [""])[-1]
    text = is_text(content_type, body)
    request_id = request_id or str(uuid.uuid4())
    method = method.upper()
    resource = f"/{function_name}/{{proxy+}}" if subpath else f"/{function_name}"
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {k: v[-1] for k, v in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"proxy": subpath} if subpath else None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "httpMethod": method,
            "identity": {"sourceIp": source_ip, "userAgent": multi_headers.get("user-agent", [""])[-1]},
            "path": path,
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTimeEpoch": int(time.time() * 1000),
            "resourcePath": resource,
            "stage": stage,
        },
        "body": (body.decode("utf-8") if text else base64.b64encode(body).decode("ascii")) if body else None,
        "isBase64Encoded": bool(body) and not text,
    }


def response_body(reply: dict[str, Any]) -> bytes:
    body = reply.get("body") or ""
    if reply.get("isBase64Encoded"):
        return base64.b64decode(body)
    return str(body).encode("utf-8")


def response_headers(reply: dict[str, Any]) -> list[tuple[str, str]]:
    """Single and multi-value headers merged (multi wins, as API Gateway does) plus v2 cookies."""
    merged: dict[str, list[str]] = {}
    for key, value in (reply.get("headers") or {}).items():
        merged[key.lower()] = [str(value)]
    for key, values in (reply.get("multiValueHeaders") or {}).items():
        merged[key.lower()] = [str(v) for v in values]
    out = [(k, v) for k, vs in merged.items() for v in vs]
    out.extend(("set-cookie", str(c)) for c in reply.get("cookies") or [])
    return out
