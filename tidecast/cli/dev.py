"""`tidecast dev`: the platform on one laptop, on embedded defaults.

Order matters, so that every failure is reported before the banner says the server is up:
bind the dev server's port, start the embedded parts (each names the setting that moves it when
its port is taken) and take the settings they put in effect (the chain's contract addresses),
build the services from those, migrate, start the in-process worker, then print the banner and
serve. A failure after the parts started stops them again.

Its commands import their domain when they run (`# lazy`), so `tidecast --help`
loads none of it.
"""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from tidecast.cli import common
from tidecast.errors import ConfigError

#: The in-process worker pools: mail, events and the chain watcher on two threads; one
#: transcode at a time (an encode uses every core a laptop has).
DEV_GENERAL_THREADS = 2
DEV_MEDIA_THREADS = 1


def dev(
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default: netlify.toml [dev] port).")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    media_workers: Annotated[
        int,
        typer.Option(
            min=0, max=8, help="Transcodes at a time in this process (0: leave them to `tidecast worker`)."
        ),
    ] = DEV_MEDIA_THREADS,
) -> None:
    """Migrate the database and run the dev server (functions, redirects, static files), a job
    worker and the embedded parts (a local SMTP server whose mail shows at /_dev/mail; an EVM
    chain on RPC_URL with the contracts deployed, shown at /_dev/chain; an IPFS node on
    IPFS_API_URL with its gateway at /ipfs/)."""
    import uvicorn  # lazy

    from tidecast import embedded  # lazy
    from tidecast.db.migrate import upgrade  # lazy
    from tidecast.net.sockets import bind_socket, free_port  # lazy
    from tidecast.runtime.devserver import DevServer, server_config  # lazy

    common.log_to_stderr()
    root = Path.cwd()
    netlify = common.netlify(root)
    port = port or netlify.port
    # Links in mail, the SIWE domain and the site's origin follow the port unless set.
    settings = common.settings().with_public_url(f"http://localhost:{port}")
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        where = "--port" if port != netlify.port else "netlify.toml [dev] port (or --port)"
        raise common.fail(
            f"tidecast: cannot listen on {host}:{port} ({exc.strerror}); choose another with {where}, "
            f"e.g. --port {free_port()}"
        ) from None
    try:
        parts = embedded.plan(settings)
        embedded.start_all(parts)
    except ConfigError as exc:
        sock.close()
        raise common.fail(f"tidecast: {exc}") from None
    try:
        settings = embedded.configure_all(parts, settings)
        services = common.services(settings)
        _, registry = common.registry(root, settings, services)
        upgrade(services.engine)
    except BaseException as exc:
        embedded.stop_all(parts)
        sock.close()
        if isinstance(exc, ConfigError):
            raise common.fail(f"tidecast: {exc}") from None
        raise
    from tidecast.container import build_workers  # lazy

    # Both pools, as `tidecast worker` runs them: mail and events never wait behind a transcode.
    workers = build_workers(services, general=DEV_GENERAL_THREADS, media=media_workers)
    workers.start()

    base = f"http://localhost:{port}"
    typer.echo(f"tidecast dev server on {base} (publish dir: {netlify.publish_dir.relative_to(root)})")
    for name in registry.names():
        typer.echo(f"  function {name:<16} " + "  ".join(base + p for p in netlify.routes_to(name)))
    for note in netlify.unsupported:
        typer.secho(f"  netlify.toml: {note}", fg=typer.colors.YELLOW)
    for part in parts:
        typer.echo(f"  {part.banner(base)}")
    if not any(p.setting == "SMTP_PORT" for p in parts):
        typer.echo(f"  mail      sent through {settings.smtp_host}:{settings.smtp_port}")
    if not any(p.setting == "RPC_URL" for p in parts):
        typer.echo(f"  chain     {settings.masked()['RPC_URL']} (contracts from the settings)")
    if not any(p.setting == "IPFS_API_URL" for p in parts):
        masked = settings.masked()
        typer.echo(f"  ipfs      {masked['IPFS_API_URL']} (gateway {masked['IPFS_GATEWAY']})")
    typer.echo(
        f"  jobs      in-process workers on {settings.masked()['TIDECAST_QUEUE_URL']} "
        f"({DEV_GENERAL_THREADS} general threads, {media_workers} media)"
    )
    if settings.tidecast_public_url != base:
        typer.echo(f"  links     in mail point to {settings.tidecast_public_url} (TIDECAST_PUBLIC_URL)")

    server = DevServer(
        netlify,
        registry,
        max_body_bytes=settings.tidecast_max_body_bytes,
        body_timeout=settings.tidecast_body_timeout_seconds,
    )
    dev_routes = [route for part in parts for route in part.routes()]
    public_routes = [route for part in parts for route in part.public_routes()]
    config = server_config(
        server.app(dev_routes, public_routes),
        host=host,
        port=port,
        trusted_proxies=settings.trusted_proxies,
        header_timeout=settings.tidecast_header_timeout_seconds,
    )
    # uvicorn re-raises the signal that stopped it once it has shut down; SIGTERM's default
    # action would end the process there, before the embedded parts are stopped (the chain's
    # file would outlive its chain). As SystemExit, the cleanup below runs.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        workers.stop(graceful=True)
        embedded.stop_all(parts)
        services.close()


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)
