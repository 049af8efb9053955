"""A small file system of its own for a test: a tmpfs mounted on a temporary directory, so a
test can fill it (ENOSPC) or remount it read-only (EROFS) as a real disk would fail.

Mounting needs root (CI runs as root); elsewhere the tests that need it skip, and fail under
CI=true.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.parts import missing_part


class Disk:
    """A mounted tmpfs of `size` bytes at `path`."""

    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        self.size = size

    def fill(self, leave: int = 0) -> Path:
        """Fill the disk up to `leave` free bytes with one file; returns it (delete to free)."""
        filler = self.path / ".filler"
        free = shutil.disk_usage(self.path).free
        with filler.open("ab") as out:
            chunk = b"\0" * (1 << 16)
            left = free - leave
            try:
                while left > 0:
                    out.write(chunk[: min(left, len(chunk))])
                    left -= len(chunk)
                out.flush()
            except OSError:
                pass  # full already: that was the point
        return filler

    def free_space(self) -> None:
        (self.path / ".filler").unlink(missing_ok=True)

    def read_only(self, on: bool = True) -> None:
        _mount("-o", f"remount,{'ro' if on else 'rw'}", str(self.path))


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, timeout=10)


@contextmanager
def tmpfs(path: Path, size: int) -> Iterator[Disk]:
    """A tmpfs of `size` bytes mounted at `path` (made if missing) for the block's duration."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        missing_part("mounting a tmpfs needs root (a disk to fill and turn read-only)")
    path.mkdir(parents=True, exist_ok=True)
    try:
        _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path))
    except subprocess.CalledProcessError as exc:
        missing_part(f"cannot mount a tmpfs here: {exc.stderr.decode(errors='replace').strip()}")
    try:
        yield Disk(path, size)
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=10)
