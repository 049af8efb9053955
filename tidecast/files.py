"""Files tidecast keeps private: the data directory holds the database (password hashes), the
dev secret, the chain file (the platform key) and the dev mailbox (reset links).

Its own module, below settings and everything else, so that the settings, the database, the
development chain and the embedded parts can all make their directories without importing each
other (settings loading used to import the development chain, which imported settings back).
"""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> Path:
    """Create `path` (parents as usual) readable by its owner only: the data directory holds the
    database (password hashes), the dev secret and the dev mailbox (reset links)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        return path
    os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask; be exact
    return path
