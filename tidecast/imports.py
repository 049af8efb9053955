"""Importing libraries that change interpreter-wide state as a side effect.

`py_ecc`, which eth-account and web3 import, raises the recursion limit to 100000 when it is
imported. With that limit a deeply recursive parse (JSON, pydantic, a regex) no longer stops at
a RecursionError: it overflows the C stack and the whole process dies, dev server and all.
Every import of such a library goes through `sane_import`, which puts the limit back.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType


def sane_import(name: str) -> ModuleType:
    """`importlib.import_module(name)`, with the recursion limit as it was before."""
    limit = sys.getrecursionlimit()
    try:
        return importlib.import_module(name)
    finally:
        if sys.getrecursionlimit() != limit:
            sys.setrecursionlimit(limit)
