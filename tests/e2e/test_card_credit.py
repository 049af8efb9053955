"""Card credit in a real browser against the real platform (`tidecast dev`: dev server, worker,
embedded chain and IPFS; segments of 2 s, one key period a segment), paying through a FAKE of
Stripe: localstripe (tests/support/stripe_fake.py), a stateful imitation of Stripe's API and of
its hosted Checkout page, run locally. Stripe itself cannot be reached from here, so this proves
the pages and the platform against localstripe, not against Stripe.

A viewer with no wallet signs in, opens /credit/, buys $5.00 of credit (localstripe's Checkout
page is filled in and submitted in the browser, as a customer would), comes back and sees the
credit land when the fake's signed webhook does; opens a creator's paid stream, pays with card
credit (the platform's treasury opens the payment stream), watches the picture play, presses
Stop and sees what was charged and what is left, the same figures the API gives: remaining =
bought - charged. A second playback ended by leaving the page (pagehide, a keepalive request) is
settled too. The creator's studio lists the treasury's payment streams among its earnings, like
any other received payment stream.

Set TIDECAST_E2E_SCREENSHOTS to a directory to keep screenshots of both pages at 1280 and 390 px.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_front_end import PASSWORD, demo, no_axe_violations, register, sign_in, studio_ready
from tests.support import media
from tests.support.platform import Platform, running_platform
from tests.support.stripe_fake import SECRET_KEY, LocalStripe, local_stripe

WEBHOOK_SECRET = "whsec_e2e_tidecast_card_credit"
PRICE = "0.002"
#: TIDECAST_CREDIT_HOLD_SECONDS's default: a playback holds an hour at the price at most.
HOLD_SECONDS = 3600
BOUGHT = Decimal(500)  # $5.00 at the default rate of 100 tokens a dollar
#: `tidecast dev` pays for card credit from demo account 9 (no other role here uses it).
TREASURY_INDEX = 9
#: The history writes a charge with a true minus sign (U+2212), as typeset.
MINUS = "\N{MINUS SIGN}"


@pytest.fixture(scope="module")
def stripe_fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    with local_stripe(tmp_path_factory.mktemp("localstripe")) as fake:
        yield fake


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, stripe_fake: LocalStripe) -> Iterator[Platform]:
    """The platform with card payments pointed at the fake, its webhook registered there."""
    env = {
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_API_BASE": stripe_fake.api_base,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    with running_platform(tmp_path_factory.mktemp("platform"), env) as running:
        stripe_fake.register_webhook(running.base + "/api/billing/webhook", WEBHOOK_SECRET)
        yield running


def shoot(page: Any, name: str) -> None:
    """Screenshots of the page as it is, at a desktop's and a phone's width (when asked for)."""
    where = os.environ.get("TIDECAST_E2E_SCREENSHOTS")
    if not where:
        return
    Path(where).mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(300)
        page.screenshot(path=str(Path(where) / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 720})


def plain(amount: Decimal) -> str:
    """A token amount as the API and the pages write it: "7.2", "500", never "5E+2"."""
    return format(amount.normalize(), "f")


def current_time(page: Any) -> float:
    return float(page.evaluate("() => document.getElementById('video').currentTime"))


def balance(base: str, token: str) -> dict[str, Any]:
    reply = httpx.get(base + "/api/billing/balance", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200, reply.text
    return dict(reply.json()["data"])


def login_token(base: str, username: str) -> str:
    reply = httpx.post(base + "/api/auth/login", json={"username": username, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["token"])


def paid_stream(platform: Platform, creator: Any, tmp_path: Path) -> dict[str, Any]:
    """A creator with a linked wallet (demo account 3) uploads a clip on the studio page and
    prices it: a ready, encrypted, paid stream."""
    from playwright.sync_api import expect

    base = platform.base
    demo(platform, 3).install(creator)
    register(base, "cora")
    platform.verify_email("cora@example.com")  # uploading needs it
    sign_in(creator, base, "cora")
    creator.get_by_role("button", name="Link a wallet").click()
    expect(creator.locator("#status")).to_contain_text("is linked to your account")
    clip = media.testsrc(tmp_path / "clip.mp4", size="320x240", seconds=30)
    creator.goto(f"{base}/studio/")
    studio_ready(creator)
    creator.get_by_label("Title").fill("Harbour lights")
    creator.get_by_label("Video file").set_input_files(str(clip))
    creator.get_by_role("button", name="Upload").click()
    expect(creator.locator("#processing-text")).to_contain_text("is ready", timeout=120_000)
    creator.get_by_role("textbox", name="Price of “Harbour lights”").fill(PRICE)
    creator.get_by_role("button", name="Set price of “Harbour lights”").click()
    expect(creator.locator("#status")).to_contain_text(f"now costs {PRICE} TIDE a second")
    [stream] = httpx.get(base + "/api/streams?status=ready").json()["data"]["items"]
    assert stream["encrypted"] and stream["pricePerSecond"] == PRICE and stream["creator"]["wallet"]
    return dict(stream)


def test_buy_credit_watch_on_it_and_the_creator_is_paid(
    platform: Platform, browser: Any, stripe_fake: LocalStripe, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    base = platform.base
    # The viewer's pages on another origin (localhost): Stripe's success_url names it, as
    # TIDECAST_PUBLIC_URL does (`tidecast dev --port` sets it to http://localhost:<port>).
    viewer_base = base.replace("127.0.0.1", "localhost")
    errors: list[str] = []
    creator = browser.new_page()
    creator.on("pageerror", lambda exc: errors.append(f"creator: {exc}"))
    stream = paid_stream(platform, creator, tmp_path)
    symbol = httpx.get(base + "/api/payments/config").json()["data"]["token"]["symbol"]
    treasury = platform.chain()["accounts"][TREASURY_INDEX]["address"]

    # A viewer without a wallet: signed out, the credit page says to sign in; signed in, they
    # have nothing yet.
    viewer = browser.new_page()
    viewer.on("pageerror", lambda exc: errors.append(f"viewer: {exc}"))
    viewer.goto(f"{viewer_base}/credit/")
    expect(viewer.locator("#signed-out")).to_contain_text("Sign in")
    no_axe_violations(viewer)
    register(viewer_base, "nadia")
    sign_in(viewer, viewer_base, "nadia")
    token = login_token(base, "nadia")
    me = httpx.get(base + "/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()["data"]
    assert me["wallets"] == []

    # Card credit is the way to pay without a wallet; without credit, the page says where to buy.
    viewer.goto(f"{viewer_base}/watch/?id={stream['id']}")
    expect(viewer.locator("#credit-available")).to_contain_text("You have no card credit yet")
    viewer.get_by_role("button", name="Pay with card credit").click()
    expect(viewer.locator("#alert")).to_contain_text("Not enough credit")
    viewer.locator("#alert").get_by_role("link", name="Buy card credit").click()
    expect(viewer).to_have_url(f"{viewer_base}/credit/")
    expect(viewer.locator("#available")).to_have_text(f"0 {symbol}")
    expect(viewer.locator("#no-history")).to_be_visible()
    expect(viewer.locator("#buy-summary")).to_have_text(f"You pay $5.00 and get 500 {symbol} of credit.")
    no_axe_violations(viewer)

    # Buys $5.00 of credit on (the fake) Stripe's hosted page, and comes back.
    viewer.get_by_label(f"$10.00 → 1,000 {symbol}").check()
    expect(viewer.locator("#buy-summary")).to_have_text(f"You pay $10.00 and get 1,000 {symbol} of credit.")
    viewer.get_by_label(f"$5.00 → 500 {symbol}").check()
    viewer.get_by_role("button", name="Buy credit").click()
    viewer.wait_for_url(f"{stripe_fake.api_base}/checkout/pay/*")
    viewer.locator("#cardNumber").fill("4242424242424242")
    viewer.locator("#submit").click()
    back = re.escape(f"{viewer_base}/credit/") + r"(\?checkout=success&session=cs_\w+)?$"
    viewer.wait_for_url(re.compile(back))
    expect(viewer.locator("#status")).to_contain_text(
        f"Payment complete: 500 {symbol} of credit added", timeout=30_000
    )
    expect(viewer.locator("#available")).to_have_text(f"500 {symbol}")
    expect(viewer.locator("#history")).to_contain_text("Bought with a card")
    expect(viewer.locator("#history")).to_contain_text(f"+500 {symbol}")
    assert balance(base, token)["available"] == "500"
    no_axe_violations(viewer)

    # A paid stream: card credit is offered first (no wallet), and it plays on it.
    viewer.goto(f"{viewer_base}/watch/?id={stream['id']}")
    # No wallet is not an error here: an invitation to pay, not an alert.
    expect(viewer.locator("#status")).to_contain_text("pay with card credit, or link a wallet")
    expect(viewer.locator("#alert")).to_be_hidden()
    pay = viewer.get_by_role("button", name="Pay with card credit")
    expect(pay).to_be_visible()
    expect(pay).to_have_class(re.compile(r"\bprimary\b"))
    expect(viewer.locator("#credit-available")).to_contain_text(f"You have 500 {symbol} of card credit")
    no_axe_violations(viewer)
    shoot(viewer, "watch-credit-offered")
    pay.click()
    held = Decimal(PRICE) * HOLD_SECONDS  # an hour at the price: less than the credit
    expect(viewer.locator("#credit-held")).to_have_text(
        f"Paying from card credit: {plain(held)} {symbol} held", timeout=30_000
    )
    payment_id = viewer.locator("#stream-id").inner_text().strip().lstrip("#")
    assert payment_id.isdigit(), payment_id
    viewer.evaluate("() => { const v = document.getElementById('video'); v.muted = true; return v.play(); }")
    viewer.wait_for_function("() => document.getElementById('video').currentTime > 4", timeout=30_000)
    frames = viewer.evaluate(
        "() => document.getElementById('video').getVideoPlaybackQuality().totalVideoFrames"
    )
    assert frames > 40, frames  # decoded pictures: the keys came, paid by the treasury's stream
    assert balance(base, token) | {"token": None} == {
        "available": plain(BOUGHT - held),
        "held": plain(held),
        "disputed": "0",
        "disputeOpen": False,
        "token": None,
    }
    expect(viewer.get_by_role("button", name="Top up")).to_be_hidden()  # nothing of a wallet's
    no_axe_violations(viewer)
    shoot(viewer, "watch-paying-from-credit")

    # Stop: the picture stops, the charge is what streamed, the rest of the hold comes back.
    viewer.get_by_role("button", name="Stop", exact=True).click()
    result = viewer.locator("#credit-result")
    expect(result).to_contain_text("Charged", timeout=30_000)
    found = re.fullmatch(
        rf"Charged ([0-9.]+) {symbol} for what you watched; ([0-9.]+) {symbol} of credit left\.",
        result.inner_text().strip(),
    )
    assert found, result.inner_text()
    charged, left = Decimal(found[1]), Decimal(found[2])
    assert Decimal(PRICE) * 4 <= charged < held, charged  # at least the 4 s watched, not the hold
    assert left == BOUGHT - charged
    after = balance(base, token)
    assert (Decimal(after["available"]), Decimal(after["held"])) == (BOUGHT - charged, 0), after
    stopped_at = current_time(viewer)
    time.sleep(2)
    assert current_time(viewer) == stopped_at
    assert viewer.evaluate("() => document.getElementById('video').paused")
    ended = httpx.get(f"{base}/api/payments/streams/{payment_id}").json()["data"]
    assert ended["active"] is False and ended["sender"].lower() == treasury.lower(), ended
    assert ended["recipient"].lower() == stream["creator"]["wallet"].lower(), ended
    assert Decimal(ended["withdrawn"]) == charged, ended  # what the creator was paid on chain
    expect(pay).to_be_visible()  # and may start again
    shoot(viewer, "watch-credit-stopped")

    # A second playback, ended by leaving the page: pagehide's keepalive request settles it.
    pay.click()
    viewer.wait_for_function(
        "() => !document.getElementById('credit-running').hidden"
        f" && document.getElementById('stream-id').textContent !== '#{payment_id}'",
        timeout=30_000,
    )
    expect(viewer.locator("#credit-held")).to_contain_text("Paying from card credit")
    second = viewer.locator("#stream-id").inner_text().strip().lstrip("#")
    viewer.evaluate("() => { const v = document.getElementById('video'); v.muted = true; return v.play(); }")
    # It goes on from where Stop left the picture.
    viewer.wait_for_function(
        f"() => document.getElementById('video').currentTime >= {stopped_at - 0.5}", timeout=30_000
    )
    resumed = current_time(viewer)
    viewer.wait_for_function(
        f"() => document.getElementById('video').currentTime > {resumed + 3}", timeout=30_000
    )
    viewer.get_by_role("navigation", name="Site").get_by_role("link", name="Credit").click()
    expect(viewer).to_have_url(f"{viewer_base}/credit/")
    deadline = time.monotonic() + 30
    while (now := balance(base, token))["held"] != "0":
        assert time.monotonic() < deadline, f"the left playback was never settled: {now}"
        time.sleep(0.5)
    entries = httpx.get(
        base + "/api/billing/history?limit=200", headers={"Authorization": f"Bearer {token}"}
    ).json()["data"]["entries"]
    charges = [-Decimal(e["amount"]) for e in entries if e["kind"] == "settlement"]
    assert len(charges) == 2 and charges[-1] == charged, entries  # newest first
    assert charges[0] >= Decimal(PRICE) * 3, charges  # the 3 s watched, at least
    assert Decimal(now["available"]) == BOUGHT - sum(charges), (now, charges)

    # The credit page: what is left, and the history in words.
    viewer.reload()
    expect(viewer.locator("#available")).to_have_text(f"{plain(BOUGHT - sum(charges))} {symbol}")
    expect(viewer.locator("#held")).to_have_text(f"0 {symbol}")
    history = viewer.locator("#history")
    # One line an event, newest first: each playback (its hold, charge and release), the purchase.
    expect(history.locator("tr")).to_have_count(3)
    lines = [
        " | ".join(row)
        for row in history.locator("tr").evaluate_all(
            "rows => rows.map((row) => [...row.cells].slice(1).map((cell) => cell.textContent))"
        )
    ]
    paid = "Watched on card credit: paid to the creator for what you watched"
    assert lines == [
        f"{paid} | {MINUS}{plain(charges[0])} {symbol}",
        f"{paid} | {MINUS}{plain(charged)} {symbol}",
        f"Bought with a card | +500 {symbol}",
    ], lines
    no_axe_violations(viewer)
    shoot(viewer, "credit")

    # The creator's studio lists the treasury's payment streams with its earnings.
    creator.goto(f"{base}/studio/")
    studio_ready(creator)
    received = creator.locator("#received")
    for treasury_stream in (payment_id, second):
        row = received.locator("tr", has_text=f"#{treasury_stream}")
        expect(row).to_be_visible(timeout=30_000)  # once the chain watcher has indexed it
        expect(row).to_contain_text(re.compile(re.escape(treasury), re.IGNORECASE))
        expect(row).to_contain_text(f"{PRICE} {symbol}/s")
        expect(row).to_contain_text("ended (paid out)")
    assert errors == []
