"""`tidecast functions list|invoke`: the deployed functions, and calling one as Lambda would.

Its commands import their domain when they run (`# lazy`), so `tidecast --help`
loads none of it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tidecast.cli import common
from tidecast.errors import DomainError

functions_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="List and invoke functions.")


@functions_app.command("list")
def functions_list() -> None:
    """Functions and the routes that reach them."""
    from rich.console import Console  # lazy
    from rich.table import Table  # lazy

    from tidecast.runtime.registry import Registry  # lazy

    root = Path.cwd()
    netlify = common.netlify(root)
    registry = Registry(netlify.functions_dir, import_root=root)
    rows = [
        (name, "\n".join(netlify.routes_to(name)), str(registry.path_of(name).relative_to(root.resolve())))
        for name in registry.names()
    ]
    table = Table("function", "routes", "file")
    table.columns[0].no_wrap = True  # a name cut in two is a name nobody can type
    for row in rows:
        table.add_row(*row)
    # Piped output has no terminal width: size the table to its content instead of 80 columns.
    widest = max((len(n) + max(len(r) for r in rs.split("\n")) + len(f) for n, rs, f in rows), default=40)
    Console(width=None if sys.stdout.isatty() else widest + 12).print(table)


def _pairs(values: list[str], sep: str, what: str) -> list[tuple[str, str]]:
    out = []
    for item in values:
        key, found, value = item.partition(sep)
        if not found or not key:
            raise common.fail(f"tidecast: --{what} wants KEY{sep}VALUE, got {item!r}")
        out.append((key.strip(), value.strip() if what == "header" else value))
    return out


@functions_app.command("invoke")
def functions_invoke(
    name: str,
    payload: Annotated[str | None, typer.Option(help="Request body (JSON text).")] = None,
    method: Annotated[
        str | None, typer.Option(help="HTTP method (default POST with a payload, else GET).")
    ] = None,
    path: Annotated[str | None, typer.Option(help="Request path (default /.netlify/functions/NAME).")] = None,
    query: Annotated[list[str] | None, typer.Option(help="Query parameter k=v (repeatable).")] = None,
    header: Annotated[list[str] | None, typer.Option(help="Header k:v (repeatable).")] = None,
    token: Annotated[str | None, typer.Option(help="Bearer token for Authorization.")] = None,
    event: Annotated[Path | None, typer.Option(help="A whole event JSON file.")] = None,
    url: Annotated[str | None, typer.Option(help="Call a running server at this base URL instead.")] = None,
) -> None:
    """Invoke a function and print its response body; exits 1 on a 5xx."""
    from tidecast.runtime.apigw import build_event  # lazy

    queries = _pairs(query or [], "=", "query")
    headers = _pairs(header or [], ":", "header")
    if token:
        headers.append(("Authorization", f"Bearer {token}"))
    body = payload.encode() if payload is not None else b""
    if payload is not None and not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/json"))
    method = (method or ("POST" if payload is not None else "GET")).upper()
    path = path or f"/.netlify/functions/{name}"

    if url is not None:
        reply = _invoke_http(url, method, path, queries, headers, body)
    else:
        if event is not None:
            try:
                ev = json.loads(event.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise common.fail(f"tidecast: --event {event}: {exc}") from None
            if payload is not None:
                ev["body"], ev["isBase64Encoded"] = payload, False
        else:
            rest = path.split(f"/{name}", 1)[1].strip("/") if f"/{name}" in path else ""
            ev = build_event(
                method=method,
                path=path,
                query=queries,
                headers=headers,
                body=body,
                subpath=rest or None,
                function_name=name,
            )
        reply = _invoke_local(name, ev)
    _print_reply(reply)


def _invoke_local(name: str, event: dict[str, Any]) -> dict[str, Any]:
    from tidecast.runtime.invoke import invoke_sync  # lazy

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = common.settings()
    _, registry = common.registry(Path.cwd(), settings, common.services(settings))
    try:
        fn = registry.get(name)
    except DomainError as exc:
        raise common.fail(f"tidecast: {exc.message}") from None
    return invoke_sync(fn, event)


def _invoke_http(
    base: str,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: list[tuple[str, str]],
    body: bytes,
) -> dict[str, Any]:
    import httpx  # lazy

    params: list[tuple[str, str | int | float | bool | None]] = list(query)
    try:
        res = httpx.request(
            method, base.rstrip("/") + path, params=params, headers=headers, content=body, timeout=60
        )
    except httpx.HTTPError as exc:
        raise common.fail(f"tidecast: could not reach {base}: {exc}") from None
    return {"statusCode": res.status_code, "headers": dict(res.headers), "body": res.text}


def _print_reply(reply: dict[str, Any]) -> None:
    from tidecast.runtime.apigw import response_body  # lazy

    status = int(reply["statusCode"])
    typer.echo(f"HTTP {status}", err=True)
    raw = response_body(reply)
    try:
        typer.echo(json.dumps(json.loads(raw), indent=2, ensure_ascii=False))
    except ValueError:
        sys.stdout.buffer.write(raw)
        sys.stdout.flush()
    if status == 504:
        # The timed-out handler still holds a worker thread; exiting normally would wait for
        # it. Lambda abandons it; so do we.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)
    if status >= 500:
        raise typer.Exit(1)
