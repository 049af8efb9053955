"""The watch page as a viewer meets it, in Debian's chromium against the real platform (`tidecast
dev`; segments of 2 s, one key period a segment), with a test EIP-1193 wallet injected:

the poster and the price before paying ("costs at most … TIDE"), an inviting panel (no red
error, no raw address, no "tokens"), a deposit sized to what is left of the video; the custom
controls (accessible names, keyboard shortcuts); paying, the balance ticking; a stop that is a
calm state after which nothing plays; the position saved and offered back ("Resume from …"), a
new payment stream that goes on from there; a free video; and not one console error in any of
it. Screenshots at 1280 and 390 px, light and dark, go to TIDECAST_E2E_SCREENSHOTS when set."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_front_end import PASSWORD, demo, register
from tests.support import media
from tests.support.axe import serious_violations
from tests.support.platform import Platform
from tests.support.uploads import upload_over_http

PRICE = "0.002"
SECONDS = 20
#: The deposit offered: the video, plus the start's slack (public/watch/pricing.js, 5 s), in
#: whole key periods (2 s here).
DEPOSIT_SECONDS = 26
ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def axe_clean(page: Any) -> None:
    """axe-core finds no violation of any impact (the issue's bar, above serious_violations')."""
    serious_violations(page)  # loads axe-core into the page
    found = page.evaluate(
        """async () => (await axe.run(document, { runOnly: { type: "tag", values:
            ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } }))
            .violations.map((v) => ({ id: v.id, impact: v.impact,
              nodes: v.nodes.map((n) => n.target.join(" ")) }))"""
    )
    assert found == [], found


def shoot(page: Any, name: str) -> None:
    """The page at a desktop's and a phone's width, light and dark, checked by axe-core in each;
    screenshots of each when TIDECAST_E2E_SCREENSHOTS names a directory."""
    where = os.environ.get("TIDECAST_E2E_SCREENSHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.evaluate("() => scrollTo(0, 0)")
            page.wait_for_timeout(250)
            axe_clean(page)
            if where:
                page.screenshot(path=str(Path(where) / f"watch-{name}-{width}-{scheme}.png"), full_page=True)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 800})


def login(base: str, username: str) -> str:
    reply = httpx.post(base + "/api/auth/login", json={"username": username, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["token"])


def link(base: str, token: str, private_key: str) -> None:
    """Links a wallet through the API as the account page does (EIP-4361, personal_sign)."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    account = Account.from_key(private_key)
    auth = {"Authorization": f"Bearer {token}"}
    nonce = httpx.post(
        base + "/api/auth/wallet/nonce", json={"purpose": "link", "address": account.address}, headers=auth
    ).json()["data"]
    signature = account.sign_message(encode_defunct(text=nonce["message"])).signature.to_0x_hex()
    reply = httpx.post(
        base + "/api/auth/wallet/link",
        json={"message": nonce["message"], "signature": signature},
        headers=auth,
    )
    assert reply.status_code == 200, reply.text


def ready_stream(base: str, token: str, clip: bytes, title: str) -> dict[str, Any]:
    with httpx.Client(base_url=base, timeout=60) as client:
        stream_id = upload_over_http(client, token, clip, title)
        deadline = time.monotonic() + 180
        while (stream := client.get(f"/api/streams/{stream_id}").json()["data"])["status"] != "ready":
            assert stream["status"] != "failed" and time.monotonic() < deadline, stream
            time.sleep(0.5)
    return dict(stream)


def signed_in(page: Any, base: str, token: str) -> None:
    page.goto(base + "/404.html")
    page.evaluate("(token) => sessionStorage.setItem('tidecast.token', token)", token)


def watch_console(page: Any, errors: list[str]) -> None:
    """Every console error and uncaught exception of the page, to assert there are none."""
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))


def now(page: Any) -> float:
    return float(page.evaluate("() => document.getElementById('video').currentTime"))


@pytest.fixture(scope="module")
def videos(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A creator with a linked wallet, a paid video of 20 s and a free one of 6 s."""
    base = platform.base
    register(base, "marea")
    platform.verify_email("marea@example.com")
    token = login(base, "marea")
    link(base, token, platform.chain()["accounts"][3]["privateKey"])
    work = tmp_path_factory.mktemp("clips")
    paid = ready_stream(
        base,
        token,
        media.testsrc(work / "paid.mp4", size="320x240", seconds=SECONDS).read_bytes(),
        "Kelp forest",
    )
    reply = httpx.patch(
        f"{base}/api/streams/{paid['id']}",
        json={"pricePerSecond": PRICE, "description": "A slow walk through the kelp at low tide."},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 200, reply.text
    free = ready_stream(
        base, token, media.testsrc(work / "free.mp4", size="320x240", seconds=6).read_bytes(), "Free tide"
    )
    made_free = httpx.patch(
        f"{base}/api/streams/{free['id']}",
        json={"pricePerSecond": "0"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert made_free.status_code == 200, made_free.text
    return {"paid": reply.json()["data"], "free": made_free.json()["data"], "creator": token}


def test_before_paying_the_price_and_an_invitation(
    platform: Platform, browser: Any, videos: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    base = platform.base.replace("127.0.0.1", "localhost")
    stream = videos["paid"]
    symbol = httpx.get(platform.base + "/api/payments/config").json()["data"]["token"]["symbol"]
    page = browser.new_page()
    errors: list[str] = []
    watch_console(page, errors)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    # Signed out: the poster, the details, the price, and a way to sign in.
    page.goto(f"{base}/watch/?id={stream['id']}")
    expect(page.locator("#title")).to_have_text("Kelp forest")
    expect(page.locator("#creator")).to_have_attribute("href", "/channel/?name=marea")
    expect(page.locator("#description")).to_contain_text("slow walk")
    cost = f"This {SECONDS} s video costs at most 0.04 {symbol}"
    expect(page.locator("#cost")).to_contain_text(cost)
    expect(page.locator("#cost")).to_contain_text("you pay per second watched")
    expect(page.get_by_role("link", name="Sign in to watch")).to_be_visible()
    assert (
        page.evaluate("() => document.getElementById('video').getAttribute('poster')") == stream["thumbnail"]
    )
    expect(page.locator("#alert")).to_be_hidden()
    expect(page.get_by_role("button", name="Play")).to_be_disabled()
    shoot(page, "signed-out")

    # Signed in with a linked wallet: the panel invites, sized to the video.
    register(platform.base, "nerea")
    token = login(platform.base, "nerea")
    link(platform.base, token, platform.chain()["accounts"][4]["privateKey"])
    demo(platform, 4).install(page)
    signed_in(page, base, token)
    page.goto(f"{base}/watch/?id={stream['id']}")
    panel = page.locator("#payment")
    expect(panel.get_by_role("heading", name="Pay per second to watch")).to_be_visible()
    expect(page.get_by_label("Deposit, in seconds of watching")).to_have_value(str(DEPOSIT_SECONDS))
    expect(page.locator("#deposit-text")).to_contain_text(f"Deposit 0.052 {symbol}")
    expect(page.get_by_role("button", name="Open payment stream")).to_be_visible()
    expect(page.get_by_role("button", name="Pay with card credit")).to_be_visible()
    expect(page.locator("#alert")).to_be_hidden()
    text = panel.inner_text()
    assert not ADDRESS.search(text) and "tokens" not in text, text
    # The deposit follows what the viewer asks for.
    page.get_by_label("Deposit, in seconds of watching").fill("60")
    expect(page.locator("#deposit-text")).to_contain_text(f"Deposit 0.12 {symbol}")
    shoot(page, "before-paying")

    # Nothing was asked of the keys or the playlists before paying, and no token was refused.
    assert not [u for u in requests if ".m3u8" in u or "/api/keys/" in u or u.endswith("/playback")], requests
    assert errors == [], errors
    page.close()


def test_pay_watch_stop_and_resume(platform: Platform, browser: Any, videos: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    base = platform.base.replace("127.0.0.1", "localhost")
    stream = videos["paid"]
    symbol = httpx.get(platform.base + "/api/payments/config").json()["data"]["token"]["symbol"]
    register(platform.base, "olas")
    token = login(platform.base, "olas")
    link(platform.base, token, platform.chain()["accounts"][5]["privateKey"])
    page = browser.new_page()
    errors: list[str] = []
    watch_console(page, errors)
    demo(platform, 5).install(page)
    signed_in(page, base, token)
    page.goto(f"{base}/watch/?id={stream['id']}")

    # Pays and watches: the balance ticks, the controls work by keyboard.
    page.get_by_role("button", name="Open payment stream").click()
    expect(page.locator("#running")).to_be_visible(timeout=30_000)
    page.evaluate("() => { document.getElementById('video').muted = true }")
    page.wait_for_function("() => document.getElementById('video').currentTime > 3", timeout=30_000)
    expect(page.get_by_role("button", name="Pause")).to_be_enabled()
    first = page.locator("#remaining").inner_text()
    page.wait_for_timeout(1500)
    assert page.locator("#remaining").inner_text() != first
    expect(page.locator("#streamed")).to_contain_text(symbol)
    expect(page.get_by_label("Quality").locator("option")).not_to_have_count(1)
    page.locator("#title").click()  # focus on the page, not on a field
    page.keyboard.press("k")
    page.wait_for_function("() => document.getElementById('video').paused")
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    page.keyboard.press("k")
    page.wait_for_function("() => !document.getElementById('video').paused")
    page.keyboard.press("m")
    page.wait_for_function("() => !document.getElementById('video').muted")
    expect(page.get_by_role("button", name="Mute")).to_be_visible()
    page.keyboard.press("m")
    page.wait_for_function("() => document.getElementById('video').muted")
    expect(page.get_by_role("button", name="Unmute")).to_be_visible()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.getElementById('video').volume") < 1
    # Typing in a field is not a shortcut.
    field = page.get_by_label("Top up, in seconds of watching")
    field.focus()
    page.keyboard.press("k")
    assert not page.evaluate("() => document.getElementById('video').paused")
    shoot(page, "playing")

    # Stops on purpose: a calm state, and nothing more plays.
    page.get_by_role("button", name="Stop paying").click()
    expect(page.locator("#status")).to_contain_text(
        re.compile(rf"Stopped\. You paid [0-9.]+ {symbol} for \d+ s"), timeout=30_000
    )
    expect(page.locator("#alert")).to_be_hidden()
    stopped_at = now(page)
    expect(page.get_by_role("button", name="Play")).to_be_disabled()
    page.evaluate("() => document.getElementById('video').play().catch(() => {})")
    page.locator("#title").click()
    page.keyboard.press("k")
    page.wait_for_timeout(1500)
    assert page.evaluate("() => document.getElementById('video').paused")
    assert abs(now(page) - stopped_at) < 0.3, (now(page), stopped_at)
    expect(page.get_by_role("button", name="Open a new payment stream")).to_be_visible()
    # The next deposit is sized from the stop, not from where this payment stream started.
    offered = int(page.get_by_label("Deposit, in seconds of watching").input_value())
    left = SECONDS - int(stopped_at) + 5  # and the start's slack
    assert left - 1 <= offered <= left + 2, (left, offered, stopped_at)
    shoot(page, "stopped")

    # The position is the account's: another device (a fresh page) is offered to resume.
    position = httpx.get(
        f"{platform.base}/api/streams/{stream['id']}/position", headers={"Authorization": f"Bearer {token}"}
    ).json()["data"]
    assert position["seconds"] is not None and abs(position["seconds"] - stopped_at) < 1.5, (
        position,
        stopped_at,
    )
    page.reload()
    resume = page.get_by_role("button", name=re.compile(r"^Resume from \d+:\d\d$"))
    expect(resume).to_be_visible()
    expect(page.get_by_role("button", name="Start over")).to_be_visible()
    left = SECONDS - int(position["seconds"]) + 5  # and the start's slack
    expect(page.locator("#deposit-text")).to_contain_text("Deposit")
    shown = int(page.get_by_label("Deposit, in seconds of watching").input_value())
    assert left <= shown <= left + 2, (left, shown)  # what is left, in whole key periods
    page.get_by_role("button", name="Open payment stream").click()
    expect(page.locator("#running")).to_be_visible(timeout=30_000)
    page.wait_for_function(
        f"() => document.getElementById('video').currentTime > {position['seconds'] + 1}", timeout=30_000
    )
    # it went on from there, not from 0:00: the first frames played were after the stop
    assert (
        page.evaluate("() => document.getElementById('video').played.start(0)") >= position["seconds"] - 0.5
    )
    page.get_by_role("button", name="Stop paying").click()
    expect(page.locator("#status")).to_contain_text("Stopped.", timeout=30_000)
    assert errors == [], errors
    page.close()


def test_a_free_video_and_the_error_states(platform: Platform, browser: Any, videos: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    base = platform.base
    page = browser.new_page()
    errors: list[str] = []
    watch_console(page, errors)
    register(base, "playa")
    signed_in(page, base, login(base, "playa"))
    page.goto(f"{base}/watch/?id={videos['free']['id']}")
    expect(page.locator("#status")).to_contain_text("free to watch")
    expect(page.locator("#payment")).to_be_hidden()
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("() => document.getElementById('video').currentTime > 1", timeout=30_000)
    shoot(page, "free")

    page.goto(f"{base}/watch/")
    expect(page.locator("#alert")).to_contain_text("No stream chosen")
    shoot(page, "error")
    assert errors == [], errors

    # The creator's own paid video plays free for them, with no payment panel.
    page.goto(f"{base}/404.html")
    page.evaluate("(token) => sessionStorage.setItem('tidecast.token', token)", videos["creator"])
    page.goto(f"{base}/watch/?id={videos['paid']['id']}")
    expect(page.locator("#status")).to_contain_text("Your own video")
    expect(page.locator("#payment")).to_be_hidden()
    assert errors == [], errors
    page.close()


def ladder_ffmpeg(platform: Platform) -> int | None:
    """The pid of the platform's ladder encode (its ffmpeg reads from the platform's data)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"-var_stream_map" in args and any(str(platform.checkout).encode() in a for a in args):
            return int(entry.name)
    return None


def test_a_stream_plays_and_is_paid_for_while_it_transcodes(
    platform: Platform, browser: Any, tmp_path: Path
) -> None:
    """The encode is held (SIGSTOP) once its first segments are published, so the stream is
    certainly still processing while the viewer pays and watches them; let go, it keeps playing
    as the rest arrives, past what was there when it started, and ends ready."""
    from playwright.sync_api import expect

    base = platform.base.replace("127.0.0.1", "localhost")
    register(platform.base, "rio")
    platform.verify_email("rio@example.com")
    creator = login(platform.base, "rio")
    link(platform.base, creator, platform.chain()["accounts"][6]["privateKey"])
    register(platform.base, "lago")
    viewer = login(platform.base, "lago")
    link(platform.base, viewer, platform.chain()["accounts"][7]["privateKey"])
    clip = media.testsrc(tmp_path / "long.mp4", size="320x240", seconds=40).read_bytes()
    with httpx.Client(base_url=platform.base, timeout=60) as client:
        stream_id = upload_over_http(client, creator, clip, "Slack water")
        reply = client.patch(
            f"/api/streams/{stream_id}",
            json={"pricePerSecond": PRICE},
            headers={"Authorization": f"Bearer {creator}"},
        )
        assert reply.status_code == 200, reply.text
    # Catch the encode as it starts, then let it run only until its master is published.
    out = platform.checkout / "public" / "streams" / stream_id
    deadline = time.monotonic() + 60
    while (pid := ladder_ffmpeg(platform)) is None:
        assert time.monotonic() < deadline, "the encode never started"
        time.sleep(0.01)
    os.kill(pid, signal.SIGSTOP)
    try:
        os.kill(pid, signal.SIGCONT)
        while not (out / "master.m3u8").is_file():
            assert time.monotonic() < deadline, "no master published"
            time.sleep(0.005)
        os.kill(pid, signal.SIGSTOP)
        stream = httpx.get(f"{platform.base}/api/streams/{stream_id}").json()["data"]
        assert stream["status"] == "processing" and stream["playable"] is True, stream
        listed = (out / "240p" / "playlist.m3u8").read_text()
        assert "#EXT-X-ENDLIST" not in listed
        had = 2.0 * listed.count("#EXTINF")  # seconds published when the viewer starts
        assert had < 40
        print(f"published when the viewer starts: {had:.0f} s of 40")

        page = browser.new_page()
        errors: list[str] = []
        watch_console(page, errors)
        demo(platform, 7).install(page)
        signed_in(page, base, viewer)
        page.goto(f"{base}/watch/?id={stream_id}")
        expect(page.locator("#growing")).to_be_visible()
        expect(page.locator("#cost")).to_contain_text("40 s video costs at most 0.08")  # the source's length
        page.get_by_role("button", name="Open payment stream").click()
        expect(page.locator("#running")).to_be_visible(timeout=30_000)
        page.evaluate("() => { document.getElementById('video').muted = true }")
        page.wait_for_function(
            f"() => document.getElementById('video').currentTime > {had - 1.5}", timeout=30_000
        )
        assert httpx.get(f"{platform.base}/api/streams/{stream_id}").json()["data"]["status"] == "processing"
        shoot(page, "growing")  # axe-core at both widths, light and dark, while it grows
    finally:
        os.kill(pid, signal.SIGCONT)
    # Let go: it plays on into what is made meanwhile, and the stream ends ready.
    page.wait_for_function(f"() => document.getElementById('video').currentTime > {had + 4}", timeout=60_000)
    deadline = time.monotonic() + 120
    while (now_ := httpx.get(f"{platform.base}/api/streams/{stream_id}").json()["data"])["status"] != "ready":
        assert now_["status"] == "processing" and time.monotonic() < deadline, now_
        time.sleep(0.5)
    assert (out / "240p" / "playlist.m3u8").read_text().startswith(listed)  # it only ever grew
    assert errors == [], errors
    page.close()
