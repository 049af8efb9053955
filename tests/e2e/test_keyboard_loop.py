"""Issue 22's proof: the product's whole loop by keyboard alone, in Debian's chromium against the
real platform (`tidecast dev`).

A creator registers, verifies the email (the link from the platform's mail), signs in, links a
wallet (the development signer under "Developer tools"), uploads a video and sets its price; a
viewer registers, signs in, links a wallet, finds the video, pays per second, watches; the
creator withdraws what has streamed; the viewer stops; the creator's studio shows the earnings.

Only `page.keyboard` moves and acts (Tab, Shift+Tab, Enter, Space, arrows, typing): no
`.click()`, no `.fill()`. Locators only say where focus is and what is shown. Every control
landed on shows a focus ring (:focus-visible, with an outline or a box-shadow), and every step
checks what it shows. Opening an address (the site, the mailed link) stands for typing it into
the address bar or following the mail; the creator and the viewer use two origins (127.0.0.1
and localhost: the creator's is the mailed link's), so each has their own demo account choice
as two browsers would."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.support.platform import Platform
from tests.support.tour import PASSWORD, PageWatch, focus_ring_missing, short_clip, studio_ready

CREATOR_WALLET, VIEWER_WALLET = 5, 6  # demo accounts of the platform's chain
PRICE = "0.002"
TITLE = "Kelp by keyboard"


class Keys:
    """One person's tab, driven by the keyboard; every focus stop is checked for a focus ring."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.watch = PageWatch(page)
        self.unringed: list[str] = []

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def focused(self, target: Any) -> bool:
        return bool(target.evaluate("(el) => el === document.activeElement"))

    def tab_to(self, target: Any, *, back: bool = False, limit: int = 120) -> None:
        """Tab (or Shift+Tab) until `target` has the focus, checking the ring at every stop."""
        from playwright.sync_api import expect

        expect(target).to_be_visible()
        for _ in range(limit):
            if self.focused(target):
                missing = focus_ring_missing(self.page)
                assert missing is None, f"no focus ring on {missing}"
                return
            self.press("Shift+Tab" if back else "Tab")
            missing = focus_ring_missing(self.page)
            if missing is not None:
                self.unringed.append(missing)
        raise AssertionError(f"{target} never took the focus in {limit} presses of Tab")

    def choose(self, select: Any, value: str) -> None:
        """Arrows through a focused (closed) <select> until `value` is chosen."""
        assert self.focused(select)
        for _ in range(20):
            if select.input_value() == value:
                return
            self.press("ArrowDown")
        raise AssertionError(f"{value!r} is not among the options of {select}")

    def replace_text(self, text: str) -> None:
        """Selects what the focused field holds and types `text` over it."""
        self.press("ControlOrMeta+a")
        self.type(text)


def register_and_sign_in(person: Keys, base: str, username: str, platform: Platform | None = None) -> str:
    """From the site's front page: "Sign in" in the header, the account page's forms. With a
    `platform`, the email is verified on the way (the mailed link, "Confirm"), and the person goes
    on at the link's origin. The origin they are signed in at."""
    from playwright.sync_api import expect

    page = person.page
    page.goto(base + "/")
    person.tab_to(page.locator("header.site-header").get_by_role("link", name="Sign in"))
    person.press("Enter")
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()

    form = page.locator("#register")
    person.tab_to(form.get_by_label("Username"))
    person.type(username)
    person.press("Tab")
    person.type(f"{username}@example.com")
    person.press("Tab")
    person.type(PASSWORD)
    person.press("Enter")  # submits the form
    expect(page.locator("#status")).to_contain_text(f"sign in as {username}")

    if platform is not None:
        page.goto(platform.verification_link(f"{username}@example.com"))  # following the mail
        person.tab_to(page.get_by_role("button", name="Confirm my email address"))
        person.press("Enter")
        expect(page.locator("#status")).to_contain_text("is verified")
        person.tab_to(page.get_by_role("link", name="Go to your account"))
        person.press("Enter")

    login = page.locator("#login")
    person.tab_to(login.get_by_label("Username or email"))
    person.type(username)
    person.press("Tab")
    person.type(PASSWORD)
    person.press("Enter")
    expect(page.locator("#me-username")).to_have_text(username)
    return "{0.scheme}://{0.netloc}".format(urlsplit(page.url))


def link_demo_wallet(person: Keys, platform: Platform, index: int) -> str:
    """Developer tools (a <details>) opened by Enter, a demo account chosen by arrows, then
    "Link a wallet" reached by Shift+Tab; the linked address."""
    from playwright.sync_api import expect

    page = person.page
    account = platform.chain()["accounts"][index]
    person.tab_to(page.locator("#dev-tools > summary"))
    person.press("Enter")
    chooser = page.get_by_label("Development: sign with a demo account")
    expect(chooser).to_be_visible()
    person.tab_to(chooser)
    person.choose(chooser, str(account["index"]))
    person.tab_to(page.get_by_role("button", name="Link a wallet"), back=True)
    person.press("Enter")
    expect(page.locator("#status")).to_contain_text("is linked to your account", timeout=30_000)
    expect(page.locator("#wallets")).to_contain_text(account["address"])
    return str(account["address"])


def go(person: Keys, link_name: str) -> None:
    """Follows a link of the header's navigation (Shift+Tab back up to it from anywhere)."""
    nav = person.page.get_by_role("navigation", name="Site").get_by_role("link", name=link_name, exact=True)
    person.tab_to(nav, back=True)
    person.press("Enter")


def withdrawable(base: str, token: str) -> float:
    mine = httpx.get(base + "/api/payments/mine", headers={"Authorization": f"Bearer {token}"}).json()
    return float(mine["data"]["withdrawable"])


def test_the_whole_loop_by_keyboard(platform: Platform, browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    symbol = httpx.get(platform.base + "/api/payments/config").json()["data"]["token"]["symbol"]
    creator = Keys(browser.new_page())
    viewer = Keys(browser.new_page())

    # The creator: register, verify, sign in, link a wallet.
    base = register_and_sign_in(creator, platform.base, "kara", platform)
    # The viewer on the other origin (the mailed link may name either).
    host = urlsplit(base).hostname
    viewer_base = base.replace(host, "localhost" if host == "127.0.0.1" else "127.0.0.1")
    link_demo_wallet(creator, platform, CREATOR_WALLET)

    # Upload. A native file dialog cannot be driven by keys: the file input is reached by Tab
    # and opened by Space as a person would, and Playwright's file chooser stands in for the
    # operating system's dialog (choosing the file in it).
    page = creator.page
    go(creator, "Studio")
    studio_ready(page)
    clip = short_clip(tmp_path / "kelp.mp4", seconds=8)
    creator.tab_to(page.get_by_label("Video files"))
    with page.expect_file_chooser() as chosen:
        creator.press("Space")
    chosen.value.set_files(str(clip))
    creator.press("Tab")
    expect(page.get_by_label("Title", exact=True)).to_be_focused()
    creator.type(TITLE)
    creator.tab_to(page.get_by_role("button", name="Upload", exact=True))
    creator.press("Enter")
    expect(page.locator("#queue")).to_contain_text(TITLE)
    expect(page.locator("#processing-text")).to_contain_text(f"“{TITLE}” is ready", timeout=120_000)

    # Set the price: the row's field, typed over, and its button.
    price = page.get_by_role("textbox", name=f"Price of “{TITLE}” in {symbol} per second")
    creator.tab_to(price)
    creator.replace_text(PRICE)
    creator.tab_to(page.get_by_role("button", name=f"Set price of “{TITLE}”"))
    creator.press("Enter")
    expect(page.locator("#status")).to_contain_text(f"now costs {PRICE} {symbol} a second")
    [stream] = httpx.get(base + "/api/streams?status=ready").json()["data"]["items"]
    assert stream["title"] == TITLE and stream["pricePerSecond"] == PRICE, stream

    # The viewer: register, sign in, link a wallet, find the video on the browse page.
    register_and_sign_in(viewer, viewer_base, "lior")
    link_demo_wallet(viewer, platform, VIEWER_WALLET)
    watch = viewer.page
    go(viewer, "Browse")
    card = watch.locator(".stream-card", has_text=TITLE)
    viewer.tab_to(card.get_by_role("link", name=TITLE))
    viewer.press("Enter")
    expect(watch).to_have_url(f"{viewer_base}/watch/?id={stream['id']}")
    expect(watch.locator("#cost")).to_contain_text(f"costs at most 0.016 {symbol}")

    # Pay per second: a deposit of a minute (typed), the payment stream opened, the video plays
    # and the balance ticks down.
    viewer.tab_to(watch.get_by_label("Deposit, in seconds of watching"))
    viewer.replace_text("60")
    expect(watch.locator("#deposit-text")).to_contain_text(f"Deposit 0.12 {symbol}")
    viewer.tab_to(watch.get_by_role("button", name="Open payment stream"))
    viewer.press("Enter")
    expect(watch.locator("#running")).to_be_visible(timeout=30_000)
    payment = watch.locator("#stream-id").inner_text().lstrip("#")
    watch.wait_for_function("() => document.getElementById('video').currentTime > 2", timeout=30_000)
    first = watch.locator("#remaining").inner_text()
    expect(watch.locator("#remaining")).not_to_have_text(first, timeout=10_000)
    expect(watch.locator("#streamed")).to_contain_text(symbol)
    # The player's own controls answer keys too: Space on the focused Pause button.
    viewer.tab_to(watch.get_by_role("button", name="Pause"), back=True)
    viewer.press("Space")
    expect(watch.get_by_role("button", name="Play")).to_be_focused()
    assert watch.evaluate("() => document.getElementById('video').paused")
    viewer.press("Space")
    expect(watch.get_by_role("button", name="Pause")).to_be_visible()

    # The creator withdraws what has streamed so far (once the chain's watcher has indexed it).
    token = page.evaluate("() => sessionStorage.getItem('tidecast.token')")
    deadline = time.monotonic() + 30
    while withdrawable(base, token) <= 0:
        assert time.monotonic() < deadline, "the payment stream was never indexed"
        time.sleep(0.5)
    go(creator, "Studio")
    studio_ready(page)
    expect(page.locator("#earnings")).to_contain_text(TITLE)
    withdraw_all = page.get_by_role("button", name="Withdraw all")
    expect(withdraw_all).to_be_enabled()
    creator.tab_to(withdraw_all)
    creator.press("Enter")
    page.wait_for_function(
        "() => /withdrawn: /.test(document.getElementById('withdraw-status').textContent)"
        " || !document.getElementById('withdraw-alert').hidden",
        timeout=30_000,
    )
    expect(page.locator("#withdraw-alert")).to_be_hidden()
    expect(page.locator("#withdraw-status")).to_contain_text(
        re.compile(rf"1 of 1 withdrawn: [0-9.]+ {symbol} are in your wallet")
    )
    paid = httpx.get(f"{base}/api/payments/streams/{payment}").json()["data"]
    assert float(paid["withdrawn"]) > 0 and paid["active"], paid

    # The viewer stops: a calm state, the rest of the deposit back, nothing more plays.
    viewer.tab_to(watch.get_by_role("button", name="Stop paying"))
    viewer.press("Enter")
    expect(watch.locator("#status")).to_contain_text(
        re.compile(rf"Stopped\. You paid [0-9.]+ {symbol} for"), timeout=30_000
    )
    expect(watch.locator("#alert")).to_be_hidden()
    expect(watch.get_by_role("button", name="Open a new payment stream")).to_be_visible()
    ended = httpx.get(f"{base}/api/payments/streams/{payment}").json()["data"]
    assert ended["active"] is False, ended

    # The creator's studio, read again: the video's earnings, paid out.
    go(creator, "Studio")
    studio_ready(page)
    expect(page.locator("#earnings")).to_contain_text(TITLE)
    expect(page.locator("#earned")).to_contain_text(symbol)

    for person in (creator, viewer):
        assert person.unringed == [], person.unringed
        assert person.watch.errors == [], person.watch.errors
