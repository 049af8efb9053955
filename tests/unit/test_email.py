"""EmailService: templates, text part, headers, refusals. Mail is only queued here (no SMTP)."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tidecast.config import load_settings
from tidecast.container import Services, create_services
from tidecast.db.engine import build_engine
from tidecast.db.migrate import upgrade
from tidecast.db.schema import mail_outbox
from tidecast.services.email import InvalidEmail

USER = {"id": "u1", "email": "ann@example.com", "username": "ann", "verificationToken": "tok"}


@pytest.fixture
def svc(tmp_path: Path) -> Services:
    engine = build_engine(f"sqlite:///{tmp_path / 'mail.db'}")
    upgrade(engine)
    services = create_services(load_settings(env_file=None), engine=engine)
    services.outbox.kick = None
    return services


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
    assert caught.value.status == 400
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


def test_override_directory_wins_by_file_name(tmp_path: Path, monkeypatch) -> None:
    custom = tmp_path / "mine"
    custom.mkdir()
    (custom / "welcome.html").write_text(
        "<p>Custom hello {{ username }} <a href='{{ verification_link }}'>go</a></p>"
    )
    monkeypatch.setenv("TIDECAST_EMAIL_TEMPLATES", str(custom))
    engine = build_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    services = create_services(load_settings(env_file=None), engine=engine)
    services.outbox.kick = None
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
