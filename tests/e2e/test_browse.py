"""Browse and channel pages in a real browser (Debian's chromium) against the real platform:
search and sort kept in the address (back and forward work), "Load more", what a video's card
says, a creator's channel and its 404, and axe-core finding nothing (of any impact) at a
desktop's and a phone's width, in light and dark.

Set TIDECAST_E2E_SCREENSHOTS to a directory to keep screenshots of every state at 1280 and
390 px, light and dark."""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import media
from tests.support.platform import Platform, running_platform
from tests.support.tour import PASSWORD, all_violations, token_for
from tests.support.uploads import upload_over_http

WIDTHS = (1280, 390)

#: What the module's platform holds: (creator, title, description, seconds, price per second).
VIDEOS = (
    ("marina", "Harbour lights at dusk", "Boats coming home as the lamps go on.", 8, "0.01"),
    ("marina", "Tide pools", "Crabs, anemones and a very patient starfish.", 4, "0.05"),
    ("oskar", "Morning swim", "A cold swim across the harbour before work.", 6, "0.002"),
)


def seed(platform: Platform, work: Path) -> dict[str, dict[str, Any]]:
    """The VIDEOS uploaded, priced and ready; each stream's JSON by title."""
    ids: dict[str, str] = {}
    with httpx.Client(base_url=platform.base, timeout=60) as client:
        tokens = {name: token_for(client, platform, name) for name in sorted({v[0] for v in VIDEOS})}
        for creator, title, description, seconds, price in VIDEOS:
            clip = media.testsrc(work / f"{len(ids)}.mp4", size="320x180", seconds=seconds, rate=15)
            stream_id = upload_over_http(client, tokens[creator], clip.read_bytes(), title)
            patched = client.patch(
                f"/api/streams/{stream_id}",
                json={"description": description, "pricePerSecond": price},
                headers={"Authorization": f"Bearer {tokens[creator]}"},
            )
            assert patched.status_code == 200, patched.text
            ids[title] = stream_id
            time.sleep(0.05)  # distinct creation times, so "newest" has one order
        deadline = time.monotonic() + 180
        streams: dict[str, dict[str, Any]] = {}
        for title, stream_id in ids.items():
            while (stream := client.get(f"/api/streams/{stream_id}").json()["data"])["status"] != "ready":
                assert stream["status"] == "processing", stream
                assert time.monotonic() < deadline, stream
                time.sleep(0.5)
            streams[title] = stream
    return streams


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(tmp_path_factory.mktemp("platform")) as running:
        yield running


@pytest.fixture(scope="module")
def videos(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return seed(platform, tmp_path_factory.mktemp("clips"))


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page that fails the test on any script error or console error."""
    opened = browser.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" and not expected(msg.text) else None,
    )
    yield opened
    opened.close()
    assert errors == []


def expected(console_error: str) -> bool:
    """Chromium logs every answer of 400 and up as an error; a 404 for a channel nobody has and
    a 401 for a stale login are the pages' expected answers, not faults."""
    return bool(
        re.search(r"Failed to load resource: the server responded with a status of 40[14]", console_error)
    )


def check_page(page: Any, name: str) -> None:
    """axe at a desktop's and a phone's width in light and dark, no sideways scrolling on the
    phone, and screenshots when TIDECAST_E2E_SCREENSHOTS names a directory."""
    where = os.environ.get("TIDECAST_E2E_SCREENSHOTS")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(100)
            found = all_violations(page)
            assert found == [], (name, scheme, width, found)
            overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, (name, scheme, width, overflow)
            if where:
                Path(where).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(Path(where) / f"{name}-{width}-{scheme}.png"), full_page=True)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 720})


def titles(page: Any) -> list[str]:
    return [text.strip() for text in page.locator("#streams .stream-card-title").all_inner_texts()]


def test_a_card_says_what_the_video_is_and_costs(platform: Platform, videos: dict, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{platform.base}/")
    expect(page.locator("#streams > li")).to_have_count(len(VIDEOS))
    expect(page.locator("#status")).to_have_text("3 videos to watch")
    expect(page.locator("header.site-header nav a[aria-current=page]")).to_have_text("Browse")
    expect(page.locator("header.site-header")).to_contain_text("Sign in")

    harbour = videos["Harbour lights at dusk"]
    card = page.locator(".stream-card", has_text="Harbour lights at dusk")
    expect(card.get_by_role("link", name="Harbour lights at dusk")).to_have_attribute(
        "href", f"/watch/?id={harbour['id']}"
    )
    expect(card.get_by_role("link", name="marina")).to_have_attribute("href", "/channel/?name=marina")
    seconds = math.ceil(harbour["duration"])
    expect(card.locator(".duration")).to_have_text(re.compile(rf"Duration\s*0:0{round(harbour['duration'])}"))
    expect(card.locator("img")).to_have_attribute("src", harbour["thumbnail"])
    expect(card.locator("time")).to_have_attribute("datetime", harbour["createdAt"])
    expect(card.locator("time")).to_have_text(re.compile(r"now|second|minute"))
    # The price per second and the whole video's, on one line at a desktop's width.
    whole = Decimal("0.01") * seconds  # a key period is paid whole: the seconds rounded up
    assert Decimal(harbour["priceTotal"]) == whole, harbour
    expect(card.locator(".price-rate")).to_have_text("0.01 TIDE/s")
    expect(card.locator(".price-total")).to_have_text(f"{whole:.2f} TIDE for the whole video")
    box = card.locator(".stream-card-price").bounding_box()
    line = card.locator(".price-rate").bounding_box()
    assert box["height"] < line["height"] * 1.6, (box, line)
    check_page(page, "browse")

    # The creator's name goes to their channel.
    card.get_by_role("link", name="marina").click()
    expect(page).to_have_url(f"{platform.base}/channel/?name=marina")
    expect(page.get_by_role("heading", level=1)).to_have_text("marina")


def test_search_and_sort_live_in_the_address(platform: Platform, videos: dict, page: Any) -> None:
    from playwright.sync_api import expect

    base = platform.base
    page.goto(f"{base}/")
    expect(page.locator("#streams > li")).to_have_count(3)
    assert titles(page) == ["Morning swim", "Tide pools", "Harbour lights at dusk"]  # newest first

    page.get_by_label("Sort by").select_option("title")
    expect(page).to_have_url(f"{base}/?sort=title")
    expect(page.locator("#streams .stream-card-title").first).to_have_text("Harbour lights at dusk")
    assert titles(page) == ["Harbour lights at dusk", "Morning swim", "Tide pools"]

    page.get_by_label("Sort by").select_option("price")
    expect(page).to_have_url(f"{base}/?sort=price")
    expect(page.locator("#streams .stream-card-title").first).to_have_text("Morning swim")
    assert titles(page) == ["Morning swim", "Harbour lights at dusk", "Tide pools"]  # cheapest first

    # "harbour" is in one title and in another video's description.
    page.get_by_label("Search videos").fill("harbour")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(f"{base}/?q=harbour&sort=price")
    expect(page.locator("#streams > li")).to_have_count(2)
    expect(page.locator("#status")).to_have_text("2 videos match “harbour”")
    assert titles(page) == ["Morning swim", "Harbour lights at dusk"]
    expect(page).to_have_title(re.compile("harbour"))

    # A creator's name finds their videos too.
    page.get_by_label("Search videos").fill("oskar")
    page.get_by_label("Search videos").press("Enter")
    expect(page).to_have_url(f"{base}/?q=oskar&sort=price")
    expect(page.locator("#streams > li")).to_have_count(1)

    # Nothing matches: an honest empty state, with a way back.
    page.get_by_label("Search videos").fill("zeppelin")
    page.get_by_label("Search videos").press("Enter")
    expect(page.locator("#empty")).to_be_visible()
    expect(page.locator("#empty")).to_contain_text("No videos match “zeppelin”.")
    expect(page.locator("#status")).to_have_text("No videos match “zeppelin”.")
    expect(page.locator("#streams")).to_be_hidden()
    check_page(page, "browse-no-match")

    # Back and forward walk the searches, and the form follows.
    page.go_back()
    expect(page).to_have_url(f"{base}/?q=oskar&sort=price")
    expect(page.locator("#streams > li")).to_have_count(1)
    expect(page.get_by_label("Search videos")).to_have_value("oskar")
    page.go_back()
    page.go_back()
    expect(page).to_have_url(f"{base}/?sort=price")
    expect(page.locator("#streams > li")).to_have_count(3)
    expect(page.get_by_label("Search videos")).to_have_value("")
    expect(page.get_by_label("Sort by")).to_have_value("price")
    page.go_forward()
    expect(page.locator("#streams > li")).to_have_count(2)
    expect(page.get_by_label("Search videos")).to_have_value("harbour")

    # An address typed or shared opens in that state.
    page.goto(f"{base}/?q=TIDE+POOLS&sort=oldest")
    expect(page.locator("#streams > li")).to_have_count(1)
    expect(page.get_by_label("Sort by")).to_have_value("oldest")
    expect(page.locator("#empty")).to_be_hidden()


def test_load_more_follows_the_next_page(platform: Platform, videos: dict, page: Any) -> None:
    from playwright.sync_api import expect

    # Two videos a page (the page asks for 24), so the three need two pages.
    page.route(
        re.compile(r".*/api/streams\?.*"),
        lambda route: route.continue_(url=re.sub(r"limit=\d+", "limit=2", route.request.url)),
    )
    page.goto(f"{platform.base}/")
    expect(page.locator("#streams > li")).to_have_count(2)
    expect(page.locator("#status")).to_have_text("Showing 2 videos")
    more = page.get_by_role("button", name="Load more")
    more.click()
    expect(page.locator("#streams > li")).to_have_count(3)
    expect(more).to_be_hidden()
    expect(page.locator("#status")).to_have_text("3 videos to watch")
    assert titles(page) == ["Morning swim", "Tide pools", "Harbour lights at dusk"]


def test_a_channel_lists_its_creators_videos(platform: Platform, videos: dict, page: Any) -> None:
    from playwright.sync_api import expect

    base = platform.base
    page.goto(f"{base}/channel/?name=marina")
    expect(page.get_by_role("heading", level=1)).to_have_text("marina")
    expect(page.locator("#facts")).to_contain_text("Joined")
    expect(page.locator("#facts")).to_contain_text("2 videos")
    expect(page.locator("#streams > li")).to_have_count(2)
    assert titles(page) == ["Tide pools", "Harbour lights at dusk"]
    expect(page.locator("#streams")).not_to_contain_text("Morning swim")
    expect(page).to_have_title("marina · tidecast")
    check_page(page, "channel")

    page.get_by_label("Sort videos by").select_option("duration")
    expect(page).to_have_url(f"{base}/channel/?name=marina&sort=duration")
    expect(page.locator("#streams .stream-card-title").first).to_have_text("Harbour lights at dusk")
    page.go_back()
    expect(page.get_by_label("Sort videos by")).to_have_value("newest")
    expect(page.locator("#streams .stream-card-title").first).to_have_text("Tide pools")


def test_a_channel_nobody_has_says_so(platform: Platform, videos: dict, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{platform.base}/channel/?name=nobody_here")
    expect(page.locator("#missing")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("No creator named “nobody_here”.")
    expect(page.locator("#videos")).to_be_hidden()
    expect(page.get_by_role("link", name="Browse videos").first).to_be_visible()
    check_page(page, "channel-404")

    page.goto(f"{platform.base}/channel/")
    expect(page.get_by_role("heading", level=1)).to_have_text("No channel chosen.")


def test_the_other_pages_share_the_design(platform: Platform, videos: dict, page: Any) -> None:
    """Verify, reset, 404 and the API reference: the same header and footer, and axe-clean."""
    from playwright.sync_api import expect

    base = platform.base
    page.goto(f"{base}/verify-email/")
    expect(page.locator("#status")).to_contain_text("This link has no token")
    expect(page.locator("header.site-header .brand")).to_have_text("tidecast")
    check_page(page, "verify-email")

    page.goto(f"{base}/reset-password/?token=abc")
    expect(page).to_have_url(f"{base}/reset-password/")  # the token leaves the address
    expect(page.get_by_label("New password")).to_be_visible()
    check_page(page, "reset-password")

    page.goto(f"{base}/no/such/page")
    expect(page.locator("h1")).to_have_text("Page not found")
    expect(page.locator("footer.site-footer").get_by_role("link", name="API reference")).to_have_attribute(
        "href", "/docs/api/"
    )
    check_page(page, "404")

    page.goto(f"{base}/docs/api/")
    expect(page.locator("#reference .opblock").first).to_be_visible(timeout=20_000)
    if os.environ.get("TIDECAST_E2E_SCREENSHOTS"):
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(
                    path=str(Path(os.environ["TIDECAST_E2E_SCREENSHOTS"]) / f"api-{width}-{scheme}.png")
                )


def test_the_header_shows_who_is_signed_in(platform: Platform, videos: dict, page: Any) -> None:
    from playwright.sync_api import expect

    login = httpx.post(f"{platform.base}/api/auth/login", json={"username": "oskar", "password": PASSWORD})
    token = login.json()["token"]
    page.goto(f"{platform.base}/")
    page.evaluate("(token) => sessionStorage.setItem('tidecast.token', token)", token)
    page.reload()
    header = page.locator("header.site-header")
    expect(header.get_by_role("link", name="oskar")).to_have_attribute("href", "/account/")
    check_page(page, "browse-signed-in")
    header.get_by_role("button", name="Sign out").click()
    expect(header.get_by_role("link", name="Sign in")).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('tidecast.token')") is None

    # A stale token: the header offers "Sign in", and nothing throws.
    page.evaluate("() => sessionStorage.setItem('tidecast.token', 'not-a-token')")
    page.reload()
    expect(header.get_by_role("link", name="Sign in")).to_be_visible()
