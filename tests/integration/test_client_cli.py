"""`tidecast upload` and `tidecast wallet link` on bad input: a clear message and exit 2 for a
mistake in the command line, exit 1 naming the address when the platform does not answer; and
never a private key on the command line or in what they print. (The tour test runs them
against a live platform: tests/integration/test_readme_tour.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.parts import free_port
from tidecast.cli import app

KEY = "0x" + "ab" * 32


def tidecast(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, list(args), env={"TIDECAST_TOKEN": "", "TIDECAST_URL": "", **(env or {})}
    )
    return result.exit_code, result.output


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\0" * 100)
    return path


def test_upload_needs_a_token_a_known_type_and_a_url(video: Path, tmp_path: Path) -> None:
    code, out = tidecast("upload", str(video))
    assert code == 2 and "needs a login token" in out
    odd = tmp_path / "clip.xyz"
    odd.write_bytes(b"x")
    code, out = tidecast("upload", str(odd), "--token", "t")
    assert code == 2 and "--type video/" in out
    code, out = tidecast("upload", str(video), "--token", "t", "--url", "localhost:8888")
    assert code == 2 and "http:// or https://" in out
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    code, out = tidecast("upload", str(empty), "--token", "t")
    assert code == 2 and "is empty" in out
    code, out = tidecast("upload", str(tmp_path / "absent.mp4"), "--token", "t")
    assert code == 2 and "does not exist" in out


def test_upload_to_a_platform_that_does_not_answer_exits_1_naming_it(video: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, out = tidecast("upload", str(video), "--token", "t", "--url", url)
    assert code == 1 and f"{url} does not answer" in out and "make dev" in out


def test_wallet_link_takes_exactly_one_key_and_never_prints_it(tmp_path: Path) -> None:
    code, out = tidecast("wallet", "link", "--token", "t")
    assert code == 2 and "say which key signs" in out
    code, out = tidecast("wallet", "link", "--token", "t", "--from-demo", "2", "--key-env", "K")
    assert code == 2 and "say which key signs" in out
    code, out = tidecast("wallet", "link", "--token", "t", "--key-env", "NOT_SET_ANYWHERE")
    assert code == 2 and "NOT_SET_ANYWHERE is empty or not set" in out
    code, out = tidecast("wallet", "link", "--token", "t", "--key-env", "K", env={"K": "0x1234"})
    assert code == 2 and "does not hold a private key" in out and "0x1234" not in out
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    url = f"http://127.0.0.1:{free_port()}"
    code, out = tidecast("wallet", "link", "--token", "t", "--key-file", str(key_file), "--url", url)
    assert code == 1 and "does not answer" in out and KEY[2:] not in out
    code, out = tidecast("wallet", "link", "--key-file", str(key_file))
    assert code == 2 and "needs a login token" in out
