"""What the commands that talk to a running platform share (`tidecast upload`, `tidecast wallet`):
its address, the login token, and the platform's errors said in one line.

These commands are HTTP clients of the platform's public API, as a browser or a script is; they
never open its database. The address is `--url` (or TIDECAST_URL; default the dev server's
http://localhost:8888) and the login token `--token` (or TIDECAST_TOKEN): a login token lives a
day and is what `curl -H "Authorization: Bearer …"` sends anyway, unlike a private key, which
these commands take only from an environment variable or a file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from tidecast.cli import common

if TYPE_CHECKING:
    import httpx

Url = Annotated[
    str,
    typer.Option("--url", envvar="TIDECAST_URL", help="The platform's address."),
]
Token = Annotated[
    str,
    typer.Option("--token", envvar="TIDECAST_TOKEN", help="A login token (POST /api/auth/login)."),
]
DEFAULT_URL = "http://localhost:8888"


def client(url: str, token: str | None = None, timeout: float = 60) -> httpx.Client:
    import httpx

    if not url.startswith(("http://", "https://")):
        raise common.fail(f"tidecast: --url must be an http:// or https:// address, not {url[:80]!r}")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)


def request(
    http: httpx.Client, method: str, path: str, *, expect: tuple[int, ...], **kw: Any
) -> httpx.Response:
    """`method path`, answered with one of `expect`; otherwise exit 1 with what the platform
    said (its `error` and `code`, and the request id to find in its log), or that it did not
    answer at all."""
    import httpx

    try:
        reply = http.request(method, path, **kw)
    except httpx.TransportError as exc:
        raise common.fail(
            f"tidecast: {http.base_url} does not answer ({exc}); is `make dev` running?", code=1
        ) from None
    if reply.status_code not in expect:
        raise common.fail(f"tidecast: {method} {path}: {describe(reply)}", code=1)
    return reply


def describe(reply: httpx.Response) -> str:
    """An error answer in one line: status, the platform's message and code, the request id."""
    try:
        body = reply.json()
    except ValueError:
        body = None
    said = (
        f"{body.get('error')} ({body.get('code')})"
        if isinstance(body, dict) and "error" in body
        else reply.text.strip()[:200] or reply.reason_phrase
    )
    request_id = reply.headers.get("x-request-id")
    return f"HTTP {reply.status_code}: {said}" + (f" [request {request_id}]" if request_id else "")


def data(reply: httpx.Response) -> Any:
    """The `data` of a `{"success": true, "data": …}` answer."""
    return reply.json()["data"]
