from __future__ import annotations

import pytest

from tidecast import errors


@pytest.mark.parametrize(
    ("cls", "status", "code"),
    [
        (errors.BadRequest, 400, "BAD_REQUEST"),
        (errors.Unauthorized, 401, "UNAUTHORIZED"),
        (errors.Forbidden, 403, "FORBIDDEN"),
        (errors.NotFound, 404, "NOT_FOUND"),
        (errors.Conflict, 409, "CONFLICT"),
        (errors.PayloadTooLarge, 413, "PAYLOAD_TOO_LARGE"),
        (errors.FunctionTimeout, 504, "FUNCTION_TIMEOUT"),
    ],
)
def test_each_code_has_its_status(cls: type[errors.ApiError], status: int, code: str) -> None:
    got_status, body, _ = errors.error_body(cls("the message"), "rid-1")
    assert got_status == status
    assert body["success"] is False
    assert body["code"] == code
    assert body["error"] == "the message"
    # Only server-side failures carry the request id (client errors are self-explanatory).
    assert ("requestId" in body) is (status >= 500)


def test_unexpected_exception_becomes_bare_500_with_request_id() -> None:
    status, body, headers = errors.error_body(RuntimeError("password=hunter2 in SQL"), "rid-9")
    assert status == 500
    assert body == {
        "success": False,
        "error": "Internal server error",
        "code": "INTERNAL_ERROR",
        "requestId": "rid-9",
    }
    assert "hunter2" not in repr(body) and headers == {}


def test_method_not_allowed_and_rate_limited_carry_headers() -> None:
    _, body, headers = errors.error_body(errors.MethodNotAllowed("PUT", ["GET", "POST", "GET"]), "r")
    assert headers == {"Allow": "GET, POST"}
    assert "PUT" in body["error"]
    _, _, headers = errors.error_body(errors.RateLimited("slow down", retry_after=0), "r")
    assert headers == {"Retry-After": "1"}
