"""Fixtures the integration tests share: a real SMTP server, and services ready for accounts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.support.auth import account_services
from tests.support.functions import bind_functions
from tests.support.smtp import SmtpServer
from tidecast.container import Services


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def svc(engine: Engine, smtp: SmtpServer) -> Iterator[Services]:
    services = account_services(engine, smtp)
    bind_functions(services)
    yield services
    services.close()
