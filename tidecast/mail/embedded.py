"""The development mailbox (an embedded part): a local SMTP server (aiosmtpd) capturing every
mail, and its pages.

`tidecast dev` runs it on SMTP_HOST:SMTP_PORT (127.0.0.1:2525 by default), so mail goes through
the same outbox, dispatcher and SMTP client as in production and lands here instead of in
anyone's inbox. It is not started when SMTP_HOST names another host or SMTP_USER is set: the
settings then point at a real relay. Mail is kept in a Maildir under the data directory
(survives restarts, readable by any mail client; private to its owner, since it holds reset
links) and shown at `/_dev/mail`: a list, each message's HTML, text and headers, and
`/_dev/mail.json` for scripts and tests.
"""

from __future__ import annotations

import html
import mailbox
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tidecast.config import Settings
from tidecast.files import private_dir
from tidecast.net.sockets import is_loopback

ENVELOPE_HEADER = "X-Tidecast-Envelope-To"


class CaptureHandler:
    """aiosmtpd handler: accepts every mail into a Maildir, with its envelope recipients."""

    def __init__(self, maildir: Path) -> None:
        self.box = mailbox.Maildir(maildir, create=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        rcpts = ", ".join(envelope.rcpt_tos)
        self.box.add(f"{ENVELOPE_HEADER}: {rcpts}\r\n".encode() + envelope.original_content)
        return "250 Message accepted for delivery"


class MailCapture:
    """The embedded part: an SMTP server on SMTP_PORT that keeps every mail in the mailbox."""

    name = "dev mail server"
    setting = "SMTP_PORT"

    def __init__(self, maildir: Path, *, host: str = "127.0.0.1", port: int = 2525) -> None:
        self.maildir = maildir
        self.host = host
        self.port = port
        self._controller: Any = None

    @classmethod
    def plan(cls, settings: Settings) -> MailCapture | None:
        if not is_loopback(settings.smtp_host) or settings.smtp_user:
            return None  # a real relay is configured
        return cls(settings.tidecast_data_dir / "mailbox", host=settings.smtp_host, port=settings.smtp_port)

    @property
    def endpoint(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> None:
        private_dir(self.maildir.parent)
        mailbox.Maildir(self.maildir, create=True)  # made 0700, with its cur/new/tmp
        controller = Controller(CaptureHandler(self.maildir), hostname=self.host, port=self.port)
        try:
            controller.start()
        except RuntimeError as exc:  # aiosmtpd wraps the bind error of its server thread
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, OSError):
                raise cause from exc
            raise
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def configure(self, settings: Settings) -> Settings:
        return settings  # SMTP_HOST and SMTP_PORT already point here

    def routes(self) -> list[BaseRoute]:
        return mail_routes(self.maildir)

    def public_routes(self) -> list[BaseRoute]:
        return []

    def banner(self, base_url: str) -> str:
        return f"mail      {self.endpoint} → {base_url}/_dev/mail"


def read_messages(maildir: Path) -> list[tuple[str, EmailMessage]]:
    """(key, message) newest first."""
    box = mailbox.Maildir(maildir, create=True)
    found = []
    for key in box.keys():
        delivered = box.get_message(key).get_date()  # when the capture server stored it
        found.append((delivered, key, message_from_bytes(box.get_bytes(key), policy=policy.default)))
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [(key, msg) for _delivered, key, msg in found]  # type: ignore[misc]


def summary(key: str, msg: EmailMessage) -> dict[str, Any]:
    html_part = msg.get_body(preferencelist=("html",))
    text_part = msg.get_body(preferencelist=("plain",))
    return {
        "id": key,
        "envelopeTo": [a.strip() for a in str(msg.get(ENVELOPE_HEADER, "")).split(",") if a.strip()],
        "from": str(msg["From"]),
        "to": str(msg["To"]),
        "subject": str(msg["Subject"]),
        "date": str(msg["Date"]),
        "messageId": str(msg["Message-ID"]),
        "headers": [[k, str(v)] for k, v in msg.items() if k != ENVELOPE_HEADER],
        "html": html_part.get_content() if html_part is not None else None,
        "text": text_part.get_content() if text_part is not None else None,
    }


def mail_routes(maildir: Path) -> list[BaseRoute]:
    def find(key: str) -> EmailMessage | None:
        return next((m for k, m in read_messages(maildir) if k == key), None)

    async def index(request: Request) -> Response:
        rows = "".join(
            f"<tr><td>{html.escape(str(m['Date']))}</td><td>{html.escape(str(m['To']))}</td>"
            f'<td><a href="/_dev/mail/{html.escape(k)}">{html.escape(str(m["Subject"]))}</a></td></tr>'
            for k, m in read_messages(maildir)
        )
        body = rows or '<tr><td colspan="3">No mail yet.</td></tr>'
        return HTMLResponse(
            _page(
                "Dev mailbox",
                "<p>Every mail tidecast sends in development lands here. "
                '<a href="/_dev/mail.json">JSON</a></p>'
                f"<table><tr><th>Date</th><th>To</th><th>Subject</th></tr>{body}</table>",
            )
        )

    async def as_json(request: Request) -> Response:
        return JSONResponse({"success": True, "data": [summary(k, m) for k, m in read_messages(maildir)]})

    async def show(request: Request) -> Response:
        key = request.path_params["key"]
        msg = find(key)
        if msg is None:
            return HTMLResponse(_page("Not found", "<p>No such message.</p>"), status_code=404)
        info = summary(key, msg)
        headers = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in info["headers"]
        )
        return HTMLResponse(
            _page(
                info["subject"],
                '<p><a href="/_dev/mail">All mail</a></p>'
                f'<h2>HTML</h2><iframe sandbox src="/_dev/mail/{html.escape(key)}/html"></iframe>'
                f"<h2>Text</h2><pre>{html.escape(info['text'] or '(none)')}</pre>"
                f"<h2>Headers</h2><table>{headers}</table>",
            )
        )

    async def raw_html(request: Request) -> Response:
        msg = find(request.path_params["key"])
        part = msg.get_body(preferencelist=("html",)) if msg is not None else None
        if part is None:
            return Response("no HTML part", status_code=404, media_type="text/plain")
        # The mail's HTML is shown sandboxed: no scripts, no same-origin access to the dev server.
        return HTMLResponse(part.get_content(), headers={"Content-Security-Policy": "sandbox"})

    return [
        Route("/_dev/mail", index),
        Route("/_dev/mail.json", as_json),
        Route("/_dev/mail/{key}", show),
        Route("/_dev/mail/{key}/html", raw_html),
    ]


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 8px;text-align:left;"
        "vertical-align:top}iframe{width:100%;height:480px;border:1px solid #ccc}"
        "pre{white-space:pre-wrap;background:#f6f6f6;padding:1em}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
