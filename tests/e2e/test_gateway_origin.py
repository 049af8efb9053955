"""Content on IPFS never runs as the site (issue 18): HTML in an identity CID (the content is
inside the CID, so anyone can make one without adding anything) opened through the dev server's
`/ipfs/` in Chromium must not read the dev mailbox (reset links) nor the login token in the
app's sessionStorage.

The attack, as found: a page on the app's origin sets `window.name` to a script (or the CID
holds the whole script), then navigates the same tab to `/ipfs/<identity CID>`; the gateway
sniffed the HTML and served it as `text/html` on the app's origin, where it fetched
`/_dev/mail.json` and read sessionStorage. Now `/ipfs/` on the app origin only redirects to the
CID's own origin (`<cid>.ipfs.localhost:<port>`, Kubo's subdomain gateway), which answers with
`Content-Security-Policy: sandbox`: no script runs, and even a script run there (Playwright's
evaluate bypasses CSP) sits on an opaque origin that reaches neither."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from multiformats import CID, multihash

from tests.support.browser import chromium
from tests.support.devserver import running_devserver
from tests.support.ipfs_node import running_node
from tidecast.mail.embedded import MailCapture

SECRET = "reset-token-5f1c0a"
LOGIN = "login-jwt-8d2e4b"
#: Run by the attacker's page: everything it can reach, written where the test reads it.
STEAL = (
    "(async () => { let s = []; try { s.push('mail:' + await (await fetch('/_dev/mail.json')).text()) }"
    " catch (e) { s.push('mail-error') } try { s.push('token:' + sessionStorage.getItem('tidecast.token')) }"
    " catch (e) { s.push('storage-error') } document.title = 'STOLEN ' + s.join(' | ') })()"
)
#: 34 bytes: as an identity CID, 62 base32 characters, which fits one DNS label.
SHORT_PAGE = b"<html><script>eval(name)</script>"
#: The whole theft inside the CID: too long for a DNS label, so it has no origin to go to.
LONG_PAGE = (
    b"<html><script>fetch('/_dev/mail.json').then(r=>r.text())"
    b".then(t=>document.title='STOLEN '+t+sessionStorage['tidecast.token'])</script>"
)


def identity_cid(data: bytes) -> str:
    return str(CID("base32", 1, "raw", multihash.wrap(data, "identity")))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    work = tmp_path_factory.mktemp("gateway-origin")
    project = work / "project"
    (project / "site").mkdir(parents=True)
    (project / "site" / "index.html").write_text("<!doctype html><title>tidecast</title><p>the app</p>")
    (project / "netlify.toml").write_text('[build]\npublish = "site"\nfunctions = "fns"\n')
    (project / "fns").mkdir()
    box = mailbox.Maildir(work / "mailbox", create=True)
    mail = EmailMessage()
    mail["Subject"] = "Reset your password"
    mail["To"] = "victim@example.com"
    mail.set_content(f"Reset it here: http://localhost:8888/reset-password/?token={SECRET}")
    box.add(mail)
    with (
        running_node(work / "ipfs") as node,
        running_devserver(
            project, dev_routes=MailCapture(work / "mailbox").routes(), public_routes=node.gateway.routes()
        ) as base,
        chromium(work / "profile") as browser,
    ):
        yield base.replace("127.0.0.1", "localhost"), browser


def signed_in_tab(browser: Any, base: str) -> Any:
    page = browser.new_page()
    page.goto(base + "/")
    page.evaluate(
        "([token, code]) => { sessionStorage.setItem('tidecast.token', token); window.name = code }",
        [LOGIN, STEAL],
    )
    # the app itself can read both (so the test below would see a theft)
    assert page.evaluate("() => sessionStorage.getItem('tidecast.token')") == LOGIN
    assert SECRET in page.evaluate("async () => (await fetch('/_dev/mail.json')).text()")
    return page


@pytest.mark.parametrize("content", [SHORT_PAGE, LONG_PAGE], ids=["window-name", "whole-script"])
def test_html_in_an_identity_cid_reads_neither_the_mailbox_nor_the_login(
    site: tuple[str, Any], content: bytes
) -> None:
    base, browser = site
    page = signed_in_tab(browser, base)
    reply = page.goto(f"{base}/ipfs/{identity_cid(content)}")
    page.wait_for_timeout(1500)  # time for a script to run, were one allowed to
    title = page.title()
    assert SECRET not in title and LOGIN not in title and not title.startswith("STOLEN"), title
    assert reply is not None
    if content is LONG_PAGE:
        # no DNS label can hold it: refused on the app's origin, as plain text, never served
        assert reply.status == 400 and "DNS label" in page.inner_text("body")
        assert reply.headers["content-type"].startswith("text/plain")
        assert reply.headers["content-security-policy"] == "sandbox"
    else:
        # it fits a DNS label: served on its own origin, sandboxed; a script forced to run
        # there meets an opaque origin: no storage, and no dev pages on that host
        assert page.url.startswith("http://bafk") and ".ipfs.localhost:" in page.url, page.url
        assert page.evaluate("() => origin") == "null"
        stolen = page.evaluate(
            """async () => { const out = []; try { out.push(sessionStorage.getItem('tidecast.token')) }
            catch (e) { out.push('refused') } try { out.push(await (await fetch('/_dev/mail.json')).text()) }
            catch (e) { out.push('refused') } return out.join(' ') }"""
        )
        assert SECRET not in stolen and LOGIN not in stolen, stolen
    page.close()
