"""A real PostgreSQL server for the tests: Debian's binaries, a temporary data directory,
a free port on 127.0.0.1, stopped and removed afterwards.

initdb refuses to run as root, so as root the server runs as the `postgres` system user
(created by Debian's package) in a directory that user owns.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

from tests.support.parts import free_port


def find_bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True):
        return Path(candidate).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresServer:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="tidecast-pg-"))
        self.proc: subprocess.Popen[bytes] | None = None
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://tidecast@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        data = self.dir / "data"
        if data.exists():  # resumed after `pause`: the same data, the same port
            self._launch(data)
            return
        subprocess.run(
            [
                *self.as_user,
                str(self.bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "tidecast",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        self._launch(data)

    def _launch(self, data: Path) -> None:
        self.proc = subprocess.Popen(
            [
                *self.as_user,
                str(self.bindir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(self.port),
                "-k",
                str(self.dir),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        import psycopg

        while True:
            try:
                psycopg.connect(f"host=127.0.0.1 port={self.port} user=tidecast dbname=postgres").close()
                return
            except psycopg.OperationalError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                    self.stop()
                    raise RuntimeError(f"PostgreSQL did not start: {err[-2000:]}") from None
                time.sleep(0.1)

    def pause(self) -> None:
        """Stop the server (a fast shutdown: clients are cut off) and keep its data; `start`
        brings it back on the same port."""
        if self.proc is not None and self.proc.poll() is None:
            self._fast_shutdown()
            self.proc.wait(timeout=30)

    def _fast_shutdown(self) -> None:
        """SIGINT to the postmaster itself: runuser does not pass signals on, so signalling the
        process we started waited its whole timeout, then killed it."""
        assert self.proc is not None
        try:
            pid = int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            self.proc.send_signal(signal.SIGINT)
            return
        os.kill(pid, signal.SIGINT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self._fast_shutdown()
            started = time.monotonic()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            waited = time.monotonic() - started
            if waited > 5:  # said in the run's warnings summary: a session's end should not wait
                warnings.warn(f"the test PostgreSQL server took {waited:.1f} s to stop", stacklevel=2)
        shutil.rmtree(self.dir, ignore_errors=True)
