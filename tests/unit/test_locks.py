"""The locks: runtime packages only in requirements.lock (a deployment package ships it), the
dev and test tools in requirements-dev.lock, every pin exact, no package in both."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS = {"pytest", "pytest-timeout", "mypy", "ruff", "hypothesis", "playwright", "trustme", "vyper"}


def pins(name: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([0-9][0-9A-Za-z.\-+]*)", line)
        assert match, f"{name}: not an exact pin: {line!r}"
        found[match[1].lower().replace("_", "-")] = match[2]
    return found


def requirement_name(spec: str) -> str:
    return re.split(r"[\[<>=!~ ;]", spec, maxsplit=1)[0].lower().replace("_", "-")


def test_runtime_lock_has_the_runtime_and_no_tools() -> None:
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {requirement_name(spec) for spec in project["dependencies"]}
    assert wanted <= set(runtime), wanted - set(runtime)
    assert not TOOLS & set(runtime), TOOLS & set(runtime)
    assert TOOLS <= set(dev), TOOLS - set(dev)
    assert not set(runtime) & set(dev), set(runtime) & set(dev)
    declared = {requirement_name(spec) for spec in project["optional-dependencies"]["dev"]}
    assert declared <= set(dev), declared - set(dev)


def test_node_tools_are_pinned_exactly_and_locked() -> None:
    """Anvil, ethers.js and js-ipfs for the tests, hls.js and ethers for the site's vendored
    copies, axe-core for the accessibility checks the browser tests run, and Swagger UI for the
    site's API reference page, and the pages' checkers (ESLint, TypeScript, openapi-typescript):
    exact versions, the same in the lock,
    Anvil's platform packages all named in it (npm ci refuses a lock that misses one), and
    js-ipfs's overrides for Node 20 applied (no URL dependency left for npm ci to fetch)."""
    import json

    package = json.loads((ROOT / "package.json").read_text())
    assert package["devDependencies"] == {
        "@eslint/js": "10.0.1",
        "@foundry-rs/anvil": "1.7.1",
        "axe-core": "4.14.1",
        "eslint": "10.16.0",
        "ethers": "6.17.0",
        "globals": "17.15.0",
        "hls.js": "1.7.4",
        "ipfs": "0.66.1",
        "openapi-typescript": "7.13.0",
        "swagger-ui-dist": "5.35.0",
        "typescript": "5.9.3",
    }
    overrides = {"mortice": "3.0.6", "@multiformats/mafmt": "11.1.0", "headless": "1.2.0"}
    assert package["overrides"] == overrides
    assert "dependencies" not in package and package["private"] is True
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    assert lock[""]["devDependencies"] == package["devDependencies"]
    assert lock["node_modules/@foundry-rs/anvil"]["version"] == "1.7.1"
    assert lock["node_modules/ethers"]["version"] == "6.17.0"
    assert lock["node_modules/ipfs"]["version"] == "0.66.1"
    assert lock["node_modules/hls.js"]["version"] == "1.7.4"
    assert lock["node_modules/swagger-ui-dist"]["version"] == "5.35.0"
    for name, version in overrides.items():
        copies = [v for k, v in lock.items() if f"/{k}".endswith(f"/node_modules/{name}")]
        assert copies and all(c["version"] == version for c in copies), name
    assert not any("resolved" in v for v in lock.values())  # every package from the registry
    for platform in lock["node_modules/@foundry-rs/anvil"]["optionalDependencies"]:
        assert lock[f"node_modules/{platform}"]["version"] == "1.7.1", platform
