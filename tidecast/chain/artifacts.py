"""The compiled contracts as tidecast ships them: `load("PaymentStream")`.

The JSON files are package data written by `make contracts` (tidecast/chain/compile.py) and
committed, so deploying or calling a contract never needs the compiler installed.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

# Contract names are file names; anything else (a path, `..`) is refused before it is opened.
_NAME = re.compile(r"[A-Z][A-Za-z0-9]{0,63}")


@dataclass(frozen=True)
class Artifact:
    """A contract's name, ABI (as web3 takes it) and creation bytecode (0x-prefixed hex)."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str


def names() -> list[str]:
    """The contracts that have an artifact."""
    folder = resources.files("tidecast.chain").joinpath("artifacts")
    return sorted(
        entry.name.removesuffix(".json") for entry in folder.iterdir() if entry.name.endswith(".json")
    )


@cache
@functools.cache
def load(name: str) -> Artifact:
    """The artifact of contract `name`; a KeyError names the ones there are. Read once per
    process (the files are part of the package and do not change under it)."""
    entry = resources.files("tidecast.chain").joinpath("artifacts", f"{name}.json")
    if not _NAME.fullmatch(name) or not entry.is_file():
        raise KeyError(f"no contract artifact {name!r}; there are: {', '.join(names())}")
    data = json.loads(entry.read_text(encoding="utf-8"))
    return Artifact(name=data["contractName"], abi=data["abi"], bytecode=data["bytecode"])
