"""An ASGI app served by uvicorn in a thread of its own, on a socket bound beforehand: how the
embedded parts (the chain's JSON-RPC, the IPFS node) run beside the dev server in one process.

One copy of the start and stop both parts had: serve on the given socket with the header
timeout and no access log, return once the server accepts connections, and on any failure
(the server not starting in time, its thread dying, an interrupt while waiting) stop the thread
and close the socket, so a failed start leaves no port taken.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import TYPE_CHECKING, Any

import uvicorn

from tidecast.net.headertimeout import header_timeout_protocol

if TYPE_CHECKING:
    import uvicorn

#: How long a server may take to accept connections after its thread starts.
START_SECONDS = 15.0
#: How long `stop` waits for the thread to finish its connections.
STOP_SECONDS = 10.0


class ThreadedServer:
    def __init__(self, app: Any, *, name: str, header_timeout: float, what: str) -> None:
        self.app = app
        #: The thread's name (what a thread dump shows).
        self.name = name
        self.header_timeout = header_timeout
        #: The server in messages: "the embedded IPFS node".
        self.what = what
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, sock: socket.socket) -> None:
        """Serve on `sock` (already bound); returns once connections are accepted. On failure
        the socket is closed and RuntimeError (or the interrupt) raised."""
        try:
            config = uvicorn.Config(
                self.app,
                log_level="warning",
                lifespan="off",
                access_log=False,
                http=header_timeout_protocol(self.header_timeout),
            )
            self._server = uvicorn.Server(config)
            self._thread = threading.Thread(
                target=self._server.run, kwargs={"sockets": [sock]}, name=self.name, daemon=True
            )
            self._thread.start()
            deadline = time.monotonic() + START_SECONDS
            while not self._server.started:
                if time.monotonic() > deadline or not self._thread.is_alive():
                    raise RuntimeError(f"{self.what} did not start")
                time.sleep(0.01)
        except BaseException:
            self.stop()
            sock.close()
            raise

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=STOP_SECONDS)
        self._server = self._thread = None
