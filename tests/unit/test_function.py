from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.events import aws_event
from tidecast.errors import Conflict
from tidecast.runtime import Function, Request, Response, json_response, ok

app = Function("things", max_body_bytes=1024)


@app.route("GET", "")
def list_things(request: Request) -> Response:
    return ok([1, 2])


@app.route(["POST"], "")
def create(request: Request) -> Response:
    data = request.json_object()
    if data.get("name") == "taken":
        raise Conflict("Name is taken")
    return ok(data, status=201)


@app.route("GET", "{thing_id}/parts/{part}")
def part(request: Request, thing_id: str, part: str) -> Response:
    return ok({"thing": thing_id, "part": part})


@app.route("GET", "boom")
def boom(request: Request) -> Response:
    raise RuntimeError("secret internal detail")


@app.route("GET", "cookie")
def cookie(request: Request) -> Response:
    response = json_response({"success": True})
    response.cookies = ["a=1; Path=/", "b=2; Path=/"]
    return response


def call(version: str, method: str, path: str, body: str | None = None) -> tuple[int, dict[str, Any], Any]:
    reply = app.handler(aws_event(version, method, path, body=body), None)
    return reply["statusCode"], reply["headers"], json.loads(reply["body"]) if reply["body"] else None


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_routes_and_placeholders(version: str) -> None:
    assert call(version, "GET", "/api/things")[::2] == (200, {"success": True, "data": [1, 2]})
    status, _, body = call(version, "GET", "/api/things/t1/parts/p9")
    assert status == 200 and body["data"] == {"thing": "t1", "part": "p9"}
    status, _, body = call(version, "POST", "/api/things", '{"name": "x"}')
    assert status == 201 and body["data"] == {"name": "x"}


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_standard_errors(version: str) -> None:
    status, headers, body = call(version, "DELETE", "/api/things")
    assert status == 405 and body["code"] == "METHOD_NOT_ALLOWED"
    assert headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    status, _, body = call(version, "GET", "/api/things/x/nope")
    assert status == 404 and body["code"] == "NOT_FOUND"
    status, _, body = call(version, "POST", "/api/things", "{nope")
    assert status == 400 and body["code"] == "BAD_REQUEST" and "Malformed JSON" in body["error"]
    status, _, body = call(version, "POST", "/api/things", '{"name": "taken"}')
    assert (status, body) == (409, {"success": False, "error": "Name is taken", "code": "CONFLICT"})
    status, _, body = call(version, "POST", "/api/things", json.dumps({"name": "x" * 2000}))
    assert status == 413 and body["code"] == "PAYLOAD_TOO_LARGE"


def test_unexpected_error_is_a_bare_500_logged_with_request_id(caplog: pytest.LogCaptureFixture) -> None:
    event = aws_event("1.0", "GET", "/api/things/boom")
    event["requestContext"]["requestId"] = "req-123"
    with caplog.at_level(logging.ERROR):
        reply = app.handler(event, None)
    body = json.loads(reply["body"])
    assert reply["statusCode"] == 500
    assert body == {
        "success": False,
        "error": "Internal server error",
        "code": "INTERNAL_ERROR",
        "requestId": "req-123",
    }
    assert reply["headers"]["X-Request-Id"] == "req-123"
    assert "secret internal detail" not in reply["body"]
    record = next(r for r in caplog.records if "req-123" in r.getMessage())
    assert record.exc_info is not None and "secret internal detail" in str(record.exc_info[1])


def test_head_and_options() -> None:
    reply = app.handler(aws_event("1.0", "HEAD", "/api/things"), None)
    assert reply["statusCode"] == 200 and reply["body"] == ""
    reply = app.handler(aws_event("1.0", "OPTIONS", "/api/things"), None)
    assert reply["statusCode"] == 204 and reply["headers"]["Allow"] == "GET, HEAD, OPTIONS, POST"


def test_response_shape_follows_the_event_version() -> None:
    v1 = app.handler(aws_event("1.0", "GET", "/api/things/cookie"), None)
    assert v1["multiValueHeaders"]["Set-Cookie"] == ["a=1; Path=/", "b=2; Path=/"]
    assert "cookies" not in v1
    v2 = app.handler(aws_event("2.0", "GET", "/api/things/cookie"), None)
    assert v2["cookies"] == ["a=1; Path=/", "b=2; Path=/"]
    assert "multiValueHeaders" not in v2


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    event=json_values,
    version=st.sampled_from(["1.0", "2.0"]),
    body=st.none() | st.text(max_size=40) | st.binary(max_size=40).map(lambda b: b.hex()),
)
def test_handler_never_raises(event: Any, version: str, body: str | None) -> None:
    """Arbitrary events, and real events with arbitrary bodies, always get a response."""
    for candidate in (event, aws_event(version, "POST", "/api/things", body=body)):
        reply = app.handler(candidate, None)
        assert isinstance(reply["statusCode"], int)
        assert reply["statusCode"] in (200, 201, 400, 404, 405, 409, 413)
        parsed = json.loads(reply["body"])
        assert parsed["success"] is (reply["statusCode"] < 400)
