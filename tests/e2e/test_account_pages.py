"""The account pages in a real browser (chromium) against the real dev server, with mail
delivered through a real SMTP server: register, follow the mailed link, reset the password."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.support.browser import chromium
from tests.support.devserver import running_devserver
from tests.support.services import build_services
from tests.support.smtp import SmtpServer
from tidecast.container import Services

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def site(engine: Engine, tmp_path: Path) -> Iterator[tuple[str, Services, Any]]:
    smtp = SmtpServer().start()
    # The test runs the drains when it expects mail.
    svc = build_services(
        engine, quiet=("events", "outbox"), bind=True, **smtp.env(), TIDECAST_BCRYPT_ROUNDS=4
    )
    try:
        with running_devserver(ROOT) as base, chromium(tmp_path / "profile") as browser:
            yield base, svc, (browser, smtp)
    finally:
        smtp.stop()


def next_mail(svc: Services, smtp: SmtpServer, count: int) -> Any:
    deadline = time.monotonic() + 20
    while len(smtp.handler.received) < count:
        assert time.monotonic() < deadline, "the mail did not arrive"
        svc.events.deliver_due()
        svc.outbox.dispatch_due()
        time.sleep(0.05)
    return smtp.handler.received[count - 1]


def link_in(mail: Any, path: str, base: str) -> str:
    text = mail.message.get_body(("plain",)).get_content()
    found = re.search(rf"http://localhost:8888(/{path}\?token=[\w-]+)", text)
    assert found is not None, text
    return base + found[1]


def test_register_verify_reset_and_sign_in(site: tuple[str, Services, Any]) -> None:
    from playwright.sync_api import expect

    base, svc, (browser, smtp) = site
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{base}/account/")
    register = page.locator("#register")
    register.get_by_label("Username").fill("ann")
    register.get_by_label("Email").fill("ann@example.com")
    register.get_by_label("Password").fill("password123")  # on the common list
    register.get_by_role("button").click()
    expect(page.locator("#status")).to_contain_text("too common")
    register.get_by_label("Password").fill("correct horse battery")
    register.get_by_role("button").click()
    expect(page.locator("#status")).to_contain_text("Check your mailbox")
    expect(page.locator("#status")).to_contain_text("sign in as ann")

    page.goto(link_in(next_mail(svc, smtp, 1), "verify-email", base))
    assert "token=" not in page.url  # the page drops the token from the address bar
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.locator("#status")).to_contain_text("ann@example.com is verified")

    page.goto(f"{base}/account/")
    page.get_by_text("Forgot your password?").click()
    page.locator("#forgot").get_by_label("Email").fill("ann@example.com")
    page.locator("#forgot").get_by_role("button").click()
    expect(page.locator("#status")).to_contain_text("reset link is on its way")

    page.goto(link_in(next_mail(svc, smtp, 2), "reset-password", base))
    page.get_by_label("New password").fill("a brand new passphrase")
    page.get_by_label("Repeat it").fill("a different passphrase")
    page.get_by_role("button").click()
    expect(page.locator("#status")).to_contain_text("differ")
    page.get_by_label("Repeat it").fill("a brand new passphrase")
    page.get_by_role("button").click()
    expect(page.locator("#status")).to_contain_text("Your password is changed")

    page.goto(f"{base}/account/")
    login = page.locator("#login")
    login.get_by_label("Username or email").fill("ann")
    login.get_by_label("Password").fill("correct horse battery")
    login.get_by_role("button").click()
    expect(page.locator("#status")).to_contain_text("Invalid credentials")
    login.get_by_label("Password").fill("a brand new passphrase")
    login.get_by_role("button").click()
    expect(page.locator("#me-username")).to_have_text("ann")
    expect(page.locator("#me-verified")).to_have_text("Verified")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#login")).to_be_visible()
    assert errors == []


def test_a_used_link_says_so(site: tuple[str, Services, Any]) -> None:
    from playwright.sync_api import expect

    base, svc, (browser, smtp) = site
    page = browser.new_page()
    assert svc.accounts.register("bob", "bob@example.com", "correct horse battery").username == "bob"
    link = link_in(next_mail(svc, smtp, 1), "verify-email", base)
    for expected in ("is verified", "already been used"):
        page.goto(link)
        page.get_by_role("button", name="Confirm my email address").click()
        expect(page.locator("#status")).to_contain_text(expected)
    page.goto(f"{base}/reset-password")
    expect(page.locator("#status")).to_contain_text("no token")
    expect(page.locator("#reset")).to_be_hidden()
