"""The one error tree. Domain errors say what went wrong, never how to answer it over HTTP.

    TidecastError
     ├── ConfigError          bad or missing settings; stops the start
     ├── Cancelled            work stopped because its caller asked (a transcode's cancel event)
     └── DomainError          a failure the caller is meant to see; its message is safe to show
          ├── InvalidInput      the input breaks a rule (names the field or the rule)
          ├── NotAuthenticated  no proof of who is asking, or a proof that does not hold
          ├── PaymentRequired   the asker is known, but what they would get is not paid for
          ├── NotAllowed        the asker is known and may not do this
          ├── NotFound          the thing asked for does not exist (or is not theirs to see)
          ├── Conflict          the request clashes with the current state (a taken name)
          │    └── Reverted     a chain refused a call or transaction; carries the revert reason
          ├── TooLarge          the input is bigger than the configured limit
          ├── RateLimited       too many attempts; knows when to come back
          └── Unavailable       an outside part is down (SMTP, a chain node, IPFS, ffmpeg missing)

Services, workers and the CLI raise and catch these without knowing about HTTP. The runtime
edge (`tidecast/runtime/errors.py`) is the one place that maps each to a status and a code.
Anything else that escapes a handler is a programming error (a badly named event, a bug): it
becomes a 500 whose body carries only a request id.
"""

from __future__ import annotations


class TidecastError(Exception):
    """Base of every error tidecast raises on purpose."""


class ConfigError(TidecastError):
    """Settings are missing or malformed; the message names every variable at fault."""


class Cancelled(TidecastError):
    """Work was stopped on request; whatever it had made is gone. Not a failure of the input."""


class DomainError(TidecastError):
    """A failure meant for the caller: its message is safe to show them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """The input breaks a rule; the message names the field or the rule."""


class NotAuthenticated(DomainError):
    """Missing, malformed, expired or revoked credentials, or credentials that do not match."""


class PaymentRequired(DomainError):
    """What was asked for must be paid for first; the message says what is missing."""


class NotAllowed(DomainError):
    """The caller is known and may not do this."""


class NotFound(DomainError):
    """The thing asked for does not exist (or the caller may not know that it does)."""


class Conflict(DomainError):
    """The request clashes with the current state of things."""


class Reverted(Conflict):
    """A contract refused a call or a transaction (its assert or raise); `reason` is what it
    said, or None when the node gave no reason. Every node's way of saying so (eth-tester's
    TransactionFailed, Anvil's ContractLogicError, others' Web3RPCError) becomes this."""

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


class TooLarge(DomainError):
    """The input is over a configured size limit."""


class RateLimited(DomainError):
    """Too many attempts; `retry_after` is how many seconds until the next one may succeed."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class Unavailable(DomainError):
    """An outside part (a relay, a node, a binary) cannot be reached or used right now.

    `retry_after` is how many seconds until trying again makes sense, when that is known.
    """

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = None if retry_after is None else max(1, int(retry_after))
