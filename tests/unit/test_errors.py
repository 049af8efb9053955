"""The error tree: domain errors know nothing of HTTP; the edge maps each to one status and code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tidecast import errors
from tidecast.runtime import errors as edge

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (errors.InvalidInput("the message"), 400, "BAD_REQUEST"),
        (errors.NotAuthenticated("the message"), 401, "UNAUTHORIZED"),
        (errors.PaymentRequired("the message"), 402, "PAYMENT_REQUIRED"),
        (errors.NotAllowed("the message"), 403, "FORBIDDEN"),
        (errors.NotFound("the message"), 404, "NOT_FOUND"),
        (edge.MethodNotAllowed("PUT", ["GET"]), 405, "METHOD_NOT_ALLOWED"),
        (edge.RequestTimeout("the message"), 408, "REQUEST_TIMEOUT"),
        (errors.Conflict("the message"), 409, "CONFLICT"),
        (errors.TooLarge("the message"), 413, "PAYLOAD_TOO_LARGE"),
        (errors.RateLimited("the message", retry_after=3), 429, "RATE_LIMITED"),
        (errors.Unavailable("the message"), 503, "UNAVAILABLE"),
        (edge.FunctionTimeout("the message"), 504, "FUNCTION_TIMEOUT"),
    ],
)
def test_each_error_has_its_status_and_code(exc: Exception, status: int, code: str) -> None:
    got_status, body, _ = edge.error_parts(exc, "rid-1")
    assert got_status == status
    assert body["success"] is False
    assert body["code"] == code
    assert body["error"] == getattr(exc, "message", None) and body["error"]
    # Only server-side failures carry the request id (client errors are self-explanatory).
    assert ("requestId" in body) is (status >= 500)


def test_a_subclass_keeps_its_bases_status() -> None:
    class InvalidEmail(errors.InvalidInput):
        pass

    assert edge.error_parts(InvalidEmail("to: bad"), "r")[:2] == (
        400,
        {"success": False, "error": "to: bad", "code": "BAD_REQUEST"},
    )


def test_unexpected_exception_becomes_bare_500_with_request_id() -> None:
    status, body, headers = edge.error_parts(RuntimeError("password=hunter2 in SQL"), "rid-9")
    assert status == 500
    assert body == {
        "success": False,
        "error": "Internal server error",
        "code": "INTERNAL_ERROR",
        "requestId": "rid-9",
    }
    assert "hunter2" not in repr(body) and headers == {}


def test_a_programming_error_is_not_a_client_error() -> None:
    # A badly named event is the calling code's bug: a ValueError, answered 500.
    assert edge.error_parts(ValueError("event name 'x y' must be dotted words"), "r")[0] == 500
    assert not edge.is_expected(ValueError("bug"))
    assert edge.is_expected(errors.NotFound("no such stream"))


def test_headers_the_edge_adds() -> None:
    _, body, headers = edge.error_parts(edge.MethodNotAllowed("PUT", ["GET", "POST", "GET"]), "r")
    assert headers == {"Allow": "GET, POST"}
    assert "PUT" in body["error"]
    assert edge.error_parts(errors.RateLimited("slow down", retry_after=0), "r")[2] == {"Retry-After": "1"}
    assert edge.error_parts(errors.Unavailable("relay down", retry_after=30), "r")[2] == {"Retry-After": "30"}
    assert edge.error_parts(errors.Unavailable("relay down"), "r")[2] == {}  # not known: not sent
    assert edge.error_parts(errors.NotAuthenticated("who?"), "r")[2] == {
        "WWW-Authenticate": 'Bearer realm="tidecast"'
    }


def test_domain_errors_know_nothing_of_http() -> None:
    """No status, code or header on a domain error. Services, the event bus, jobs and the
    container import nothing of the runtime; the CLI none of its HTTP errors."""
    for cls in (errors.DomainError, *errors.DomainError.__subclasses__()):
        assert not {"status", "code", "headers"} & set(vars(cls)), cls
    offenders = []
    for path in sorted((ROOT / "tidecast" / "services").glob("*.py")):
        offenders += _imports(path, "tidecast.runtime")
    for name in ("event_bus.py", "jobs.py", "queue.py", "retention.py", "container.py"):
        offenders += _imports(ROOT / "tidecast" / name, "tidecast.runtime")
    for path in sorted((ROOT / "tidecast" / "cli").glob("*.py")):
        offenders += _imports(path, "tidecast.runtime.errors")
    assert offenders == []


def _imports(path: Path, prefix: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        found += [f"{path.name}: {n}" for n in names if n.startswith(prefix)]
    return found
