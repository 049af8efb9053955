"""A stream tidecast produced, played by a real client: hls.js (the site's vendored copy, on the
site's player page) in Debian's chromium, from the real dev server.

The stream is tiny (a few seconds of lavfi testsrc2 + sine, segments of 2 s, three small rungs)
so the file runs in well under a minute. The network is throttled with Chromium's own
emulation (DevTools `Network.emulateNetworkConditions`), as a slow link would be, not by the
server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from tests.support import media
from tests.support.browser import chromium
from tests.support.devserver import running_devserver
from tidecast.media.ffmpeg import ffmpeg_path
from tidecast.media.hls import HLSService, Rung

ROOT = Path(__file__).resolve().parent.parent.parent
SEGMENT = 2  # seconds
DURATION = 8  # seconds: four segments
NAME = "clip"
LADDER = (
    Rung("360p", 360, 800_000, 48_000),
    Rung("240p", 240, 300_000, 32_000),
    Rung("144p", 144, 100_000, 32_000),
)


def produce_stream(out: Path, source: Path) -> dict[str, Any]:
    """The stream as tidecast makes it: HLSService's one-process ladder, three small rungs whose
    bitrates are far enough apart that a throttled link cannot keep the top one."""
    service = HLSService(out, ffmpeg=ffmpeg_path(None), segment_length=SEGMENT, ladder=LADDER)
    return service.create_hls_stream(source, NAME)


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """One stream for the module's tests: transcoding is the slow part."""
    work = tmp_path_factory.mktemp("hls")
    (work / "out").mkdir()
    source = media.testsrc(work / "source.mp4", size="640x360", seconds=DURATION)
    result = produce_stream(work / "out", source)
    return work / "out", result


@pytest.fixture
def site(stream: tuple[Path, dict[str, Any]], tmp_path: Path) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """The dev server (the player page, hls.js) with the stream under /streams/ (Starlette's
    StaticFiles, which types files by the media types the dev server registers)."""
    out, result = stream
    streams = [Mount("/streams", app=StaticFiles(directory=out))]
    with running_devserver(ROOT, public_routes=streams) as base, chromium(tmp_path / "profile") as browser:
        yield base, browser, result


def bandwidths(master: str) -> list[int]:
    """Each variant's peak BANDWIDTH, in the master playlist's order."""
    return [int(found) for found in re.findall(r"[:,]BANDWIDTH=(\d+)", master)]


def stopped(page: Any) -> str:
    """What the page says when playback stopped for good ("" while it has not)."""
    status = page.locator("#status")
    text = str(status.inner_text()) if status.is_visible() else ""
    return text if "stopped" in text.lower() else ""


def segment_requests(page: Any) -> list[str]:
    """Every .ts the page asks for, in order (Playwright sees the page's network as DevTools does)."""
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if request.url.endswith(".ts") else None)
    return asked


def open_player(page: Any, url: str) -> None:
    page.goto(url)
    # the master playlist is in: the quality menu lists its renditions
    page.wait_for_function("() => document.querySelectorAll('#quality option').length > 1", timeout=10_000)
    # Muted, as a browser lets a page start playback without a click.
    page.evaluate("() => { const v = document.getElementById('video'); v.muted = true; return v.play(); }")


def test_the_server_sends_hls_types(site: tuple[str, Any, dict[str, Any]]) -> None:
    base, _browser, result = site
    with httpx.Client(base_url=base, timeout=10) as client:
        master = client.get(result["masterPlaylist"])
        variant = client.get(result["variants"][0]["playlist"])
        segment_name = next(line for line in variant.text.splitlines() if line.endswith(".ts"))
        segment = client.get(result["variants"][0]["playlist"].rsplit("/", 1)[0] + "/" + segment_name)
        script = client.get("/vendor/hls.js/hls.min.js")
    assert master.status_code == variant.status_code == segment.status_code == script.status_code == 200
    assert master.headers["content-type"] == "application/vnd.apple.mpegurl"
    assert variant.headers["content-type"] == "application/vnd.apple.mpegurl"
    assert segment.headers["content-type"] == "video/mp2t"
    assert segment.content[0] == 0x47  # an MPEG-TS sync byte
    assert script.headers["content-type"].split(";")[0] in {"text/javascript", "application/javascript"}


def test_plays_past_two_segments(site: tuple[str, Any, dict[str, Any]]) -> None:
    from playwright.sync_api import expect

    base, browser, result = site
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_player(page, f"{base}/player/?src={result['masterPlaylist']}")

    page.wait_for_function(
        f"() => document.getElementById('video').currentTime > {2 * SEGMENT + 0.5}", timeout=20_000
    )
    frames = page.evaluate(
        "() => document.getElementById('video').getVideoPlaybackQuality().totalVideoFrames"
    )
    assert frames > 2 * SEGMENT * 10, frames  # decoded pictures, not a clock running over nothing
    assert stopped(page) == ""
    # The controls are labelled: the quality menu lists Auto and every rendition.
    expect(page.get_by_label("Quality").locator("option")).to_have_count(1 + len(result["variants"]))
    expect(page.locator("#now-playing")).to_contain_text("Playing ")
    assert errors == []


def test_drops_to_a_lower_rendition_when_the_network_is_throttled(
    site: tuple[str, Any, dict[str, Any]],
) -> None:
    base, browser, result = site
    with httpx.Client(base_url=base, timeout=10) as client:
        peaks = sorted(bandwidths(client.get(result["masterPlaylist"]).text))
    assert peaks == sorted(variant["bandwidth"] for variant in result["variants"])
    assert len(peaks) == 3 and peaks[0] * 3 < peaks[-1], peaks  # a ladder worth adapting on
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/player/")  # hls.js and the page arrive at full speed, and are cached
    page.wait_for_function("() => typeof Hls === 'function'")

    # Enough for the lowest rung with room to spare, far too little for the top one.
    throughput = peaks[0] * 2
    assert throughput < peaks[-1] * 0.7
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 40,
            "downloadThroughput": throughput / 8,
            "uploadThroughput": throughput / 8,
        },
    )
    top = max(result["variants"], key=lambda variant: variant["bandwidth"])["quality"]
    asked = segment_requests(page)
    open_player(page, f"{base}/player/?src={result['masterPlaylist']}&quality={top}")
    # The page names the rendition playing; wait until it names one below the top.
    page.wait_for_function(
        f"""() => {{ const now = document.getElementById('now-playing').textContent;
            return now.startsWith('Playing ') && !now.startsWith('Playing {top}')
              && document.getElementById('video').currentTime > 1 }}""",
        timeout=30_000,
    )
    rendition = [urlsplit(url).path.split("/")[-2] for url in asked]
    assert rendition[0] == top, rendition  # it did begin at the top, as asked
    assert set(rendition) - {top}, rendition  # then fetched a lower rendition's segments
    assert stopped(page) == ""
    assert errors == []


def test_the_page_plays_only_this_sites_playlists_and_says_what_is_wrong(
    site: tuple[str, Any, dict[str, Any]],
) -> None:
    from playwright.sync_api import expect

    base, browser, _result = site
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    cases = {
        "": "No stream chosen",
        "?src=http://elsewhere.invalid/master.m3u8": "must be on this site",
        "?src=//elsewhere.invalid/master.m3u8": "must be on this site",
        "?src=javascript:alert(1)": "must be on this site",
        "?src=/streams/no-such-stream/master.m3u8": "Playback stopped: manifestLoadError",
    }
    for query, message in cases.items():
        page.goto(f"{base}/player/{query}")
        expect(page.locator("#status")).to_contain_text(message)
    assert not [url for url in requests if urlsplit(url).hostname == "elsewhere.invalid"]
    assert f"{base}/streams/no-such-stream/master.m3u8" in requests  # asked, got a 404, said so
    expect(page.get_by_label("Quality")).to_be_disabled()
