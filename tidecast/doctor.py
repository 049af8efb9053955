"""`tidecast doctor`: a configuration checked part by part against the parts it names.

Each check builds its part the way the platform does (the container, from the same settings) and
asks it one harmless question: the database its revision, the queue a ping, the object store
a small object put, read back and deleted, the IPFS node its version, the chain node its chain id
and the code at each configured contract, the SMTP relay a greeting (and a login when a user is
set; no mail is sent). A failure names the setting to fix.
Every check runs even when one fails, so one run lists everything that is missing.

Settings themselves are checked first: in production, `load_settings` refuses to start without
its secrets and names them all; the doctor reports that and stops, since nothing can be built.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from tidecast.config import Settings, load_settings, mask_url
from tidecast.container import Services, create_services
from tidecast.db.migrate import current, head
from tidecast.errors import ConfigError

Outcome = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Finding:
    part: str
    outcome: Outcome
    #: What was found, or what to fix (naming the setting).
    detail: str


def examine(env_file: str | None = ".env") -> list[Finding]:
    """Every check's finding, in order: settings, database, queue, storage, IPFS, chain, SMTP."""
    try:
        settings = load_settings(env_file=env_file)
    except ConfigError as exc:
        return [Finding("settings", "fail", str(exc))]
    services = create_services(settings)
    try:
        return [_settings(settings), *_parts(services)]
    finally:
        services.close()


def _settings(settings: Settings) -> Finding:
    if not settings.production:
        return Finding(
            "settings",
            "warn",
            "TIDECAST_ENV=development: secrets are generated and the embedded parts stand in;"
            " set TIDECAST_ENV=production to check a production configuration",
        )
    if not settings.tidecast_public_url.startswith("https://"):
        return Finding("settings", "warn", f"TIDECAST_PUBLIC_URL={settings.tidecast_public_url} is not https")
    return Finding("settings", "ok", "production, every required secret set")


def _parts(services: Services) -> Iterator[Finding]:
    checks: list[tuple[str, Callable[[Services], str]]] = [
        ("database", _database),
        ("queue", _queue),
        ("storage", _storage),
        ("ipfs", _ipfs),
        ("chain", _chain),
        ("smtp", _smtp),
    ]
    for part, check in checks:
        try:
            yield Finding(part, "ok", check(services))
        except Doubt as doubt:
            yield Finding(part, "warn", str(doubt))
        except Problem as problem:
            yield Finding(part, "fail", str(problem))
        except Exception as exc:  # noqa: BLE001 - any failure of a part is its finding, said plainly
            yield Finding(part, "fail", f"{_setting_of(part, services.settings)}: {_said(exc)}")


class Problem(Exception):
    """A check's own verdict, already naming the setting."""


class Doubt(Exception):
    """Works, but likely not what a production deployment means (a warning, naming the setting)."""


def _said(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def _setting_of(part: str, settings: Settings) -> str:
    """The setting that points at `part`, as `NAME=value` (credentials masked)."""
    where = {
        "database": (
            "DATABASE_URL",
            settings.database_url or "(unset: the SQLite file under TIDECAST_DATA_DIR)",
        ),
        "queue": ("TIDECAST_QUEUE_URL", settings.effective_queue_url),
        "storage": ("TIDECAST_STORAGE_URL", settings.tidecast_storage_url or "(unset: local directories)"),
        "ipfs": ("IPFS_API_URL", settings.ipfs_api_url),
        "chain": ("RPC_URL", settings.rpc_url),
        "smtp": ("SMTP_HOST", f"{settings.smtp_host}:{settings.smtp_port}"),
    }[part]
    return f"{where[0]}={mask_url(where[1])}"


def _database(services: Services) -> str:
    where = _setting_of("database", services.settings)
    with services.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    have, want = current(services.engine), head(services.engine)
    if have != want:
        raise Problem(
            f"{where}: at revision {have or '(empty)'}, the code needs {want}: run `tidecast db upgrade`"
        )
    return f"{where}, at revision {have}"


def _queue(services: Services) -> str:
    depth = services.queue.depth()
    return f"{_setting_of('queue', services.settings)}, {depth} wake-ups waiting"


def _storage(services: Services) -> str:
    """Uploads are written there by every function instance: a small object is put, read back
    and deleted (under `doctor/`), which checks the bucket, the credentials and write access."""
    where = _setting_of("storage", services.settings)
    store = services.objects
    if store is None:
        local = f"{where}: uploads and published media on this machine's disk"
        if services.settings.production:  # right for one machine; Lambda's instances share no disk
            raise Doubt(f"{local}: functions on Lambda share no disk, set s3://BUCKET")
        return f"{local} (one machine only; Lambda needs s3://)"
    key = f"doctor/probe-{secrets.token_hex(8)}"
    body = b"tidecast doctor"
    store.put(key, body)
    try:
        if store.get(key) != body:
            raise Problem(f"{where}: an object read back differs from what was written")
    finally:
        store.delete(key)
    return f"{where}, writable"


def _ipfs(services: Services) -> str:
    version = services.ipfs.version()
    return f"{_setting_of('ipfs', services.settings)}, {version.get('Version', 'a node')} answers"


def _chain(services: Services) -> str:
    settings = services.settings
    where = _setting_of("chain", settings)
    chain_id = services.chain.chain_id()
    if chain_id != settings.tidecast_chain_id:
        raise Problem(
            f"{where}: the node is chain {chain_id}, TIDECAST_CHAIN_ID says {settings.tidecast_chain_id}"
        )
    unset = [
        name
        for name, value in (
            ("PAYMENT_STREAM_CONTRACT_ADDRESS", settings.payment_stream_contract_address),
            ("TOKEN_ADDRESS", settings.token_address),
            ("STREAM_REGISTRY_ADDRESS", settings.stream_registry_address),
        )
        if not value
    ]
    if unset:
        raise Problem(f"{where}: chain {chain_id} answers; set {', '.join(unset)}")
    missing = services.chain.missing_code()
    if missing is None:
        raise Problem(f"{where}: the node did not say whether the contracts have code")
    if missing:
        raise Problem(f"{where}: no contract code at {'; '.join(missing)}")
    return f"{where}, chain {chain_id}, the three contracts have code"


def _smtp(services: Services) -> str:
    session = services.transport.open()
    try:
        session.noop()
    finally:
        session.quit()
    who = f" as {services.settings.smtp_user}" if services.settings.smtp_user else ""
    return f"{_setting_of('smtp', services.settings)} greets{who}"
