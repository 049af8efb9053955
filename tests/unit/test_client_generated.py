"""The drift check: tidecast/client/_generated is what the pinned openapi-python-client makes of
the committed openapi.json (which tests/unit/test_openapi.py checks against the routes)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.support.parts import missing_part
from tidecast.client import codegen

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_client_is_a_fresh_generation(tmp_path: Path) -> None:
    try:
        env = codegen.environment()
    except codegen.GeneratorMissing as exc:
        missing_part(str(exc))
    fresh = tmp_path / "_generated"
    codegen.generate(ROOT / "openapi.json", fresh, env)
    assert codegen.differences(fresh, codegen.PACKAGE) == [], (
        "tidecast/client/_generated is out of date: run `tidecast api client` and commit it"
    )


def test_every_operation_of_the_document_is_generated() -> None:
    """The generator drops an operation it cannot express with only a warning (generate fails
    on any); this holds the committed package to every operationId as well."""
    doc = json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))
    operations = {op["operationId"] for item in doc["paths"].values() for op in item.values()}
    modules = {p.stem for p in (codegen.PACKAGE / "api").rglob("*.py") if p.stem != "__init__"}
    snake = {re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() for name in operations}
    assert len(operations) >= 30
    assert snake == modules


def test_a_difference_is_named(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        (root / "models").mkdir(parents=True)
        (root / "models" / "same.py").write_text("x = 1\n")
    (a / "models" / "changed.py").write_text("x = 1\n")
    (b / "models" / "changed.py").write_text("x = 2\n")
    (a / "new.py").write_text("")
    (b / "old.py").write_text("")
    (b / "models" / "__pycache__").mkdir()
    (b / "models" / "__pycache__" / "same.cpython-311.pyc").write_bytes(b"\0")
    assert codegen.differences(a, b) == [
        "missing: new.py",
        "not generated: old.py",
        "differs: models/changed.py",
    ]
