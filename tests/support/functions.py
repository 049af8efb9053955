"""Binding a container to the project's function modules, as the dev server's registry does."""

from __future__ import annotations

import importlib
import pkgutil

import tidecast.functions
from tidecast.container import Services
from tidecast.runtime import Function


def function_apps() -> list[Function]:
    apps = []
    for info in pkgutil.iter_modules(tidecast.functions.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"tidecast.functions.{info.name}")
        app = getattr(module, "app", None)
        if isinstance(app, Function):
            apps.append(app)
    return apps


def bind_functions(services: Services | None) -> None:
    """Serve every function module's requests with `services` (None: unbind)."""
    for app in function_apps():
        app.bind(services)
