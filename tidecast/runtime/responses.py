"""Responses: what route handlers return, rendered into the shape the event's version wants.

API Gateway REST (v1) takes `headers` plus `multiValueHeaders`; HTTP API (v2) has no
multi-value headers and wants Set-Cookie values in `cookies`. One renderer serves both so a
function deploys behind either unchanged.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from tidecast.runtime.errors import error_parts

JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class Response:
    status: int = 200
    body: bytes | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)

    def render(self, version: str, request_id: str) -> dict[str, Any]:
        headers = {"X-Request-Id": request_id, **self.headers}
        out: dict[str, Any] = {"statusCode": self.status, "headers": headers}
        body = self.body
        if isinstance(body, bytes):
            out["body"] = base64.b64encode(body).decode("ascii")
            out["isBase64Encoded"] = True
        else:
            out["body"] = body or ""
            out["isBase64Encoded"] = False
        if version == "2.0":
            if self.cookies:
                out["cookies"] = list(self.cookies)
        else:
            out["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
            if self.cookies:
                out["multiValueHeaders"]["Set-Cookie"] = list(self.cookies)
        return out


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return Response(status, body, {"Content-Type": JSON_TYPE, **(headers or {})})


def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """The reference's success body: {"success": true, "data": ...}; a model is rendered here,
    at the edge, by its declared fields (camelCase, as the reference's JSON is)."""
    return json_response({"success": True, "data": render(data)}, status, headers)


def render(data: Any) -> Any:
    """JSON-ready data: a pydantic model dumped by its declaration, anything else as it is."""
    return data.model_dump(mode="json") if isinstance(data, BaseModel) else data


def error_response(exc: BaseException, request_id: str) -> Response:
    status, body, headers = error_parts(exc, request_id)
    return json_response(body, status, headers)
