"""The site's copies of hls.js (public/vendor/hls.js/) and ethers (public/vendor/ethers/) are the
files of the versions package.json pins.

The copies are committed because `make dev` runs no npm and a static host serves the publish
directory as it is; `make vendor` refreshes them. These tests catch a pin bumped without the copy
(or a copy edited by hand)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.parts import missing_part

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "public" / "vendor"
#: package -> (the files copied: name in public/vendor/<package>/ -> path in the package),
#: and what the licence file says.
COPIES = {
    "hls.js": ({"hls.min.js": "dist/hls.min.js", "LICENSE": "LICENSE"}, "Apache License"),
    "ethers": ({"ethers.min.js": "dist/ethers.min.js", "LICENSE.md": "LICENSE.md"}, "MIT License"),
    "swagger-ui-dist": (
        {
            "swagger-ui-bundle.js": "swagger-ui-bundle.js",
            "swagger-ui.css": "swagger-ui.css",
            "LICENSE": "LICENSE",
        },
        "Apache License",
    ),
}


def pinned_version(package: str) -> str:
    return str(json.loads((ROOT / "package.json").read_text())["devDependencies"][package])


def test_the_vendored_hls_js_is_the_pinned_version() -> None:
    text = (VENDOR / "hls.js" / "hls.min.js").read_text(encoding="utf-8")
    # hls.js states its own version once in the bundle (`Hls.version`).
    versions = set(re.findall(r'"(\d+\.\d+\.\d+(?:-[\w.]+)?)"', text))
    assert pinned_version("hls.js") in versions, sorted(versions)[:20]
    assert "Apache License" in (VENDOR / "hls.js" / "LICENSE").read_text(encoding="utf-8")


def test_the_vendored_ethers_is_the_pinned_version_as_an_es_module() -> None:
    text = (VENDOR / "ethers" / "ethers.min.js").read_text(encoding="utf-8")
    found = re.search(r'const version="(\d+\.\d+\.\d+)"', text)
    assert found is not None and found[1] == pinned_version("ethers")
    # The pages import it (`import { ethers } from "/vendor/ethers/ethers.min.js"`): the ES
    # module build, which exports the namespace, not the UMD one.
    assert re.search(r"export\{[^}]*\bethers\b", text)
    assert "MIT License" in (VENDOR / "ethers" / "LICENSE.md").read_text(encoding="utf-8")


def test_pins_are_exact_versions() -> None:
    pins = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    for package in ("hls.js", "ethers", "axe-core", "swagger-ui-dist"):
        assert re.fullmatch(r"\d+\.\d+\.\d+", pins[package]), (package, pins[package])
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    for package in ("hls.js", "ethers", "axe-core", "swagger-ui-dist"):
        assert locked[f"node_modules/{package}"]["version"] == pins[package], package


@pytest.mark.parametrize("package", sorted(COPIES))
def test_the_vendored_copy_is_byte_identical_to_the_package(package: str) -> None:
    installed = ROOT / "node_modules" / package
    if not installed.is_dir():
        missing_part(f"node_modules/{package} is not installed (`make setup-dev` runs npm ci)")
    assert json.loads((installed / "package.json").read_text())["version"] == pinned_version(package)
    files, licence = COPIES[package]
    for name, source in files.items():
        assert (VENDOR / package / name).read_bytes() == (installed / source).read_bytes(), (
            f"public/vendor/{package}/{name} differs from the pinned package's; run `make vendor`"
        )
    licence_file = next(name for name in files if name.startswith("LICENSE"))
    assert licence in (VENDOR / package / licence_file).read_text(encoding="utf-8")
