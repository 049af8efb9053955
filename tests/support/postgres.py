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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from tests.support.parts import free_port, missing_part


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
        #: The server's log. Never a pipe: nobody reads one while the tests run, every
        #: `DROP DATABASE` logs a checkpoint, and a full pipe blocked the checkpointer (and every
        #: later DROP DATABASE with it) for ever.
        self.log_path = self.dir / "server.log"
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
        with self.log_path.open("ab") as log:  # the child keeps its own descriptor
            self.proc = self._popen(data, log)
        deadline = time.monotonic() + 30
        import psycopg

        while True:
            try:
                psycopg.connect(f"host=127.0.0.1 port={self.port} user=tidecast dbname=postgres").close()
                return
            except psycopg.OperationalError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    err = self.log_path.read_bytes()[-2000:].decode("utf-8", "replace")
                    self.stop()
                    raise RuntimeError(f"PostgreSQL did not start: {err}") from None
                time.sleep(0.1)

    def _popen(self, data: Path, log: IO[bytes]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
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
            stderr=log,
        )

    def pause(self) -> None:
        """Stop the server (a fast shutdown: clients are cut off) and keep its data; `start`
        brings it back on the same port."""
        if self.proc is not None and self.proc.poll() is None:
            self._fast_shutdown()
            self.proc.wait(timeout=30)

    def _signal_postmaster(self, sig: signal.Signals) -> None:
        """To the postmaster itself: runuser does not pass signals on, so signalling the
        process we started waited its whole timeout, then killed it."""
        assert self.proc is not None
        try:
            pid = int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            self.proc.send_signal(sig)
            return
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def _fast_shutdown(self) -> None:
        self._signal_postmaster(signal.SIGINT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self._fast_shutdown()
            started = time.monotonic()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._signal_postmaster(signal.SIGQUIT)  # immediate shutdown, never an orphan
                self.proc.kill()
                self.proc.wait()
            waited = time.monotonic() - started
            if waited > 5:  # said in the run's warnings summary: a session's end should not wait
                warnings.warn(f"the test PostgreSQL server took {waited:.1f} s to stop", stacklevel=2)
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A started server, stopped after; a missing installation is `missing_part`."""
    bindir = find_bindir()
    if bindir is None:
        missing_part("PostgreSQL server binaries (initdb) not found; `make system-deps` installs them")
    server = PostgresServer(bindir)  # type: ignore[arg-type]
    server.start()
    try:
        yield server
    finally:
        server.stop()
