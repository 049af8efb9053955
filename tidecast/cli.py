"""The `tidecast` command: dev server, worker, functions, config, database, events and mail."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tidecast.cli_jobs import events_app, mail_app, worker
from tidecast.errors import ConfigError

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_show_locals=False
)
functions_app = typer.Typer(no_args_is_help=True, help="List and invoke functions.")
db_app = typer.Typer(no_args_is_help=True, help="Database migrations.")
streams_app = typer.Typer(no_args_is_help=True, help="Streams (development data).")
app.add_typer(functions_app, name="functions")
app.add_typer(db_app, name="db")
app.add_typer(streams_app, name="streams")
app.add_typer(events_app, name="events")
app.add_typer(mail_app, name="mail")
app.command()(worker)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def _settings() -> Any:
    from tidecast.config import load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        raise _fail(f"tidecast: {exc}") from None


def _netlify(root: Path) -> Any:
    from tidecast.runtime.netlify import load_netlify_config

    try:
        return load_netlify_config(root)
    except ConfigError as exc:
        raise _fail(f"tidecast: {exc}") from None


def _registry(root: Path, settings: Any) -> Any:
    from tidecast.runtime.registry import Registry

    netlify = _netlify(root)
    return netlify, Registry(
        netlify.functions_dir,
        default_timeout=settings.tidecast_function_timeout,
        settings=netlify.function_settings,
        import_root=root,
    )


@app.command()
def dev(
    port: Annotated[int | None, typer.Option(help="Port (default: netlify.toml [dev] port).")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Migrate the database and run the dev server (functions, redirects, static files), a job
    worker and, unless SMTP points elsewhere, a local SMTP server whose mail shows at /_dev/mail."""
    import uvicorn

    from tidecast.container import create_services, set_services
    from tidecast.db.migrate import upgrade
    from tidecast.runtime.devmail import DevMailServer, mail_routes
    from tidecast.runtime.devserver import DevServer
    from tidecast.services.smtp import is_loopback

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
    logging.getLogger("huey").setLevel(logging.WARNING)  # and huey every task it runs
    root = Path.cwd()
    settings = _settings()
    netlify, registry = _registry(root, settings)
    services = create_services(settings)
    upgrade(services.engine)
    set_services(services)
    port = port or netlify.port
    base = f"http://localhost:{port}"
    typer.echo(f"tidecast dev server on {base} (publish dir: {netlify.publish_dir.relative_to(root)})")
    for name in registry.names():
        typer.echo(f"  function {name:<16} " + "  ".join(base + p for p in netlify.routes_to(name)))
    for note in netlify.unsupported:
        typer.secho(f"  netlify.toml: {note}", fg=typer.colors.YELLOW)
    maildir = settings.tidecast_data_dir / "mailbox"
    mail_server = None
    if is_loopback(settings.smtp_host) and not settings.smtp_user:
        mail_server = DevMailServer(maildir, host=settings.smtp_host, port=settings.smtp_port)
        try:
            mail_server.start()
        except OSError as exc:
            raise _fail(
                f"tidecast: cannot start the dev SMTP server on port {settings.smtp_port}: {exc}"
            ) from None
        typer.echo(f"  mail      smtp://{settings.smtp_host}:{settings.smtp_port} → {base}/_dev/mail")
    else:
        typer.echo(f"  mail      sent through {settings.smtp_host}:{settings.smtp_port}")
    consumer = services.jobs.consumer(workers=2, in_process=True)
    consumer.start()
    typer.echo(f"  jobs      in-process worker on {settings.masked()['TIDECAST_QUEUE_URL']}")
    server = DevServer(netlify, registry, max_body_bytes=settings.tidecast_max_body_bytes)
    try:
        uvicorn.run(server.app(mail_routes(maildir)), host=host, port=port, log_level="info")
    finally:
        consumer.stop(graceful=True)
        if mail_server is not None:
            mail_server.stop()


@app.command("config")
def show_config() -> None:
    """Print the effective settings, secrets masked."""
    for name, value in _settings().masked().items():
        typer.echo(f"{name}={value}")


@functions_app.command("list")
def functions_list() -> None:
    """Functions and the routes that reach them."""
    from rich.console import Console
    from rich.table import Table

    root = Path.cwd()
    netlify = _netlify(root)
    from tidecast.runtime.registry import Registry

    registry = Registry(netlify.functions_dir, import_root=root)
    table = Table("function", "routes", "file")
    for name in registry.names():
        table.add_row(
            name, "\n".join(netlify.routes_to(name)), str(registry.path_of(name).relative_to(root.resolve()))
        )
    Console().print(table)


def _pairs(values: list[str], sep: str, what: str) -> list[tuple[str, str]]:
    out = []
    for item in values:
        key, found, value = item.partition(sep)
        if not found or not key:
            raise _fail(f"tidecast: --{what} wants KEY{sep}VALUE, got {item!r}")
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
    from tidecast.runtime.events import build_event

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
                raise _fail(f"tidecast: --event {event}: {exc}") from None
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
    from tidecast.errors import ApiError
    from tidecast.runtime.invoke import invoke_sync

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = _settings()
    _, registry = _registry(Path.cwd(), settings)
    try:
        fn = registry.get(name)
    except ApiError as exc:
        raise _fail(f"tidecast: {exc.message}") from None
    return invoke_sync(fn, event)


def _invoke_http(
    base: str,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: list[tuple[str, str]],
    body: bytes,
) -> dict[str, Any]:
    import httpx

    params: list[tuple[str, str | int | float | bool | None]] = list(query)
    try:
        res = httpx.request(
            method, base.rstrip("/") + path, params=params, headers=headers, content=body, timeout=60
        )
    except httpx.HTTPError as exc:
        raise _fail(f"tidecast: could not reach {base}: {exc}") from None
    return {"statusCode": res.status_code, "headers": dict(res.headers), "body": res.text}


def _print_reply(reply: dict[str, Any]) -> None:
    from tidecast.runtime.events import response_body

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


def _services() -> Any:
    from tidecast.container import create_services

    return create_services(_settings())


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database to REVISION (default: the newest)."""
    from tidecast.db.migrate import current, upgrade

    services = _services()
    upgrade(services.engine, revision)
    typer.echo(f"database at revision {current(services.engine)}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ('base' empties it)."""
    from tidecast.db.migrate import current, downgrade

    services = _services()
    downgrade(services.engine, revision)
    typer.echo(f"database at revision {current(services.engine)}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision."""
    from tidecast.db.migrate import current

    typer.echo(current(_services().engine) or "(empty: run `tidecast db upgrade`)")


@streams_app.command("add")
def streams_add(
    title: Annotated[str, typer.Option(help="Title.")],
    description: Annotated[str, typer.Option(help="Description.")] = "",
) -> None:
    """Create a stream (status processing) and print it."""
    from tidecast.errors import ApiError

    try:
        stream = _services().streams.create(title=title, description=description)
    except ApiError as exc:
        raise _fail(f"tidecast: {exc.message}") from None
    typer.echo(json.dumps(stream, indent=2))


@streams_app.command("list")
def streams_list(limit: int = 20) -> None:
    """The newest streams."""
    from tidecast.errors import ApiError

    try:
        page = _services().streams.list(limit=limit)
    except ApiError as exc:
        raise _fail(f"tidecast: {exc.message}") from None
    for item in page.items:
        typer.echo(f"{item['id']}  {item['status']:<10}  {item['createdAt']}  {item['title']}")


def main() -> None:
    app()
