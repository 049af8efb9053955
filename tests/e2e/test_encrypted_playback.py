"""The encrypted HLS tidecast publishes, played by a real client: the site's hls.js in Debian's
chromium fetches each key period's key from its root-relative URI, decrypts the segments and
plays them; a wrong key stops the picture.

Keys come from a stand-in route holding the KeyRing the stream was made with: the real keys
endpoint (payment checks, playback tokens) is tested on its own; this file checks the format
against a player (per-segment `#EXT-X-KEY` with explicit IVs, one key per period shared by the
renditions). A 4 s stream, 1 s segments, two small rungs, two segments a key period.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tests.support import media
from tests.support.browser import chromium
from tests.support.devserver import running_devserver
from tests.support.ipfs_node import CONTENT_TYPE, ndjson, running_node, tree
from tidecast.media.encrypt import KeyRing
from tidecast.media.ffmpeg import ffmpeg_path
from tidecast.media.hls import HLSService, Rung

ROOT = Path(__file__).resolve().parent.parent.parent
NAME = "clip"
DURATION = 4
LADDER = (Rung("240p", 240, 300_000, 32_000), Rung("144p", 144, 100_000, 32_000))


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], KeyRing]:
    work = tmp_path_factory.mktemp("hls")
    source = media.testsrc(work / "source.mp4", size="426x240", seconds=DURATION)
    ring = KeyRing(2, lambda period: f"/api/keys/{NAME}/{period}")
    service = HLSService(
        work / "out", ffmpeg=ffmpeg_path(None), segment_length=1, ladder=LADDER, preset="ultrafast"
    )
    result = service.create_hls_stream(source, NAME, keys=ring)
    return work / "out", result, ring


@pytest.fixture
def site(
    stream: tuple[Path, dict[str, Any], KeyRing], tmp_path: Path
) -> Iterator[tuple[str, Any, dict[str, Any], list[str], dict[str, bool]]]:
    out, result, ring = stream
    asked: list[str] = []
    wrong = {"on": False}

    async def key(request: Request) -> Response:
        period = int(request.path_params["period"])
        asked.append(request.url.path)
        if request.path_params["name"] != NAME or not 0 <= period < len(ring.keys()):
            return Response(status_code=404)
        body = bytes(16) if wrong["on"] else ring.key(period)
        return Response(body, media_type="application/octet-stream", headers={"Cache-Control": "no-store"})

    routes = [
        Route("/api/keys/{name}/{period:int}", key),
        Mount("/streams", app=StaticFiles(directory=out)),
    ]
    with (
        running_node(tmp_path / "ipfs") as node,
        running_devserver(ROOT, public_routes=[*routes, *node.gateway.routes()]) as base,
        chromium(tmp_path / "profile") as browser,
    ):
        files = {
            str(p.relative_to(out / NAME)): p.read_bytes() for p in (out / NAME).rglob("*") if p.is_file()
        }
        added = httpx.post(
            node.url + "/api/v0/add", content=tree(NAME, files), headers={"Content-Type": CONTENT_TYPE}
        )
        result = {**result, "cid": str(ndjson(added.text)[-1]["Hash"])}
        yield base, browser, result, asked, wrong


def open_player(page: Any, url: str) -> None:
    page.goto(url)
    # the master playlist is in: the quality menu lists its renditions
    page.wait_for_function("() => document.querySelectorAll('#quality option').length > 1", timeout=10_000)
    # Muted, so the page may start playback without a click. Not awaited: with a wrong key
    # hls.js's decode-error recovery reloads the media, which rejects this play() call.
    page.evaluate(
        "() => { const v = document.getElementById('video'); v.muted = true; v.play().catch(() => {}); }"
    )


def fatal(page: Any) -> str:
    """What the page says when playback stopped for good ("" while it has not)."""
    status = page.locator("#status")
    text = str(status.inner_text()) if status.is_visible() else ""
    return text if "stopped" in text.lower() else ""


def test_hls_js_fetches_each_period_key_and_plays(site: tuple[str, Any, dict, list[str], dict]) -> None:
    base, browser, result, asked, _ = site
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_player(page, f"{base}/player/?src={result['masterPlaylist']}")
    page.wait_for_function("() => document.getElementById('video').currentTime > 2.5", timeout=20_000)
    frames = page.evaluate(
        "() => document.getElementById('video').getVideoPlaybackQuality().totalVideoFrames"
    )
    assert frames > 2.5 * 20, frames  # decoded pictures, not a clock running over nothing
    assert fatal(page) == "" and errors == []
    # Both periods' keys were asked for at their root-relative URI, on the site.
    assert {f"/api/keys/{NAME}/0", f"/api/keys/{NAME}/1"} <= set(asked), asked


def test_a_wrong_key_does_not_play(site: tuple[str, Any, dict, list[str], dict]) -> None:
    base, browser, result, _, wrong = site
    wrong["on"] = True
    page = browser.new_page()
    open_player(page, f"{base}/player/?src={result['masterPlaylist']}")
    page.wait_for_timeout(4000)
    played = page.evaluate("() => document.getElementById('video').currentTime")
    frames = page.evaluate(
        "() => document.getElementById('video').getVideoPlaybackQuality().totalVideoFrames"
    )
    assert played < 0.5 and frames == 0, (played, frames, fatal(page))


def test_a_stream_on_ipfs_plays_with_keys_from_the_site(site: tuple[str, Any, dict, list[str], dict]) -> None:
    """`/player/?src=/ipfs/<cid>/master.m3u8`: the gateway moves the playlist to the CID's own
    origin (`<cid>.ipfs.localhost`), hls.js follows; the playlists' root-relative key URIs would
    then name that origin, so the player asks the site for them (and a viewer's token never
    goes to a content origin)."""
    base, browser, result, asked, _ = site
    page = browser.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda request: requests.append(request.url))
    asked.clear()
    open_player(page, f"{base}/player/?src=/ipfs/{result['cid']}/master.m3u8")
    page.wait_for_function("() => document.getElementById('video').currentTime > 2.5", timeout=20_000)
    assert fatal(page) == "" and errors == []
    assert {f"/api/keys/{NAME}/0", f"/api/keys/{NAME}/1"} <= set(asked), asked
    segments = [url for url in requests if url.endswith(".ts")]
    assert segments and all(".ipfs.localhost:" in url for url in segments), segments[:3]
    keys = [url for url in requests if "/api/keys/" in url]
    assert keys and all(url.startswith(base + "/api/keys/") for url in keys), keys
