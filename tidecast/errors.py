"""The one error tree, and the one place that turns an error into a response body.

    TidecastError
     ├── ConfigError             bad or missing settings; stops the start
     └── ApiError                carries a code and the HTTP status of that code
          ├── BadRequest           400 BAD_REQUEST
          ├── Unauthorized         401 UNAUTHORIZED
          ├── Forbidden            403 FORBIDDEN
          ├── NotFound             404 NOT_FOUND
          ├── MethodNotAllowed     405 METHOD_NOT_ALLOWED (knows the allowed methods)
          ├── Conflict             409 CONFLICT
          ├── PayloadTooLarge      413 PAYLOAD_TOO_LARGE
          ├── RateLimited          429 RATE_LIMITED (knows Retry-After)
          ├── InternalError        500 INTERNAL_ERROR
          └── FunctionTimeout      504 FUNCTION_TIMEOUT (the runtime's, like API Gateway's 504)

Services raise these; functions never build error bodies by hand. Anything else that escapes
a handler is unexpected: it becomes a 500 whose body carries only a request id.
"""

from __future__ import annotations

from typing import Any


class TidecastError(Exception):
    """Base of every error tidecast raises on purpose."""


class ConfigError(TidecastError):
    """Settings are missing or malformed; the message names every variable at fault."""


class ApiError(TidecastError):
    """An error a client is meant to see: its message is safe to return."""

    code = "INTERNAL_ERROR"
    status = 500

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"success": False, "error": self.message, "code": self.code}
        if request_id is not None:
            body["requestId"] = request_id
        return body


class BadRequest(ApiError):
    code, status = "BAD_REQUEST", 400


class Unauthorized(ApiError):
    code, status = "UNAUTHORIZED", 401


class Forbidden(ApiError):
    code, status = "FORBIDDEN", 403


class NotFound(ApiError):
    code, status = "NOT_FOUND", 404


class MethodNotAllowed(ApiError):
    code, status = "METHOD_NOT_ALLOWED", 405

    def __init__(self, method: str, allowed: list[str]) -> None:
        allow = ", ".join(sorted(set(allowed)))
        super().__init__(f"Method {method} not allowed; allowed: {allow}", headers={"Allow": allow})
        self.allowed = sorted(set(allowed))


class Conflict(ApiError):
    code, status = "CONFLICT", 409


class PayloadTooLarge(ApiError):
    code, status = "PAYLOAD_TOO_LARGE", 413


class RateLimited(ApiError):
    code, status = "RATE_LIMITED", 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, int(retry_after)))})
        self.retry_after = max(1, int(retry_after))


class InternalError(ApiError):
    code, status = "INTERNAL_ERROR", 500

    def __init__(self, message: str = "Internal server error") -> None:
        super().__init__(message)


class FunctionTimeout(ApiError):
    code, status = "FUNCTION_TIMEOUT", 504


def error_body(exc: BaseException, request_id: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, JSON body and headers for any exception: the only translation in the codebase.

    An ApiError keeps its message; every other exception is reduced to a generic 500 that
    carries the request id, so nothing internal (messages, tracebacks, SQL) reaches a client.
    """
    if not isinstance(exc, ApiError):
        exc = InternalError()
    headers = dict(exc.headers)
    if exc.status >= 500:
        return exc.status, exc.body(request_id), headers
    return exc.status, exc.body(), headers
