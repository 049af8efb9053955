"""Child processes that go when their parent goes.

A process killed with SIGKILL runs no clean-up, so a child it started (ffmpeg in a worker, the
development fake of Stripe under `tidecast dev`) would run on under init, holding a port or
writing into a build nobody owns. Linux's PR_SET_PDEATHSIG has the kernel kill the child when
the thread that started it dies. Written here with ctypes: the standard library has no binding
for prctl, and a package for one call is not worth a dependency.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable


def die_with_parent() -> Callable[[], None] | None:
    """A pre-exec step (`Popen(preexec_fn=...)`) that has the kernel SIGKILL the child when the
    thread that started it dies. Linux only; elsewhere None, and the parent's own shutdown is
    all there is."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    prctl = libc.prctl
    parent = os.getpid()

    def arm() -> None:
        prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the line above: nobody to serve
            os._exit(1)

    return arm
