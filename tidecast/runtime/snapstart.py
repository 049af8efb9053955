"""Lambda SnapStart: what a snapshot may hold, and what it must not.

With SnapStart (python3.12 and later), Lambda runs a function's init once, when a version is
published, snapshots the sandbox's memory, and starts every new sandbox from that snapshot: the
imports are paid once, not at each cold start (BENCHMARKS.md: 506 of a 646 ms cold start are
imports). What init leaves in memory is then shared by every sandbox restored from it, so:

- **Before the snapshot**, each function's container is built and warmed (`Function.warm`, the
  container's `warm`): the modules its first request would import lazily (the database driver
  and dialect, PyJWT, web3, boto3 where storage is S3) and the engine made, one connection
  opened so the dialect's first-connect queries run. Then every container is released
  (`Function.release`: closed, forgotten), so no socket is in the snapshot; a connection from
  it would be dead, or shared by every restored sandbox.
- **After restore**, every container is released again (nothing should have built one in
  between; the hook does not rely on it), so the first request builds a fresh one: new
  connections, empty caches. The payment reader's cache holds times from the monotonic clock,
  which does not carry across a restore. And `random` is reseeded: its state would otherwise
  be the same in every sandbox. `secrets`, `uuid.uuid4` and the keys tidecast makes read
  `os.urandom`, which Lambda reseeds on restore.

The hooks are registered (with `snapshot_restore_py`, which Lambda's runtime ships and
awslambdaric runs) only when AWS_LAMBDA_INITIALIZATION_TYPE is `snap-start`, and once a
process. tests/integration/test_lambda_package.py runs them under awslambdaric, replacing the
database between the snapshot and the restore.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Iterable
from typing import Any, Protocol


class _Function(Protocol):
    name: str

    def warm(self) -> list[str]: ...

    def release(self) -> None: ...


log = logging.getLogger("tidecast.snapstart")
_registered = False


def register_once(functions: Iterable[Any]) -> bool:
    """Register the hooks over `functions` (the process's, tidecast/runtime/function.py's
    FUNCTIONS) if this sandbox is being initialised for a snapshot; whether they are."""
    global _registered
    if _registered or os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != "snap-start":
        return _registered
    try:
        from snapshot_restore_py import (  # lazy: Lambda's runtime ships it, only a SnapStart init needs it
            register_after_restore,
            register_before_snapshot,
        )
    except ModuleNotFoundError:  # not on Lambda's runtime: nothing to register with
        log.warning("SnapStart init without snapshot_restore_py: no hooks registered")
        return False
    register_before_snapshot(before_snapshot, functions)
    register_after_restore(after_restore, functions)
    _registered = True
    return True


def before_snapshot(functions: Iterable[_Function]) -> None:
    for function in list(functions):
        warmed = function.warm()
        function.release()
        print(f"snapstart: {function.name} warmed ({', '.join(warmed)}) and released", flush=True)


def after_restore(functions: Iterable[_Function]) -> None:
    for function in list(functions):
        function.release()
    random.seed()  # from os.urandom
    print("snapstart: restored; containers released, random reseeded", flush=True)
