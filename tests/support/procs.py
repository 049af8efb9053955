"""A process's children and whether a process still runs, read from /proc (Linux): for the
tests that kill a worker and check that its ffmpeg did not outlive it. And stopping a server
process the way its operator would: a signal, a grace period, then SIGKILL."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Any


def stop(proc: subprocess.Popen[Any], sig: signal.Signals = signal.SIGINT, grace: float = 20) -> None:
    """`sig` (SIGINT: running tasks finish), up to `grace` seconds, then SIGKILL."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to read it has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
