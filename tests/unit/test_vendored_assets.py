"""The site's copy of hls.js (public/vendor/hls.js/) is the file of the version package.json pins.

The copy is committed because `make dev` runs no npm and a static host serves the publish
directory as it is; `make vendor` refreshes it. These tests catch a pin bumped without the copy
(or a copy edited by hand)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.support.parts import missing_part

ROOT = Path(__file__).resolve().parents[2]
VENDORED = ROOT / "public" / "vendor" / "hls.js"


def pinned_version() -> str:
    return str(json.loads((ROOT / "package.json").read_text())["devDependencies"]["hls.js"])


def test_the_vendored_copy_is_the_pinned_version() -> None:
    text = (VENDORED / "hls.min.js").read_text(encoding="utf-8")
    # hls.js states its own version once in the bundle (`Hls.version`).
    versions = set(re.findall(r'"(\d+\.\d+\.\d+(?:-[\w.]+)?)"', text))
    assert pinned_version() in versions, sorted(versions)[:20]
    assert "Apache License" in (VENDORED / "LICENSE").read_text(encoding="utf-8")


def test_the_vendored_copy_is_byte_identical_to_the_package() -> None:
    package = ROOT / "node_modules" / "hls.js"
    if not package.is_dir():
        missing_part("node_modules/hls.js is not installed (`make setup-dev` runs npm ci)")
    assert json.loads((package / "package.json").read_text())["version"] == pinned_version()
    for name, source in (("hls.min.js", "dist/hls.min.js"), ("LICENSE", "LICENSE")):
        assert (VENDORED / name).read_bytes() == (package / source).read_bytes(), (
            f"public/vendor/hls.js/{name} differs from the pinned package's; run `make vendor`"
        )
