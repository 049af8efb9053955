"""The ABIs the pages load (public/js/contracts.json) are the compiled artifacts' ABIs."""

from __future__ import annotations

import json
from pathlib import Path

from tidecast.chain import browser
from tidecast.chain.artifacts import load

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_copy_is_current() -> None:
    committed = (ROOT / browser.TARGET).read_text(encoding="utf-8")
    assert committed == browser.render(), "public/js/contracts.json is stale: run `make contracts`"


def test_it_has_what_the_pages_call() -> None:
    abis = json.loads((ROOT / browser.TARGET).read_text(encoding="utf-8"))
    names = {name: {item.get("name") for item in abi} for name, abi in abis.items()}
    called = {"createStream", "topUp", "cancel", "withdraw", "getStream", "balanceOf", "StreamCreated"}
    assert called <= names["PaymentStream"]
    assert {"approve", "allowance", "balanceOf", "decimals", "symbol"} <= names["DemoToken"]
    assert abis["PaymentStream"] == load("PaymentStream").abi
    assert all("bytecode" not in json.dumps(abi) for abi in abis.values())


def test_main_writes_the_file(tmp_path: Path) -> None:
    target = tmp_path / "contracts.json"
    assert browser.main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == browser.render()
