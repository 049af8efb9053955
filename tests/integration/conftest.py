"""Fixtures the integration tests share: a real SMTP server, and services ready for accounts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.support.auth import make_services
from tests.support.smtp import SmtpServer
from tidecast.container import Services, set_services


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def svc(engine: Engine, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> Services:
    services = make_services(engine, smtp, monkeypatch)
    set_services(services)
    return services
