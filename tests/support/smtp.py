"""A real SMTP server for tests (aiosmtpd) that records what it receives and can misbehave.

Faults are switched from the test while mail flows: a reply for MAIL FROM (421: "try later"),
per-recipient rejections (550), a slow DATA, being stopped and started again on the same port,
and a callback after each accepted message (the worker-kill test uses it).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.parts import free_port

logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass
class Received:
    envelope_from: str
    envelope_to: list[str]
    raw: bytes
    tls: bool
    login: str | None

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Faults:
    mail_reply: str | None = None  # e.g. "421 4.3.2 try again later"
    rejected: dict[str, str] = field(default_factory=dict)  # address -> "550 5.1.1 no such user"
    data_delay: float = 0.0


class RecordingHandler:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.faults = Faults()
        self.sessions = 0
        self.after_data: Callable[[int], None] | None = None
        self.lock = threading.Lock()

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ):
        with self.lock:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]):
        if self.faults.mail_reply:
            return self.faults.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]):
        if address in self.faults.rejected:
            return self.faults.rejected[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.faults.data_delay:
            time.sleep(self.faults.data_delay)  # blocks the server loop on purpose: a slow relay
        login = str(session.auth_data) if session.authenticated else None
        with self.lock:
            self.received.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    envelope.original_content,
                    _encrypted(server, session),
                    login,
                )
            )
            count = len(self.received)
        if self.after_data is not None:
            self.after_data(count)
        return "250 2.0.0 accepted"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [r.message_id for r in self.received]


def _encrypted(server: Any, session: Any) -> bool:
    # STARTTLS shows in session.ssl; implicit TLS only on the transport.
    return session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None


class SmtpServer:
    """aiosmtpd on a free 127.0.0.1 port; `tls` = "starttls" | "implicit" | None; `users` for AUTH."""

    def __init__(
        self,
        *,
        tls: str | None = None,
        users: dict[str, str] | None = None,
        certs_dir: Path | None = None,
    ) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        self.tls = tls
        self.users = users
        self.ca_file: Path | None = None
        self._server_ctx: ssl.SSLContext | None = None
        if tls:
            ca = trustme.CA()
            cert = ca.issue_cert("127.0.0.1", "localhost")
            self._server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            cert.configure_cert(self._server_ctx)
            assert certs_dir is not None, "TLS needs a directory for the CA file"
            self.ca_file = certs_dir / "test-ca.pem"
            ca.cert_pem.write_to_path(str(self.ca_file))
        self._controller: Controller | None = None

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and self.users is not None:
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if self.users.get(login) == password:
                return AuthResult(success=True, auth_data=login)
        return AuthResult(success=False, handled=False)

    def start(self) -> SmtpServer:
        kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": self.port}
        if self.users is not None:
            # aiosmtpd only counts STARTTLS as TLS for auth_require_tls; under implicit TLS the whole
            # session is encrypted anyway.
            kwargs.update(
                authenticator=self._authenticate, auth_required=True, auth_require_tls=self.tls == "starttls"
            )
        if self.tls == "starttls":
            kwargs.update(tls_context=self._server_ctx, require_starttls=True)
        elif self.tls == "implicit":
            kwargs.update(ssl_context=self._server_ctx)
        # A fresh event loop each start: stop() closes the previous one.
        self._controller = Controller(self.handler, loop=asyncio.new_event_loop(), **kwargs)
        self._controller.start()
        return self

    def stop_soon(self) -> None:
        """Stop from inside a handler (the server's own thread cannot join itself)."""
        threading.Thread(target=self.stop).start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def env(self) -> dict[str, str]:
        """The settings that point tidecast at this server."""
        out = {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.port),
            "SMTP_SECURE": str(self.tls == "implicit").lower(),
        }
        if self.ca_file is not None:
            out["SMTP_CA_FILE"] = str(self.ca_file)
        return out
