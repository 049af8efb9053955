"""Slow headers (slowloris): a connection that never finishes its request headers is closed by
the server within TIDECAST_HEADER_TIMEOUT_SECONDS, on the dev server and on the embedded IPFS
node's port, while a normal request is served meanwhile. uvicorn's keep-alive timer runs only
between requests, so without this a few hundred such connections are held for ever."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.devserver import running_devserver
from tests.support.ipfs_node import running_node
from tidecast.config import Settings

ROOT = Path(__file__).resolve().parents[2]
HEADER_TIMEOUT = 1.5
MARGIN = 1.5
SLOW = 20  # connections, bounded


def address(base: str) -> tuple[str, int]:
    url = urlsplit(base)
    assert url.hostname is not None and url.port is not None
    return url.hostname, url.port


def closed_by_server(sock: socket.socket, deadline: float) -> float | None:
    """Dribble a header byte every 0.25 s (each one resets any idle timer) until the server
    closes the connection; the time that took, or None if it was still open at `deadline`."""
    started = time.monotonic()
    sock.settimeout(0.25)
    while time.monotonic() < deadline:
        try:
            if sock.recv(1024) == b"":
                return time.monotonic() - started
        except TimeoutError:
            pass
        except ConnectionResetError:
            return time.monotonic() - started
        try:
            sock.sendall(b"X")
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - started
    return None


def slow_headers_are_cut(base: str, normal: str, rpc: dict[str, object] | None = None) -> None:
    """`normal` is asked for meanwhile: GET, or POST for the node's RPC (`rpc`: a JSON body)."""
    addr = address(base)
    socks = []
    try:
        for _ in range(SLOW):
            sock = socket.create_connection(addr, timeout=5)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            socks.append(sock)
        opened = time.monotonic()
        # a normal request is answered while the slow ones are held
        with httpx.Client(timeout=5) as client:
            reply = ask(client, normal, rpc)
        assert reply.status_code == 200
        assert time.monotonic() - opened < HEADER_TIMEOUT
        deadline = opened + HEADER_TIMEOUT + MARGIN
        # the dribbling of one socket at a time is interleaved with the others' deadlines: all
        # of them started together, so one pass over them in order is enough
        for sock in socks:
            took = closed_by_server(sock, deadline)
            assert took is not None, "a connection with unfinished headers was still open"
        assert time.monotonic() - opened <= HEADER_TIMEOUT + MARGIN
    finally:
        for sock in socks:
            sock.close()
    # the server is well afterwards, and a keep-alive client's second request still works
    with httpx.Client(timeout=5) as client:
        for _ in range(2):
            assert ask(client, normal, rpc).status_code == 200


def ask(client: httpx.Client, url: str, rpc: dict[str, object] | None) -> httpx.Response:
    if rpc is not None:
        return client.post(url, json=rpc)
    return client.post(url) if url.endswith("/api/v0/version") else client.get(url)


def test_the_dev_server_closes_slow_headers(tmp_path: Path) -> None:
    with running_devserver(ROOT, header_timeout=HEADER_TIMEOUT) as base:
        slow_headers_are_cut(base, base + "/")


def test_a_request_whose_headers_arrive_in_time_is_served(tmp_path: Path) -> None:
    """Headers sent in pieces but complete within the limit: served, and the timer does not
    cut the response that follows (the body and the function may take longer)."""
    with running_devserver(ROOT, header_timeout=HEADER_TIMEOUT) as base:
        with socket.create_connection(address(base), timeout=10) as sock:
            for piece in (b"GET / HTTP/1.1\r\n", b"Host: localhost\r\n", b"Connection: close\r\n\r\n"):
                sock.sendall(piece)
                time.sleep(0.3)
            time.sleep(HEADER_TIMEOUT + 0.5)  # past the header limit: the request is under way
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 200 ")


@pytest.fixture
def node(tmp_path: Path) -> Iterator[str]:
    with running_node(tmp_path / "ipfs", header_timeout=HEADER_TIMEOUT) as started:
        yield started.url


def test_the_ipfs_nodes_port_closes_slow_headers(node: str) -> None:
    slow_headers_are_cut(node, node + "/api/v0/version")


def test_the_setting() -> None:
    assert Settings.model_validate({}).tidecast_header_timeout_seconds == 10.0
    chosen = Settings.model_validate({"tidecast_header_timeout_seconds": "2.5"})
    assert chosen.tidecast_header_timeout_seconds == 2.5
    with pytest.raises(ValueError, match="tidecast_header_timeout_seconds"):
        Settings.model_validate({"tidecast_header_timeout_seconds": "0"})


def test_the_embedded_chains_port_closes_slow_headers() -> None:
    from tests.support.parts import free_port
    from tidecast.chain.embedded import RpcServer

    server = RpcServer("127.0.0.1", free_port(), accounts=1, block_seconds=0, header_timeout=HEADER_TIMEOUT)
    server.start()
    try:
        slow_headers_are_cut(server.url, server.url, {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})
    finally:
        server.stop()
