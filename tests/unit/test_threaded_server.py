"""uvicorn in a thread (tidecast/net/threaded.py), as the embedded chain and IPFS node run it:
serves once `start` returns, frees its port on `stop`, and a start that fails frees it too."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from tidecast.net.sockets import bind_socket, port_in_use
from tidecast.net.threaded import ThreadedServer


async def hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


def test_serves_until_stopped_and_frees_the_port() -> None:
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = ThreadedServer(hello, name="test-threaded", header_timeout=5, what="the test server")
    server.start(sock)
    try:
        assert server.running
        reply = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert reply.status_code == 200 and reply.text == "hello"
    finally:
        server.stop()
    assert not server.running
    assert not port_in_use(port)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_start_that_fails_closes_the_socket_and_leaves_no_thread() -> None:
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    broken = socket.socket()  # never bound or listening: uvicorn's thread dies on it
    broken.close()
    server = ThreadedServer(hello, name="test-threaded", header_timeout=5, what="the test server")
    with pytest.raises((RuntimeError, OSError)):
        server.start(broken)
    assert not server.running
    assert broken.fileno() == -1
    sock.close()
    assert not port_in_use(port)
