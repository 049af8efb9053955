"""Playback from the object store in a browser: `tidecast dev` with TIDECAST_STORAGE_URL on
SeaweedFS (a real S3 server), a video uploaded through the API, published to the bucket, and
played on the watch page in Debian's chromium. The playlists and segments come from the store's
origin, the keys from the site's; the bucket's CORS names the site, as docs/deploy-aws.md asks
of a deployment, and a page on an origin it does not name gets nothing from the store.

The creator watches their own stream (it plays free for its owner, keys and all): the payment
path is test_pay_per_second.py's; what this file adds is where the bytes come from.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_front_end import PASSWORD, sign_in
from tests.support import media
from tests.support.platform import Platform, running_platform
from tests.support.seaweed import S3_BUCKET, SeaweedServer
from tests.support.uploads import upload_over_http


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory, s3_server: SeaweedServer) -> Iterator[Platform]:
    prefix = f"e2e-{secrets.token_hex(4)}"
    env = {
        **s3_server.credentials_env(),
        "TIDECAST_STORAGE_URL": (
            f"s3://{S3_BUCKET}/{prefix}?endpoint={s3_server.endpoint}&public_url={s3_server.endpoint}/{S3_BUCKET}"
        ),
    }
    with running_platform(tmp_path_factory.mktemp("stored"), env) as platform:
        s3_server.client().put_bucket_cors(
            Bucket=S3_BUCKET,
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedOrigins": [platform.base],
                        "AllowedMethods": ["GET", "HEAD"],
                        "AllowedHeaders": ["*"],
                        "MaxAgeSeconds": 600,
                    }
                ]
            },
        )
        try:
            yield platform
        finally:
            s3_server.client().delete_bucket_cors(Bucket=S3_BUCKET)


def creator_token(platform: Platform) -> str:
    with httpx.Client(base_url=platform.base, timeout=30) as client:
        reply = client.post(
            "/api/auth/register",
            json={"username": "shore", "email": "shore@example.com", "password": PASSWORD},
        )
        assert reply.status_code == 202, reply.text
        platform.verify_email("shore@example.com")
        login = client.post("/api/auth/login", json={"username": "shore", "password": PASSWORD})
        assert login.status_code == 200, login.text
        return str(login.json()["token"])


def test_the_watch_page_plays_from_the_store_and_only_for_the_sites_origin(
    stored: Platform, browser: Any, tmp_path: Path, s3_server: SeaweedServer
) -> None:
    token = creator_token(stored)
    clip = media.testsrc(tmp_path / "clip.mp4", size="320x240", seconds=8).read_bytes()
    with httpx.Client(base_url=stored.base, timeout=60) as client:
        stream_id = upload_over_http(client, token, clip, "From the bucket")
        deadline = time.monotonic() + 120
        while (stream := client.get(f"/api/streams/{stream_id}").json()["data"])["status"] != "ready":
            assert stream["status"] in ("processing", "uploading"), stream
            assert time.monotonic() < deadline, stream
            time.sleep(0.5)
    assert stream["masterPlaylist"].startswith(f"{s3_server.endpoint}/{S3_BUCKET}/"), stream
    assert stream["encrypted"], stream

    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    fetched: list[str] = []
    page.on("requestfinished", lambda request: fetched.append(request.url))
    sign_in(page, stored.base, "shore")
    page.goto(f"{stored.base}/watch/?id={stream_id}")
    # The status says "Your own stream…", unless the page's own autoplay was refused first and
    # it says "Press play to start." instead: either way the gate let the owner in.
    page.wait_for_function("() => document.getElementById('status').textContent !== ''", timeout=20_000)
    assert page.locator("#payment").is_hidden()
    page.evaluate("() => { const v = document.getElementById('video'); v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.getElementById('video').currentTime > 2.5", timeout=30_000)
    frames = page.evaluate(
        "() => document.getElementById('video').getVideoPlaybackQuality().totalVideoFrames"
    )
    assert frames > 30, frames  # decoded pictures, not a clock
    segments = [u for u in fetched if u.endswith(".ts")]
    assert segments and all(u.startswith(s3_server.endpoint) for u in segments), fetched
    keys = [u for u in fetched if "/api/keys/" in u]
    assert keys and all(u.startswith(stored.base) for u in keys), fetched
    assert errors == []

    # The same page on an origin the bucket's CORS does not name: the store refuses to share
    # the playlist with it, so nothing plays, and the page says playback stopped.
    other = stored.base.replace("127.0.0.1", "localhost")
    elsewhere = browser.new_page()
    sign_in(elsewhere, other, "shore")
    granted: list[int] = []
    elsewhere.on(
        "response", lambda r: granted.append(r.status) if r.url.endswith(f"/{stream_id}/playback") else None
    )
    refused: list[str] = []
    elsewhere.on("requestfailed", lambda request: refused.append(request.url))
    elsewhere.goto(f"{other}/watch/?id={stream_id}")
    elsewhere.wait_for_function("() => document.getElementById('status').textContent !== ''", timeout=20_000)
    elsewhere.evaluate(
        "() => { const v = document.getElementById('video'); v.muted = true; v.play().catch(() => {}); }"
    )
    elsewhere.wait_for_timeout(4000)
    assert granted == [200], granted  # the site let the owner play: the store is what refused
    assert any(u.startswith(s3_server.endpoint) for u in refused), refused
    played = elsewhere.evaluate("() => document.getElementById('video').currentTime")
    assert played == 0, played
