"""The documentation's screenshots of the site (docs/peertube-comparison.md shows them).

    .venv/bin/python scripts/docs_screenshots.py docs/img/site

Starts the whole platform as `tidecast dev` runs it (tests/support/platform.py: a copy of the
project in a temporary directory, on free ports; nothing is written into the project but the
pictures), seeds it over the HTTP API (two creators with a few short generated clips, priced and
described, and a viewer; each with a development chain's demo account linked as a wallet), then
drives Debian's chromium with Playwright (tests/support/browser.py; test EIP-1193 wallets
injected as the browser tests inject them) through browse, a channel, watch (before paying,
while playing), the studio (with the viewer's payment in its earnings) and the account, at
1280 px and, for two pages, 390 px. Light colour scheme, device scale 1.

The clips are drawn by ffmpeg's expression filters (a sunset over the sea, water, a gradient),
not test cards, so the posters look like videos. Pictures that would be large as PNG (a video
frame filling most of them) are written as JPEG (quality 80); every file stays under about
250 KB (the script warns otherwise).
Takes two to four minutes; run heavy things one at a time:

    .venv/bin/python scripts/docs_screenshots.py docs/img/site
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.support import media  # noqa: E402
from tests.support.browser import chromium  # noqa: E402
from tests.support.platform import Platform, running_platform  # noqa: E402
from tests.support.uploads import upload_over_http  # noqa: E402
from tests.support.wallet import TestWallet  # noqa: E402

PASSWORD = "correct horse battery"  # noqa: S105 (the demo accounts' password, as the tests use)
#: A rendition tall enough that the player's picture is not a blur at 1280 px.
ENV = {"TIDECAST_HLS_LADDER": "360p:700k:64k,240p:300k:32k"}
LIMIT = 250 * 1024

# The scenes, as ffmpeg filter graphs over a 640x360 canvas (T is the time in seconds).
_HORIZON = "0.62*H"
_SUN = "lt(hypot(X-0.5*W,Y-(0.55*H+T)),0.09*H)"
_WAVES = "(0.5+0.5*sin(X/4.5+T*3+Y/1.5))"
_DEPTH = f"(1-(Y-{_HORIZON})/(H-{_HORIZON}))"
SUNSET = (
    "nullsrc=s=320x180:r=15:d={d},format=rgb24,geq="
    f"r='if(lt(Y,{_HORIZON}),if({_SUN},255,255*(0.35+0.6*Y/({_HORIZON}))),40+60*{_DEPTH}*{_WAVES})':"
    f"g='if(lt(Y,{_HORIZON}),if({_SUN},220,70+120*pow(Y/({_HORIZON}),2)),30+40*{_WAVES}*{_DEPTH})':"
    f"b='if(lt(Y,{_HORIZON}),if({_SUN},150,120-60*Y/({_HORIZON})),70+30*(Y-{_HORIZON})/(H-{_HORIZON}))',"
    "scale=640:360:flags=bicubic,vignette"
)


def water(red: float, green: float, blue: float, seed: int) -> str:
    return (
        "perlin=s=640x360:r=15:octaves=4:persistence=0.6:xscale=0.6:yscale=0.6:tscale=0.3:"
        f"random_mode=seed:random_seed={seed},format=rgb24,"
        f"lutrgb=r='val*{red}':g='val*{green}':b='val*{blue}',vignette"
    )


def gradient(colours: str, kind: str) -> str:
    stops = ":".join(f"c{i}=0x{c}" for i, c in enumerate(colours.split()))
    return (
        f"gradients=s=640x360:r=15:d={{d}}:{stops}:n={len(colours.split())}:speed=0.03:type={kind},vignette"
    )


#: (creator, title, description, seconds, price per second, scene)
VIDEOS = (
    ("oskar", "Morning swim", "A cold swim across the harbour before work.", 12, "0.002",
     gradient("9fd3e6 f6e7b0 4d8fb3", "linear")),
    ("marina", "Tide pools", "Crabs, anemones and a very patient starfish.", 10, "0.005",
     water(0.25, 0.75, 0.95, 7)),
    ("oskar", "Kelp forest", "A slow walk through the kelp at low tide.", 16, "0.003",
     water(0.25, 0.8, 0.45, 11)),
    ("marina", "Night ferry", "The last crossing of the day, lights on the water.", 14, "0.004",
     gradient("0b1a3a 2d3f7a f2b84b 0b1a3a", "radial")),
    ("marina", "Harbour lights at dusk", "Boats coming home as the lamps go on, the sun going down "
     "behind the breakwater.", 24, "0.01", SUNSET),
)  # fmt: skip
WATCHED = "Harbour lights at dusk"


def clip(path: Path, scene: str, seconds: int) -> Path:
    """A clip of `scene` with a quiet tone under it, as the pipeline would get from a camera."""
    media.ffmpeg(
        *["-f", "lavfi", "-i", scene.format(d=seconds)],
        *["-f", "lavfi", "-i", f"sine=frequency=220:sample_rate=48000:duration={seconds}"],
        *["-filter:a", "volume=0.1", *media.AUDIO, *media.FAST, "-t", str(seconds), str(path)],
        timeout=300,
    )
    return path


def register(client: httpx.Client, platform: Platform, username: str) -> str:
    """A verified account signed in: its login token."""
    email = f"{username}@example.com"
    made = client.post(
        "/api/auth/register", json={"username": username, "email": email, "password": PASSWORD}
    )
    assert made.status_code == 202, made.text
    platform.verify_email(email)
    login = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return str(login.json()["token"])


def link(client: httpx.Client, token: str, private_key: str) -> None:
    """Links a wallet as the account page does (Sign-In with Ethereum, personal_sign)."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    account = Account.from_key(private_key)
    auth = {"Authorization": f"Bearer {token}"}
    nonce = client.post(
        "/api/auth/wallet/nonce", json={"purpose": "link", "address": account.address}, headers=auth
    ).json()["data"]
    signature = account.sign_message(encode_defunct(text=nonce["message"])).signature.to_0x_hex()
    linked = client.post(
        "/api/auth/wallet/link", json={"message": nonce["message"], "signature": signature}, headers=auth
    )
    assert linked.status_code == 200, linked.text


def seed(platform: Platform, work: Path) -> dict[str, Any]:
    """The creators, the viewer and the videos (ready, priced, described)."""
    keys = [account["privateKey"] for account in platform.chain()["accounts"]]
    with httpx.Client(base_url=platform.base, timeout=120) as client:
        people = {"marina": 3, "oskar": 5, "vera": 4}
        tokens = {name: register(client, platform, name) for name in people}
        for name, index in people.items():
            link(client, tokens[name], keys[index])
        ids: dict[str, str] = {}
        for number, (creator, title, description, seconds, price, scene) in enumerate(VIDEOS):
            print(f"  clip {number + 1}/{len(VIDEOS)}: {title}", flush=True)
            made = clip(work / f"{number}.mp4", scene, seconds)
            stream_id = upload_over_http(client, tokens[creator], made.read_bytes(), title)
            patched = client.patch(
                f"/api/streams/{stream_id}",
                json={"description": description, "pricePerSecond": price},
                headers={"Authorization": f"Bearer {tokens[creator]}"},
            )
            assert patched.status_code == 200, patched.text
            ids[title] = stream_id
        deadline = time.monotonic() + 300
        for stream_id in ids.values():
            while (stream := client.get(f"/api/streams/{stream_id}").json()["data"])["status"] != "ready":
                assert stream["status"] == "processing" and time.monotonic() < deadline, stream
                time.sleep(0.5)
    return {"ids": ids, "tokens": tokens, "keys": {name: keys[i] for name, i in people.items()}}


class Camera:
    """Saves pictures of pages into `out`, PNG or (for a picture with a video frame) JPEG."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.saved: list[Path] = []
        out.mkdir(parents=True, exist_ok=True)

    def shoot(
        self,
        page: Any,
        name: str,
        *,
        width: int = 1280,
        height: int = 800,
        full: bool = False,
        jpeg: bool = False,
    ) -> None:
        """`name`.png, or `name`.jpg (quality 80) for a picture mostly of video frames, which
        PNG would make several times larger; the docs name each file, so the choice is fixed."""
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("() => scrollTo(0, 0)")
        page.wait_for_timeout(400)
        for stale in self.out.glob(f"{name}.*"):
            stale.unlink()
        saved = self.out / f"{name}.{'jpg' if jpeg else 'png'}"
        options: dict[str, Any] = {"type": "jpeg", "quality": 80} if jpeg else {}
        page.screenshot(path=str(saved), full_page=full, animations="disabled", caret="hide", **options)
        size = saved.stat().st_size
        print(f"  {saved.name}: {size // 1024} KB", flush=True)
        if size > LIMIT:
            print(f"  warning: {saved.name} is over {LIMIT // 1024} KB", flush=True)
        self.saved.append(saved)


def watching(page: Any, errors: list[str], who: str) -> None:
    page.on("pageerror", lambda exc: errors.append(f"{who}: {exc}"))


def signed_in(page: Any, base: str, token: str) -> None:
    page.goto(base + "/404.html")
    page.evaluate("(token) => sessionStorage.setItem('tidecast.token', token)", token)


def wait(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.5)


def take(platform: Platform, seeded: dict[str, Any], browser: Any, camera: Camera) -> None:
    from playwright.sync_api import expect

    base = platform.base
    ids, tokens, keys = seeded["ids"], seeded["tokens"], seeded["keys"]
    errors: list[str] = []

    # Browse, signed in as the viewer (the header shows the account), at both widths.
    viewer = browser.new_page()
    watching(viewer, errors, "viewer")
    TestWallet(platform.rpc_url, keys["vera"]).install(viewer)
    signed_in(viewer, base, tokens["vera"])
    viewer.set_viewport_size({"width": 1280, "height": 800})
    viewer.goto(base + "/")
    expect(viewer.locator("#streams .stream-card")).to_have_count(len(VIDEOS))
    viewer.wait_for_function("() => [...document.images].every((img) => img.complete)")
    camera.shoot(viewer, "browse-1280", height=900, jpeg=True)
    camera.shoot(viewer, "browse-390", width=390, height=844)

    # Browse with a search.
    viewer.set_viewport_size({"width": 1280, "height": 800})
    viewer.goto(base + "/?q=harbour&sort=price")
    expect(viewer.locator("#status")).to_contain_text("match")
    camera.shoot(viewer, "browse-search-1280", height=640)

    # A creator's channel.
    viewer.goto(base + "/channel/?name=marina")
    expect(viewer.locator("#streams .stream-card")).to_have_count(3)
    viewer.wait_for_function("() => [...document.images].every((img) => img.complete)")
    camera.shoot(viewer, "channel-1280", height=760)

    # Watch, before paying: the poster, the price, the ways to pay.
    viewer.goto(f"{base}/watch/?id={ids[WATCHED]}")
    expect(viewer.get_by_role("button", name="Open payment stream")).to_be_visible(timeout=30_000)
    viewer.wait_for_function("() => { const v = document.getElementById('video'); return !!v.poster }")
    viewer.wait_for_timeout(800)
    camera.shoot(viewer, "watch-before-paying-1280", height=900, jpeg=True)
    camera.shoot(viewer, "watch-before-paying-390", width=390, height=844, full=True)

    # Watch, paying and playing: the balance ticking, the controls.
    viewer.set_viewport_size({"width": 1280, "height": 900})
    viewer.get_by_label("Deposit, in seconds of watching").fill("30")
    viewer.get_by_role("button", name="Open payment stream").click()
    expect(viewer.locator("#running")).to_be_visible(timeout=60_000)
    viewer.evaluate("() => { document.getElementById('video').muted = true }")
    viewer.wait_for_function("() => document.getElementById('video').currentTime > 6", timeout=60_000)
    viewer.mouse.move(640, 300)  # the controls show as they do under a pointer
    camera.shoot(viewer, "watch-playing-1280", height=900, jpeg=True)

    # Stop paying: a calm state, and the spending history has a line.
    viewer.get_by_role("button", name="Stop paying").click()
    expect(viewer.locator("#status")).to_contain_text("Stopped.", timeout=60_000)
    camera.shoot(viewer, "watch-stopped-1280", height=900, jpeg=True)

    # The creator's studio: videos, and earnings with the viewer's payment stream (cancelled by
    # the stop, so paid out: a stop settles what streamed).
    creator = browser.new_page()
    watching(creator, errors, "creator")
    TestWallet(platform.rpc_url, keys["marina"]).install(creator)
    signed_in(creator, base, tokens["marina"])
    creator.set_viewport_size({"width": 1280, "height": 900})
    wait(
        lambda: bool(
            httpx.get(base + "/api/payments/mine", headers={"Authorization": f"Bearer {tokens['marina']}"})
            .json()["data"]
            .get("received")
        ),
        "the chain watcher indexing the payment stream",
    )
    creator.goto(base + "/studio/")
    creator.wait_for_selector("#studio:not([aria-busy])", timeout=30_000)
    expect(creator.locator("#earnings-wrap")).to_be_visible(timeout=60_000)
    creator.wait_for_function("() => [...document.images].every((img) => img.complete)")
    camera.shoot(creator, "studio-1280", height=1400, full=True)

    # Editing a video: title, description, price, thumbnail.
    creator.get_by_role("button", name="Edit “Tide pools”").click()
    expect(creator.locator("#edit-dialog")).to_be_visible()
    creator.wait_for_timeout(600)
    camera.shoot(creator, "studio-edit-1280", height=900)
    creator.keyboard.press("Escape")

    # The viewer's account: wallets, balance, spending, credit.
    viewer.goto(base + "/account/")
    expect(viewer.locator("#me-username")).to_have_text("vera")
    viewer.get_by_role("button", name="Show my wallet's balance").click()
    expect(viewer.locator("#balance-text")).to_contain_text(re.compile(r"\d"), timeout=30_000)
    expect(viewer.locator("#spending-wrap")).to_be_visible(timeout=60_000)
    camera.shoot(viewer, "account-1280", height=1200, full=True)

    if errors:
        print("page errors:\n  " + "\n  ".join(errors), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="where the pictures go (docs/img/site)")
    args = parser.parse_args()
    out = args.out.resolve()
    camera = Camera(out)
    with tempfile.TemporaryDirectory(prefix="tidecast-shots-") as tmp:
        work = Path(tmp)
        print("starting the platform…", flush=True)
        (work / "platform").mkdir()
        with running_platform(work / "platform", ENV) as platform:
            print("seeding…", flush=True)
            seeded = seed(platform, work)
            print("shooting…", flush=True)
            profile = work / "profile"
            with chromium(profile) as browser:
                take(platform, seeded, browser, camera)
    print(f"{len(camera.saved)} pictures in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
