"""The Lambda deployment package: tidecast's function code and its runtime dependencies, one zip.

Lambda runs the zip unpacked in a read-only /var/task, so:
- dependencies are installed for Lambda's platform, not this machine's (`pip install
  --platform ... --only-binary=:all:`): a wheel built for a newer glibc than the runtime's
  would install here and fail to import there;
- bytecode is compiled at build time, with unchecked-hash .pyc files: nothing can be written
  beside the sources at run time, and a zip keeps modification times to two seconds only, so
  timestamp-checked .pyc files would look stale after unpacking and be recompiled at every
  cold start;
- entries have fixed times and modes, so the same sources give the same zip.

Only the parts a function runs are shipped. The dependencies the functions never import (the
media worker's ffmpeg and PyAV, the embedded development chain's eth-tester and py-evm, the
dev servers) are left out by name (`LEFT_OUT`): the functions talk to a real chain node,
a real SMTP server and hand transcoding to the worker.

The zip is written with zipfile rather than a packaging tool (SAM's `sam build`, Serverless'
python-requirements): those need Docker or Node for the same pip call, and would not
compile unchecked-hash bytecode.
"""

from __future__ import annotations

import compileall
import os
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tidecast.errors import InvalidInput

#: Lambda's limits for a zip package: uploaded directly, and unpacked (code and layers).
ZIPPED_LIMIT = 50 * 1024 * 1024
UNZIPPED_LIMIT = 250 * 1024 * 1024

#: Runtimes the package can be built for. python3.11 runs on Amazon Linux 2 (glibc 2.26):
#: manylinux2014 wheels only. python3.12 and later run on Amazon Linux 2023 (glibc 2.34).
PYTHONS = ("3.11", "3.12", "3.13")
ARCHES = {"x86_64": "x86_64", "arm64": "aarch64"}

#: Requirements of requirements.lock the functions never import, each with why.
LEFT_OUT: dict[str, str] = {
    "av": "PyAV: the media worker transcodes, not a function",
    "imageio-ffmpeg": "the ffmpeg binary (~80 MB): the media worker's",
    "eth-tester": "the embedded development chain; functions talk to a real chain node",
    "py-evm": "the EVM behind eth-tester",
    "trie": "py-evm's state trie",
    "eth-bloom": "py-evm's log blooms",
    "lru-dict": "py-evm's caches",
    "cached-property": "py-evm's",
    "semantic-version": "eth-tester's",
    "sortedcontainers": "py-evm's",
    "aiosmtpd": "the development mail server; production sends to a real SMTP server",
    "atpublic": "aiosmtpd's",
    "uvicorn": "the dev server; API Gateway calls the handlers",
    "typer": "the command line's",
    "click": "typer's",
    "shellingham": "typer's",
    "rich": "typer's",
    "Pygments": "rich's",
    "markdown-it-py": "rich's",
    "mdurl": "markdown-it-py's",
}

#: The AWS services whose models botocore keeps (it ships ~440, 28 MB installed, and boto3 its
#: resource models): S3 is the object store; STS is what boto3's credential chain calls for a
#: web-identity role. Keeping only these took the zip back under Lambda's 50 MB for a direct
#: upload. A function that needs another service's client adds it here.
AWS_SERVICES = ("s3", "sts")
#: Directories of the dependencies' own test suites, which nothing imports at run time (the
#: package test runs every function from the zip, so a wrong guess fails there).
TEST_TREES = ("tests", "testing")

#: Parts of the tidecast tree a function never runs: the CLI, the client SDK, contract sources,
#: the development fake of Stripe.
SKIPPED_TREES = (
    "tidecast/cli",
    "tidecast/client",
    "tidecast/chain/contracts",
    "tidecast/billing/fake_stripe.py",  # the development fake of Stripe (localstripe)
)
SKIPPED_NAMES = ("__pycache__",)
#: Fixed time for every entry (zip's epoch is 1980): equal inputs give an equal zip.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

_REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*==")


@dataclass(frozen=True)
class Target:
    """A Lambda runtime: Python version and architecture (Lambda's names: x86_64, arm64)."""

    python: str = "3.11"
    arch: str = "x86_64"

    def __post_init__(self) -> None:
        if self.python not in PYTHONS:
            raise InvalidInput(f"Unsupported Python {self.python!r}: choose one of {', '.join(PYTHONS)}")
        if self.arch not in ARCHES:
            raise InvalidInput(f"Unsupported architecture {self.arch!r}: choose x86_64 or arm64")

    @property
    def runtime(self) -> str:
        return f"python{self.python}"

    @property
    def platforms(self) -> list[str]:
        """pip's platform tags for wheels this runtime's glibc can load."""
        machine = ARCHES[self.arch]
        tags = [f"manylinux2014_{machine}"]
        if self.python != "3.11":
            tags += [f"manylinux_2_28_{machine}", f"manylinux_2_34_{machine}"]
        return tags

    @property
    def compiles_here(self) -> bool:
        """Bytecode is specific to a Python version: only the running one can write it."""
        return self.python == f"{sys.version_info.major}.{sys.version_info.minor}"


@dataclass(frozen=True)
class Built:
    path: Path
    zipped: int
    unzipped: int
    files: int
    heaviest: list[tuple[str, int]]
    compiled: bool

    def summary(self) -> list[str]:
        def mb(n: int) -> str:
            return f"{n / 1024 / 1024:.1f} MB"

        lines = [
            f"zipped:   {mb(self.zipped):>9} of Lambda's {mb(ZIPPED_LIMIT)} direct upload"
            f" ({self.zipped / ZIPPED_LIMIT:.0%})",
            f"unzipped: {mb(self.unzipped):>9} of Lambda's {mb(UNZIPPED_LIMIT)}"
            f" ({self.unzipped / UNZIPPED_LIMIT:.0%}), {self.files} files",
            "heaviest: " + ", ".join(f"{name} {mb(size)}" for name, size in self.heaviest),
        ]
        if not self.compiled:
            lines.append("bytecode: not compiled (the target Python is not the one running this)")
        return lines

    @property
    def within_limits(self) -> bool:
        return self.zipped <= ZIPPED_LIMIT and self.unzipped <= UNZIPPED_LIMIT


def requirements(lock: Path, left_out: Iterable[str] = LEFT_OUT) -> list[str]:
    """The lock's pinned requirements, less those the functions never import."""
    skip = {_normalise(name) for name in left_out}
    kept = []
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = _REQUIREMENT.match(line.strip())
        if match and _normalise(match.group(1)) not in skip:
            kept.append(line.strip())
    if not kept:
        raise InvalidInput(f"{lock} pins no requirement (name==version lines)")
    return kept


def build(root: Path, out: Path, target: Target | None = None, *, pip_args: Iterable[str] = ()) -> Built:
    """Build the package of the project at `root` into the zip `out`."""
    target = target or Target()
    lock = root / "requirements.lock"
    if not (root / "tidecast" / "functions").is_dir() or not lock.is_file():
        raise InvalidInput(
            f"{root} is not tidecast's source tree (no tidecast/functions or requirements.lock)"
        )
    with tempfile.TemporaryDirectory(prefix="tidecast-package-") as tmp:
        stage = Path(tmp) / "stage"
        stage.mkdir()
        pinned = Path(tmp) / "requirements.txt"
        pinned.write_text("\n".join(requirements(lock)) + "\n", encoding="utf-8")
        install(pinned, stage, target, pip_args)
        prune_service_models(stage)
        prune_test_trees(stage)
        copy_source(root, stage)
        compiled = target.compiles_here
        if compiled:
            compile_tree(stage)
        unzipped, files = write_zip(stage, out)
        heaviest = _heaviest(stage)
    return Built(out, out.stat().st_size, unzipped, files, heaviest, compiled)


def install(requirements_file: Path, stage: Path, target: Target, pip_args: Iterable[str] = ()) -> None:
    """pip installs the wheels for Lambda's platform into `stage` (the lock pins every one, so no
    resolution: --no-deps)."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--target", str(stage), "--implementation", "cp", "--python-version", target.python]
    for tag in target.platforms:
        command += ["--platform", tag]
    command += ["--only-binary=:all:", "--no-deps", "--no-compile", "-r", str(requirements_file), *pip_args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - an argument list
    if done.returncode != 0:
        problems = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
        raise InvalidInput(
            f"pip could not install the runtime dependencies for {target.runtime} {target.arch}: "
            + ("; ".join(problems) or done.stderr.strip()[-2000:])
        )
    # pip leaves its own bookkeeping and console scripts; Lambda runs neither.
    shutil.rmtree(stage / "bin", ignore_errors=True)


def prune_service_models(stage: Path, keep: Iterable[str] = AWS_SERVICES) -> int:
    """Remove the botocore and boto3 models of every AWS service but `keep`; how many went.
    botocore's top-level files (endpoints, partitions, retry and default configuration) stay:
    every client reads them."""
    kept = set(keep)
    removed = 0
    for data in (stage / "botocore" / "data", stage / "boto3" / "data"):
        if not data.is_dir():
            continue
        for service in data.iterdir():
            if service.is_dir() and service.name not in kept:
                shutil.rmtree(service)
                removed += 1
    return removed


def prune_test_trees(stage: Path) -> int:
    """Remove the dependencies' test suites (run before tidecast's own tree is copied in);
    how many directories went."""
    found = sorted(
        (p for p in stage.rglob("*") if p.is_dir() and p.name in TEST_TREES and (p / "__init__.py").exists()),
        key=lambda p: len(p.parts),
    )
    removed = 0
    for tree in found:
        if tree.exists():
            shutil.rmtree(tree)
            removed += 1
    return removed


def copy_source(root: Path, stage: Path) -> None:
    """tidecast's package tree, less what no function runs (see SKIPPED_TREES)."""
    for path in _source_files(root):
        dest = stage / path.relative_to(root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)


def _source_files(root: Path) -> Iterator[Path]:
    skipped = [root / part for part in SKIPPED_TREES]
    for path in sorted((root / "tidecast").rglob("*")):
        if not path.is_file() or any(part in SKIPPED_NAMES for part in path.parts):
            continue
        if path.suffix == ".pyc" or any(path.is_relative_to(tree) for tree in skipped):
            continue
        yield path


def compile_tree(stage: Path) -> None:
    """Bytecode for every module, checked by hash never (Lambda's code cannot change)."""

    def compile_dir(path: Path) -> bool:
        return compileall.compile_dir(
            path, quiet=2, workers=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        )

    if not compile_dir(stage / "tidecast"):
        raise InvalidInput("tidecast's own sources do not compile")
    # A dependency may ship deliberately broken Python (test data, templates for another
    # version); those modules are never imported, so a failure there is harmless.
    compile_dir(stage)


def write_zip(stage: Path, out: Path) -> tuple[int, int]:
    """The staged tree as a zip, sorted, fixed times, world-readable modes (Lambda runs as
    another user than the one who built the zip). Returns unzipped bytes and file count."""
    out.parent.mkdir(parents=True, exist_ok=True)
    total = files = 0
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(stage.rglob("*")):
            if not path.is_file():
                continue
            info = zipfile.ZipInfo(path.relative_to(stage).as_posix(), date_time=ZIP_TIME)
            executable = os.access(path, os.X_OK) and path.suffix not in (".py", ".pyc")
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            archive.writestr(info, data)
            total += len(data)
            files += 1
    partial.replace(out)
    return total, files


def _heaviest(stage: Path, count: int = 6) -> list[tuple[str, int]]:
    sizes = []
    for top in stage.iterdir():
        if top.name.endswith((".dist-info", ".libs")) and not top.is_dir():
            continue
        if top.is_dir():
            size = sum(p.stat().st_size for p in top.rglob("*") if p.is_file())
        else:
            size = top.stat().st_size
        sizes.append((top.name, size))
    return sorted(sizes, key=lambda item: -item[1])[:count]


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
