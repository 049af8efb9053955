"""`tidecast transcode` as a developer runs it, in a fresh working directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import m3u8
import pytest

from tests.support import media

pytestmark = pytest.mark.slow  # the CLI encoding videos in subprocesses

ROOT = Path(__file__).resolve().parents[2]


def tidecast(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tidecast", "transcode", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_transcode_writes_under_hls_output_dir_with_a_progress_bar(tmp_path: Path) -> None:
    media.testsrc(tmp_path / "My Clip.mp4", seconds=2)
    env = {"HLS_OUTPUT_DIR": "out", "TIDECAST_HLS_LADDER": "240p:300k,120p:150k", "HLS_SEGMENT_LENGTH": "1"}
    done = tidecast(["My Clip.mp4", "--progress"], tmp_path, TIDECAST_HLS_PRESET="veryfast", **env)
    assert done.returncode == 0, done.stderr
    master = Path(done.stdout.strip())
    assert master == Path("out/My-Clip/master.m3u8")
    assert "100%" in done.stderr and "ETA" in done.stderr
    playlists = m3u8.load(str(tmp_path / master)).playlists
    assert [p.stream_info.resolution for p in playlists] == [(320, 240), (160, 120)]
    named = tidecast(["My Clip.mp4", "--name", "clip_2"], tmp_path, **env)
    assert named.returncode == 0, named.stderr
    assert (tmp_path / "out" / "clip_2" / "thumbnail.jpg").is_file()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["My-Clip", "clip_2"]


def test_transcode_errors_name_the_problem(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    media.testsrc(tmp_path / "ok.mp4", seconds=1, audio=False)
    missing = tidecast(["nothing.mp4"], tmp_path)
    assert missing.returncode == 2 and "no such file: 'nothing.mp4'" in missing.stderr
    text = tidecast(["notes.txt"], tmp_path)
    assert text.returncode == 2 and "not a video: 'notes.txt'" in text.stderr
    bad = tidecast(["ok.mp4", "--name", "../escape"], tmp_path)
    assert bad.returncode == 2 and "output_name" in bad.stderr
    no_ffmpeg = tidecast(["ok.mp4"], tmp_path, FFMPEG_PATH=str(tmp_path / "no-ffmpeg"))
    assert no_ffmpeg.returncode == 1 and "ffmpeg cannot be started" in no_ffmpeg.stderr
    ladder = tidecast(["ok.mp4"], tmp_path, TIDECAST_HLS_LADDER="720p")
    assert ladder.returncode == 2 and "TIDECAST_HLS_LADDER" in ladder.stderr
    assert not (tmp_path / "public").exists() or not any((tmp_path / "public" / "streams").iterdir())
