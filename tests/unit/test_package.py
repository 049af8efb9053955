"""`tidecast package`'s choices that need no build: what is left out, the platform tags, the zip."""

from __future__ import annotations

import re
import zipfile
from importlib.metadata import distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tidecast.deploy.package import (
    LEFT_OUT,
    Target,
    _normalise,
    prune_service_models,
    prune_test_trees,
    requirements,
    write_zip,
)
from tidecast.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]


def test_nothing_kept_needs_what_is_left_out() -> None:
    """A left-out package must not be a requirement of a shipped one (read from the installed
    metadata: the dev environment installs the whole lock)."""
    out = {_normalise(name) for name in LEFT_OUT}
    kept = [line.split("==")[0] for line in requirements(ROOT / "requirements.lock")]
    assert not out & {_normalise(name) for name in kept}
    needs = []
    for name in kept:
        for spec in distribution(name).requires or []:
            req = Requirement(spec)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            if _normalise(req.name) in out:
                needs.append(f"{name} needs {req.name}")
    assert needs == []


def test_every_left_out_name_is_in_the_lock() -> None:
    lock = (ROOT / "requirements.lock").read_text()
    pinned = {_normalise(m) for m in re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", lock, re.M)}
    assert {_normalise(name) for name in LEFT_OUT} <= pinned


def test_targets() -> None:
    assert Target().runtime == "python3.11"
    assert Target().platforms == ["manylinux2014_x86_64"]
    assert "manylinux_2_34_aarch64" in Target("3.12", "arm64").platforms
    with pytest.raises(InvalidInput, match="architecture"):
        Target(arch="aarch64")
    with pytest.raises(InvalidInput, match="Python"):
        Target(python="3.10")


def test_lock_without_pins_is_refused(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text("# nothing\n")
    with pytest.raises(InvalidInput, match="pins no requirement"):
        requirements(lock)


def test_zip_is_reproducible_and_world_readable(tmp_path: Path) -> None:
    stage = tmp_path / "stage"
    (stage / "pkg").mkdir(parents=True)
    (stage / "pkg" / "mod.py").write_text("x = 1\n")
    (stage / "pkg" / "mod.py").chmod(0o600)
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    assert write_zip(stage, first) == (6, 1)
    (stage / "pkg" / "mod.py").touch()
    write_zip(stage, second)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        (info,) = archive.infolist()
        assert info.external_attr >> 16 == 0o100644


def _tree(root: Path, files: list[str]) -> None:
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x")


def test_only_the_kept_aws_service_models_stay(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        [
            "botocore/data/endpoints.json",
            "botocore/data/partitions.json",
            "botocore/data/s3/2006-03-01/service-2.json.gz",
            "botocore/data/sts/2011-06-15/service-2.json.gz",
            "botocore/data/ec2/2016-11-15/service-2.json.gz",
            "botocore/data/dynamodb/2012-08-10/service-2.json.gz",
            "boto3/data/s3/2006-03-01/resources-1.json",
            "boto3/data/ec2/2016-11-15/resources-1.json",
        ],
    )
    assert prune_service_models(tmp_path) == 3
    kept = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert kept == [
        "boto3/data/s3/2006-03-01/resources-1.json",
        "botocore/data/endpoints.json",
        "botocore/data/partitions.json",
        "botocore/data/s3/2006-03-01/service-2.json.gz",
        "botocore/data/sts/2011-06-15/service-2.json.gz",
    ]


def test_dependencies_test_suites_go_and_nothing_else(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        [
            "toolz/__init__.py",
            "toolz/tests/__init__.py",
            "toolz/tests/test_x.py",
            "sqlalchemy/testing/__init__.py",
            "sqlalchemy/testing/suite/__init__.py",
            "somepkg/tests.py",  # a module named tests, not a suite directory
            "data/tests/readme.txt",  # a directory that is not a package stays
        ],
    )
    assert prune_test_trees(tmp_path) == 2
    kept = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert kept == ["data/tests/readme.txt", "somepkg/tests.py", "toolz/__init__.py"]
