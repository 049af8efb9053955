"""Clients nobody here wrote, against the real platform (`tidecast dev`): tuspy uploads a video,
and ffmpeg's own HLS demuxer plays the encrypted result, fetching each key period's key from
/api/keys/ with a playback token in its `-headers`, as any HLS AES-128 player would. Without a
token, or as a viewer who has not paid, it gets no key and decodes nothing."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
from tusclient.client import TusClient

from tests.support import media
from tests.support.platform import Platform
from tidecast.media.ffmpeg import ffmpeg_path

PASSWORD = "correct horse battery"
SECONDS = 6
RATE = 25


def account(base: str, username: str) -> str:
    """A registered user's login token."""
    reply = httpx.post(
        base + "/api/auth/register",
        json={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
    )
    assert reply.status_code == 202, reply.text
    login = httpx.post(base + "/api/auth/login", json={"username": username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return str(login.json()["token"])


def decoded_frames(url: str, headers: dict[str, str]) -> tuple[int, str]:
    """Video frames ffmpeg decodes from an HLS URL (its HLS demuxer, its HTTP client), and its log."""
    args = [ffmpeg_path(None), "-hide_banner", "-nostdin", "-loglevel", "warning"]
    if headers:
        args += ["-headers", "".join(f"{k}: {v}\r\n" for k, v in headers.items())]
    args += ["-i", url, "-map", "0:v:0", "-f", "null", "-progress", "pipe:1", "-"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    frames = [int(line.split("=", 1)[1]) for line in done.stdout.splitlines() if line.startswith("frame=")]
    return (frames[-1] if frames else 0), done.stderr


def test_tuspy_uploads_and_ffmpeg_plays_with_a_playback_token(platform: Platform, tmp_path: Path) -> None:
    base = platform.base
    creator = account(base, "tess")
    platform.verify_email("tess@example.com")  # uploading needs it
    clip = media.testsrc(tmp_path / "clip.mp4", size="320x240", seconds=SECONDS, rate=RATE)
    uploader = TusClient(f"{base}/api/uploads", headers={"Authorization": f"Bearer {creator}"}).uploader(
        str(clip), metadata={"filename": "clip.mp4", "filetype": "video/mp4", "title": "Foreign"}
    )
    uploader.upload()
    assert uploader.url is not None
    stream_id = httpx.head(
        uploader.url, headers={"Tus-Resumable": "1.0.0", "Authorization": f"Bearer {creator}"}
    ).headers["tidecast-stream-id"]
    deadline = time.monotonic() + 120
    stream: dict[str, Any] = {}
    while time.monotonic() < deadline:
        stream = httpx.get(f"{base}/api/streams/{stream_id}").json()["data"]
        if stream["status"] != "processing":
            break
        time.sleep(0.5)
    assert stream["status"] == "ready", stream
    assert stream["encrypted"] and stream["keyPeriods"] >= SECONDS // 2
    master = base + stream["masterPlaylist"]

    # The creator's own (free) playback token: ffmpeg fetches every period's key and decodes
    # every frame of the lowest rendition's picture.
    grant = httpx.post(
        f"{base}/api/streams/{stream_id}/playback", json={}, headers={"Authorization": f"Bearer {creator}"}
    ).json()["data"]
    assert grant["free"] is True and grant["reason"] == "owner"
    frames, log = decoded_frames(master, {"Authorization": f"Bearer {grant['token']}"})
    assert frames >= SECONDS * RATE * 0.9, (frames, log[-2000:])

    # No token: every key is a 401, nothing decodes.
    frames, log = decoded_frames(master, {})
    assert frames == 0, (frames, log[-2000:])

    # A viewer who has not paid gets no playback token (402, saying what is missing), and their
    # login token is not a playback token either.
    viewer = account(base, "vic")
    refused = httpx.post(
        f"{base}/api/streams/{stream_id}/playback", json={}, headers={"Authorization": f"Bearer {viewer}"}
    )
    assert refused.status_code == 402, refused.text
    assert refused.json()["code"] == "PAYMENT_REQUIRED" and "wallet" in refused.json()["error"]
    frames, log = decoded_frames(master, {"Authorization": f"Bearer {viewer}"})
    assert frames == 0, (frames, log[-2000:])
    key = httpx.get(f"{base}/api/keys/{stream_id}/0", headers={"Authorization": f"Bearer {viewer}"})
    assert key.status_code == 401 and key.json()["code"] == "UNAUTHORIZED", key.text
