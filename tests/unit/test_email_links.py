"""Every link of every packaged mail reaches the reader whole: HTML part, text part, List-Unsubscribe.

The text part once came out of html2text hard-wrapped at hyphens (`.../verify-` then a new line
then `email?token=...`), and a List-Unsubscribe URL longer than a line was folded into RFC 2047
encoded-words. Each template is sent here through its send_* method with long random tokens and
a long public URL full of hyphens, read back from the outbox as the relay would get it, parsed
with the stdlib parser, and checked against the URL that was meant, built here from its parts.
"""

from __future__ import annotations

import quopri
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

import tidecast
from tests.support.services import build_services
from tidecast.container import Services
from tidecast.db.engine import build_engine
from tidecast.db.migrate import upgrade
from tidecast.db.schema import mail_outbox

PUBLIC_URL = "https://watch.tidecast-staging-environment.example-streaming.com/eu-west-1/tidecast-app"
ADDRESS = "ann-marie.long-surname@mail.example-university.edu"
TEMPLATE_DIR = Path(tidecast.__file__).parent / "templates" / "email"
URL_IN_TEXT = re.compile(r"https?://[^\s<>()\[\]]+")


@dataclass
class Sent:
    """What a case sent: the links it meant (besides unsubscribe), and other text that must stay whole."""

    links: set[str]
    unsubscribe: bool
    also_whole: list[str] = field(default_factory=list)


def _user() -> dict[str, str]:
    return {
        "id": str(uuid.uuid4()),
        "email": f"Ann-Marie Long-Surname <{ADDRESS}>",
        "username": "ann-marie_long-surname",
        "verificationToken": secrets.token_urlsafe(32),
    }


def welcome(svc: Services) -> Sent:
    user = _user()
    svc.email.send_welcome_email(user)
    return Sent({f"{PUBLIC_URL}/verify-email?token={user['verificationToken']}"}, unsubscribe=True)


def verify_email(svc: Services) -> Sent:
    token = secrets.token_urlsafe(32)
    svc.email.send_verification_email(_user(), token)
    return Sent({f"{PUBLIC_URL}/verify-email?token={token}"}, unsubscribe=False)


def password_reset(svc: Services) -> Sent:
    token = secrets.token_urlsafe(32)
    svc.email.send_password_reset(_user(), token)
    return Sent({f"{PUBLIC_URL}/reset-password?token={token}"}, unsubscribe=False)


def password_changed(svc: Services) -> Sent:
    svc.email.send_password_changed(_user(), "2026-11-22 19:58")
    return Sent({f"{PUBLIC_URL}/account/"}, unsubscribe=False)


def account_exists(svc: Services) -> Sent:
    svc.email.send_account_exists(_user())
    return Sent({f"{PUBLIC_URL}/account/", f"{PUBLIC_URL}/account/#forgot"}, unsubscribe=False)


def payment_confirmation(svc: Services) -> Sent:
    tx = "0x" + secrets.token_hex(32)
    svc.email.send_payment_confirmation(
        _user(), {"amount": "12.5 TIDE", "date": "2026-11-22", "transactionId": tx}
    )
    return Sent(set(), unsubscribe=False, also_whole=[tx])


def stream_low_balance(svc: Services) -> Sent:
    stream_id = str(uuid.uuid4())
    svc.email.send_low_balance(
        _user(),
        {
            "id": stream_id,
            "title": "The tide-pools of north-west Europe: a long-running series",
            "balance": "0.2 TIDE",
            "timeLeft": "4 minutes",
        },
    )
    return Sent({f"{PUBLIC_URL}/streams/{stream_id}"}, unsubscribe=True)


def treasury_low(svc: Services) -> Sent:
    from tidecast.billing.treasury import low_balance_mail
    from tidecast.chain.service import TokenInfo

    token = TokenInfo("0x5FbDB2315678afecb367f032d93F642f64180aa3", "TIDE", 18)
    low_balance_mail(svc.email, "ops@example.com", "0x" + "ab" * 20, 5 * 10**18, 1000 * 10**18, token)
    return Sent(set(), unsubscribe=False, also_whole=["5 TIDE", "1000 TIDE"])


CASES: dict[str, Callable[[Services], Sent]] = {
    "welcome": welcome,
    "verify-email": verify_email,
    "password-reset": password_reset,
    "password-changed": password_changed,
    "account-exists": account_exists,
    "payment-confirmation": payment_confirmation,
    "stream-low-balance": stream_low_balance,
    "treasury-low": treasury_low,
}


@pytest.fixture
def svc(tmp_path: Path) -> Services:
    engine = build_engine(f"sqlite:///{tmp_path / 'mail.db'}")
    upgrade(engine)
    return build_services(engine, quiet=("outbox",), TIDECAST_PUBLIC_URL=PUBLIC_URL)


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(value for name, value in attrs if name == "href" and value is not None)


def hrefs_of(html: str) -> list[str]:
    parser = _Hrefs()
    parser.feed(html)
    parser.close()
    return parser.hrefs


def only_queued_mail(svc: Services) -> tuple[str, bytes]:
    with svc.engine.connect() as conn:
        (template, raw), *more = conn.execute(select(mail_outbox.c.template, mail_outbox.c.raw)).all()
    assert not more
    return template, raw.encode("utf-8")


def parts(msg: EmailMessage) -> tuple[EmailMessage, EmailMessage]:
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text is not None and html is not None
    assert text["Content-Transfer-Encoding"] == "quoted-printable"
    assert html["Content-Transfer-Encoding"] == "quoted-printable"
    return text, html  # type: ignore[return-value]


def qp_decoded(part: EmailMessage) -> str:
    """The part's body decoded by quopri, not by the email package that wrote it."""
    return quopri.decodestring(str(part.get_payload()).encode("ascii")).decode("utf-8")


def without_soft_breaks(part: EmailMessage) -> str:
    """The raw quoted-printable body with only its soft line breaks (`=` at a line's end) undone."""
    return re.sub(r"=\r?\n", "", str(part.get_payload()))


def raw_header(raw: bytes, name: str) -> str | None:
    """A header's value as it is on the wire, unfolded (RFC 5322 2.2.3: drop CRLF before WSP)."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    unfolded = re.sub(rb"\r\n(?=[ \t])", b"", head).decode("ascii")
    values = [
        line.split(":", 1)[1].strip()
        for line in unfolded.split("\r\n")
        if line.lower().startswith(name.lower() + ":")
    ]
    assert len(values) <= 1
    return values[0] if values else None


def test_the_cases_cover_every_packaged_template() -> None:
    packaged = {p.stem for p in TEMPLATE_DIR.glob("*.html") if not p.name.startswith("_")}
    assert packaged == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_link_reaches_the_reader_whole(svc: Services, name: str) -> None:
    sent = CASES[name](svc)
    template, raw = only_queued_mail(svc)
    assert template == name

    # On the wire: 7-bit, lines within RFC 5322's limit, the bodies within quoted-printable's.
    assert raw.isascii()
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 998
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    text_part, html_part = parts(msg)
    text, html = text_part.get_content(), html_part.get_content()

    # The unsubscribe link is the recipient's own: its token names them and verifies.
    unsubscribe_prefix = f"{PUBLIC_URL}/api/unsubscribe?token="
    unsubscribe = {h for h in hrefs_of(html) if h.startswith(unsubscribe_prefix)}
    if sent.unsubscribe:
        assert len(unsubscribe) == 1
        (unsubscribe_url,) = unsubscribe
        (token,) = parse_qs(urlsplit(unsubscribe_url).query, strict_parsing=True)["token"]
        assert unsubscribe_url == unsubscribe_prefix + token
        assert svc.email.address_from_unsubscribe_token(token) == ADDRESS
    else:
        assert not unsubscribe
    meant = sent.links | unsubscribe

    # The HTML part links exactly what was meant, and the text part carries each href whole.
    hrefs = hrefs_of(html)
    assert set(hrefs) == meant
    for href in hrefs:
        assert href in text, f"{href} is not whole in the text part:\n{text}"
    assert set(URL_IN_TEXT.findall(text)) == meant, text
    for whole in sent.also_whole:
        assert whole in text and whole in html

    # The raw parts: decoded independently, and with only soft breaks undone, the URLs are whole;
    # a hard line break inside one would leave it split in both.
    assert set(URL_IN_TEXT.findall(qp_decoded(text_part))) == meant
    assert set(hrefs_of(qp_decoded(html_part))) == meant
    for url in meant:
        assert url.replace("=", "=3D") in without_soft_breaks(text_part)
        assert url.replace("=", "=3D") in without_soft_breaks(html_part)

    # List-Unsubscribe: on the wire as `<url>` itself (no encoded-words), and so when parsed.
    if sent.unsubscribe:
        assert raw_header(raw, "List-Unsubscribe") == f"<{unsubscribe_url}>"
        assert msg["List-Unsubscribe"] == f"<{unsubscribe_url}>"
        assert raw_header(raw, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    else:
        assert raw_header(raw, "List-Unsubscribe") is None
