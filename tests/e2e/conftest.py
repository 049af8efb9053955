"""The browser tests' shared parts: the platform as `tidecast dev` runs it, and chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import chromium
from tests.support.platform import Platform, running_platform

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test is slow: a chromium, and for most a whole platform as `tidecast dev`
    runs it (`make test-fast` leaves them out; `make test` runs them). Their timeout is 300 s,
    not the suite's 120: the first test of a module also pays for starting the platform and the
    browser, which three xdist workers on two cores slow down (no test here checks a speed)."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.slow)
            if item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(300))


#: A small upload limit, so "upload too large" is cheap to provoke.
UPLOAD_MAX_BYTES = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    work = tmp_path_factory.mktemp("platform")
    with running_platform(work, {"TIDECAST_UPLOAD_MAX_BYTES": str(UPLOAD_MAX_BYTES)}) as running:
        yield running


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(Path(tmp_path_factory.mktemp("profile"))) as context:
        yield context
