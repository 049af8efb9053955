"""Compile the Vyper contracts into the committed artifacts, or check that they are current.

`make contracts` (`python -m tidecast.chain.compile`) writes `artifacts/<Name>.json` for each
`contracts/<Name>.vy`; `--check` compiles afresh and exits non-zero naming every artifact that
differs, which is what CI and `tests/unit/test_contract_artifacts.py` rely on. The artifacts are
committed so that running tidecast never needs a compiler (vyper is in requirements-dev.lock
only), and they are written byte for byte the same on every machine: fixed key order, two-space
indentation, a final newline, and the contract compiled under its bare file name so no checkout
path reaches the bytecode's metadata.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

# The compiler the committed artifacts were built with; another version builds other bytecode.
COMPILER_VERSION = "0.4.3"
HERE = Path(__file__).resolve().parent
CONTRACTS_DIR = HERE / "contracts"
ARTIFACTS_DIR = HERE / "artifacts"


@cache
def compile_vyper(source: str, name: str) -> dict[str, Any]:
    """ABI and 0x-prefixed bytecode of one contract, from the pinned compiler only.

    vyper is imported here, not at module level, so that importing this module (the tests do)
    costs nothing until something is compiled. The same source compiles to the same output, so
    a process compiles it once (callers must not mutate the result).
    """
    vyper = importlib.import_module("vyper")
    if vyper.__version__ != COMPILER_VERSION:
        raise RuntimeError(
            f"vyper {vyper.__version__} is installed, the artifacts need vyper {COMPILER_VERSION} "
            "(requirements-dev.lock)"
        )
    out: dict[str, Any] = vyper.compile_code(
        source, contract_path=f"{name}.vy", output_formats=["abi", "bytecode"]
    )
    return {"abi": out["abi"], "bytecode": out["bytecode"]}


def build_artifact(path: Path) -> dict[str, Any]:
    """The artifact for one `.vy` file, keys in their published order."""
    raw = path.read_bytes()
    compiled = compile_vyper(raw.decode("utf-8"), path.stem)
    return {
        "contractName": path.stem,
        "abi": compiled["abi"],
        "bytecode": compiled["bytecode"],
        "compiler": f"vyper {COMPILER_VERSION}",
        "sourceSha256": hashlib.sha256(raw).hexdigest(),
    }


def render(artifact: dict[str, Any]) -> str:
    """The one text form of an artifact, so a fresh compile compares byte for byte."""
    return json.dumps(artifact, indent=2, ensure_ascii=False) + "\n"


def sources(contracts_dir: Path | None = None) -> list[Path]:
    return sorted((contracts_dir or CONTRACTS_DIR).glob("*.vy"))


def stale(contracts_dir: Path | None = None, artifacts_dir: Path | None = None) -> list[str]:
    """Artifacts that differ from a fresh compile, are missing, or have no contract any more."""
    artifacts_dir = artifacts_dir or ARTIFACTS_DIR
    problems = []
    wanted = set()
    for path in sources(contracts_dir):
        target = artifacts_dir / f"{path.stem}.json"
        wanted.add(target.name)
        if not target.exists():
            problems.append(f"{target.name}: missing")
        elif target.read_text(encoding="utf-8") != render(build_artifact(path)):
            problems.append(f"{target.name}: differs from a fresh compile of {path.name}")
    for extra in sorted(artifacts_dir.glob("*.json")):
        if extra.name not in wanted:
            problems.append(f"{extra.name}: no contract {extra.stem}.vy")
    return problems


def write_all(contracts_dir: Path | None = None, artifacts_dir: Path | None = None) -> list[Path]:
    """Compile every contract and write its artifact; returns the artifacts whose text changed."""
    artifacts_dir = artifacts_dir or ARTIFACTS_DIR
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    for path in sources(contracts_dir):
        target = artifacts_dir / f"{path.stem}.json"
        text = render(build_artifact(path))
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8", newline="\n")
            changed.append(target)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tidecast.chain.compile",
        description="Compile tidecast's Vyper contracts into tidecast/chain/artifacts/.",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; fail naming each artifact that is stale"
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = stale()
        for problem in problems:
            print(f"stale artifact: {problem}", file=sys.stderr)
        if problems:
            print("run `make contracts` and commit the artifacts", file=sys.stderr)
            return 1
        print(f"{len(sources())} artifacts match vyper {COMPILER_VERSION}")
        return 0
    changed = write_all()
    for target in changed:
        print(f"wrote {target.name}")
    print(f"{len(sources())} contracts compiled with vyper {COMPILER_VERSION}, {len(changed)} changed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
