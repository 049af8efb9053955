"""tidecast/client/_generated is made from openapi.json by openapi-python-client, never by hand.

The generator is a development tool with its own virtual environment beside the project's
(`.venv/codegen`, requirements-codegen.lock, made by `make setup-dev`): openapi-python-client
0.29.1 wants typer < 0.28 and tidecast's command line is on typer 0.29, so the two cannot share
one environment. It always writes into a scratch directory; `write` then replaces the committed
package and `differences` compares the two, so the drift check and a regeneration run the same
steps. The generator's post hooks run ruff with `--isolated` (codegen.yaml), so the output does
not depend on where it was written.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

GENERATOR_VERSION = "0.29.1"
HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "_generated"
CONFIG = HERE / "codegen.yaml"
#: Where `make setup-dev` puts the generator's environment: beside the project's own.
ENVIRONMENT = Path(sys.prefix) / "codegen"
#: Another environment holding the pinned generator (and ruff) may be named here.
ENVIRONMENT_VARIABLE = "TIDECAST_CODEGEN_ENV"


class GeneratorMissing(RuntimeError):
    """The pinned openapi-python-client is not installed where tidecast looks for it."""


class GeneratorFailed(RuntimeError):
    """openapi-python-client ran and failed, or warned (a warning means an operation was dropped)."""


def environment() -> Path:
    """The generator's environment, checked to hold the pinned version."""
    env = Path(os.environ.get(ENVIRONMENT_VARIABLE) or ENVIRONMENT)
    exe = env / "bin" / "openapi-python-client"
    if not exe.exists():
        raise GeneratorMissing(
            f"openapi-python-client is not installed in {env} (`make setup-dev` installs it from "
            f"requirements-codegen.lock, or name another environment in {ENVIRONMENT_VARIABLE})"
        )
    said = subprocess.run(  # noqa: S603 - a fixed program and arguments
        [str(exe), "--version"], capture_output=True, text=True, check=False
    ).stdout
    if GENERATOR_VERSION not in said:
        raise GeneratorMissing(f"{exe} is {said.strip()!r}, not the pinned {GENERATOR_VERSION}")
    return env


def generate(document: Path, into: Path, env: Path | None = None) -> None:
    """Generate the package from `document` into the new directory `into`.

    Any warning fails: openapi-python-client drops an operation it cannot express (a header
    schema it refuses, say) with only a warning, and a client missing a route must not ship."""
    env = env or environment()
    bin_dir = env / "bin"
    # The post hooks call `ruff`: the pinned one in the generator's environment, first on PATH.
    path = os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")])
    done = subprocess.run(  # noqa: S603 - a fixed program; paths as arguments, no shell
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(document),
            "--meta",
            "none",
            "--config",
            str(CONFIG),
            "--output-path",
            str(into),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": path, "NO_COLOR": "1"},
    )
    said = (done.stdout + done.stderr).strip()
    if done.returncode != 0 or "warning" in said.lower() or "error" in said.lower():
        raise GeneratorFailed(f"openapi-python-client failed (exit {done.returncode}):\n{said}")


def files(root: Path) -> set[str]:
    """The package's files, relative, without caches."""
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def differences(fresh: Path, committed: Path) -> list[str]:
    """What differs between a fresh generation and the committed package, one line each."""
    new, old = files(fresh), files(committed) if committed.exists() else set()
    out = [f"missing: {name}" for name in sorted(new - old)]
    out += [f"not generated: {name}" for name in sorted(old - new)]
    out += [
        f"differs: {name}"
        for name in sorted(new & old)
        if not filecmp.cmp(fresh / name, committed / name, shallow=False)
    ]
    return out


def check(document: Path, package: Path = PACKAGE) -> list[str]:
    """The differences between the committed package and a generation from `document`."""
    with tempfile.TemporaryDirectory(prefix="tidecast-client-") as scratch:
        fresh = Path(scratch) / "_generated"
        generate(document, fresh)
        return differences(fresh, package)


def write(document: Path, package: Path = PACKAGE) -> None:
    """Replace the package with a generation from `document`."""
    with tempfile.TemporaryDirectory(prefix="tidecast-client-") as scratch:
        fresh = Path(scratch) / "_generated"
        generate(document, fresh)
        shutil.rmtree(package, ignore_errors=True)
        shutil.copytree(fresh, package)
