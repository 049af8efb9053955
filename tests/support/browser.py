"""A real browser for the page tests: Debian's chromium, driven by Playwright (never a download)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.parts import missing_part

CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    """A headless chromium with a fresh profile directory; skips (fails under CI) if absent."""
    path = chromium_path()
    if path is None:
        missing_part("chromium not found; `make system-deps` installs Debian's chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_part("the playwright package is not installed (`make setup` installs it)")
    args = [*CHROMIUM_ARGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=path, headless=True, args=args
        )
        try:
            yield context
        finally:
            context.close()
