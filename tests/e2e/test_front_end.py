"""The web front end in a real browser (Debian's chromium) against the real platform
(`tidecast dev`: dev server, worker, embedded chain and IPFS), with a test EIP-1193 wallet
injected into the pages (tests/support/wallet.py): every page passes axe-core (no serious or
critical violations) and says what is missing; wallets link; uploads resume after a reload.
The paid loop is in test_pay_per_second.py."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import UPLOAD_MAX_BYTES
from tests.support import media
from tests.support.axe import serious_violations
from tests.support.platform import Platform
from tests.support.tour import PASSWORD, demo, lossless_clip, register, studio_ready


def no_axe_violations(page: Any) -> None:
    found = serious_violations(page)
    assert found == [], found


def sign_in(page: Any, base: str, username: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/account/")
    login = page.locator("#login")
    login.get_by_label("Username or email").fill(username)
    login.get_by_label("Password").fill(PASSWORD)
    login.get_by_role("button").click()
    expect(page.locator("#me-username")).to_have_text(username)


def link_wallet(page: Any) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Link a wallet").click()
    expect(page.locator("#status")).to_contain_text("is linked to your account")


def test_pages_pass_axe_and_say_what_is_missing(platform: Platform, browser: Any) -> None:
    from playwright.sync_api import expect

    base = platform.base
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # Nothing uploaded yet: browse says so and where to upload; the header offers "Sign in".
    page.goto(f"{base}/")
    expect(page.locator("#status")).to_have_text("No videos yet: upload one in the studio.")
    expect(page.locator("#empty")).to_be_visible()
    upload = page.locator("#empty").get_by_role("link", name="Upload a video")
    expect(upload).to_have_attribute("href", "/studio/")
    expect(page.locator("header.site-header").get_by_role("link", name="Sign in")).to_be_visible()
    assert httpx.get(f"{base}/favicon.svg").headers["content-type"].startswith("image/svg+xml")
    no_axe_violations(page)
    page.goto(f"{base}/?q=anything")
    expect(page.locator("#empty")).to_contain_text("No videos match “anything”.")
    no_axe_violations(page)

    page.goto(f"{base}/watch/")
    expect(page.locator("#alert")).to_contain_text("No stream chosen")
    no_axe_violations(page)
    page.goto(f"{base}/watch/?id=no-such-stream")
    expect(page.locator("#alert")).to_contain_text("does not exist")

    page.goto(f"{base}/studio/")
    expect(page.locator("#signed-out")).to_contain_text("Sign in")
    no_axe_violations(page)

    page.goto(f"{base}/account/")
    no_axe_violations(page)
    register(base, "wanda")
    sign_in(page, base, "wanda")
    expect(page.locator("#no-wallets")).to_be_visible()
    no_axe_violations(page)
    # No injected wallet, no demo account chosen: the page says what to do.
    page.get_by_role("button", name="Link a wallet").click()
    expect(page.locator("#wallet-status")).to_contain_text("No wallet found")
    expect(page.locator("#wallet-status")).to_have_attribute("role", "alert")
    # In development the demo accounts are offered instead.
    expect(page.get_by_label("Development: sign with a demo account")).to_be_visible()
    assert errors == []


def test_linking_a_wallet_with_an_injected_provider(platform: Platform, browser: Any) -> None:
    from playwright.sync_api import expect

    base = platform.base
    wallet = demo(platform, 6)
    page = browser.new_page()
    wallet.install(page)
    register(base, "lena")
    sign_in(page, base, "lena")

    wallet.reject = {"personal_sign"}
    page.get_by_role("button", name="Link a wallet").click()
    expect(page.locator("#wallet-status")).to_contain_text("You rejected the request")
    me = page.evaluate(
        """() => fetch('/api/auth/me', {
            headers: { Authorization: 'Bearer ' + sessionStorage.getItem('tidecast.token') },
        }).then((reply) => reply.json())"""
    )
    assert me["data"]["wallets"] == []  # nothing linked by a refusal

    wallet.reject = set()
    link_wallet(page)
    expect(page.locator("#wallets")).to_contain_text(wallet.address)
    assert "personal_sign" in wallet.calls and "eth_sendTransaction" not in wallet.calls
    no_axe_violations(page)


def test_studio_upload_resumes_after_a_reload_and_refuses_what_is_too_large(
    platform: Platform, browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    base = platform.base
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    register(base, "cora")
    sign_in(page, base, "cora")
    page.goto(f"{base}/studio/")
    studio_ready(page)
    # Not verified yet: the studio says what to do instead of uploading.
    page.get_by_label("Video file").set_input_files(
        {"name": "early.mp4", "mimeType": "video/mp4", "buffer": b"\0" * 1024}
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#alert")).to_contain_text("Verify your email address (cora@example.com)")
    platform.verify_email_in(page, "cora@example.com")  # the link from the dev mailbox
    page.goto(f"{base}/studio/")
    studio_ready(page)
    no_axe_violations(page)

    # Too large: said before anything is sent.
    page.get_by_label("Video file").set_input_files(
        {"name": "huge.mp4", "mimeType": "video/mp4", "buffer": b"\0" * (UPLOAD_MAX_BYTES + 1)}
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#alert")).to_contain_text("Upload too large")

    clip = lossless_clip(tmp_path / "clip.mp4")
    size = clip.stat().st_size
    assert 4 * 1024 * 1024 < size < UPLOAD_MAX_BYTES, size  # two chunks at least

    # The connection drops after the first chunk (the second PATCH never arrives).
    def drop_later_chunks(route: Any) -> None:
        request = route.request
        if request.method == "PATCH" and request.headers.get("upload-offset") != "0":
            route.abort()
        else:
            route.continue_()

    page.route("**/api/uploads/*", drop_later_chunks)
    page.get_by_label("Title").fill("Resumed clip")
    page.get_by_label("Video file").set_input_files(str(clip))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#alert")).to_contain_text("connection dropped")
    page.unroute("**/api/uploads/*")

    page.reload()
    studio_ready(page)
    expect(page.locator("#resume")).to_contain_text("stopped at")
    stopped = page.locator(".queue-item[data-state=stopped]", has_text="Resumed clip")
    expect(stopped).to_contain_text("Stopped at")
    shown = stopped.locator("progress").evaluate("(bar) => bar.value")
    assert 0 < shown < 100, shown  # the progress survived the reload
    started = time.monotonic()
    page.get_by_label("Video file").set_input_files(str(clip))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#status")).to_contain_text("processing it now", timeout=30_000)
    expect(page.locator("#processing-text")).to_contain_text("is ready", timeout=120_000)
    assert time.monotonic() - started < 150
    done = page.locator(".queue-item[data-state=ready]", has_text="Resumed clip")
    expect(done.locator("progress")).to_have_js_property("value", 100)
    expect(page.locator("#streams")).to_contain_text("Resumed clip")
    no_axe_violations(page)

    # A price being typed survives the list being drawn again when another upload is ready, and
    # "is ready" is said once the new row is there to use (issue 18: the price typed just after
    # "is ready" was drawn over, and the old price saved).
    price = page.get_by_role("textbox", name="Price of “Resumed clip” in TIDE per second")
    price.fill("0.0042")
    page.get_by_label("Title").fill("Second clip")
    page.get_by_label("Video file").set_input_files(str(media.testsrc(tmp_path / "second.mp4", seconds=2)))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#processing-text")).to_contain_text("“Second clip” is ready", timeout=120_000)
    assert page.get_by_role("textbox", name="Price of “Second clip” in TIDE per second").count() == 1
    expect(price).to_have_value("0.0042")
    assert errors == []


@pytest.fixture(autouse=True)
def _no_leftover_pages(browser: Any) -> Any:
    yield
    for page in list(browser.pages):
        page.close()


def test_linking_with_a_demo_account_and_no_browser_wallet(platform: Platform, browser: Any) -> None:
    """Development without MetaMask: the page signs with a demo account's key itself (ethers in
    the page, its JSON-RPC calls going cross-origin to the chain, whose CORS is open)."""
    from playwright.sync_api import expect

    base = platform.base
    account = platform.chain()["accounts"][7]
    page = browser.new_page()  # no injected wallet
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    register(base, "dora")
    sign_in(page, base, "dora")
    page.get_by_text("Developer tools").click()  # out of the way until asked for
    chooser = page.get_by_label("Development: sign with a demo account")
    expect(chooser).to_be_visible()
    chooser.select_option(str(account["index"]))
    link_wallet(page)
    expect(page.locator("#wallets")).to_contain_text(account["address"])
    me = page.evaluate(
        """() => fetch('/api/auth/me', {
            headers: { Authorization: 'Bearer ' + sessionStorage.getItem('tidecast.token') },
        }).then((reply) => reply.json())"""
    )
    assert [w["address"] for w in me["data"]["wallets"]] == [account["address"]]
    # The demo signer reads the chain from the page, across origins: the balance it sees is the
    # chain's own.
    seen = page.evaluate(
        """async () => {
            const { connect } = await import('/js/wallet.js');
            const wallet = await connect({ allowDemo: true });
            const balance = await wallet.signer.provider.getBalance(wallet.address);
            return [wallet.source, wallet.address, balance.toString()];
        }"""
    )
    ask = {"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": [account["address"], "latest"]}
    on_chain = httpx.post(platform.rpc_url, json=ask).json()["result"]
    assert seen[0] == "demo" and seen[1] == account["address"]
    assert int(seen[2]) == int(on_chain, 16) > 0
    no_axe_violations(page)
    page.evaluate("() => localStorage.removeItem('tidecast.demoAccount')")  # the next test's page
    assert errors == []


def test_production_pages_expose_no_test_hooks(platform: Platform, browser: Any) -> None:
    """Pages keep their state to themselves (issue 18: the watch page's debug log kept hls.js
    objects, and through them every key it had loaded, on `window`). Tests watch what a user
    sees (the DOM, the network, the video element), never a global the page puts there."""
    base = platform.base
    page = browser.new_page()
    register(base, "hana")
    sign_in(page, base, "hana")
    hooks = "() => Object.keys(window).filter((name) => /^tidecast|^__tidecast/i.test(name))"
    for path in (
        "/",
        "/account/",
        "/studio/",
        "/watch/?id=no-such-stream",
        "/player/?src=/streams/x/master.m3u8",
    ):
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate(hooks) == [], path
    page.goto(base + "/studio/")
    studio_ready(page)
    assert page.evaluate(hooks) == []
