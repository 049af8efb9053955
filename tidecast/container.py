"""The one place that wires services together (the reference's dependency injection).

`create_services(settings)` builds every service once; any collaborator can be passed in
(tests hand in their own engine). Functions call `get_services()`, which builds the container
on first use and keeps it for the life of the process: on Lambda that is a warm container's
life, so connections and pools are reused across invocations as they should be.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import Engine

from tidecast.config import Settings, load_settings
from tidecast.db.engine import build_engine
from tidecast.services.streams import StreamService


@dataclass
class Services:
    settings: Settings
    engine: Engine
    streams: StreamService

    def close(self) -> None:
        self.engine.dispose()


def create_services(
    settings: Settings,
    *,
    engine: Engine | None = None,
    streams: StreamService | None = None,
) -> Services:
    engine = engine or build_engine(settings.effective_database_url)
    return Services(
        settings=settings,
        engine=engine,
        streams=streams or StreamService(engine),
    )


_lock = threading.Lock()
_current: Services | None = None


def get_services() -> Services:
    """The process's container, built from the environment on first use."""
    global _current
    if _current is None:
        with _lock:
            if _current is None:
                _current = create_services(load_settings())
    return _current


def set_services(services: Services | None) -> Services | None:
    """Install a container (dev server, CLI, tests); returns the one it replaced."""
    global _current
    with _lock:
        previous, _current = _current, services
    return previous
