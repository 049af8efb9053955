"""A node's failures as domain errors: the one translation the chain client applies at its
boundary (tidecast/chain/service.py, `translated`), so no web3 or requests exception reaches
a handler as a 500.

    the contract refused (a revert, any node's way)      -> Reverted (409), with the reason
    the node cannot be reached, or timed out              -> Unavailable (503), naming RPC_URL
    no contract code where the settings say               -> Unavailable, naming each setting
      (a node restarted without its state, or settings      and the address it holds
      of another chain: calls there answer nothing)
    a receipt that does not come within the wait           -> Unavailable (it may still be mined)
    the node answered, but not as a JSON-RPC node does     -> Unavailable
      (a block or transaction it lost, a method it lacks,
      a rate limit, an HTTP error page, not JSON)
    any other JSON-RPC error object                        -> Reverted, with the node's words

Anything else (a wrong argument type, an ABI mismatch) is a programming error and stays one.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

from tidecast.errors import Reverted, Unavailable
from tidecast.imports import sane_import
from tidecast.retry import is_transient

#: Seconds a client is told to wait before trying a node again.
RETRY_AFTER = 5

#: The settings that name each contract, as `translate` reports them.
CONTRACT_SETTINGS = (
    ("PAYMENT_STREAM_CONTRACT_ADDRESS", "payment_stream_address"),
    ("TOKEN_ADDRESS", "token_address"),
    ("STREAM_REGISTRY_ADDRESS", "registry_address"),
)

#: web3's errors for a node that answered, but not with what a healthy node answers.
_NODE_TROUBLE = (
    "BlockNotFound",
    "TransactionNotFound",
    "TransactionIndexingInProgress",
    "RequestTimedOut",
    "MethodUnavailable",
    "MethodNotSupported",
    "TooManyRequests",
    "ProviderConnectionError",
    "BadResponseFormat",
    "CannotHandleRequest",
    "MultipleFailedRequests",
)


def translate(exc: Exception, node: str, missing_code: Callable[[], list[str] | None]) -> Exception:
    """The domain error for `exc`, raised while talking to the node at `node` (a masked URL), or
    `exc` itself when it is not the node's doing. `missing_code` names the configured contracts
    with no code on the node ("SETTING 0x…"), or None when that cannot be told."""
    exceptions = sane_import("web3.exceptions")
    if isinstance(exc, exceptions.ContractLogicError):
        why = reason(exc)
        return Reverted(f"The contract refused: {why or 'no reason given'}", reason=why)
    if is_transient(exc):
        return Unavailable(
            f"The chain node at RPC_URL {node} cannot be reached; try again shortly", retry_after=RETRY_AFTER
        )
    if isinstance(exc, exceptions.TimeExhausted):
        return Unavailable(
            f"The chain node at RPC_URL {node} did not mine the transaction in time ({exc}); it may "
            "still be mined: check before sending it again",
            retry_after=RETRY_AFTER,
        )
    if isinstance(exc, exceptions.BadFunctionCallOutput | exceptions.InsufficientData):
        return no_code(node, missing_code(), exc)
    if type(exc).__name__ in _NODE_TROUBLE or _foreign_answer(exc):
        return Unavailable(
            f"The chain node at RPC_URL {node} failed to answer: {_short(exc)}", retry_after=RETRY_AFTER
        )
    if isinstance(exc, exceptions.Web3RPCError) or type(exc).__name__ == "TransactionFailed":
        why = reason(exc)
        return Reverted(f"The chain refused: {why or 'no reason given'}", reason=why)
    return exc


def no_code(node: str, missing: list[str] | None, exc: Exception | None = None) -> Exception:
    """A call that answered nothing: the contract the settings name is not on this node (503
    naming them), or, when every configured contract is there, a foreign contract that does
    not speak the ABI it was called with (409)."""
    if missing == []:
        return Reverted(f"The contract answered what its interface does not allow: {_short(exc)}")
    where = ", ".join(missing) if missing else "the contract addresses in the settings"
    return Unavailable(
        f"No contract code at {where} on the chain at RPC_URL {node}: the node was restarted "
        "without its state, or these settings name another chain's contracts",
        retry_after=RETRY_AFTER,
    )


def reason(exc: Exception) -> str | None:
    """The revert reason in a node's error, without the node's wrapping."""
    message = getattr(exc, "message", None) or (exc.args[0] if exc.args else "")
    if isinstance(message, dict):
        message = message.get("message", "")
    text = str(message)
    for prefix in (
        "execution reverted: ",
        "execution reverted",
        "VM Exception while processing transaction: revert ",
    ):
        if prefix in text:
            text = text.split(prefix, 1)[1]
    return text.strip() or None


def _foreign_answer(exc: Exception) -> bool:
    """Something answered at RPC_URL, but not as a node: an HTTP error page, or not JSON."""
    if isinstance(exc, json.JSONDecodeError):
        return True
    requests = sys.modules.get("requests")
    return requests is not None and isinstance(exc, requests.exceptions.RequestException)


def _short(exc: Exception | None) -> str:
    text = " ".join(str(exc).split()) if exc is not None else ""
    return (text[:200] + "…") if len(text) > 200 else text or type(exc).__name__
