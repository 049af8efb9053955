"""What every `tidecast` subcommand shares: failing with a message, settings, the container.

Subcommand modules import this one and nothing of each other, so the CLI has no import cycle;
`tidecast/cli/__init__.py` mounts them all. Each command imports its domain when it runs (`# lazy`), so
`tidecast --help` loads none of it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from tidecast.errors import ConfigError

if TYPE_CHECKING:
    from tidecast.config import Settings
    from tidecast.container import Services
    from tidecast.runtime.netlify import NetlifyConfig
    from tidecast.runtime.registry import Registry


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print `message` in red on stderr; raise the returned Exit with the exit code."""
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def settings() -> Settings:
    from tidecast.config import load_settings  # lazy

    try:
        return load_settings()
    except ConfigError as exc:
        raise fail(f"tidecast: {exc}") from None


def services(current: Settings | None = None) -> Services:
    from tidecast.container import create_services  # lazy

    return create_services(current or settings())


def netlify(root: Path) -> NetlifyConfig:
    from tidecast.runtime.netlify import load_netlify_config  # lazy

    try:
        return load_netlify_config(root)
    except ConfigError as exc:
        raise fail(f"tidecast: {exc}") from None


def registry(root: Path, current: Settings, bound: Services | None = None) -> tuple[NetlifyConfig, Registry]:
    from tidecast.runtime.registry import Registry  # lazy

    config = netlify(root)
    return config, Registry(
        config.functions_dir,
        default_timeout=current.tidecast_function_timeout,
        settings=config.function_settings,
        import_root=root,
        services=bound,
    )


def log_to_stderr(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
    logging.getLogger("huey").setLevel(logging.WARNING)  # and huey every task it runs
    logging.getLogger("huey.consumer").setLevel(logging.INFO)  # start, stop, signals


def migrated(svc: Services) -> Services:
    """`svc`, after checking its database has been migrated."""
    from tidecast.db.migrate import current  # lazy

    if current(svc.engine) is None:
        raise fail("tidecast: the database is empty; run `tidecast db upgrade` first")
    return svc


def as_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
