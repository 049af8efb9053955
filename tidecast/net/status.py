"""The HTTP status and code of each domain error: the one table, read by the runtime's edge
(tidecast/runtime/errors.py, which adds its own edge errors) and by the embedded IPFS node, an
HTTP server of its own that must not import the function runtime."""

from __future__ import annotations

from tidecast import errors

#: Each domain error's status and code. Subclasses inherit their base's entry.
STATUS: dict[type[errors.DomainError], tuple[int, str]] = {
    errors.InvalidInput: (400, "BAD_REQUEST"),
    errors.NotAuthenticated: (401, "UNAUTHORIZED"),
    errors.PaymentRequired: (402, "PAYMENT_REQUIRED"),
    errors.NotAllowed: (403, "FORBIDDEN"),
    errors.NotFound: (404, "NOT_FOUND"),
    errors.Conflict: (409, "CONFLICT"),
    errors.TooLarge: (413, "PAYLOAD_TOO_LARGE"),
    errors.RateLimited: (429, "RATE_LIMITED"),
    errors.Unavailable: (503, "UNAVAILABLE"),
}


def domain_status(exc: BaseException) -> tuple[int, str]:
    """The status and code a domain error is answered with; 500 for anything else."""
    if isinstance(exc, errors.DomainError):
        for cls in type(exc).__mro__:
            if cls in STATUS:
                return STATUS[cls]
    return 500, "INTERNAL_ERROR"
