"""The packaged functions run exactly as Lambda runs them.

`tidecast package` builds the zip (wheels for Lambda's python3.11 x86_64, the runtime this
machine can run); the zip is unpacked read-only in a fresh directory and each function is
started under AWS's own runtime client (`python -m awslambdaric`), whose only code is the
unpacked zip and the runtime client's directory, with a writable temporary directory for the
rest, against the Lambda Runtime API served by tests/support/lambda_runtime.py. AWS's sample
events (REST v1, HTTP API v2) are sent through the routes a deployment has; a handler that
raises and one that answers something that is not JSON are reported through the error route.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from tests.support import lambda_package
from tests.support.events import routed_event
from tests.support.lambda_runtime import RuntimeApi
from tests.support.parts import missing_part
from tests.support.seaweed import S3_BUCKET, SeaweedServer
from tidecast.db.migrate import upgrade
from tidecast.deploy.package import UNZIPPED_LIMIT, Target, build
from tidecast.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = Path(__file__).resolve().parent / "lambda_handlers"
VERSIONS = ["1.0", "2.0"]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@dataclass
class Lambda:
    task: Path
    runtime: Path
    writable: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lambda]:
    base = tmp_path_factory.mktemp("lambda")
    try:
        built = build(ROOT, base / "tidecast-lambda.zip", Target("3.11", "x86_64"))
    except InvalidInput as exc:
        missing_part(f"the Lambda package cannot be built here: {exc}")
    # What a deployment needs: `sam deploy` uploads the zip through S3, where Lambda's limit is
    # 250 MB unzipped; the 50 MB zipped limit is for uploading a zip directly (boto3's service
    # models took the zip past it: the summary says by how much).
    assert built.unzipped <= UNZIPPED_LIMIT, built.summary()
    assert built.compiled
    try:
        runtime = lambda_package.runtime_dir(base / "runtime")
    except ModuleNotFoundError as exc:
        missing_part(f"awslambdaric is not installed (requirements-dev.lock): {exc}")
    task = base / "task"
    lambda_package.unpack(built.path, task)
    writable = base / "tmp"
    data = writable / "data"
    data.mkdir(parents=True)
    engine = create_engine(f"sqlite:///{data / 'tidecast.db'}")
    upgrade(engine)
    engine.dispose()
    env = {
        "TIDECAST_DATA_DIR": str(data),
        "JWT_SECRET": "lambda-test-jwt-secret-of-enough-length-0123456789",
        "TIDECAST_MEDIA_KEY_SECRET": "lambda-test-media-key-secret-0123456789abcdef",
    }
    yield Lambda(task, runtime, writable, env)
    lambda_package.make_writable(task)


@pytest.fixture(scope="module")
def api() -> Iterator[RuntimeApi]:
    with RuntimeApi() as served:
        yield served


def _run(
    lam: Lambda, api: RuntimeApi, handler: str, events: list[dict[str, Any]], extra: list[Path] | None = None
):
    before = lambda_package.snapshot(lam.task)
    proc = lambda_package.start(
        handler,
        task=lam.task,
        runtime=lam.runtime,
        tmp=lam.writable,
        api=api.address,
        env=lam.env,
        extra_path=extra,
    )
    try:
        outcomes = [api.invoke(event, timeout=120) for event in events]
    finally:
        printed = lambda_package.stop(proc)
    assert lambda_package.snapshot(lam.task) == before, (
        "the function wrote inside its read-only task directory"
    )
    return outcomes, printed


def _api(version: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    """An event through the deployment's `/api/{proxy+}` route."""
    return routed_event(version, method, path, "/api/{proxy+}", path.removeprefix("/api/"), **kwargs)


def _netlify(version: str, method: str, name: str, rest: str = "") -> dict[str, Any]:
    if rest:
        return routed_event(
            version,
            method,
            f"/.netlify/functions/{name}/{rest}",
            f"/.netlify/functions/{name}/{{proxy+}}",
            rest,
        )
    return routed_event(version, method, f"/.netlify/functions/{name}", f"/.netlify/functions/{name}", None)


#: function → (events, expected status for each), the same for v1 and v2.
CASES: dict[str, list[tuple[str, str, str, int]]] = {
    # (method, shape, path or rest, status)
    "streams": [
        ("GET", "api", "/api/streams", 200),
        ("GET", "api", "/api/streams/nope", 404),
        ("GET", "netlify", "", 200),
        ("GET", "netlify", "nope", 404),
    ],
    "openapi": [("GET", "netlify", "", 200)],
    "auth": [("GET", "api", "/api/auth/me", 401), ("GET", "netlify", "me", 401)],
    "keys": [("GET", "api", "/api/keys/nope/0", 401)],
    "payments": [("GET", "api", "/api/payments/mine", 401)],
    "unsubscribe": [("GET", "api", "/api/unsubscribe", 400)],
    "uploads": [("OPTIONS", "api", "/api/uploads", 204), ("POST", "api", "/api/uploads", 412)],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_function_answers_sample_events_under_awslambdaric(
    unpacked: Lambda, api: RuntimeApi, name: str
) -> None:
    events, statuses = [], []
    for version in VERSIONS:
        for method, shape, where, status in CASES[name]:
            event = _api(version, method, where) if shape == "api" else _netlify(version, method, name, where)
            events.append(event)
            statuses.append(status)
    outcomes, printed = _run(unpacked, api, f"tidecast.functions.{name}.handler", events)
    assert not api.init_errors, api.init_errors
    for event, outcome, status in zip(events, outcomes, statuses, strict=True):
        where = event.get("rawPath") or event.get("path")
        assert outcome.kind == "response", (where, outcome.body, printed[-2000:])
        reply = outcome.json()
        assert reply["statusCode"] == status, (event.get("version"), where, reply, printed[-2000:])
        if status != 204:
            assert json.loads(reply["body"]) is not None
    if name == "streams":
        assert json.loads(outcomes[0].json()["body"]) == json.loads(outcomes[len(CASES[name])].json()["body"])
    if name == "openapi":
        assert json.loads(outcomes[0].json()["body"])["openapi"].startswith("3.")


def test_a_raising_handler_and_a_bad_shape_go_through_the_error_route(
    unpacked: Lambda, api: RuntimeApi
) -> None:
    event = _api("2.0", "GET", "/api/streams")
    outcomes, printed = _run(unpacked, api, "broken.raises", [event, event], extra=[HANDLERS])
    for outcome in outcomes:
        assert outcome.kind == "error", outcome.body
        error = outcome.json()
        assert error["errorType"] == "Refused" and error["errorMessage"] == "refused on purpose"
        # The X-Ray cause header the runtime client sends with each error: the error as a trace sees it.
        assert "refused on purpose" in outcome.headers["lambda-runtime-function-xray-error-cause"]
    assert "refused on purpose" in printed
    (outcome,), printed = _run(unpacked, api, "broken.bad_shape", [event], extra=[HANDLERS])
    assert outcome.kind == "error", outcome.body
    assert outcome.json()["errorType"] == "Runtime.MarshalError", outcome.body


def test_a_handler_that_cannot_load_is_an_init_error(unpacked: Lambda, api: RuntimeApi) -> None:
    before = len(api.init_errors)
    proc = lambda_package.start(
        "tidecast.functions.nonexistent.handler",
        task=unpacked.task,
        runtime=unpacked.runtime,
        tmp=unpacked.writable,
        api=api.address,
        env=unpacked.env,
    )
    deadline = time.monotonic() + 60
    while len(api.init_errors) == before and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    lambda_package.stop(proc)
    assert len(api.init_errors) == before + 1
    assert api.init_errors[-1].json()["errorType"] == "Runtime.ImportModuleError"


#: Run from the unpacked zip alone: the object store as a function reaches it (boto3 from the
#: zip, its service models pruned to what tidecast uses).
STORE_FROM_THE_ZIP = """
import sys
from pathlib import Path
import botocore.session
from botocore.exceptions import UnknownServiceError
from tidecast.storage import open_storage

store = open_storage(sys.argv[1], local_root=Path("unused"))
store.put("lambda/probe.m3u8", b"#EXTM3U", content_type="application/vnd.apple.mpegurl")
assert store.get("lambda/probe.m3u8") == b"#EXTM3U"
assert [o.key for o in store.list("lambda/")] == ["lambda/probe.m3u8"]
store.delete("lambda/probe.m3u8")
try:
    botocore.session.get_session().get_service_model("ec2")
except UnknownServiceError:
    print("ec2 pruned")
print("store ok")
"""


def test_the_object_store_answers_from_the_zip_with_only_the_kept_service_models(
    unpacked: Lambda, s3_server: SeaweedServer
) -> None:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(unpacked.writable),
        "TMPDIR": str(unpacked.writable),
        "PYTHONPATH": os.pathsep.join([str(unpacked.task), str(unpacked.runtime)]),
        **s3_server.credentials_env(),
    }
    url = f"s3://{S3_BUCKET}/lambda-zip?endpoint={s3_server.endpoint}"
    done = subprocess.run(
        [lambda_package.interpreter(), "-S", "-c", STORE_FROM_THE_ZIP, url],
        cwd=unpacked.task,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["ec2", "pruned", "store", "ok"], done.stdout
    assert (unpacked.task / "botocore" / "data" / "s3").is_dir()
    assert not (unpacked.task / "botocore" / "data" / "ec2").exists()


def test_snapstart_warms_before_the_snapshot_and_starts_afresh_after_restore(unpacked: Lambda) -> None:
    """SnapStart's hooks (tidecast/runtime/snapstart.py) under awslambdaric, initialised for a
    snapshot: before it, the container is built and warmed (a database connection opened) and
    then released; the database is replaced while the sandbox is "snapshotted" (as the world
    moves on while a snapshot waits); after restore the first request must see the new one. A
    connection kept from before the snapshot would still read the old file (SQLite keeps the
    replaced file open), and list no stream."""
    from tests.support.services import build_services

    where = unpacked.writable / "snapstart"
    where.mkdir()
    live, replacement = where / "tidecast.db", where / "replacement.db"
    for path in (live, replacement):
        engine = create_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
    svc = build_services(DATABASE_URL=f"sqlite:///{replacement}", TIDECAST_DATA_DIR=str(where))
    stream = svc.streams.create(title="made while the snapshot waited")
    svc.close()
    env = {
        **unpacked.env,
        "DATABASE_URL": f"sqlite:///{live}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start",
    }
    with RuntimeApi() as api:
        proc = lambda_package.start(
            "tidecast.functions.streams.handler",
            task=unpacked.task,
            runtime=unpacked.runtime,
            tmp=unpacked.writable,
            api=api.address,
            env=env,
        )
        try:
            assert api.snapshot.wait(120), "the runtime never asked to be restored"
            replacement.replace(live)
            api.restore()
            outcome = api.invoke(_api("2.0", "GET", "/api/streams"), timeout=120)
        finally:
            printed = lambda_package.stop(proc)
    assert not api.init_errors and not api.restore_errors, (api.init_errors, api.restore_errors)
    assert outcome.kind == "response", (outcome.body, printed[-2000:])
    listed = json.loads(outcome.json()["body"])["data"]["items"]
    assert [s["id"] for s in listed] == [stream.id], (listed, printed[-2000:])
    warmed = printed.index("snapstart: streams warmed (jwt, eth_account, web3, pysqlite) and released")
    assert warmed < printed.index("snapstart: restored; containers released, random reseeded"), printed
