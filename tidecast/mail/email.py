"""The Email Service: the reference's EmailService, composing mail and queueing it in the outbox.

Every mail is multipart/alternative: a plain-text part made by html2text (links kept, as
Markdown-style `[text](url)` or `<url>`) and the HTML part, with Date and Message-ID, and on
non-essential mail (welcome, low-balance notices) `List-Unsubscribe` with one-click POST (RFC 8058).
Templates are Jinja2 with autoescape on; a configured directory overrides the packaged ones by
file name. Header values with CR or LF are refused (header injection) and recipients are
validated (email-validator, syntax only: deliverability is the relay's business).

Links must reach the reader whole, so nothing hard-wraps them: the text part is not wrapped at
all (quoted-printable's soft line breaks keep the lines on the wire short, and readers undo them),
and `List-Unsubscribe` is written on one line rather than folded, which for a URL longer than a
line would turn it into RFC 2047 encoded-words that no mail client decodes in that header.

We do not speak SMTPUTF8, so everything that goes to the relay is ASCII: an internationalised
domain (`ann@bücher.example`) is sent in its IDNA form (`ann@xn--bcher-kva.example`), in the
envelope and in the headers alike; an address whose local part is not ASCII is refused.

`send_email` does not talk to the network: it writes the rendered mail to the outbox in the
caller's transaction (or its own), and the outbox's workers deliver it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.utils import formatdate, getaddresses, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection, Engine

from tidecast.db.tx import transaction
from tidecast.errors import InvalidInput
from tidecast.mail.outbox import MailOutbox, OutgoingMail

PACKAGED_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "email"
#: Mail a user may opt out of; everything else is transactional (account, money).
NON_ESSENTIAL_TEMPLATES = frozenset({"welcome", "stream-low-balance"})
SUBJECT_MAX = 250
#: RFC 5322 2.1.1: a line, CRLF excluded, must not be longer than this.
LINE_MAX = 998


class _UnfoldedHeader(UnstructuredHeader, BaseHeader):
    """A header written as set, on one line: for `List-Unsubscribe`, whose `<url>` must stay whole.

    The standard folding treats an unknown header as free text: a word longer than the line becomes
    RFC 2047 encoded-words (`=?utf-8?q?=3Chttps=3A//...`), which RFC 2369 readers (the one-click
    unsubscribe of mail clients) do not decode. A value that cannot go on one line as it is (not
    ASCII, or over the RFC 5322 line limit) is folded the standard way.
    """

    def fold(self, *, policy: Policy) -> str:
        line = f"{self.name}: {self}"
        if line.isascii() and len(line) <= LINE_MAX:
            return line + policy.linesep
        return super().fold(policy=policy)


def _smtp_policy() -> Policy:
    headers = HeaderRegistry()
    headers.map_to_type("list-unsubscribe", _UnfoldedHeader)
    return SMTP.clone(header_factory=headers)


#: policy.SMTP (CRLF, 78-character folding) with List-Unsubscribe kept on one line.
MAIL_POLICY = _smtp_policy()


class InvalidEmail(InvalidInput):
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
        import jinja2  # lazy: jinja2 (~250 ms) only when a mail is rendered

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
        import html2text  # lazy: html2text (~150 ms) only when a mail is rendered

        converter = html2text.HTML2Text()
        converter.ignore_links = False
        converter.ignore_images = True
        converter.ignore_emphasis = True
        # No hard wrapping: html2text's wrapper breaks lines at hyphens (textwrap's default) and
        # spares only paragraphs with a `[text](url)` link, so the `<url>` it writes for a link
        # whose text is its URL came out as `.../verify-` + newline + `email?token=...`. Lines
        # on the wire stay short anyway: the part is quoted-printable, whose soft breaks readers undo.
        converter.body_width = 0
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

    def send_account_exists(self, user: Mapping[str, Any], **options: Any) -> str | None:
        """To the owner of an address someone tried to register: sign in or reset instead."""
        return self.send_email(
            user["email"],
            "Someone tried to create a tidecast account with your address",
            template_name="account-exists",
            data={
                "username": user["username"],
                "login_link": self.link("/account/"),
                "reset_link": self.link("/account/", _fragment="forgot"),
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
                "top_up_link": self.link(stream.get("link") or f"/streams/{stream['id']}"),
            },
            **options,
        )

    def already_queued(self, conn: Connection, idempotency_key: str) -> bool:
        """Whether a mail under `idempotency_key` was queued (by a run that committed): event
        subscribers ask before issuing anything a second delivery would duplicate."""
        return self.outbox.has(conn, idempotency_key)

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
        sender = from_ or self.default_from
        for field, value in (("subject", subject), ("from", sender), *(("to", r) for r in recipients)):
            _no_line_breaks(field, value)
        if not subject.strip() or len(subject) > SUBJECT_MAX:
            raise InvalidEmail(f"subject must be 1 to {SUBJECT_MAX} characters")
        if not recipients:
            raise InvalidEmail("to: at least one recipient is needed")
        # Headers and envelope from the same ASCII (IDNA) addresses: what the relay is told is
        # what the reader sees.
        sender_box = _mailbox(sender, "from")
        to_boxes = [_mailbox(r, "to") for r in recipients]
        msg = EmailMessage(policy=MAIL_POLICY)
        msg["From"] = sender_box
        msg["To"] = to_boxes
        msg["Subject"] = subject
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = make_msgid(domain=sender_box.domain)
        msg["MIME-Version"] = "1.0"
        if not essential:
            msg["List-Unsubscribe"] = f"<{self.unsubscribe_url(to_boxes[0].addr_spec)}>"
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        # Quoted-printable keeps the message 7-bit: no relay needs 8BITMIME to carry it.
        msg.set_content(text if text is not None else self.html_to_text(html), cte="quoted-printable")
        msg.add_alternative(html, subtype="html", cte="quoted-printable")
        return OutgoingMail(
            message_id=str(msg["Message-ID"]),
            sender=sender_box.addr_spec,
            recipients=[box.addr_spec for box in to_boxes],
            subject=subject,
            template=template,
            essential=essential,
            raw=msg.as_bytes(policy=MAIL_POLICY),
        )

    def _recipients(self, to: str | list[str]) -> list[str]:
        """`to` as one `Name <addr>` or `addr` per recipient, each domain in its ASCII form."""
        values = [to] if isinstance(to, str) else list(to)
        if not values:
            raise InvalidEmail("to: at least one recipient is needed")
        for value in values:
            _no_line_breaks("to", value)
        return [str(_mailbox(value, "to")) for value in values]

    # -- links --------------------------------------------------------------------------------

    def link(self, path: str, _fragment: str | None = None, **query: str) -> str:
        url = f"{self.public_url}{path}" + (f"?{urlencode(query)}" if query else "")
        return url + (f"#{_fragment}" if _fragment else "")

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
    """The addr-spec of `value` ("Name <a@b.example>" or "a@b.example"), validated, domain in ASCII."""
    return _mailbox(value, field).addr_spec


def _mailbox(value: str, field: str) -> Address:
    """`value`, one mailbox ("Name <a@b.example>" or "a@b.example"), as SMTP without SMTPUTF8 takes it.

    The display name may be in any script (the header encodes it); the domain comes back in its
    IDNA ASCII form (`xn--...`), which is what the relay must be given; a local part that is not
    ASCII would need SMTPUTF8, so it is refused.
    """
    from email_validator import EmailNotValidError, validate_email  # lazy: ~200 ms; only to check an address

    found = getaddresses([value])
    if len(found) != 1 or not found[0][1]:
        raise InvalidEmail(f"{field}: {value!r} is not an email address")
    name, addr = found[0]
    try:
        # `localhost` and other single-label domains are fine for the sender (dev mail).
        if field == "from" and "." not in addr.rpartition("@")[2] and addr.isascii():
            return Address(name, addr_spec=addr)
        valid = validate_email(addr, check_deliverability=False)
    except (EmailNotValidError, ValueError, IndexError) as exc:
        raise InvalidEmail(f"{field}: {value!r} is not a valid email address ({exc})") from None
    if valid.ascii_email is None:
        raise InvalidEmail(
            f"{field}: {value!r} has non-ASCII characters before the @-sign; tidecast sends mail "
            "without SMTPUTF8, so it cannot use this address"
        )
    return Address(name, addr_spec=valid.ascii_email)
