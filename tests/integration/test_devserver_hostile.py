"""The dev server against clients that lie or misbehave: a foreign Host asking for the dev pages
(DNS rebinding), bodies that trickle or stop, and X-Forwarded-For from a client that is not a
trusted proxy. All over real sockets to the real server (uvicorn + tidecast's ASGI app)."""

from __future__ import annotations

import logging
import mailbox
import socket
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import Engine, select

from tests.support.devserver import running_devserver
from tidecast.container import Services
from tidecast.db.schema import rate_attempts
from tidecast.mail.embedded import MailCapture

ROOT = Path(__file__).resolve().parents[2]
BODY_TIMEOUT = 1.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """The project's dev server with the dev mailbox's pages, a 1 s body timeout; (host, port)."""
    maildir = tmp_path / "mailbox"
    mailbox.Maildir(maildir, create=True)
    routes = MailCapture(maildir).routes()
    with running_devserver(ROOT, body_timeout=BODY_TIMEOUT, dev_routes=routes) as base:
        url = urlsplit(base)
        assert url.hostname is not None and url.port is not None
        yield url.hostname, url.port


def raw_request(addr: tuple[str, int], request: bytes, timeout: float = 10) -> bytes:
    """Send `request` as-is (no client normalises its path or Host) and read the reply."""
    with socket.create_connection(addr, timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def get(addr: tuple[str, int], path: str, host: str) -> bytes:
    return raw_request(addr, f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())


# -- the dev pages answer only to a local Host -----------------------------------------------------


def test_dev_pages_answer_local_hosts_only(server: tuple[str, int]) -> None:
    port = server[1]
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "localhost", f"LocalHost:{port}"):
        reply = get(server, "/_dev/mail.json", host)
        assert status_of(reply) == 200 and b'"success":true' in reply, (host, reply[:200])
    for host in (
        "evil.example",
        f"evil.example:{port}",
        "localhost.evil.example",
        f"localhost.evil.example:{port}",
        "127.0.0.1.nip.io",
        f"127.0.0.1.nip.io:{port}",
        "",
    ):
        for path in (
            "/_dev/mail.json",
            "/_dev/mail",
            "/_dev",
            "/%5Fdev/mail.json",
            "/_dev/../_dev/mail.json",
        ):
            reply = get(server, path, host)
            assert status_of(reply) == 403, (host, path, reply[:200])
        # Spellings of the path that escape the guard's prefix must not reach the pages either.
        for path in ("//_dev/mail.json", "/./_dev/mail.json", "/_DEV/mail.json"):
            reply = get(server, path, host)
            assert status_of(reply) in (403, 404) and b'"success":true' not in reply, (
                host,
                path,
                reply[:200],
            )


# -- bodies that trickle or stop -------------------------------------------------------------------

HEADERS = (
    b"POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100\r\n\r\n"
)


def trickle(addr: tuple[str, int], *, interval: float, seconds: float) -> tuple[bytes, float]:
    """Headers promising 100 bytes, then one byte every `interval`: the reply and when it came.

    Bytes keep arriving more often than the timeout, so only a deadline on the whole body
    (not one on silence between reads) stops this client."""
    started = time.monotonic()
    reply = b""
    with socket.create_connection(addr, timeout=10) as sock:
        sock.sendall(HEADERS)
        sock.settimeout(interval)
        while time.monotonic() - started < seconds:
            try:
                sock.sendall(b" ")
            except OSError:  # the server closed its side after answering
                pass
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                break
            reply += chunk
            if b"\r\n\r\n" in reply and reply.endswith(b"}"):
                break
    return reply, time.monotonic() - started


def test_a_trickling_body_gets_408_and_the_server_keeps_serving(server: tuple[str, int]) -> None:
    # Twenty clients trickling at once: none of them holds up anyone else.
    socks = []
    for _ in range(20):
        sock = socket.create_connection(server, timeout=10)
        sock.sendall(HEADERS + b"{")
        socks.append(sock)
    try:
        started = time.monotonic()
        reply = get(server, "/_dev/mail.json", "localhost")
        assert status_of(reply) == 200 and time.monotonic() - started < 1, reply[:200]

        reply, took = trickle(server, interval=0.25, seconds=BODY_TIMEOUT + 5)
        assert status_of(reply) == 408, reply[:300]
        assert b'"code":"REQUEST_TIMEOUT"' in reply and b"did not arrive within 1s" in reply
        assert took < BODY_TIMEOUT + 2.5, took
        # The twenty got theirs too.
        for sock in socks:
            sock.settimeout(BODY_TIMEOUT + 3)
            assert status_of(sock.recv(65536)) == 408
    finally:
        for sock in socks:
            sock.close()
    assert status_of(get(server, "/_dev/mail.json", "localhost")) == 200
    assert status_of(get(server, "/", "localhost")) == 200


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of the dev server and of uvicorn (whose loggers do not propagate to the root)."""
    caplog.set_level(logging.DEBUG)
    uvicorn_loggers = [logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "uvicorn.access")]
    for logger in uvicorn_loggers:
        logger.addHandler(caplog.handler)
    yield caplog
    for logger in uvicorn_loggers:
        logger.removeHandler(caplog.handler)


@pytest.mark.parametrize("how", ["close", "reset"])
def test_a_client_gone_mid_body_is_one_log_line_without_a_traceback(
    server: tuple[str, int], logs: pytest.LogCaptureFixture, how: str
) -> None:
    with socket.create_connection(server, timeout=10) as sock:
        sock.sendall(HEADERS + b'{"username": ')
        time.sleep(0.2)  # the server is now waiting for the rest of the body
        if how == "reset":  # an abrupt RST rather than a FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    deadline = time.monotonic() + 5
    while not any("went away" in r.getMessage() for r in logs.records):
        assert time.monotonic() < deadline, [r.getMessage() for r in logs.records]
        time.sleep(0.05)
    time.sleep(0.3)  # anything logged after the disconnect (a failed send) has arrived
    gone = [r for r in logs.records if "went away" in r.getMessage()]
    assert len(gone) == 1 and gone[0].name == "tidecast.devserver" and gone[0].levelno == logging.INFO
    assert "POST /api/auth/login" in gone[0].getMessage()
    assert not [r for r in logs.records if r.exc_info or r.levelno >= logging.WARNING], logs.text
    assert "Traceback" not in logs.text
    assert status_of(get(server, "/_dev/mail.json", "localhost")) == 200


# -- X-Forwarded-For is believed only from a trusted proxy ------------------------------------------


@pytest.fixture
def limited(engine: Engine, make_services: Callable[..., Services]) -> Services:
    return make_services(
        engine, quiet=("events",), bind=True, TIDECAST_BCRYPT_ROUNDS=4, TIDECAST_LOGIN_MAX_FAILURES=2
    )


def failed_login(client: httpx.Client, name: str, forwarded: str) -> int:
    reply = client.post(
        "/api/auth/login",
        json={"username": name, "password": "wrong"},
        headers={"X-Forwarded-For": forwarded},
    )
    return reply.status_code


def ip_keys(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(select(rate_attempts.c.key).where(rate_attempts.c.scope == "login-ip")).scalars()
        return set(rows)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_trusted_proxy_s_forwarded_address_is_the_source(limited: Services, engine: Engine) -> None:
    with (
        running_devserver(ROOT, trusted_proxies=["127.0.0.1"]) as base,
        httpx.Client(base_url=base, timeout=20) as client,
    ):
        assert failed_login(client, "nobody1", "203.0.113.10") == 401
        assert failed_login(client, "nobody2", "203.0.113.10") == 401
        assert failed_login(client, "nobody3", "203.0.113.10") == 429  # that address's limit
        assert failed_login(client, "nobody4", "203.0.113.11") == 401  # another address: its own
        assert failed_login(client, "nobody5", "198.51.100.7, 203.0.113.11") == 401  # the proxy's view
    assert ip_keys(engine) == {"203.0.113.10", "203.0.113.11"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_without_trusted_proxies_forwarded_for_is_ignored(limited: Services, engine: Engine) -> None:
    with running_devserver(ROOT) as base, httpx.Client(base_url=base, timeout=20) as client:
        assert failed_login(client, "nobody1", "203.0.113.10") == 401
        assert failed_login(client, "nobody2", "203.0.113.11") == 401
        assert failed_login(client, "nobody3", "203.0.113.12") == 429  # all three were 127.0.0.1
    assert ip_keys(engine) == {"127.0.0.1"}
