"""The embedded chain's state on disk, so `tidecast dev` restarts with the same chain: the same
genesis (the deployment identity of its payment streams), contracts and payment streams, as
Anvil's `--state` keeps them.

py-evm keeps everything (headers, blocks, receipts, state trie nodes, the canonical chain) in
one key-value database behind its `AtomicDB`; this is that database in one SQLite file (the
standard library's, no server). Nothing is replayed at start: opening reads the canonical head,
so a restart takes the same time after a million blocks as after ten.

Writes go into one open transaction that `commit` ends. The node commits after each block it
mines (and on a revert, and when it stops), so the file always holds a whole chain up to some
block: py-evm writes a block's state nodes before it makes the block canonical, and a process
killed in between loses that block, never the chain. The file is held with SQLite's exclusive
locking mode: a second `tidecast dev` on the same data directory is refused at start, rather
than two processes writing one chain.

`meta` holds what is not in py-evm's database: the clock offset `evm_increaseTime` added.
"""

from __future__ import annotations

import sqlite3
import threading
from functools import cache
from pathlib import Path

from tidecast.errors import ConfigError
from tidecast.imports import sane_import

#: The file, under the data directory.
STATE_FILE = "chain-state.sqlite3"


@cache
def store_type() -> type:
    """`ChainStore`'s class, built on py-evm's BaseDB (imported only when a chain starts)."""
    base = sane_import("eth.db.backends.base").BaseDB

    class ChainStore(base):  # type: ignore[misc,valid-type]
        """py-evm's key-value database in one SQLite file (see the module's docstring)."""

        def __init__(self, path: Path) -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.path = path
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level="DEFERRED")
            self._lock = threading.Lock()
            try:
                self._db.execute("PRAGMA locking_mode = EXCLUSIVE")
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = NORMAL")
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID"
                )
                self._db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
                self._db.commit()  # the first write takes the exclusive lock, held until close
            except sqlite3.OperationalError as exc:
                self._db.close()
                raise ConfigError(
                    f"the embedded chain's state {path} is in use by another process (another "
                    f"`tidecast dev` on this data directory?) or unreadable: {exc}"
                ) from exc

        def __getitem__(self, key: bytes) -> bytes:
            with self._lock:
                row = self._db.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
            if row is None:
                raise KeyError(key)
            return bytes(row[0])

        def __setitem__(self, key: bytes, value: bytes) -> None:
            with self._lock:
                self._db.execute("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", (key, value))

        def __delitem__(self, key: bytes) -> None:
            with self._lock:
                gone = self._db.execute("DELETE FROM kv WHERE k = ?", (key,)).rowcount
            if not gone:
                raise KeyError(key)

        def _exists(self, key: bytes) -> bool:
            with self._lock:
                return self._db.execute("SELECT 1 FROM kv WHERE k = ?", (key,)).fetchone() is not None

        def load(self, items: dict[bytes, bytes]) -> None:
            """Many keys at once (a fresh chain's genesis), committed."""
            with self._lock:
                self._db.executemany("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", list(items.items()))
                self._db.commit()

        def meta(self, key: str) -> str | None:
            with self._lock:
                row = self._db.execute("SELECT v FROM meta WHERE k = ?", (key,)).fetchone()
            return None if row is None else str(row[0])

        def set_meta(self, key: str, value: str) -> None:
            with self._lock:
                self._db.execute("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", (key, value))

        def commit(self) -> None:
            with self._lock:
                self._db.commit()

        def close(self) -> None:
            with self._lock:
                self._db.commit()
                self._db.close()

    return ChainStore
