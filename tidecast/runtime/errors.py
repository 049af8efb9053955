"""The edge's view of errors: the one mapping from a domain error to a status, a code, headers.

Domain errors (tidecast/errors.py) know nothing of HTTP; their statuses are one table in
tidecast/net/status.py (shared with the embedded IPFS node, an HTTP server of its own). The
errors defined here are the runtime's own and exist only at the edge: a method a route does not
take, and a handler that ran out of time. Everything else that reaches `error_parts` is a
programming error and is answered with a bare 500 carrying the request id, so nothing internal
(messages, tracebacks, SQL) reaches a client.
"""

from __future__ import annotations

from typing import Any

from tidecast import errors
from tidecast.net.status import STATUS, domain_status

#: WWW-Authenticate on every 401 (RFC 9110 15.5.2 requires one; RFC 6750 names the scheme).
CHALLENGE = 'Bearer realm="tidecast"'


class EdgeError(Exception):
    """An error that only exists at the HTTP edge."""

    status = 500
    code = "INTERNAL_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MethodNotAllowed(EdgeError):
    status, code = 405, "METHOD_NOT_ALLOWED"

    def __init__(self, method: str, allowed: list[str]) -> None:
        self.allowed = sorted(set(allowed))
        super().__init__(f"Method {method} not allowed; allowed: {', '.join(self.allowed)}")


class PreconditionFailed(EdgeError):
    """A protocol precondition header does not hold (tus: an unsupported Tus-Resumable)."""

    status, code = 412, "PRECONDITION_FAILED"


class UnsupportedMediaType(EdgeError):
    """The body is not of the media type the route takes (tus: a PATCH not offset+octet-stream)."""

    status, code = 415, "UNSUPPORTED_MEDIA_TYPE"


class RequestTimeout(EdgeError):
    """The client did not send its whole body in time (a trickle that would hold a worker)."""

    status, code = 408, "REQUEST_TIMEOUT"


class FunctionTimeout(EdgeError):
    """The runtime's 504, like API Gateway's when an integration overruns."""

    status, code = 504, "FUNCTION_TIMEOUT"


class InternalError(EdgeError):
    def __init__(self, message: str = "Internal server error") -> None:
        super().__init__(message)


def status_of(exc: BaseException) -> tuple[int, str]:
    """The status and code `exc` is answered with."""
    if isinstance(exc, EdgeError):
        return exc.status, exc.code
    return domain_status(exc)


def is_expected(exc: BaseException) -> bool:
    """A failure meant for the client (logged briefly), not a bug (logged with its traceback)."""
    return isinstance(exc, errors.DomainError | EdgeError) and not isinstance(exc, InternalError)


def error_parts(exc: BaseException, request_id: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, JSON body and headers for any exception: the only translation in the codebase."""
    status, code = status_of(exc)
    message = exc.message if isinstance(exc, errors.DomainError | EdgeError) else "Internal server error"
    body: dict[str, Any] = {"success": False, "error": message, "code": code}
    if status >= 500:
        body["requestId"] = request_id
    headers: dict[str, str] = {}
    if isinstance(exc, MethodNotAllowed):
        headers["Allow"] = ", ".join(exc.allowed)
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(exc, errors.RateLimited | errors.Unavailable) and retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    if status == 401:
        headers["WWW-Authenticate"] = CHALLENGE
    return status, body, headers


def _error_codes() -> dict[int, str]:
    """Each error status and the one code the edge answers it with."""
    codes: dict[int, str] = {}
    edge: list[type[EdgeError]] = [EdgeError, *_subclasses(EdgeError)]
    pairs: list[tuple[int, str]] = [*STATUS.values(), *((cls.status, cls.code) for cls in edge)]
    for status, code in pairs:
        if codes.setdefault(status, code) != code:
            raise RuntimeError(f"status {status} has two codes: {codes[status]} and {code}")
    return codes


def _subclasses(cls: type[EdgeError]) -> list[type[EdgeError]]:
    found: list[type[EdgeError]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


#: status -> code, for the published contract (tidecast/runtime/openapi.py).
ERROR_CODES = _error_codes()
