"""The AWS Lambda Runtime API, served by the tests: what a function's runtime client talks to.

Lambda's service hands a sandbox its events through four routes (API version 2018-06-01):
`GET /runtime/invocation/next` (long-polled; the event, with the request id, deadline, function
ARN and trace id as headers), `POST /runtime/invocation/{id}/response`, `POST
/runtime/invocation/{id}/error` and `POST /runtime/init/error`. This server queues events,
answers `next` with them and keeps what the runtime client posts back, so a test can run a
package under AWS's own client (`awslambdaric`) exactly as Lambda drives it.

SnapStart adds two: `GET /runtime/restore/next`, which a client initialised for a snapshot
(AWS_LAMBDA_INITIALIZATION_TYPE=snap-start) calls once its before-snapshot hooks have run, and
which answers when the sandbox is restored (here: when the test calls `restore()`), and `POST
/runtime/restore/error` for an after-restore hook that failed. `snapshot` is set while the
client waits to be restored: the moment Lambda would take the snapshot.

Hand-written on http.server: AWS's Runtime Interface Emulator is a Go binary (no wheel), and
these routes are all a runtime client uses.
"""

from __future__ import annotations

import json
import select
import socket
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:tidecast-test"


@dataclass
class Outcome:
    """What the runtime client posted for one invocation (`kind` is "response" or "error")."""

    request_id: str
    kind: str
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Invocation:
    request_id: str
    event: bytes
    deadline_ms: int
    done: threading.Event = field(default_factory=threading.Event)
    outcome: Outcome | None = None


def _closed(conn: socket.socket) -> bool:
    """Whether the peer has gone: a readable socket with nothing to read (or an error)."""
    try:
        readable, _, _ = select.select([conn], [], [], 0)
        return bool(readable) and conn.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A runtime client killed mid-poll resets its connection: expected, not worth a trace."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class RuntimeApi:
    """The server; `invoke` queues an event and waits for the client's answer."""

    def __init__(self, timeout_ms: int = 30_000) -> None:
        self.timeout_ms = timeout_ms
        self.init_errors: list[Outcome] = []
        self.restore_errors: list[Outcome] = []
        #: Set once a client initialised for SnapStart asks to be restored (its snapshot point).
        self.snapshot = threading.Event()
        self._restored = threading.Event()
        self._pending: deque[_Invocation] = deque()
        self._ready = threading.Condition()
        self._by_id: dict[str, _Invocation] = {}
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        """AWS_LAMBDA_RUNTIME_API's value: host:port, no scheme."""
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def __enter__(self) -> RuntimeApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def restore(self) -> None:
        """Answer the waiting `restore/next`: the sandbox resumes from its snapshot."""
        self._restored.set()

    def _wait_restore(self, conn: socket.socket) -> bool:
        while not self._restored.wait(0.05):
            if _closed(conn):
                return False
        return True

    def submit(self, event: Any) -> str:
        request_id = str(uuid.uuid4())
        invocation = _Invocation(
            request_id, json.dumps(event).encode(), int(time.time() * 1000) + self.timeout_ms
        )
        self._by_id[request_id] = invocation
        with self._ready:
            self._pending.append(invocation)
            self._ready.notify()
        return request_id

    def _next(self, conn: socket.socket) -> _Invocation | None:
        """The next queued event for the client on `conn`, or None once that client is gone (a
        runtime process killed mid-poll must not take the next process's event with it)."""
        while True:
            with self._ready:
                if not self._pending:
                    self._ready.wait(0.05)
                if _closed(conn):
                    return None
                if self._pending:
                    return self._pending.popleft()

    def wait(self, request_id: str, timeout: float = 30.0) -> Outcome:
        invocation = self._by_id[request_id]
        if not invocation.done.wait(timeout):
            raise TimeoutError(f"no answer to invocation {request_id} within {timeout} s")
        assert invocation.outcome is not None
        return invocation.outcome

    def invoke(self, event: Any, timeout: float = 30.0) -> Outcome:
        return self.wait(self.submit(event), timeout)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                if self.path == f"{PREFIX}/restore/next":
                    api.snapshot.set()
                    if api._wait_restore(self.connection):
                        self._reply(200, {})
                    else:
                        self.close_connection = True
                    return
                if self.path != f"{PREFIX}/invocation/next":
                    self._reply(404, {"errorMessage": f"no route {self.path}"})
                    return
                invocation = api._next(self.connection)  # a long poll, as Lambda's is
                if invocation is None:
                    self.close_connection = True
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(invocation.event)))
                self.send_header("Lambda-Runtime-Aws-Request-Id", invocation.request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(invocation.deadline_ms))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", FUNCTION_ARN)
                self.send_header(
                    "Lambda-Runtime-Trace-Id",
                    f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0",
                )
                self.end_headers()
                self.wfile.write(invocation.event)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if self.path == f"{PREFIX}/init/error":
                    api.init_errors.append(Outcome("", "init-error", body, headers))
                    self._reply(202, {"status": "OK"})
                    return
                if self.path == f"{PREFIX}/restore/error":
                    api.restore_errors.append(Outcome("", "restore-error", body, headers))
                    self._reply(202, {"status": "OK"})
                    return
                parts = self.path.removeprefix(f"{PREFIX}/invocation/").split("/")
                if not self.path.startswith(f"{PREFIX}/invocation/") or len(parts) != 2:
                    self._reply(404, {"errorMessage": f"no route {self.path}"})
                    return
                request_id, kind = parts
                invocation = api._by_id.get(request_id)
                if invocation is None or kind not in ("response", "error"):
                    self._reply(400, {"errorMessage": f"unknown invocation or route: {self.path}"})
                    return
                if invocation.done.is_set():
                    self._reply(400, {"errorMessage": "invocation already answered"})
                    return
                invocation.outcome = Outcome(request_id, kind, body, headers)
                invocation.done.set()
                self._reply(202, {"status": "OK"})

            def _reply(self, status: int, payload: dict[str, str]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
