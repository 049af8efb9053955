"""What the machine can do to a transcode, against real ffmpeg: a disk that fills or turns
read-only, a worker killed outright. None of it is the input's fault, and none of it may leave a
plaintext segment on disk.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tests.support import media
from tests.support.disks import tmpfs
from tests.support.media import looks_like_plain_ts
from tests.support.procs import alive, children
from tidecast.errors import InvalidInput, Unavailable
from tidecast.media.encrypt import KeyRing
from tidecast.media.ffmpeg import ffmpeg_path
from tidecast.media.hls import HLSService
from tidecast.media.ladder import parse_ladder

LADDER = parse_ladder("240p:400k,180p:250k")


def service(out: Path) -> HLSService:
    return HLSService(out, ffmpeg=ffmpeg_path(None), segment_length=1, ladder=LADDER, preset="ultrafast")


def keyring() -> KeyRing:
    return KeyRing(1, lambda period: f"/api/keys/s1/{period}")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.testsrc(tmp_path_factory.mktemp("in") / "in.mp4", size="426x240", seconds=12)


def test_no_plaintext_segment_is_ever_written_while_encoding(tmp_path: Path, source: Path) -> None:
    out = tmp_path / "out"
    seen: dict[Path, bool] = {}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            for segment in out.glob(".*/*/*.ts"):
                try:
                    if segment.stat().st_size >= 188 * 4:
                        seen[segment] = seen.get(segment, False) or looks_like_plain_ts(segment)
                except FileNotFoundError:
                    pass
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        service(out).create_hls_stream(source, "s1", keys=keyring())
    finally:
        done.set()
        watcher.join()
    assert len(seen) >= 6, f"the watcher saw too few segments being built to tell: {len(seen)}"
    assert not [p.name for p, plain in seen.items() if plain], "plaintext segments were on disk"
    published = list((out / "s1").glob("*/*.ts"))
    assert published and not any(looks_like_plain_ts(p) for p in published)


def test_a_full_disk_is_an_operational_error_naming_the_place(tmp_path: Path, source: Path) -> None:
    with tmpfs(tmp_path / "disk", 4 << 20) as disk:
        disk.fill(leave=300_000)
        with pytest.raises(Unavailable) as failed:
            service(disk.path).create_hls_stream(source, "s1", keys=keyring())
        assert "disk full at" in failed.value.message, failed.value.message
        assert str(disk.path) in failed.value.message
        assert not isinstance(failed.value, InvalidInput)
        assert [p.name for p in disk.path.iterdir()] == [".filler"], "the build was not removed"
        disk.free_space()
        result = service(disk.path).create_hls_stream(source, "s1", keys=keyring())
        assert result["duration"] > 11


def test_a_read_only_disk_is_an_operational_error(tmp_path: Path, source: Path) -> None:
    with tmpfs(tmp_path / "disk", 64 << 20) as disk:
        disk.read_only()
        with pytest.raises(Unavailable) as failed:
            service(disk.path).create_hls_stream(source, "s1", keys=keyring())
        assert "read-only file system at" in failed.value.message, failed.value.message
        disk.read_only(False)
        assert service(disk.path).create_hls_stream(source, "s1", keys=keyring())["duration"] > 11


def test_a_thumbnail_on_a_full_disk_is_operational(tmp_path: Path, source: Path) -> None:
    with tmpfs(tmp_path / "disk", 1 << 20) as disk:
        hls = service(disk.path)
        (disk.path / "s1").mkdir()
        disk.fill()
        with pytest.raises(Unavailable) as failed:
            hls.generate_thumbnail(source, "s1")
        assert "disk full" in failed.value.message, failed.value.message


def test_ffmpeg_dies_with_a_worker_killed_outright(tmp_path: Path) -> None:
    """A SIGKILLed worker runs no clean-up: its ffmpeg must not go on under init."""
    script = textwrap.dedent(
        """
        import threading
        from tidecast.media import ffmpeg as ff
        args = [ff.ffmpeg_path(None), "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi",
                "-i", "testsrc2=size=320x240:rate=25", "-f", "null", "-"]
        # From a worker thread, as the job consumer runs it.
        t = threading.Thread(target=ff.run, args=(args,), kwargs={"timeout": 600, "what": "test"})
        t.start(); t.join()
        """
    )
    worker = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).parents[2])
    encoders: list[int] = []
    try:
        deadline = time.monotonic() + 20
        while not encoders and time.monotonic() < deadline:
            time.sleep(0.1)
            encoders = children(worker.pid)
        assert encoders, "ffmpeg never started"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(alive(pid) for pid in encoders) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [pid for pid in encoders if alive(pid)]
        assert not left, f"ffmpeg {left} outlived its killed worker"
    finally:
        if worker.poll() is None:
            worker.kill()
        for pid in encoders:  # a failed run must not leave ffmpeg behind
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
