"""Calling a handler as Lambda would: a context with a deadline, a timeout, a checked reply.

Python cannot stop a thread, so a handler that overruns its timeout is answered with 504 at
the deadline and left to finish in its worker thread (logged). Lambda would freeze the whole
sandbox instead; handlers that loop should watch `context.get_remaining_time_in_millis()`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tidecast.runtime.context import LambdaContext
from tidecast.runtime.errors import FunctionTimeout, InternalError
from tidecast.runtime.registry import LoadedFunction
from tidecast.runtime.responses import error_response

log = logging.getLogger("tidecast.runtime")


def request_id_of(event: dict[str, Any]) -> str:
    ctx = event.get("requestContext")
    if isinstance(ctx, dict) and ctx.get("requestId"):
        return str(ctx["requestId"])
    return str(uuid.uuid4())


def failure(exc: BaseException, request_id: str) -> dict[str, Any]:
    """A runtime-level error (not the handler's) as a proxy response."""
    return error_response(exc, request_id).render("1.0", request_id)


def check_response(name: str, reply: Any, request_id: str) -> dict[str, Any]:
    """API Gateway rejects malformed proxy replies with a 502; we log why and answer 500."""
    problem = None
    if not isinstance(reply, dict):
        problem = f"returned {type(reply).__name__}, not a dict"
    elif not isinstance(reply.get("statusCode"), int) or not 100 <= reply["statusCode"] <= 599:
        problem = "returned no valid integer statusCode"
    elif reply.get("body") is not None and not isinstance(reply["body"], str):
        problem = "returned a body that is not a string"
    elif reply.get("isBase64Encoded") and reply.get("body"):
        try:
            base64.b64decode(reply["body"], validate=True)
        except (binascii.Error, ValueError):
            problem = "returned isBase64Encoded with a body that is not base64"
    if problem:
        log.error("function %s %s (request %s)", name, problem, request_id)
        return failure(InternalError(), request_id)
    return reply  # type: ignore[no-any-return]


def invoke_sync(fn: LoadedFunction, event: dict[str, Any]) -> dict[str, Any]:
    """The CLI's path: the dev server's invocation on a private one-thread pool.

    A handler that overruns keeps its (non-daemon) thread, so the caller decides whether to
    wait for it at exit; `tidecast functions invoke` does not.
    """
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"fn-{fn.name}")
    try:
        return asyncio.run(invoke_async(fn, event, pool))
    finally:
        pool.shutdown(wait=False)


async def invoke_async(fn: LoadedFunction, event: dict[str, Any], pool: ThreadPoolExecutor) -> dict[str, Any]:
    """Run the handler on `pool` under its timeout; the event loop keeps serving meanwhile."""
    request_id = request_id_of(event)
    context = LambdaContext(fn.name, timeout=fn.timeout)
    loop = asyncio.get_running_loop()
    try:
        reply = await asyncio.wait_for(
            loop.run_in_executor(pool, fn.handler, event, context), timeout=fn.timeout
        )
    except TimeoutError:
        log.error("function %s timed out after %.1fs (request %s)", fn.name, fn.timeout, request_id)
        return failure(FunctionTimeout(f"Function {fn.name} timed out after {fn.timeout:g}s"), request_id)
    except Exception:
        log.exception("function %s raised (request %s)", fn.name, request_id)
        return failure(InternalError(), request_id)
    return check_response(fn.name, reply, request_id)
