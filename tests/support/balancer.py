"""A round-robin TCP load balancer in front of the function processes, as API Gateway (or an
ALB) is in front of Lambda's instances: one address, each new connection to the next backend
that accepts it, a backend that refuses skipped.

When a backend dies with a request in flight (its bytes sent, no answer begun), the client gets
`503 Service Unavailable` with the platform's error body (code UNAVAILABLE) and `Retry-After`,
as a gateway answers for an instance that crashed, and the balancer counts it in `failed_over`.
An idle keep-alive connection to a dead backend is just closed (the client reconnects). It does
not parse HTTP: a request is in flight when the client sent bytes after the backend last
answered, which holds for HTTP/1.1 without pipelining, what every client here speaks.

Threads and blocking sockets, like tests/support/proxy.py: tens of connections, on loopback.
Not a library's because none of the well-kept proxies installs from PyPI as a binary that starts
in a test and whose backends can be swapped at run time.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
from contextlib import suppress

from tests.support.parts import free_port

UNAVAILABLE = json.dumps(
    {
        "success": False,
        "error": "The function instance serving this request stopped; try again",
        "code": "UNAVAILABLE",
    }
).encode()
RESPONSE_503 = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    b"Connection: close\r\nContent-Length: " + str(len(UNAVAILABLE)).encode() + b"\r\n\r\n" + UNAVAILABLE
)


class _Pair:
    """One client connection and its backend; `pending` while a request waits for its answer."""

    def __init__(self, client: socket.socket, backend: socket.socket) -> None:
        self.client = client
        self.backend = backend
        self.pending = False
        self.lock = threading.Lock()


class Balancer:
    def __init__(self, backends: list[int], port: int | None = None) -> None:
        self.backends = list(backends)  # ports on 127.0.0.1
        self.port = port or free_port()
        self.failed_over = 0
        self.connections = 0
        self._next = itertools.count()
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> Balancer:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(256)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def down(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()

    def _connect(self) -> socket.socket | None:
        for _ in range(len(self.backends)):
            port = self.backends[next(self._next) % len(self.backends)]
            try:
                return socket.create_connection(("127.0.0.1", port), timeout=2)
            except OSError:
                continue
        return None

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        backend = self._connect()
        if backend is None:  # every backend refused: what a gateway says with none healthy
            with suppress(OSError):
                client.recv(65536)
                client.sendall(RESPONSE_503)
            with self._lock:
                self.failed_over += 1
            client.close()
            return
        backend.settimeout(None)
        with self._lock:
            self.connections += 1
        pair = _Pair(client, backend)
        threading.Thread(target=self._upstream, args=(pair,), daemon=True).start()
        self._downstream(pair)

    def _upstream(self, pair: _Pair) -> None:
        """Client to backend."""
        try:
            while data := pair.client.recv(65536):
                with pair.lock:
                    pair.pending = True
                pair.backend.sendall(data)
        except OSError:
            pass
        with suppress(OSError):
            pair.backend.shutdown(socket.SHUT_WR)

    def _downstream(self, pair: _Pair) -> None:
        """Backend to client; a backend gone with a request pending is answered 503."""
        try:
            while data := pair.backend.recv(65536):
                with pair.lock:
                    pair.pending = False
                pair.client.sendall(data)
        except OSError:
            pass
        with pair.lock:
            orphaned = pair.pending
        if orphaned:
            with suppress(OSError):
                pair.client.sendall(RESPONSE_503)
            with self._lock:
                self.failed_over += 1
        for sock in (pair.client, pair.backend):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
