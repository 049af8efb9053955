"""The Python client against a live `tidecast dev` (in a copy of the project, on free ports):
the README's example (docs/examples/sdk_example.py, run as it is) prints what a registered,
verified user sees, and the calls the CLI needs (tus upload in chunks, resume from the
platform's offset, wallet link by SIWE, keys, typed errors) do what they say."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.platform import Platform, running_platform
from tests.support.uploads import make_video
from tidecast.chain.devnet import EMBEDDED_CHAIN_ID, demo_accounts
from tidecast.client import ApiError, RefusedToSign, Stream, Tidecast

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "sdk_example.py"
PASSWORD = "correct horse battery staple"
NAME = "sdkreader"

pytestmark = [pytest.mark.timeout(300), pytest.mark.slow]  # a whole platform, started for the example


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(tmp_path_factory.mktemp("sdk")) as running:
        email = f"{NAME}@example.com"
        registered = httpx.post(
            running.base + "/api/auth/register",
            json={"username": NAME, "email": email, "password": PASSWORD},
            timeout=30,
        )
        assert registered.status_code == 202, registered.text
        running.verify_email(email)
        yield running


@pytest.fixture(scope="module")
def clip(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Stream]:
    """A ready stream, uploaded through the client in 64 KiB chunks (several PATCHes)."""
    video = make_video(tmp_path_factory.mktemp("video") / "harbour.mp4", seconds=2.0)
    seen: list[tuple[int, int]] = []
    with Tidecast(platform.base) as tc:
        tc.login(NAME, PASSWORD)
        stream_id = tc.upload(
            video, "Harbour at dawn", chunk=64 * 1024, progress=lambda o, n: seen.append((o, n))
        )
        stream = tc.wait_ready(stream_id, poll=0.5, timeout=180)
    size = video.stat().st_size
    assert len(seen) == -(-size // (64 * 1024)) > 1
    assert seen[-1] == (size, size)
    return video, stream


def test_the_readme_example_runs_and_prints_the_stream_and_a_playback_token(
    platform: Platform, clip: tuple[Path, Stream]
) -> None:
    _, stream = clip
    run = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        env={
            **os.environ,
            "TIDECAST_URL": platform.base,
            "TIDECAST_USERNAME": NAME,
            "TIDECAST_PASSWORD": PASSWORD,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == f"{NAME} sees 1 ready streams: Harbour at dawn"
    # The uploader's own stream is free to them: no payment stream needed.
    assert re.fullmatch(rf"playback token for {stream.id}: free until \d{{4}}-\d\d-\d\dT\S+Z", lines[1]), (
        lines
    )


def test_keys_come_with_the_playback_token_and_errors_carry_the_platforms_code(
    platform: Platform, clip: tuple[Path, Stream]
) -> None:
    _, stream = clip
    with Tidecast(platform.base) as tc:
        tc.login(NAME, PASSWORD)
        assert tc.stream(stream.id).status == "ready"
        assert [s.id for s in tc.streams(mine=True, page_size=1)] == [stream.id]
        playback = tc.playback_token(stream.id)
        assert playback.free and playback.reason
        if stream.encrypted:
            assert len(tc.key(stream.id, 0, playback.token)) == 16
        with pytest.raises(ApiError) as missing:
            tc.stream("no-such-stream")
        assert (missing.value.status, missing.value.code) == (404, "NOT_FOUND")
        with pytest.raises(ApiError) as unpaid:
            tc.key(stream.id, 0, "not-a-playback-token")
        assert unpaid.value.status == 401
        assert unpaid.value.request_id
    with Tidecast(platform.base) as anonymous, pytest.raises(ApiError) as refused:
        anonymous.login(NAME, "wrong password, long enough")
    assert (refused.value.status, refused.value.code) == (401, "UNAUTHORIZED")


def test_an_interrupted_upload_resumes_from_the_platforms_offset(
    platform: Platform, clip: tuple[Path, Stream]
) -> None:
    video, _ = clip
    with Tidecast(platform.base) as tc:
        tc.login(NAME, PASSWORD)
        upload_id = tc.create_upload(video, "Harbour again")
        first = video.read_bytes()[: 64 * 1024]
        sent = httpx.patch(
            f"{platform.base}/api/uploads/{upload_id}",
            content=first,
            headers={
                "Authorization": f"Bearer {tc.token}",
                "Tus-Resumable": "1.0.0",
                "Upload-Offset": "0",
                "Content-Type": "application/offset+octet-stream",
            },
            timeout=30,
        )
        assert sent.status_code == 204, sent.text
        assert tc.upload_offset(upload_id) == len(first)
        offsets: list[int] = []
        stream_id = tc.upload(video, upload_id=upload_id, progress=lambda o, n: offsets.append(o))
        assert offsets == [video.stat().st_size]  # the rest in one chunk, from the platform's offset
        assert tc.stream(stream_id).title == "Harbour again"


def test_a_wallet_links_by_sign_in_with_ethereum(platform: Platform, clip: tuple[Path, Stream]) -> None:
    demo = demo_accounts(3)[2]
    with Tidecast(platform.base) as tc:
        tc.login(NAME, PASSWORD)
        wallet = tc.link_wallet(str(demo.private_key))
        assert wallet.address == demo.address
        assert [w.address for w in tc.me().wallets] == [demo.address]
        with pytest.raises(ValueError, match="not a private key"):
            tc.link_wallet("0x1234")


def test_a_wallet_is_not_linked_for_a_chain_the_caller_did_not_allow(
    platform: Platform, clip: tuple[Path, Stream]
) -> None:
    demo = demo_accounts(4)[3]  # a public key: the CLI signs with one only for development chains
    with Tidecast(platform.base) as tc:
        tc.login(NAME, PASSWORD)
        before = [w.address for w in tc.me().wallets]
        with pytest.raises(RefusedToSign, match="not one of \\[1\\]"):
            tc.link_wallet(str(demo.private_key), chain_ids={1})
        assert [w.address for w in tc.me().wallets] == before  # nothing was signed or linked
        assert tc.link_wallet(str(demo.private_key), chain_ids={EMBEDDED_CHAIN_ID}).address == demo.address
