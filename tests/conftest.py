"""Shared fixtures: an isolated working directory and environment per test, databases."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.support.functions import bind_functions
from tests.support.jsipfs import JsIpfs
from tests.support.parts import missing_part
from tests.support.postgres import PostgresServer, find_bindir
from tests.support.redis import RedisServer, find_redis
from tests.support.services import build_services
from tidecast.config import Settings
from tidecast.container import Services
from tidecast.db.engine import build_engine
from tidecast.db.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_VARS = [name.upper() for name in Settings.model_fields]
#: The interpreter's recursion limit before any test module is imported.
RECURSION_LIMIT = sys.getrecursionlimit()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`--dist loadgroup`, as `make test` runs), the tests of a module that
    shares a module-scoped fixture (a running platform, a browser, an encoded video) go to one
    worker together, so that fixture is built once, not once on every worker. Session fixtures
    (PostgreSQL, Redis, the chain template) are built once per worker: each worker is its own
    session, with its own servers on free ports and its own temporary directories."""
    for item in items:
        fixtures = getattr(item, "_fixtureinfo", None)
        if fixtures is None:
            continue
        shared = any(
            defs[-1].scope in ("module", "class", "package") for defs in fixtures.name2fixturedefs.values()
        )
        if shared and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Tests run with the recursion limit production has. Test modules that import web3 or
    eth-tester at module level (py_ecc raises the limit to 100000 when imported) would leave it
    raised for the whole run; tidecast's own code imports them through `sane_import`."""
    sys.setrecursionlimit(RECURSION_LIMIT)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test runs in its own directory with none of the developer's tidecast settings."""
    for name in SETTINGS_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIDECAST_DATA_DIR", str(tmp_path / ".tidecast"))
    bind_functions(None)
    yield tmp_path
    bind_functions(None)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = find_bindir()
    if bindir is None:
        missing_part("PostgreSQL server binaries (initdb) not found; `make system-deps` installs them")
    server = PostgresServer(bindir)  # type: ignore[arg-type]
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    binary = find_redis()
    if binary is None:
        missing_part("redis-server not found; `make system-deps` installs it (Debian package redis-server)")
    server = RedisServer(binary, tmp_path_factory.mktemp("redis")).start()  # type: ignore[arg-type]
    yield server
    server.stop()


def _fresh_pg_database(server: PostgresServer, name: str) -> str:
    admin = build_engine(server.url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind: an SQLite file, and a new database on real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    server = request.getfixturevalue("postgres_server")
    return _fresh_pg_database(server, f"t{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = build_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def services(engine: Engine) -> Iterator[Services]:
    """The container on a migrated database, bound to every function module."""
    svc = build_services(engine, bind=True)
    yield svc
    svc.close()


@pytest.fixture
def make_services() -> Iterator[Callable[..., Services]]:
    """`build_services` (tests/support/services.py) for a test: what it built is closed, and the
    function modules unbound, when the test ends."""
    built: list[Services] = []

    def make(engine: Engine | None = None, **kwargs: Any) -> Services:
        svc = build_services(engine, **kwargs)
        built.append(svc)
        return svc

    yield make
    bind_functions(None)
    for svc in built:
        svc.close()


@pytest.fixture
def anvil() -> Iterator[str]:
    """A real node: Anvil on a free port (skips without node_modules; fails under CI=true)."""
    from tests.support.anvil import running_anvil

    with running_anvil() as url:
        yield url


@pytest.fixture(scope="session")
def jsipfs() -> Iterator[JsIpfs]:
    """A real IPFS daemon (js-ipfs, offline, loopback only), one for the session: it takes ~3 s
    to start (skips without node_modules; fails under CI=true). Tests share its repository, so
    they assert on what they added, never on the whole pin set."""
    from tests.support.jsipfs import running_jsipfs

    with running_jsipfs() as daemon:
        yield daemon


@pytest.fixture(params=["embedded", "jsipfs"])
def ipfs_api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The Kubo RPC URL of each kind of IPFS node tidecast's client must work against: the
    embedded node (a fresh store per test) and js-ipfs (one daemon for the session)."""
    if request.param == "jsipfs":
        yield request.getfixturevalue("jsipfs").api_url
        return
    from tests.support.ipfs_node import running_node

    with running_node(tmp_path / "ipfs-node") as node:
        yield node.url


@pytest.fixture
def embedded_chain() -> Iterator[str]:
    """The embedded chain on a free port, no idle blocks (tests mine when they need to)."""
    from tests.support.anvil import running_embedded_chain

    with running_embedded_chain() as url:
        yield url


@pytest.fixture(scope="session")
def deployed_chain_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """An embedded chain with the contracts deployed and the demo accounts funded, kept on disk
    once for the session (deploying and funding take four blocks a second apart, about 3.5 s,
    which every chain test paid); each test starts from a copy of it."""
    from tests.support.anvil import running_embedded_chain
    from tests.support.chain import deployed

    path = tmp_path_factory.mktemp("chain-template") / "chain-state.sqlite3"
    with running_embedded_chain(state_path=path) as url:
        chain = deployed(url)
    return path, chain


@pytest.fixture
def deployed_embedded_chain(deployed_chain_template: tuple[Path, Any], tmp_path: Path) -> Iterator[str]:
    """The embedded chain started from a copy of the deployed template: the same contracts at
    the same addresses as a fresh deployment (deployer nonces 0, 1, 2), four blocks later."""
    from tests.support.anvil import running_embedded_chain
    from tests.support.chain import PREDEPLOYED

    template, chain = deployed_chain_template
    copy = tmp_path / "chain-state.sqlite3"
    for kept in template.parent.glob(template.name + "*"):  # with a -wal file, should one be left
        shutil.copy(kept, copy.with_name(kept.name))
    with running_embedded_chain(state_path=copy) as url:
        PREDEPLOYED[url] = (chain.deployment, len(chain.accounts))
        try:
            yield url
        finally:
            PREDEPLOYED.pop(url, None)


@pytest.fixture(params=["embedded", "anvil"])
def node(request: pytest.FixtureRequest) -> str:
    """Each kind of node the chain code must work against, by URL (the embedded one with the
    contracts already deployed, from the session's template)."""
    return str(request.getfixturevalue("deployed_embedded_chain" if request.param == "embedded" else "anvil"))
