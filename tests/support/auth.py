"""Calling /api/auth/* in-process as API Gateway would, and the helpers the account tests share."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from sqlalchemy import Engine, func, select

from tests.support.events import aws_event
from tests.support.services import build_services
from tests.support.smtp import SmtpServer
from tidecast.container import Services
from tidecast.functions.auth import handler
from tidecast.imports import sane_import

# Through sane_import, as tidecast's own code does: eth-account imports py_ecc, which raises the
# recursion limit to 100000, and the tests must run with the limit production has.
Account = sane_import("eth_account").Account
encode_defunct = sane_import("eth_account.messages").encode_defunct

PASSWORD = "correct horse battery"
KEY = Account.from_key("0x" + "11" * 32)
OTHER_KEY = Account.from_key("0x" + "22" * 32)


class Reply:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.status: int = raw["statusCode"]
        self.headers: dict[str, str] = raw["headers"]
        self.body: dict[str, Any] = json.loads(raw["body"]) if raw["body"] else {}

    @property
    def data(self) -> Any:
        return self.body["data"]

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.body})"


def call(
    method: str,
    route: str,
    body: Any = None,
    *,
    token: str | None = None,
    raw: str | None = None,
    ip: str = "203.0.113.5",
    headers: dict[str, str] | None = None,
) -> Reply:
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
    event = aws_event("1.0", method, f"/.netlify/functions/auth/{route}", body=payload, headers=sent)
    event["requestContext"]["identity"]["sourceIp"] = ip
    return Reply(handler(event, None))


def count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def deliver(svc: Services, smtp: SmtpServer, mails: int, timeout: float = 20) -> list[Any]:
    """Run the event and mail drains until `mails` messages have reached the SMTP server."""
    deadline = time.monotonic() + timeout
    while len(smtp.handler.received) < mails:
        assert time.monotonic() < deadline, f"{len(smtp.handler.received)} of {mails} mails arrived"
        svc.events.deliver_due()
        svc.outbox.dispatch_due()
        time.sleep(0.02)
    svc.events.deliver_due()
    return smtp.handler.received


def link_token(mail: Any, path: str) -> str:
    text = mail.message.get_body(("plain",)).get_content()
    found = re.search(rf"/{path}\?token=([\w-]+)", text)
    assert found is not None, text
    return found[1]


def register(name: str = "ann", email: str = "ann@example.com", password: str = PASSWORD) -> Reply:
    return call("POST", "register", {"username": name, "email": email, "password": password})


def login(name: str = "ann", password: str = PASSWORD, ip: str = "203.0.113.5") -> Reply:
    return call("POST", "login", {"username": name, "password": password}, ip=ip)


def account_services(engine: Engine, smtp: SmtpServer, **settings: str) -> Services:
    """Services for the account tests: mail to `smtp`, cheap bcrypt, and no queue (the tests
    run the event and mail drains themselves)."""
    return build_services(
        engine,
        quiet=("events", "outbox"),
        **{**smtp.env(), "TIDECAST_BCRYPT_ROUNDS": "4", "SMTP_TIMEOUT": "5", **settings},
    )


def sign(message: str, account: Any = KEY) -> str:
    return "0x" + account.sign_message(encode_defunct(text=message)).signature.hex().removeprefix("0x")


def nonce(purpose: str, address: str, token: str | None = None) -> dict[str, Any]:
    reply = call("POST", "wallet/nonce", {"purpose": purpose, "address": address}, token=token)
    assert reply.status == 201, reply
    return dict(reply.data)
