from __future__ import annotations

import base64
import time

import pytest

from tests.support.events import aws_event, sample
from tidecast.errors import InvalidInput, TooLarge
from tidecast.runtime.request import MAX_JSON_DEPTH, Request


def test_rest_v1_sample_event() -> None:
    req = Request.from_event(sample("1.0"))
    assert (req.method, req.path, req.version) == ("GET", "/my/path", "1.0")
    assert req.header_lists["header2"] == ["value1", "value2"]
    assert req.headers["origin"] == "https://aws.amazon.com"
    assert req.query_lists["parameter1"] == ["value1", "value2"]
    assert req.query["parameter1"] == "value2"
    assert req.source_ip == "192.168.0.1/32"
    assert req.request_id == "id="
    assert req.body == b"Hello from Lambda!"


def test_http_v2_sample_event() -> None:
    req = Request.from_event(sample("2.0"))
    assert (req.method, req.path, req.version) == ("POST", "/my/path", "2.0")
    assert req.query_lists["parameter1"] == ["value1", "value2"]
    assert req.headers["header2"] == "value1,value2"
    assert req.json_object() == {"message": "hello world", "username": "tom"}
    assert req.request_id == "id"


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_subpath_below_the_function(version: str) -> None:
    event = aws_event(version, "GET", "/api/streams/abc")
    assert Request.from_event(event, function_name="streams").subpath == "abc"
    event = aws_event(version, "GET", "/.netlify/functions/streams/a/b")
    assert Request.from_event(event, function_name="streams").subpath == "a/b"
    event = aws_event(version, "GET", "/api/streams")
    assert Request.from_event(event, function_name="streams").subpath == ""


def test_proxy_path_parameter_wins() -> None:
    event = aws_event("1.0", "GET", "/prod/whatever")
    event["pathParameters"] = {"proxy": "xyz"}
    assert Request.from_event(event, function_name="streams").subpath == "xyz"


def test_base64_body_is_decoded() -> None:
    event = aws_event("1.0", "POST", "/x")
    event["body"] = base64.b64encode(b"\x00\xffbinary").decode()
    event["isBase64Encoded"] = True
    assert Request.from_event(event).body == b"\x00\xffbinary"
    event["body"] = "!!not base64!!"
    with pytest.raises(InvalidInput, match="base64"):
        Request.from_event(event)


def test_body_limit() -> None:
    event = aws_event("1.0", "POST", "/x", body="x" * 101)
    with pytest.raises(TooLarge, match="limit is 100"):
        Request.from_event(event, max_body=100)
    assert len(Request.from_event(event, max_body=101).body) == 101


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "required"),
        ("{bad", "Malformed JSON body: Expecting property name"),
        ("[1, 2", "Malformed JSON body"),
    ],
)
def test_malformed_json_says_what_is_wrong(body: str | None, message: str) -> None:
    req = Request.from_event(aws_event("1.0", "POST", "/x", body=body))
    with pytest.raises(InvalidInput, match=message):
        req.json()


def test_nesting_is_bounded_at_max_json_depth() -> None:
    def parsed(body: str) -> object:
        return Request.from_event(aws_event("1.0", "POST", "/x", body=body)).json()

    assert parsed("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None
    assert parsed('{"a":' * MAX_JSON_DEPTH + "1" + "}" * MAX_JSON_DEPTH) is not None
    assert parsed('["' + "[{" * 10_000 + '"]') == ["[{" * 10_000]  # brackets in a string are text
    assert parsed(r'["\\"]') == ["\\"] and parsed(r'["\\\"[["]') == ['\\"[[']  # escapes end no string
    for body in ("[" * (MAX_JSON_DEPTH + 1), '{"a":' * (MAX_JSON_DEPTH + 1), '[1, "x", ' * 65):
        with pytest.raises(InvalidInput, match=f"nested deeper than {MAX_JSON_DEPTH} levels"):
            parsed(body)


@pytest.mark.parametrize(
    "body",
    [
        '"' + '\\"' * 1_000_000,  # one unterminated string of escaped quotes (2 MB)
        '"' * 2_000_001,
        '["' + "\\" * 1_000_000,
        "[" * 64 + '"' + '\\"[' * 500_000,
    ],
)
def test_the_depth_check_takes_linear_time(body: str) -> None:
    """The check runs on every body before it is parsed; an unterminated string once made each
    of its quotes rescan the rest of the body (seconds for 32 KB, hours for 6 MB)."""
    req = Request.from_event(aws_event("1.0", "POST", "/x", body=body))
    started = time.perf_counter()
    with pytest.raises(InvalidInput, match="Malformed JSON body"):
        req.json()
    # A bound on complexity, not a speed figure: the linear scan takes tens of milliseconds, the
    # quadratic one took hours at this size; 10 s holds on two cores shared by three workers.
    assert time.perf_counter() - started < 10.0


def test_json_object_requires_an_object() -> None:
    req = Request.from_event(aws_event("1.0", "POST", "/x", body="[1]"))
    with pytest.raises(InvalidInput, match="expected an object"):
        req.json_object()


@pytest.mark.parametrize("event", [None, [], "text", {"foo": 1}, {"version": "2.0"}])
def test_events_that_are_not_http_are_refused(event: object) -> None:
    with pytest.raises(InvalidInput, match="event"):
        Request.from_event(event)


def test_query_int_bounds() -> None:
    req = Request.from_event(aws_event("1.0", "GET", "/x", query={"limit": "7", "bad": "x1", "big": "1000"}))
    assert req.query_int("limit", 20, minimum=1, maximum=100) == 7
    assert req.query_int("missing", 20, minimum=1, maximum=100) == 20
    with pytest.raises(InvalidInput, match="'bad' parameter: must be an integer"):
        req.query_int("bad", 20, minimum=1, maximum=100)
    with pytest.raises(InvalidInput, match="'big' parameter: must be between 1 and 100"):
        req.query_int("big", 20, minimum=1, maximum=100)


def test_cookies_from_both_versions() -> None:
    v1 = aws_event("1.0", "GET", "/x", headers={"Cookie": "a=1; b=2"})
    assert Request.from_event(v1).cookies == {"a": "1", "b": "2"}
    v2 = aws_event("2.0", "GET", "/x")
    v2["cookies"] = ["a=1", "b=2"]
    assert Request.from_event(v2).cookies == {"a": "1", "b": "2"}
