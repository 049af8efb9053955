"""The one way tests build a services container: settings given as arguments, not environment.

`build_services(engine, TIDECAST_BCRYPT_ROUNDS=4, ...)` reads the settings as the platform does
(`load_settings`, the process environment under them) with the keyword arguments on top, spelt
as the environment spells them, so a test's settings never leak into another's through
`os.environ`. Tests that need several containers use the `make_services` fixture (tests/conftest.py),
which closes and unbinds what it built.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from tests.support.functions import bind_functions
from tidecast.config import Settings, load_settings
from tidecast.container import Services, create_services

#: The drains whose wake-up (`kick`, a task on the job queue) `quiet` removes.
DRAINS = ("events", "outbox", "jobs")


def settings_for(**settings: Any) -> Settings:
    """The settings the platform would load, with `settings` (by variable name) over them."""
    return load_settings(env_file=None, overrides={key: str(value) for key, value in settings.items()})


def build_services(
    engine: Engine | None = None,
    *,
    quiet: tuple[str, ...] = (),
    bind: bool = False,
    parts: dict[str, Any] | None = None,
    **settings: Any,
) -> Services:
    """A container on `engine` (None: the one the settings name) with `settings` over the
    environment's. `quiet` names drains (events, outbox, jobs) that must not wake a queue
    worker: the test runs them itself. `bind` serves every function module from it.
    `parts` are handed in as they are (a transport, a chain service)."""
    unknown = sorted(set(quiet) - set(DRAINS))
    if unknown:
        raise TypeError(f"quiet names drains {unknown}; there are {list(DRAINS)}")
    given = dict(parts or {})
    if engine is not None:
        given["engine"] = engine
    svc = create_services(settings_for(**settings), **given)
    for drain in quiet:
        getattr(svc, drain).kick = None
    if bind:
        bind_functions(svc)
    return svc
