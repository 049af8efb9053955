"""docs/operations.md's list of wired event subscribers is the one tidecast/container.py wires:
each event it names has a subscriber, and every event with one is named (the README once said
`stream.started` had none while the worker recorded every stream on chain through it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.services import build_services

ROOT = Path(__file__).resolve().parents[2]


def documented_events() -> set[str]:
    text = (ROOT / "docs" / "operations.md").read_text()
    wired = text.split("Wired today:", 1)[1].split("\n\n", 2)[1]  # the list after the heading line
    names: set[str] = set()
    for item in re.findall(r"^- ((?:`[a-z_.]+`(?:, )?)+)", wired, re.M):  # the names an item opens with
        names |= set(re.findall(r"`([a-z_.]+)`", item))
    return names


def test_the_documented_subscribers_are_wired(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    services = build_services(TIDECAST_DATA_DIR=str(tmp_path / "data"))
    try:
        wired = {name for name, subscribers in services.events._subscribers.items() if subscribers}
    finally:
        services.close()
    documented = documented_events()
    assert documented == wired, f"documented only: {documented - wired}; wired only: {wired - documented}"
    assert "no subscriber" not in (ROOT / "docs" / "operations.md").read_text()
