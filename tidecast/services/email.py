"""The Email Service: the reference's EmailService, composing mail and queueing it in the outbox.

Every mail is multipart/alternative: a plain-text part made by html2text (links kept, as
Markdown-style `[text](url)`) and the HTML part, with Date and Message-ID, and on non-essential
mail (welcome, low-balance notices) `List-Unsubscribe` with one-click POST (RFC 8058).
Templates are Jinja2 with autoescape on; a configured directory overrides the packaged ones by
file name. Header values with CR or LF are refused (header injection) and recipients are
validated (email-validator, syntax only: deliverability is the relay's business).

`send_email` does not talk to the network: it writes the rendered mail to the outbox in the
caller's transaction (or its own), and the outbox's workers deliver it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection, Engine

from tidecast.db.tx import transaction
from tidecast.errors import BadRequest
from tidecast.services.mail_outbox import MailOutbox, OutgoingMail

PACKAGED_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "email"
#: Mail a user may opt out of; everything else is transactional (account, money).
NON_ESSENTIAL_TEMPLATES = frozenset({"welcome", "stream-low-balance"})
SUBJECT_MAX = 250


class InvalidEmail(BadRequest):
    """A mail that cannot be sent as asked: bad address, header injection, nothing to send."""


class EmailService:
    def __init__(
        self,
        engine: Engine,
        outbox: MailOutbox,
        *,
        default_from: str,
        public_url: str,
        secret: bytes,
        template_dir: Path | None = None,
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.default_from = default_from
        self.public_url = public_url.rstrip("/")
        self._secret = secret
        self.template_dir = template_dir
        self._env: Any = None

    # -- the reference's surface ----------------------------------------------------------------

    def load_template(self, template_name: str, data: Mapping[str, Any] | None = None) -> str:
        """Render `<template_name>.html` (autoescaped) with `data`."""
        import jinja2

        if self._env is None:
            loaders: list[jinja2.BaseLoader] = []
            if self.template_dir is not None:
                loaders.append(jinja2.FileSystemLoader(self.template_dir))
            loaders.append(jinja2.FileSystemLoader(PACKAGED_TEMPLATES))
            self._env = jinja2.Environment(
                loader=jinja2.ChoiceLoader(loaders),
                autoescape=True,
                undefined=jinja2.StrictUndefined,  # a missing value is a bug, not an empty link
            )
        try:
            template = self._env.get_template(f"{template_name}.html")
        except jinja2.TemplateNotFound:
            raise InvalidEmail(f"no email template named {template_name!r}") from None
        try:
            return str(template.render(**dict(data or {})))
        except jinja2.UndefinedError as exc:
            raise InvalidEmail(
                f"template {template_name!r} needs a value that was not given: {exc}"
            ) from None

    def html_to_text(self, html: str) -> str:
        import html2text

        converter = html2text.HTML2Text()
        converter.ignore_links = False
        converter.ignore_images = True
        converter.ignore_emphasis = True
        converter.body_width = 78
        converter.wrap_links = False  # a URL broken over two lines is not a link any more
        converter.ignore_tables = True  # the layout tables; the text keeps their paragraphs
        return str(converter.handle(html)).strip() + "\n"

    def send_email(
        self,
        to: str | list[str],
        subject: str,
        template_name: str | None = None,
        html: str | None = None,
        data: Mapping[str, Any] | None = None,
        from_: str | None = None,
        text: str | None = None,
        *,
        essential: bool | None = None,
        conn: Connection | None = None,
        idempotency_key: str | None = None,
    ) -> str | None:
        """Render and queue a mail; returns its outbox id (None if deduplicated or suppressed).

        With `conn`, the mail commits or rolls back with the caller's transaction.
        """
        recipients = self._recipients(to)
        if template_name is not None:
            if essential is None:
                essential = template_name not in NON_ESSENTIAL_TEMPLATES
            unsubscribe = None if essential else self.unsubscribe_url(recipients[0])
            html = self.load_template(template_name, {"unsubscribe_url": unsubscribe, **dict(data or {})})
        elif html is None:
            raise InvalidEmail("send_email needs either template_name or html")
        mail = self.compose(
            recipients,
            subject,
            html=html,
            text=text,
            from_=from_,
            essential=True if essential is None else essential,
            template=template_name,
        )
        if conn is not None:
            return self.outbox.add(conn, mail, idempotency_key=idempotency_key)
        with transaction(self.engine) as own:
            return self.outbox.add(own, mail, idempotency_key=idempotency_key)

    def send_welcome_email(self, user: Mapping[str, Any], **options: Any) -> str | None:
        return self.send_email(
            user["email"],
            "Welcome to tidecast!",
            template_name="welcome",
            data={
                "username": user["username"],
                "verification_link": self.link("/verify-email", token=user["verificationToken"]),
            },
            **options,
        )

    def send_verification_email(self, user: Mapping[str, Any], token: str, **options: Any) -> str | None:
        return self.send_email(
            user["email"],
            "Verify your email address",
            template_name="verify-email",
            data={
                "username": user["username"],
                "verification_link": self.link("/verify-email", token=token),
                "expires_in": options.pop("expires_in", "in 24 hours"),
            },
            **options,
        )

    def send_password_reset(self, user: Mapping[str, Any], token: str, **options: Any) -> str | None:
        return self.send_email(
            user["email"],
            "Reset your tidecast password",
            template_name="password-reset",
            data={
                "username": user["username"],
                "reset_link": self.link("/reset-password", token=token),
                "expires_in": options.pop("expires_in", "in 1 hour"),
            },
            **options,
        )

    def send_password_changed(self, user: Mapping[str, Any], changed_at: str, **options: Any) -> str | None:
        """The notice after a password change: the owner learns of a reset they did not make."""
        return self.send_email(
            user["email"],
            "Your tidecast password was changed",
            template_name="password-changed",
            data={
                "username": user["username"],
                "changed_at": changed_at,
                "account_link": self.link("/account/"),
            },
            **options,
        )

    def send_payment_confirmation(
        self, user: Mapping[str, Any], payment: Mapping[str, Any], **options: Any
    ) -> str | None:
        return self.send_email(
            user["email"],
            "Payment Confirmation",
            template_name="payment-confirmation",
            data={
                "username": user["username"],
                "amount": payment["amount"],
                "date": payment["date"],
                "transaction_id": payment["transactionId"],
            },
            **options,
        )

    def send_low_balance(
        self, user: Mapping[str, Any], stream: Mapping[str, Any], **options: Any
    ) -> str | None:
        return self.send_email(
            user["email"],
            f"Your stream for {stream['title']} is running low",
            template_name="stream-low-balance",
            data={
                "username": user["username"],
                "stream_title": stream["title"],
                "balance": stream["balance"],
                "time_left": stream["timeLeft"],
                "top_up_link": self.link(f"/streams/{stream['id']}"),
            },
            **options,
        )

    # -- composing ----------------------------------------------------------------------------

    def compose(
        self,
        recipients: list[str],
        subject: str,
        *,
        html: str,
        text: str | None = None,
        from_: str | None = None,
        essential: bool = True,
        template: str | None = None,
    ) -> OutgoingMail:
        from email.message import EmailMessage
        from email.policy import SMTP
        from email.utils import formatdate, make_msgid

        sender = from_ or self.default_from
        for field, value in (("subject", subject), ("from", sender), *(("to", r) for r in recipients)):
            _no_line_breaks(field, value)
        if not subject.strip() or len(subject) > SUBJECT_MAX:
            raise InvalidEmail(f"subject must be 1 to {SUBJECT_MAX} characters")
        sender_addr = _valid_address(sender, "from")
        msg = EmailMessage(policy=SMTP)
        msg["From"] = sender
        msg["To"] = ", ".join(recipients)
        msg["Subject"] = subject
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = make_msgid(domain=sender_addr.rpartition("@")[2])
        msg["MIME-Version"] = "1.0"
        if not essential:
            msg["List-Unsubscribe"] = f"<{self.unsubscribe_url(recipients[0])}>"
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        # Quoted-printable keeps the message 7-bit: no relay needs 8BITMIME to carry it.
        msg.set_content(text if text is not None else self.html_to_text(html), cte="quoted-printable")
        msg.add_alternative(html, subtype="html", cte="quoted-printable")
        return OutgoingMail(
            message_id=str(msg["Message-ID"]),
            sender=sender_addr,
            recipients=[_valid_address(r, "to") for r in recipients],
            subject=subject,
            template=template,
            essential=essential,
            raw=msg.as_bytes(policy=SMTP),
        )

    def _recipients(self, to: str | list[str]) -> list[str]:
        from email.utils import getaddresses

        values = [to] if isinstance(to, str) else list(to)
        if not values:
            raise InvalidEmail("to: at least one recipient is needed")
        for value in values:
            _no_line_breaks("to", value)
        found = [f"{name} <{addr}>" if name else addr for name, addr in getaddresses(values)]
        if len(found) != len(values) or any(not _valid_address(f, "to") for f in found):
            raise InvalidEmail(f"to: {', '.join(values)!r} is not a list of email addresses")
        return found

    # -- links --------------------------------------------------------------------------------

    def link(self, path: str, **query: str) -> str:
        return f"{self.public_url}{path}" + (f"?{urlencode(query)}" if query else "")

    def unsubscribe_url(self, recipient: str) -> str:
        return self.link("/api/unsubscribe", token=self.unsubscribe_token(_valid_address(recipient, "to")))

    def unsubscribe_token(self, address: str) -> str:
        """The address and an HMAC of it: the link needs no table and cannot be forged."""
        address = address.lower()
        mac = hmac.new(self._secret, b"unsubscribe\0" + address.encode(), hashlib.sha256).digest()[:16]
        return f"{_b64(address.encode())}.{_b64(mac)}"

    def address_from_unsubscribe_token(self, token: str) -> str:
        try:
            encoded, _, _mac = token.partition(".")
            address = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        except (ValueError, UnicodeError):
            raise InvalidEmail("unsubscribe token is malformed") from None
        if not hmac.compare_digest(self.unsubscribe_token(address), token):
            raise InvalidEmail("unsubscribe token is not valid")
        return address


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _no_line_breaks(field: str, value: str) -> None:
    if "\r" in value or "\n" in value:
        raise InvalidEmail(f"{field}: a header value may not contain CR or LF (header injection refused)")


def _valid_address(value: str, field: str) -> str:
    """The addr-spec of `value` ("Name <a@b.example>" or "a@b.example"), validated."""
    from email.headerregistry import Address
    from email.utils import parseaddr

    from email_validator import EmailNotValidError, validate_email

    _name, addr = parseaddr(value)
    if not addr:
        raise InvalidEmail(f"{field}: {value!r} is not an email address")
    try:
        # `localhost` and other single-label domains are fine for the sender (dev mail).
        if field == "from" and "." not in addr.rpartition("@")[2]:
            Address(addr_spec=addr)
            return addr
        return str(validate_email(addr, check_deliverability=False).normalized)
    except (EmailNotValidError, ValueError, IndexError) as exc:
        raise InvalidEmail(f"{field}: {value!r} is not a valid email address ({exc})") from None
