"""What the browser tests share beyond the platform and chromium: accounts made over the API, a
demo wallet, a short lossless clip, axe-core's findings of every impact, a watch over a page's
console and failed requests, screenshots as test artifacts, and a focus ring's check for the
keyboard-only tests (tests/e2e/test_site_tour.py, test_keyboard_loop.py and the page tests)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.support import media
from tests.support.axe import serious_violations
from tests.support.browser import CHROMIUM_ARGS, chromium_path
from tests.support.parts import missing_part
from tests.support.platform import Platform
from tests.support.wallet import TestWallet

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def register(base: str, username: str) -> None:
    reply = httpx.post(
        base + "/api/auth/register",
        json={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
    )
    assert reply.status_code == 202, reply.text


def token_for(client: httpx.Client, platform: Platform, username: str) -> str:
    """Registers `username`, verifies their email (uploading needs it) and signs them in."""
    email = f"{username}@example.com"
    made = client.post(
        "/api/auth/register", json={"username": username, "email": email, "password": PASSWORD}
    )
    assert made.status_code == 202, made.text
    platform.verify_email(email)
    login = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return str(login.json()["token"])


def studio_ready(page: Any) -> None:
    """The studio has loaded its lists: its section is shown and no longer `aria-busy`, as a
    screen reader hears it."""
    page.wait_for_selector("#studio:not([aria-busy])", timeout=20_000)


def demo(platform: Platform, index: int) -> TestWallet:
    account = platform.chain()["accounts"][index]
    return TestWallet(platform.rpc_url, account["privateKey"])


def lossless_clip(out: Path, seconds: float = 4, size: str = "320x240", rate: int = 25) -> Path:
    """A video of several MiB (noise, lossless x264), so the upload takes more than one 4 MiB chunk
    (at the default size and rate; smaller ones make a short clip that fits one request)."""
    noise = f"nullsrc=size={size}:rate={rate}:duration={seconds},geq=lum='random(1)*255':cb=128:cr=128"
    media.ffmpeg(
        *["-f", "lavfi", "-i", noise],
        *["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p", str(out)],
    )
    return out


def short_clip(out: Path, seconds: float = 6) -> Path:
    """A short lossless clip small enough for one upload request (a few hundred KiB a second)."""
    return lossless_clip(out, seconds=seconds, size="160x120", rate=10)


def all_violations(page: Any) -> list[dict[str, Any]]:
    """axe's findings of every impact (serious_violations injects axe and keeps the worst)."""
    worst = serious_violations(page)
    found = page.evaluate(
        """async () => (await axe.run(document, {
              runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
            })).violations.map((v) => ({
              id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")),
            }))"""
    )
    return [*worst, *(v for v in found if v["id"] not in {w["id"] for w in worst})]


def screenshot_dir() -> Path:
    """Where screenshots go: $TIDECAST_E2E_SCREENSHOTS when set, else .artifacts/screenshots/ at
    the repository's root (ignored by git)."""
    where = Path(os.environ.get("TIDECAST_E2E_SCREENSHOTS") or ROOT / ".artifacts" / "screenshots")
    where.mkdir(parents=True, exist_ok=True)
    return where


#: Chromium logs every answer of 400 and up as a console error; those answers are checked one by
#: one as failed requests instead, against what the state expects.
RESOURCE_ERROR = re.compile(r"^Failed to load resource: the server responded with a status of \d+")


class PageWatch:
    """A page's console errors, uncaught exceptions and failed requests ("404 GET /api/x": an
    answer of 400 and up; "failed GET /x: net::ERR_…": no answer), since `begin()`."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.failed: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("response", self._response)
        page.on("requestfailed", self._request_failed)

    def begin(self) -> None:
        self.errors.clear()
        self.failed.clear()

    def _console(self, message: Any) -> None:
        if message.type == "error" and not RESOURCE_ERROR.match(message.text):
            self.errors.append(f"console: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.request.method} {urlsplit(response.url).path}")

    def _request_failed(self, request: Any) -> None:
        if request.failure == "net::ERR_ABORTED":
            return  # cancelled by the page leaving (a navigation), not refused by anyone
        self.failed.append(f"failed {request.method} {urlsplit(request.url).path}: {request.failure}")


@contextmanager
def browser_contexts(widths: tuple[int, ...], height: int = 900) -> Iterator[dict[int, Any]]:
    """One headless chromium (Debian's, as tests/support/browser.py finds it) with one fresh
    context per width, its viewport that wide."""
    path = chromium_path()
    if path is None:
        missing_part("chromium not found; `make system-deps` installs Debian's chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_part("the playwright package is not installed (`make setup` installs it)")
    args = [*CHROMIUM_ARGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=args)
        try:
            yield {
                width: browser.new_context(viewport={"width": width, "height": height}) for width in widths
            }
        finally:
            browser.close()


#: What the focused element shows: whether it matches :focus-visible, and its outline and
#: box-shadow as computed (a focus ring is one or the other).
FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  // The ring may be drawn by the element or by a pseudo-element (a card's whole-card link).
  const styles = [null, '::before', '::after'].map((pseudo) => getComputedStyle(el, pseudo));
  const name = el.getAttribute('aria-label') || el.textContent.trim().slice(0, 40) || el.id || el.tagName;
  return {
    what: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} “${name}”`,
    visible: el.matches(':focus-visible'),
    outline: styles.some((style) => style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0),
    shadow: styles.some((style) => style.boxShadow !== 'none'),
  };
}"""


def focus_ring_missing(page: Any) -> str | None:
    """None when the focused control shows a focus ring (:focus-visible, with an outline or a
    box-shadow) or nothing is focused; else what is focused without one."""
    focused = page.evaluate(FOCUS)
    if focused is None or (focused["visible"] and (focused["outline"] or focused["shadow"])):
        return None
    return str(focused)
