"""EmailService: templates, text part, headers, refusals, internationalised domains.

Mail is only queued here, except in the one test that hands an IDN recipient's mail to a real
SMTP server (aiosmtpd), since that is where such mail used to fail: smtplib speaks ASCII only.
"""

from __future__ import annotations

import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.support.services import build_services
from tests.support.smtp import SmtpServer
from tidecast.container import Services
from tidecast.db.engine import build_engine
from tidecast.db.migrate import upgrade
from tidecast.db.schema import mail_outbox
from tidecast.errors import InvalidInput
from tidecast.mail.email import InvalidEmail

USER = {"id": "u1", "email": "ann@example.com", "username": "ann", "verificationToken": "tok"}
IDN_DOMAIN = "bücher.example"
#: Its ASCII form from the stdlib's IDNA codec, not from email-validator, which the code uses.
ASCII_DOMAIN = IDN_DOMAIN.encode("idna").decode("ascii")


@pytest.fixture
def svc(tmp_path: Path) -> Services:
    engine = build_engine(f"sqlite:///{tmp_path / 'mail.db'}")
    upgrade(engine)
    return build_services(engine, quiet=("outbox",))


def queued(svc: Services) -> int:
    with svc.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(mail_outbox)).scalar_one())


def last_message(svc: Services):
    with svc.engine.connect() as conn:
        raw = conn.execute(select(mail_outbox.c.raw).order_by(mail_outbox.c.created_at.desc())).first()[0]
    return message_from_bytes(raw.encode(), policy=policy.default)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        (
            {"to": "ann@example.com", "subject": "hi\r\nBcc: all@example.com", "html": "<p>x</p>"},
            "subject: a header",
        ),
        ({"to": "ann@example.com\nBcc: x@example.com", "subject": "hi", "html": "<p>x</p>"}, "to: a header"),
        (
            {"to": "ann@example.com", "subject": "hi", "html": "x", "from_": "a@b.example\r\nX: y"},
            "from: a header",
        ),
        ({"to": "not-an-address", "subject": "hi", "html": "<p>x</p>"}, "to:"),
        ({"to": "ann@localhost", "subject": "hi", "html": "<p>x</p>"}, "not a valid email address"),
        ({"to": [], "subject": "hi", "html": "<p>x</p>"}, "at least one recipient"),
        ({"to": "ann@example.com", "subject": "hi"}, "either template_name or html"),
        ({"to": "ann@example.com", "subject": "", "html": "<p>x</p>"}, "subject must be"),
        (
            {"to": "ann@example.com", "subject": "hi", "template_name": "nope"},
            "no email template named 'nope'",
        ),
        (
            {"to": "ann@example.com", "subject": "hi", "template_name": "welcome", "data": {}},
            "needs a value that was not given",
        ),
    ],
)
def test_bad_mail_is_refused_clearly_and_queues_nothing(svc: Services, kwargs, problem: str) -> None:
    with pytest.raises(InvalidEmail, match=problem) as caught:
        svc.email.send_email(**kwargs)
    assert isinstance(caught.value, InvalidInput)  # answered 400 at the edge
    assert queued(svc) == 0


def test_template_escapes_user_values(svc: Services) -> None:
    html = svc.email.load_template(
        "welcome",
        {
            "username": '<img src=x onerror="alert(1)">',
            "verification_link": "https://x.example/v",
            "unsubscribe_url": None,
        },
    )
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html and "<img" not in html


def test_override_directory_wins_by_file_name(tmp_path: Path) -> None:
    custom = tmp_path / "mine"
    custom.mkdir()
    (custom / "welcome.html").write_text(
        "<p>Custom hello {{ username }} <a href='{{ verification_link }}'>go</a></p>"
    )
    engine = build_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    services = build_services(engine, quiet=("outbox",), TIDECAST_EMAIL_TEMPLATES=custom)
    services.email.send_welcome_email(USER)
    text = last_message(services).get_body(("plain",)).get_content()
    assert "Custom hello ann" in text
    # the packaged templates still serve every other name
    assert "Reset your password" in services.email.load_template(
        "password-reset",
        {"username": "a", "reset_link": "https://x.example", "expires_in": "soon", "unsubscribe_url": None},
    )


def test_html_to_text_keeps_links_and_structure(svc: Services) -> None:
    text = svc.email.html_to_text(
        "<h1>Title</h1><p>Read <a href='https://x.example/a?b=1&amp;c=2'>the terms</a>.</p>"
        "<ul><li>one</li></ul>"
    )
    assert "Title" in text and "the terms" in text and "https://x.example/a?b=1&c=2" in text
    assert "* one" in text and "<" not in text


def test_every_packaged_template_renders_for_its_sender(svc: Services) -> None:
    svc.email.send_welcome_email(USER)
    svc.email.send_verification_email(USER, "v-tok")
    svc.email.send_password_reset(USER, "r-tok")
    svc.email.send_payment_confirmation(
        USER, {"amount": "1 TIDE", "date": "2026-11-22", "transactionId": "0x1"}
    )
    svc.email.send_low_balance(
        USER, {"id": "s1", "title": "Dune", "balance": "0.2 TIDE", "timeLeft": "4 minutes"}
    )
    assert queued(svc) == 5
    msg = last_message(svc)
    assert msg["Subject"] == "Your stream for Dune is running low" and msg["List-Unsubscribe"] is not None
    assert "http://localhost:8888/streams/s1" in msg.get_body(("plain",)).get_content()


def test_non_ascii_subject_and_body_are_encoded(svc: Services) -> None:
    svc.email.send_email('"Zoë" <zoe@example.com>', "Grüße — 日本", html="<p>naïve café</p>")
    msg = last_message(svc)
    assert msg["Subject"] == "Grüße — 日本" and "naïve café" in msg.get_body(("plain",)).get_content()
    with svc.engine.connect() as conn:
        raw, rcpts = conn.execute(select(mail_outbox.c.raw, mail_outbox.c.recipients)).one()
    assert raw.isascii() and rcpts == ["zoe@example.com"]


def test_unsubscribe_token_round_trip_and_tampering(svc: Services) -> None:
    token = svc.email.unsubscribe_token("Ann@Example.com")
    assert svc.email.address_from_unsubscribe_token(token) == "ann@example.com"
    other = svc.email.unsubscribe_token("bob@example.com")
    forged = other.split(".")[0] + "." + token.split(".")[1]
    for bad in (forged, token + "x", "garbage", ""):
        with pytest.raises(InvalidEmail):
            svc.email.address_from_unsubscribe_token(bad)


def test_idn_recipient_goes_out_all_ascii_in_the_domain_s_idna_form(svc: Services) -> None:
    assert ASCII_DOMAIN.startswith("xn--")
    svc.email.send_email(f"Zoë Bücher <zoe@{IDN_DOMAIN}>", "Grüße", html="<p>naïve café</p>")
    with svc.engine.connect() as conn:
        raw, recipients, sender = conn.execute(
            select(mail_outbox.c.raw, mail_outbox.c.recipients, mail_outbox.c.sender)
        ).one()
    assert recipients == [f"zoe@{ASCII_DOMAIN}"] and sender.isascii()
    assert raw.isascii()
    msg = message_from_bytes(raw.encode("ascii"), policy=policy.default)
    (to,) = msg["To"].addresses
    assert (to.display_name, to.username, to.domain) == ("Zoë Bücher", "zoe", ASCII_DOMAIN)
    assert msg["Subject"] == "Grüße" and "naïve café" in msg.get_body(("plain",)).get_content()


def test_compose_is_7bit_for_an_idn_recipient_and_its_unsubscribe_link(svc: Services) -> None:
    mail = svc.email.compose(
        [f"ann@{IDN_DOMAIN.upper()}"], "Hallo", html="<p>Grüße aus Köln</p>", essential=False
    )
    assert all(byte < 0x80 for byte in mail.raw)
    assert mail.recipients == [f"ann@{ASCII_DOMAIN}"]
    msg = message_from_bytes(mail.raw, policy=policy.default)
    assert msg["To"].addresses[0].addr_spec == f"ann@{ASCII_DOMAIN}"
    # The one-click link unsubscribes the address the outbox checks: the one mail goes to.
    token = msg["List-Unsubscribe"].strip("<>").rpartition("token=")[2]
    assert svc.email.address_from_unsubscribe_token(token) == f"ann@{ASCII_DOMAIN}"


def test_unsubscribing_an_idn_address_stops_its_non_essential_mail(svc: Services) -> None:
    user = {**USER, "email": f"ann@{IDN_DOMAIN}"}
    assert svc.email.send_welcome_email(user) is not None
    token = last_message(svc)["List-Unsubscribe"].strip("<>").rpartition("token=")[2]
    assert svc.outbox.suppress(svc.email.address_from_unsubscribe_token(token))
    assert svc.email.send_welcome_email(user) is None
    assert queued(svc) == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"to": "jörg@example.com"}, "to"),
        ({"to": f"Jörg <jörg@{IDN_DOMAIN}>"}, "to"),
        ({"to": ["ann@example.com", "小林@example.com"]}, "to"),
        ({"to": "ann@example.com", "from_": "jörg@example.com"}, "from"),
    ],
)
def test_a_non_ascii_local_part_is_refused_naming_the_field(svc: Services, kwargs, field: str) -> None:
    with pytest.raises(InvalidEmail, match=f"^{field}: .* non-ASCII characters before the @-sign") as caught:
        svc.email.send_email(subject="hi", html="<p>x</p>", **kwargs)
    assert isinstance(caught.value, InvalidInput) and "SMTPUTF8" in caught.value.message
    assert queued(svc) == 0


def test_display_names_with_commas_stay_one_recipient(svc: Services) -> None:
    svc.email.send_email(['"Doe, Jane" <jane@example.com>', "bob@example.com"], "hi", html="<p>x</p>")
    msg = last_message(svc)
    assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [
        ("Doe, Jane", "jane@example.com"),
        ("", "bob@example.com"),
    ]


def test_idn_mail_reaches_a_real_smtp_server_with_the_ascii_envelope(tmp_path: Path) -> None:
    server = SmtpServer().start()
    try:
        engine = build_engine(f"sqlite:///{tmp_path / 'smtp.db'}")
        upgrade(engine)
        services = build_services(engine, quiet=("outbox",), **server.env())
        services.email.send_verification_email({**USER, "email": f"Ann <ann@{IDN_DOMAIN}>"}, "v-tok")
        deadline = time.monotonic() + 20
        while not server.handler.received and time.monotonic() < deadline:
            services.outbox.dispatch_due()
            time.sleep(0.05)
        with engine.connect() as conn:
            status, error = conn.execute(select(mail_outbox.c.status, mail_outbox.c.last_error)).one()
        assert status == "sent", error
        (got,) = server.handler.received
        assert got.envelope_to == [f"ann@{ASCII_DOMAIN}"]
        assert got.raw.isascii()
        assert got.message["To"].addresses[0].addr_spec == f"ann@{ASCII_DOMAIN}"
        assert "/verify-email?token=v-tok" in got.message.get_body(("plain",)).get_content()
    finally:
        server.stop()
