"""The studio and the account page beyond the upload loop (test_front_end.py has that): a steady
time left from jumping progress, several files in the queue, editing a video (a refused price
said beside its field), the thumbnail picker, delete behind a dialog, earnings per video with
totals and a human message when no wallet can sign, and the account's wallets (the receiving
one, unlink), balance and spending history. axe-core finds nothing on any state."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_front_end import no_axe_violations, register, sign_in, studio_ready
from tests.support import media
from tests.support.platform import Platform


@pytest.fixture(autouse=True)
def _no_leftover_pages(browser: Any) -> Any:
    yield
    for page in list(browser.pages):
        page.close()


def test_the_time_left_is_steady_when_the_progress_jumps(platform: Platform, browser: Any) -> None:
    """The pipeline's readings as the API gave them (issue 22: "25 s at 2 %, then 89 s at 25 %"):
    the estimate from the real rate counts down and never jumps back up."""
    page = browser.new_page()
    page.goto(platform.base + "/studio/")
    shown = page.evaluate(
        """async () => {
            const { EtaEstimator, etaText } = await import('/studio/eta.js');
            const eta = new EtaEstimator(100);
            // 2 % a second on average, in uneven steps, one reading a second.
            const readings = [0, 2, 2, 7, 8, 8, 14, 16, 17, 21, 25, 25, 30, 31, 36, 38, 40];
            return readings.map((value, second) => {
                const left = eta.update(value, second);
                return [left, etaText(left)];
            });
        }"""
    )
    seconds = [left for left, _ in shown if left is not None]
    assert len(seconds) >= 10, shown
    assert all(later <= earlier + 1 for earlier, later in itertools.pairwise(seconds)), shown
    assert 20 <= seconds[-1] <= 45, shown  # 60 % left at about 2 % a second
    assert shown[-1][1].startswith("about ") and shown[-1][1].endswith(" s left"), shown


def test_queue_edit_thumbnail_and_delete(platform: Platform, browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    base = platform.base
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    register(base, "quinn")
    platform.verify_email("quinn@example.com")
    sign_in(page, base, "quinn")
    page.goto(f"{base}/studio/")
    studio_ready(page)
    expect(page.locator("#videos-empty")).to_contain_text("No videos yet")
    no_axe_violations(page)

    # Two files at once: each its own item, named after its file, both processed.
    clips = [media.testsrc(tmp_path / name, seconds=2) for name in ("harbour.mp4", "gulls.mp4")]
    page.get_by_label("Video file").set_input_files([str(clip) for clip in clips])
    page.get_by_role("button", name="Upload").click()
    items = page.locator("#queue > li")
    expect(items).to_have_count(2)
    expect(page.locator(".queue-item[data-state=ready]")).to_have_count(2, timeout=120_000)
    expect(page.locator("#streams > tr")).to_have_count(2)
    expect(page.locator("#streams")).to_contain_text("harbour")
    no_axe_violations(page)

    # The thumbnail choices the pipeline offers, as the API lists them.
    [harbour] = [
        s for s in httpx.get(base + "/api/streams").json()["data"]["items"] if s["title"] == "harbour"
    ]
    choices = harbour.get("thumbnailChoices") or []

    # Edit: a refused price is said beside its field; then title, description and price saved.
    page.get_by_role("button", name="Edit “harbour”").click()
    dialog = page.locator("#edit-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Price per second").fill("a lot")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog.locator("#edit-price-error")).to_contain_text("decimal number")
    expect(dialog.get_by_label("Price per second")).to_have_attribute("aria-invalid", "true")
    no_axe_violations(page)
    dialog.get_by_label("Title").fill("Harbour at dawn")
    dialog.get_by_label("Description").fill("Boats leaving before sunrise.")
    dialog.get_by_label("Price per second").fill("0.0025")
    if len(choices) > 1:
        dialog.locator(".thumb-choice").nth(1).click()
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#status")).to_contain_text("Saved your changes to “Harbour at dawn”")
    saved = httpx.get(f"{base}/api/streams/{harbour['id']}").json()["data"]
    assert saved["title"] == "Harbour at dawn" and saved["description"] == "Boats leaving before sunrise."
    assert saved["pricePerSecond"] == "0.0025"
    if len(choices) > 1:
        assert saved["thumbnail"] == choices[1]
    price = page.get_by_role("textbox", name="Price of “Harbour at dawn” in TIDE per second")
    expect(price).to_have_value("0.0025")

    # Delete: a dialog first; "Keep it" keeps it, "Delete video" deletes it.
    page.get_by_role("button", name="Delete “gulls”").click()
    confirm = page.locator("#delete-dialog")
    expect(confirm).to_contain_text("cannot be undone")
    no_axe_violations(page)
    confirm.get_by_role("button", name="Keep it").click()
    expect(confirm).to_be_hidden()
    expect(page.locator("#streams > tr")).to_have_count(2)
    page.get_by_role("button", name="Delete “gulls”").click()
    confirm.get_by_role("button", name="Delete video").click()
    expect(page.locator("#status")).to_contain_text("Deleted “gulls”")
    expect(page.locator("#streams > tr")).to_have_count(1)
    titles = [s["title"] for s in httpx.get(base + "/api/streams").json()["data"]["items"]]
    assert titles == ["Harbour at dawn"], titles
    assert errors == []


def test_earnings_per_video_and_withdraw_all_without_a_wallet(platform: Platform, browser: Any) -> None:
    """Earnings as GET /api/payments/mine gives them (answered here by the test: paying for real
    is test_pay_per_second.py's): titles, not addresses; totals; "Withdraw all" without a
    wallet in the browser says what to do, and nothing is sent."""
    from playwright.sync_api import expect

    base = platform.base
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    register(base, "ruth")
    sign_in(page, base, "ruth")
    sender = "0x" + "ab" * 20
    stream = {
        "sender": sender, "recipient": "0x" + "cd" * 20, "token": "0x" + "ef" * 20, "flowRate": "0.002",
        "deposit": "1", "withdrawn": "0", "remainingBalance": "0.9", "depletionTime": None,
        "startTime": "2025-01-01T00:00:00Z", "cancelled": False,
    }  # fmt: skip
    mine = {
        "wallets": [],
        "sent": [],
        "received": [
            {**stream, "id": "7", "withdrawable": "0.05", "active": True, "streamed": "0.05", "seconds": 25,
             "video": {"id": "v1", "title": "Tide pools"}},
            {**stream, "id": "8", "withdrawable": "0.004", "active": True, "streamed": "0.004", "seconds": 2,
             "video": {"id": "v2", "title": "Gulls"}},
        ],
        "withdrawable": "0.054",
        "earnings": [
            {"video": {"id": "v1", "title": "Tide pools"}, "paymentStreams": 1, "seconds": 25,
             "earned": "0.05", "withdrawable": "0.05"},
            {"video": {"id": "v2", "title": "Gulls"}, "paymentStreams": 1, "seconds": 2,
             "earned": "0.004", "withdrawable": "0.004"},
        ],
        "earned": "0.054",
        "spent": "0",
    }  # fmt: skip
    page.route(
        "**/api/payments/mine",
        lambda route: route.fulfill(json={"success": True, "data": mine}, content_type="application/json"),
    )
    page.goto(f"{base}/studio/")
    studio_ready(page)
    earnings = page.locator("#earnings")
    expect(earnings.locator("tr")).to_have_count(2)
    expect(earnings).to_contain_text("Tide pools")
    expect(earnings).not_to_contain_text(sender)
    expect(page.locator("#earnings-totals")).to_contain_text("0.054 TIDE")
    expect(page.locator("#earned")).to_have_text("0.054 TIDE")
    no_axe_violations(page)
    page.evaluate("() => localStorage.removeItem('tidecast.demoAccount')")
    page.get_by_role("button", name="Withdraw all").click()
    expect(page.locator("#withdraw-alert")).to_contain_text("No wallet found")
    expect(page.get_by_role("button", name="Withdraw all")).to_be_enabled()
    assert errors == []


def test_account_wallets_balance_and_spending(platform: Platform, browser: Any) -> None:
    from playwright.sync_api import expect

    base = platform.base
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/account/")
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#register")).to_be_visible()
    expect(page.locator("#dev-tools")).to_be_hidden()  # only for someone signed in
    no_axe_violations(page)

    register(base, "sage")
    sign_in(page, base, "sage")
    expect(page.locator("#me-verified")).to_have_text("Not verified")
    expect(page.get_by_role("button", name="Send a new verification link")).to_be_visible()
    expect(page.locator("#spending-empty")).to_be_visible()
    tools = page.locator("#dev-tools")
    expect(tools).to_be_visible()
    expect(page.get_by_label("Development: sign with a demo account")).to_be_hidden()  # collapsed

    # Two demo accounts linked: the first linked receives payments; unlinking it passes that on.
    viewers = [a for a in platform.chain()["accounts"] if a.get("role") == "viewer"]
    first, second = viewers[-2], viewers[-1]
    tools.get_by_text("Developer tools").click()
    for account in (first, second):
        page.get_by_label("Development: sign with a demo account").select_option(str(account["index"]))
        page.locator("#link-wallet").click()
        expect(page.locator("#status")).to_contain_text("is linked to your account", timeout=20_000)
    wallets = page.locator("#wallets > li")
    expect(wallets).to_have_count(2)
    expect(wallets.nth(0)).to_contain_text(first["address"])
    expect(wallets.nth(0)).to_contain_text("Receives payments")
    no_axe_violations(page)

    # The connected (demo) wallet's balance, read from the token contract on the chain.
    page.locator("#show-balance").click()
    expect(page.locator("#balance-text")).to_contain_text("TIDE in")
    expect(page.locator("#balance-text")).to_contain_text(second["address"])

    page.get_by_role("button", name=f"Unlink wallet {first['address']}").click()
    expect(page.locator("#status")).to_contain_text("is no longer linked")
    expect(wallets).to_have_count(1)
    expect(wallets.nth(0)).to_contain_text("Receives payments")
    token = page.evaluate("() => sessionStorage.getItem('tidecast.token')")
    me = httpx.get(base + "/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()["data"]
    assert [w["address"] for w in me["wallets"]] == [second["address"]]
    page.evaluate("() => localStorage.removeItem('tidecast.demoAccount')")
    assert errors == [], errors
