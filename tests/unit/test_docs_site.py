"""The documentation site (mkdocs.yml, docs/): it builds under --strict (a broken link or anchor
fails, as in `make docs`), loads nothing from outside, and its two generated pages say what the
code has: every CLI command, and the OpenAPI operations when openapi.json is there."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_site_builds_strictly_and_loads_nothing_from_outside(tmp_path: Path) -> None:
    out = tmp_path / "site"
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    for page in out.rglob("*.html"):
        html = page.read_text()
        outside = re.findall(r'<(?:script|link|img)\b[^>]*(?:src|href)="(https?:[^"]*)"', html)
        assert not outside, f"{page.relative_to(out)} loads {outside}"
    architecture = (out / "architecture" / "index.html").read_text()
    assert "architecture.svg" in architecture and (out / "architecture.svg").exists()
    cli = (out / "cli" / "index.html").read_text()
    for command in ("tidecast upload", "tidecast wallet link", "tidecast payments open", "tidecast dev"):
        assert f'<h2 id="{command.replace(" ", "-")}">{command}' in cli, command


def test_the_api_reference_lists_operations_or_says_there_are_none(tmp_path: Path) -> None:
    render = hooks().openapi_operations
    assert "found no `openapi.json`" in render(tmp_path / "absent.json")
    document = {
        "openapi": "3.1.0",
        "info": {"version": "1"},
        "paths": {"/api/streams": {"get": {"summary": "List | page"}, "post": {"description": "Make\nmore"}}},
    }
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(document))
    table = render(path)
    assert "| `GET` | `/api/streams` | List \\| page |" in table
    assert "| `POST` | `/api/streams` | Make |" in table
