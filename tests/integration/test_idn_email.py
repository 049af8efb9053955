"""An address with an internationalised domain registers: kept in its IDNA (`xn--`) form, which
every relay can carry, and the welcome mail reaches a real SMTP server (aiosmtpd) addressed so."""

from __future__ import annotations

from sqlalchemy import Engine, select

from tests.support.auth import PASSWORD, account_services, call, count, deliver, link_token, login, register
from tests.support.functions import bind_functions
from tests.support.smtp import SmtpServer
from tidecast.container import Services
from tidecast.db.schema import users

UNICODE = "ann@bücher.example"
ASCII = "ann@xn--bcher-kva.example"


def test_a_non_ascii_domain_registers_in_its_idna_form(
    svc: Services, smtp: SmtpServer, engine: Engine
) -> None:
    created = register("ann", UNICODE)
    assert created.status == 202, created
    assert created.data["email"] == ASCII
    with engine.connect() as conn:
        row = conn.execute(select(users.c.email, users.c.email_key)).one()
    assert (row.email, row.email_key) == (ASCII, ASCII)

    [mail] = deliver(svc, smtp, 1)
    assert mail.envelope_to == [ASCII]
    assert mail.message["Subject"] == "Welcome to tidecast!"
    assert ASCII in str(mail.message["To"])
    token = link_token(mail, "verify-email")
    assert call("POST", "verify-email", {"token": token}).data["emailVerified"] is True

    # Either spelling of the address names the same account.
    assert login(UNICODE).status == 200
    assert login(ASCII).status == 200
    assert login("ann@BÜCHER.example").status == 200
    again = register("ann2", "ann@Bücher.Example")  # a taken address answers like a new one
    assert again.status == 202 and count(engine, users) == 1


def test_a_non_ascii_local_part_is_refused(svc: Services, engine: Engine) -> None:
    refused = register("anna", "änn@example.com")
    assert refused.status == 400 and "email" in refused.body["error"], refused
    assert count(engine, users) == 0


def test_spellings_of_one_address_share_its_failure_count(engine: Engine, smtp: SmtpServer) -> None:
    bind_functions(account_services(engine, smtp, TIDECAST_LOGIN_MAX_FAILURES="2"))
    assert register("ann", UNICODE).status == 202
    # From two addresses, so that only the per-name limit can be what stops the third.
    assert login(UNICODE, "wrong password", ip="203.0.113.1").status == 401
    assert login(ASCII, "wrong password", ip="203.0.113.2").status == 401
    assert login("ann@bu\u0308cher.example", PASSWORD, ip="203.0.113.3").status == 429  # decomposed ü
