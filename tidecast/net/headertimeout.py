"""A limit on how long a client may take to send its request headers (nginx's
client_header_timeout), for the uvicorn servers `tidecast dev` runs.

uvicorn (0.54, h11) starts its keep-alive timer only after a response, and any byte received
cancels it: a connection that opens and sends its headers a byte at a time, or never finishes
them, is held for ever (slowloris; 150 such connections were held 40 s and more). This protocol
starts a timer when a connection opens and again when a kept-alive connection's response is
complete, stops it once h11 has read a whole request head, and closes the connection when it
fires first. The body has its own limit (TIDECAST_BODY_TIMEOUT_SECONDS in the dev server), and
a function its own run time.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("tidecast.devserver")


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol with a request-head deadline (`header_timeout` seconds)."""

    header_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # a whole request head is in: the body and the app have their own limits

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm()  # kept alive: the next request's head has the same deadline

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(self.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _expired(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        log.debug(
            "%s sent no complete request head within %gs; connection closed", client, self.header_timeout
        )
        self.transport.close()


def header_timeout_protocol(seconds: float) -> type[HeaderTimeoutProtocol]:
    """The protocol class for uvicorn.Config(http=...) with this deadline (uvicorn builds one
    protocol object per connection from the class, with its own arguments)."""
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout": float(seconds)})
