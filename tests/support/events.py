"""AWS's published API Gateway sample events, re-aimed at a path and method for a test."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "events"


def sample(version: str) -> dict[str, Any]:
    name = "apigw-rest-v1.json" if version == "1.0" else "apigw-http-v2.json"
    return copy.deepcopy(json.loads((FIXTURES / name).read_text()))


def aws_event(
    version: str,
    method: str,
    path: str,
    query: dict[str, str] | None = None,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """AWS's sample with only the routing fields (and the body) replaced."""
    event = sample(version)
    if version == "1.0":
        event["httpMethod"] = method
        event["path"] = path
        event["requestContext"]["httpMethod"] = method
        event["requestContext"]["path"] = path
        event["queryStringParameters"] = dict(query) if query else None
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} if query else None
        if headers:
            event["headers"].update(headers)
            event["multiValueHeaders"].update({k: [v] for k, v in headers.items()})
    else:
        event["rawPath"] = path
        event["requestContext"]["http"]["method"] = method
        event["requestContext"]["http"]["path"] = path
        event["rawQueryString"] = urlencode(query or {})
        event["queryStringParameters"] = dict(query) if query else None
        event["pathParameters"] = None
        if headers:
            event["headers"].update(headers)
    event["body"] = body
    event["isBase64Encoded"] = False
    return event


def routed_event(
    version: str, method: str, path: str, template: str, proxy: str | None, **kwargs: Any
) -> dict[str, Any]:
    """`aws_event` as a deployed route delivers it: the route template (v1 `resource`, v2
    `routeKey`) and its `{proxy+}` path parameter, as API Gateway fills them."""
    event = aws_event(version, method, path, **kwargs)
    event["pathParameters"] = {"proxy": proxy} if proxy is not None else None
    if version == "1.0":
        event["resource"] = template
        event["requestContext"]["resourcePath"] = template
    else:
        event["routeKey"] = f"ANY {template}"
    return event
