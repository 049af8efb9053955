"""Hostile request bodies against every JSON route, in-process and through the dev server.

Every POST/PUT/PATCH route of every function is found from the `Function` objects themselves,
so a route added later is covered (or must be classified here) without editing a list. Each
hostile body must be answered with a 400 JSON body naming what is wrong (never a 500), must
leave every table as it was, and must not stop the server: the wallet code, whose py_ecc
import raises the interpreter's recursion limit to 100000, is loaded first, as it is in a
warm function that has served a wallet sign-in.
"""

from __future__ import annotations

import base64
import json
import resource
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from tests.support.auth import KEY, call, login, nonce, register, sign
from tests.support.devserver import running_devserver
from tests.support.events import aws_event
from tests.support.functions import function_apps
from tidecast.container import Services
from tidecast.db.schema import metadata
from tidecast.lib import siwe
from tidecast.runtime.request import MAX_JSON_DEPTH

ROOT = Path(__file__).resolve().parents[2]
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
#: Body-taking routes whose body is not JSON: RFC 8058's one-click unsubscribe is
#: `List-Unsubscribe=One-Click`, form-encoded. They are checked separately below.
FORM_ROUTES = {("unsubscribe", "")}
#: tus routes: POST creates an upload from headers (its body is ignored), PATCH appends bytes
#: (`application/offset+octet-stream`). Their bad bodies are tests/integration/test_uploads.py's.
BYTE_ROUTES = {("uploads", ""), ("uploads", "x")}
#: Stripe's webhook: its body is read only once its signature over the raw bytes verifies (an
#: unsigned hostile body is refused for its signature). The same hostile bodies, signed, are
#: tests/integration/test_billing.py's.
SIGNED_ROUTES = {("billing", "webhook")}
#: The string fields of each JSON route's body model: a NUL in any of them must be refused.
STRING_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("auth", "register"): ("username", "email", "password"),
    ("auth", "login"): ("username", "password"),
    ("auth", "verify"): ("token",),
    ("auth", "verify-email"): ("token",),
    ("auth", "resend-verification"): (),
    ("auth", "forgot-password"): ("email",),
    ("auth", "reset-password"): ("token", "password"),
    ("auth", "wallet/nonce"): ("address",),
    ("auth", "wallet/link"): ("message", "signature"),
    ("auth", "wallet/login"): ("message", "signature"),
    ("payments", "status"): ("streamId", "signature", "nonce"),
    ("streams", "x"): ("pricePerSecond", "title", "description", "thumbnail"),
    ("streams", "x/playback"): ("paymentStreamId",),
    ("streams", "x/position"): (),
    ("billing", "checkout"): ("amount",),
    ("billing", "playbacks/x/stop"): (),
}
DEEP = 100_000


@dataclass(frozen=True)
class Hostile:
    name: str
    body: str
    base64: bool
    problem: str  # a substring the 400's error must contain
    not_problem: str | None = None  # and one it must not


def _nest(levels: int) -> str:
    """`{"username": [[…]]}`: `levels` levels of nesting in all, the outer object included."""
    return '{"username":' + "[" * (levels - 1) + "]" * (levels - 1) + "}"


HOSTILE = [
    Hostile("100000 [", "[" * DEEP, False, f"nested deeper than {MAX_JSON_DEPTH} levels"),
    Hostile('100000 {"a":', '{"a":' * DEEP, False, f"nested deeper than {MAX_JSON_DEPTH} levels"),
    Hostile("65 levels", _nest(MAX_JSON_DEPTH + 1), False, f"nested deeper than {MAX_JSON_DEPTH} levels"),
    # 64 levels pass the parser: what refuses them is the model, naming the field.
    Hostile("64 levels", _nest(MAX_JSON_DEPTH), False, "username", not_problem="nested"),
    # Brackets inside a string are not nesting.
    Hostile("brackets in a string", '{"username": "' + "[" * DEEP + '"}', False, "username", "nested"),
    Hostile("5000 digits", '{"username": ' + "7" * 5000 + "}", False, "more than 100 digits"),
    Hostile("-5000 digits", '{"username": -' + "7" * 5000 + "}", False, "more than 100 digits"),
    Hostile("NaN", '{"username": NaN}', False, "NaN is not JSON"),
    Hostile("Infinity", '{"username": Infinity}', False, "Infinity is not JSON"),
    Hostile("-Infinity", '{"username": -Infinity}', False, "-Infinity is not JSON"),
    Hostile("NaN at the top", "NaN", False, "NaN is not JSON"),
    Hostile(
        "invalid UTF-8 (base64)",
        base64.b64encode(b'{"username": "\xff\xfe"}').decode(),
        True,
        "not UTF-8",
    ),
    # A lone surrogate is what a non-UTF-8 byte becomes in a text body decoded with surrogateescape.
    Hostile("lone surrogate", '{"username": "\udcff"}', False, "not UTF-8"),
    Hostile("marked base64, is not", "{not base64!}", True, "not valid base64"),
    # An unterminated string of escaped quotes: the depth check's scanner once took time
    # quadratic in its length here (seconds for these 80 KB).
    Hostile("unterminated escapes", '"' + '\\"' * 40_000, False, "Unterminated string"),
    # A backslash-newline inside a string, then deep nesting: the scanner must not lose track of
    # where the string is and let the brackets through uncounted.
    Hostile("escape, then deep", '["\\\n' + "[" * DEEP, False, "Malformed JSON body"),
    Hostile("deep after a string", '["]]]", ' + "[" * DEEP, False, f"nested deeper than {MAX_JSON_DEPTH}"),
]


@dataclass(frozen=True)
class Target:
    function: str
    route: str
    methods: frozenset[str]

    @property
    def path(self) -> str:
        return f"/.netlify/functions/{self.function}/{self.route}".rstrip("/")

    @property
    def api_path(self) -> str:
        return f"/api/{self.function}/{self.route}".rstrip("/")


def body_routes() -> list[Target]:
    """Every route of every function that takes a request body, from the Function objects."""
    found = []
    for app in function_apps():
        for route in app.routes:
            methods = route.methods & BODY_METHODS
            if methods:
                segments = [("x" if s.startswith("{") else s) for s in route.segments]
                found.append(Target(app.name, "/".join(segments), frozenset(methods)))
    return found


JSON_ROUTES = [
    t for t in body_routes() if (t.function, t.route) not in FORM_ROUTES | BYTE_ROUTES | SIGNED_ROUTES
]


def test_every_body_route_is_classified() -> None:
    """A new body-taking route must be added to STRING_FIELDS (JSON), FORM_ROUTES, BYTE_ROUTES or
    SIGNED_ROUTES."""
    assert {(t.function, t.route) for t in JSON_ROUTES} == set(STRING_FIELDS)
    assert FORM_ROUTES | BYTE_ROUTES | SIGNED_ROUTES <= {(t.function, t.route) for t in body_routes()}


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table (users, events, rate_attempts and wallet_nonces among them)."""
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in metadata.sorted_tables
        }


def fresh_recursion_limit() -> int:
    out = subprocess.run(
        [sys.executable, "-c", "import sys; print(sys.getrecursionlimit())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout)


@pytest.fixture
def wallet_loaded(svc: Services, engine: Engine) -> str:
    """A user with a linked wallet (a real SIWE verification: eth-account recovers the signer),
    after which the recursion limit must still be what a fresh interpreter has. Returns the
    user's login token."""
    before = sys.getrecursionlimit()
    assert before == fresh_recursion_limit(), "something in the test process raised the limit"
    assert register().status == 202
    token = login().body["token"]
    offer = nonce("link", KEY.address, token)
    linked = call(
        "POST", "wallet/link", {"message": offer["message"], "signature": sign(offer["message"])}, token=token
    )
    assert linked.status == 200, linked
    assert siwe.recover(offer["message"], sign(offer["message"])) == KEY.address
    assert "py_ecc" in sys.modules  # the wallet code really is loaded
    assert sys.getrecursionlimit() == before
    return str(token)


def in_process(target: Target, body: str | None, b64: bool, token: str, version: str) -> dict[str, Any]:
    method = sorted(target.methods)[0]
    event = aws_event(version, method, target.path, body=body, headers={"Authorization": f"Bearer {token}"})
    event["isBase64Encoded"] = b64
    app = next(a for a in function_apps() if a.name == target.function)
    return app.handler(event, None)


def assert_refused(raw_status: int, raw_body: str | bytes, hostile: Hostile, where: str) -> None:
    assert raw_status == 400, f"{where}: {raw_status} {raw_body[:300]!r}"
    body = json.loads(raw_body)
    assert body["success"] is False and body["code"] == "BAD_REQUEST", where
    assert hostile.problem in body["error"], f"{where}: {body['error'][:300]}"
    if hostile.not_problem is not None:
        assert hostile.not_problem not in body["error"], f"{where}: {body['error'][:300]}"


@pytest.mark.slow  # hundreds of bodies against every route
@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_hostile_bodies_in_process(wallet_loaded: str, engine: Engine, version: str) -> None:
    before = row_counts(engine)
    assert before["users"] == 1 and before["events"] >= 1 and before["rate_attempts"] >= 1
    assert before["wallet_nonces"] == 1
    for target in JSON_ROUTES:
        for hostile in HOSTILE:
            started = time.perf_counter()
            reply = in_process(target, hostile.body, hostile.base64, wallet_loaded, version)
            where = f"{target.route} <- {hostile.name} (v{version})"
            assert_refused(reply["statusCode"], reply["body"], hostile, where)
            assert time.perf_counter() - started < 2, f"{where} took too long"
            assert row_counts(engine) == before, where
    assert sys.getrecursionlimit() == fresh_recursion_limit()


def test_a_nul_in_any_string_field_is_refused(wallet_loaded: str, engine: Engine) -> None:
    before = row_counts(engine)
    for target in JSON_ROUTES:
        fields = STRING_FIELDS[(target.function, target.route)]
        for field in fields:
            body = {f: ("a\u0000b" if f == field else "valid-looking") for f in fields}
            reply = in_process(target, json.dumps(body), False, wallet_loaded, "1.0")
            where = f"{target.route}: NUL in {field}"
            # Refused by the NUL rule or, first, by the field's published rule (a pattern, a
            # minimum length, a union member): either way a 400 naming the field.
            hostile = Hostile(where, "", False, field)
            assert_refused(reply["statusCode"], reply["body"], hostile, where)
        # A NUL in a field the route may not even declare is refused too (as an unexpected field).
        reply = in_process(target, '{"username": "a\\u0000b"}', False, wallet_loaded, "1.0")
        assert reply["statusCode"] == 400 and "username" in json.loads(reply["body"])["error"], target
    assert row_counts(engine) == before


def test_the_form_route_never_fails_on_a_hostile_body(wallet_loaded: str, engine: Engine) -> None:
    """The one-click unsubscribe route reads its query, not its body: without a token it is the
    same 400 whatever body comes with it (and a body that is not base64 is refused first)."""
    before = row_counts(engine)
    for function, route in FORM_ROUTES:
        target = Target(function, route, frozenset({"POST"}))
        for hostile in HOSTILE:
            reply = in_process(target, hostile.body, hostile.base64, wallet_loaded, "1.0")
            assert reply["statusCode"] == 400, (hostile.name, reply["body"][:200])
            error = json.loads(reply["body"])["error"]
            assert ("base64" if hostile.name == "marked base64, is not" else "token") in error
    assert row_counts(engine) == before


@pytest.fixture
def http(wallet_loaded: str) -> Iterator[httpx.Client]:
    with (
        running_devserver(ROOT) as base,
        httpx.Client(
            base_url=base, timeout=20, headers={"Authorization": f"Bearer {wallet_loaded}"}
        ) as client,
    ):
        yield client


HTTP_ROUTES = (
    "auth/register",
    "auth/login",
    "auth/wallet/login",
    "auth/wallet/link",
    "auth/resend-verification",
)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_hostile_bodies_over_http(http: httpx.Client, engine: Engine) -> None:
    before = row_counts(engine)
    # Over HTTP a body is bytes: the base64 marking is the dev server's to set, not the client's.
    bodies = [(h, h.body.encode("utf-8", "surrogatepass")) for h in HOSTILE if not h.base64]
    # Raw bytes that are not UTF-8: the dev server passes them on base64-encoded, as API Gateway does.
    bodies.append((Hostile("raw invalid UTF-8", "", False, "not UTF-8"), b'{"username": "\xff"}'))
    bodies.append(
        (Hostile("raw NUL", "", False, "must not contain NUL"), b'{"username": "a\\u0000b", "password": "x"}')
    )
    for route in HTTP_ROUTES:
        for hostile, raw in bodies:
            if hostile.name == "raw NUL" and route != "auth/login":
                continue
            reply = http.post(f"/api/{route}", content=raw, headers={"Content-Type": "application/json"})
            assert_refused(reply.status_code, reply.content, hostile, f"{route} <- {hostile.name} over HTTP")
            assert reply.headers["content-type"].startswith("application/json")
        # The server survived the deep nesting and still serves ordinary requests.
        assert http.get("/api/streams").status_code == 200
    assert (
        http.post(
            "/api/auth/login", json={"username": "ann", "password": "correct horse battery"}
        ).status_code
        == 200
    )
    after = row_counts(engine)
    assert after == before
    assert sys.getrecursionlimit() == fresh_recursion_limit()


# -- why the guard matters ----------------------------------------------------------------------


def _child_limits() -> None:
    """An 8 MiB main-thread stack (Linux's usual default) whatever the runner's ulimit, so the
    outcome does not depend on where the tests run; no core file."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    want = 8 * 1024 * 1024
    resource.setrlimit(
        resource.RLIMIT_STACK, (want if hard == resource.RLIM_INFINITY else min(want, hard), hard)
    )
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_child(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_child_limits,
        cwd=ROOT,
    )


def test_without_the_guard_deep_json_kills_the_process() -> None:
    """What the guard prevents, shown in a child process: eth-account imported plainly (so
    py_ecc raises the recursion limit to 100000), then `json.loads` of 100,000 nested `[`.

    On CPython 3.11 with an 8 MiB stack the child dies of SIGSEGV: the C decoder recurses once
    per level and the limit no longer stops it before the stack runs out. (CPython 3.12+ bounds
    C recursion separately and raises RecursionError instead; either outcome is accepted, and
    the assertion message says which happened.) A RecursionError would be no better in a
    handler: it is a 500, not a 400.
    """
    child = run_child(
        f"""
        import json, sys
        import eth_account  # noqa: F401 - imported plainly, not through sane_import
        print("limit", sys.getrecursionlimit(), flush=True)
        json.loads("[" * {DEEP})
        print("survived", flush=True)
        """
    )
    assert "limit 100000" in child.stdout, child.stdout + child.stderr
    assert "survived" not in child.stdout
    died_of_signal = child.returncode < 0
    recursion_error = child.returncode == 1 and "RecursionError" in child.stderr
    assert died_of_signal or recursion_error, (child.returncode, child.stderr[-500:])
    if died_of_signal:
        assert -child.returncode in (signal.SIGSEGV, signal.SIGBUS), child.returncode


def test_with_the_guard_the_same_body_is_a_400() -> None:
    """The same child, the same raised limit: Request.json refuses before the decoder recurses."""
    child = run_child(
        f"""
        import sys
        import eth_account  # noqa: F401
        from tidecast.errors import InvalidInput
        from tidecast.runtime.request import Request
        assert sys.getrecursionlimit() == 100000
        event = {{"httpMethod": "POST", "path": "/", "body": "[" * {DEEP}}}
        try:
            Request.from_event(event).json()
        except InvalidInput as exc:
            print("refused:", exc.message)
        """
    )
    assert child.returncode == 0, child.stderr[-500:]
    assert f"refused: Malformed JSON body: nested deeper than {MAX_JSON_DEPTH} levels" in child.stdout


def test_the_wallet_code_leaves_a_fresh_interpreter_s_limit_alone() -> None:
    """In an interpreter where tidecast's SIWE code is the first to import eth-account (and so
    py_ecc), the limit afterwards is the one it started with."""
    message = "hello"
    signature = sign(message)
    child = run_child(
        f"""
        import sys
        before = sys.getrecursionlimit()
        from tidecast.lib import siwe
        assert "py_ecc" not in sys.modules
        print("recovered", siwe.recover({message!r}, {signature!r}))
        print("py_ecc loaded", "py_ecc" in sys.modules)
        print("limits", before, sys.getrecursionlimit())
        """
    )
    assert child.returncode == 0, child.stderr[-500:]
    assert f"recovered {KEY.address}" in child.stdout and "py_ecc loaded True" in child.stdout
    before, after = child.stdout.split("limits ")[1].split()
    assert before == after, child.stdout


def test_resend_verification_takes_no_body_or_an_empty_object(wallet_loaded: str) -> None:
    target = Target("auth", "resend-verification", frozenset({"POST"}))
    for body in (None, "{}"):
        assert in_process(target, body, False, wallet_loaded, "1.0")["statusCode"] == 202
    reply = in_process(target, '{"email": "other@example.com"}', False, wallet_loaded, "1.0")
    assert reply["statusCode"] == 400 and "email: unexpected field" in json.loads(reply["body"])["error"]


def test_a_deeply_nested_token_is_a_401(wallet_loaded: str) -> None:
    """A login token's JSON header is the client's too (PyJWT parses it before the signature)."""

    def part(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    for header in (
        b"[" * 2_500,
        b"[" * 100_000,
        b'{"alg": "HS256", "kid": ' + b"9" * 5_000 + b"}",
        b'{"alg": NaN}',
    ):
        token = f"{part(header)}.{part(b'{}')}.{part(b'signature')}"
        reply = call("GET", "me", token=token)
        assert reply.status == 401 and reply.body["code"] == "UNAUTHORIZED", reply
        reply = call("POST", "verify", {"token": token})
        if len(token) <= 4096:
            assert reply.status == 401 and reply.body["code"] == "UNAUTHORIZED", reply
        else:  # longer than any token this server issues: refused before it is read
            assert reply.status == 400 and "token: String should have at most 4096" in reply.body["error"]
