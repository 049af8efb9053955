"""The client's exceptions, one tree:

    TidecastError
    ├── ApiError      the platform answered with an error: its HTTP status, `error` and `code`
    └── Unreachable   no answer at all (refused, reset, timed out)

An answer that is not what openapi.json documents (a proxy's HTML 502, a body that fails the
generated model) is an ApiError too, with the code `UNEXPECTED_ANSWER`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


class TidecastError(Exception):
    """Anything the client raises."""


class Unreachable(TidecastError):
    """The platform did not answer (connection refused or reset, a timeout)."""


class ApiError(TidecastError):
    """The platform answered with an error status, or with something the contract does not allow.

    `error` is the platform's message for people, `code` its stable code (NOT_FOUND,
    PAYMENT_REQUIRED, ...), `request_id` the id to look for in the platform's log."""

    def __init__(self, status: int, error: str, code: str, request_id: str | None = None) -> None:
        self.status = status
        self.error = error
        self.code = code
        self.request_id = request_id
        said = f"HTTP {status}: {error} ({code})"
        super().__init__(said + (f" [request {request_id}]" if request_id else ""))

    @classmethod
    def from_answer(
        cls, status: int, content: bytes, headers: Mapping[str, str], parsed: Any = None
    ) -> ApiError:
        """The error an answer carries: from the generated Error model when there is one, else
        from whatever `{error, code}` JSON the body holds, else from the body's first line."""
        request_id = headers.get("x-request-id")
        error, code = getattr(parsed, "error", None), getattr(parsed, "code", None)
        if isinstance(error, str) and isinstance(code, str):
            return cls(status, error, code, request_id)
        try:
            body = json.loads(content)
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            return cls(status, body["error"], str(body.get("code") or "UNEXPECTED_ANSWER"), request_id)
        text = content.decode("utf-8", "replace").strip().splitlines()
        return cls(status, (text[0][:200] if text else "") or "no body", "UNEXPECTED_ANSWER", request_id)
