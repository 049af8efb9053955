"""The committed contract artifacts: equal to a fresh compile with the pinned vyper (so a `.vy`
changed without `make contracts` fails here), in their one byte-exact form, and exposing the
interface the services and the embedded chain are written against."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tidecast.chain import artifacts, compile

# name -> (input types, output types, mutability); a tuple output lists its components.
PAYMENT_STREAM_FUNCTIONS = {
    "createStream": (
        [("recipient", "address"), ("token", "address"), ("flowRate", "uint256"), ("deposit", "uint256")],
        ["uint256"],
        "nonpayable",
    ),
    "topUp": ([("streamId", "uint256"), ("amount", "uint256")], [], "nonpayable"),
    "withdraw": ([("streamId", "uint256"), ("amount", "uint256")], [], "nonpayable"),
    "cancel": ([("streamId", "uint256")], [], "nonpayable"),
    "getStream": (
        [("streamId", "uint256")],
        [
            [
                ("sender", "address"),
                ("recipient", "address"),
                ("token", "address"),
                ("flowRate", "uint256"),
                ("deposit", "uint256"),
                ("startTime", "uint256"),
                ("withdrawn", "uint256"),
                ("remainingBalance", "uint256"),
                ("active", "bool"),
                ("depletionTime", "uint256"),
            ]
        ],
        "view",
    ),
    "balanceOf": ([("streamId", "uint256"), ("account", "address")], ["uint256"], "view"),
    "nextStreamId": ([], ["uint256"], "view"),
}
_PARTIES = [("streamId", "uint256", True), ("sender", "address", True), ("recipient", "address", True)]
PAYMENT_STREAM_EVENTS = {
    "StreamCreated": [
        *_PARTIES,
        ("token", "address", False),
        ("flowRate", "uint256", False),
        ("deposit", "uint256", False),
        ("startTime", "uint256", False),
    ],
    "ToppedUp": [*_PARTIES, ("amount", "uint256", False), ("deposit", "uint256", False)],
    "Withdrawn": [*_PARTIES, ("amount", "uint256", False)],
    "StreamCancelled": [*_PARTIES, ("recipientAmount", "uint256", False), ("senderRefund", "uint256", False)],
}
DEMO_TOKEN_FUNCTIONS = {
    "name": ([], ["string"], "view"),
    "symbol": ([], ["string"], "view"),
    "decimals": ([], ["uint8"], "view"),
    "totalSupply": ([], ["uint256"], "view"),
    "balanceOf": ([("account", "address")], ["uint256"], "view"),
    "allowance": ([("owner", "address"), ("spender", "address")], ["uint256"], "view"),
    "transfer": ([("to", "address"), ("amount", "uint256")], ["bool"], "nonpayable"),
    "transferFrom": (
        [("source", "address"), ("to", "address"), ("amount", "uint256")],
        ["bool"],
        "nonpayable",
    ),
    "approve": ([("spender", "address"), ("amount", "uint256")], ["bool"], "nonpayable"),
    "mint": ([("to", "address"), ("amount", "uint256")], [], "nonpayable"),
    "owner": ([], ["address"], "view"),
}
DEMO_TOKEN_EVENTS = {
    "Transfer": [("sender", "address", True), ("receiver", "address", True), ("value", "uint256", False)],
    "Approval": [("owner", "address", True), ("spender", "address", True), ("value", "uint256", False)],
}
REGISTRY_FUNCTIONS = {
    "platform": ([], ["address"], "view"),
    "recordStreamStart": ([("mediaStreamId", "string")], [], "nonpayable"),
    "setPlatform": ([("new", "address")], [], "nonpayable"),
    "startedAt": ([("arg0", "bytes32")], ["uint256"], "view"),
}
REGISTRY_EVENTS = {
    "StreamStarted": [
        ("mediaStreamIdHash", "bytes32", True),
        ("mediaStreamId", "string", False),
        ("recordedAt", "uint256", False),
    ],
    "PlatformChanged": [("previous", "address", True), ("current", "address", True)],
}
INTERFACES = {
    "PaymentStream": (PAYMENT_STREAM_FUNCTIONS, PAYMENT_STREAM_EVENTS),
    "DemoToken": (DEMO_TOKEN_FUNCTIONS, DEMO_TOKEN_EVENTS),
    "StreamRegistry": (REGISTRY_FUNCTIONS, REGISTRY_EVENTS),
}


def _output(entry: dict[str, Any]) -> Any:
    if entry["type"] == "tuple":
        return [(c["name"], c["type"]) for c in entry["components"]]
    return entry["type"]


def test_committed_artifacts_equal_a_fresh_compile() -> None:
    assert compile.stale() == [], "run `make contracts` and commit tidecast/chain/artifacts/"


def test_check_names_the_artifact_that_went_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    contracts, built = tmp_path / "contracts", tmp_path / "artifacts"
    shutil.copytree(compile.CONTRACTS_DIR, contracts)
    shutil.copytree(compile.ARTIFACTS_DIR, built)
    monkeypatch.setattr(compile, "CONTRACTS_DIR", contracts)
    monkeypatch.setattr(compile, "ARTIFACTS_DIR", built)
    assert compile.main(["--check"]) == 0

    registry = contracts / "StreamRegistry.vy"
    registry.write_text(registry.read_text().replace('"only the platform"', '"platform only"'))
    (built / "DemoToken.json").unlink()
    assert compile.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "StreamRegistry.json: differs from a fresh compile of StreamRegistry.vy" in err
    assert "DemoToken.json: missing" in err
    assert "PaymentStream" not in err

    assert compile.main([]) == 0
    assert compile.main(["--check"]) == 0


@pytest.mark.parametrize("name", sorted(INTERFACES))
def test_artifact_form_is_fixed(name: str) -> None:
    path = compile.ARTIFACTS_DIR / f"{name}.json"
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert list(data) == ["contractName", "abi", "bytecode", "compiler", "sourceSha256"]
    assert data["contractName"] == name
    assert data["compiler"] == "vyper 0.4.3"
    assert data["bytecode"].startswith("0x") and int(data["bytecode"], 16) > 0
    source = (compile.CONTRACTS_DIR / f"{name}.vy").read_bytes()
    assert data["sourceSha256"] == hashlib.sha256(source).hexdigest()
    assert text == json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    assert source.startswith(b"# pragma version 0.4.3\n")


@pytest.mark.parametrize("name", sorted(INTERFACES))
def test_abi_is_the_published_interface(name: str) -> None:
    functions, events = INTERFACES[name]
    abi = artifacts.load(name).abi
    found_functions = {
        e["name"]: (
            [(i["name"], i["type"]) for i in e["inputs"]],
            [_output(o) for o in e["outputs"]],
            e["stateMutability"],
        )
        for e in abi
        if e["type"] == "function"
    }
    found_events = {
        e["name"]: [(i["name"], i["type"], i["indexed"]) for i in e["inputs"]]
        for e in abi
        if e["type"] == "event"
    }
    assert found_functions == functions
    assert found_events == events
    constructor = [e for e in abi if e["type"] == "constructor"]
    assert constructor == [
        {"stateMutability": "nonpayable", "type": "constructor", "inputs": [], "outputs": []}
    ]


def test_load_reads_packaged_artifacts_and_refuses_other_names() -> None:
    assert artifacts.names() == ["DemoToken", "PaymentStream", "StreamRegistry"]
    stream = artifacts.load("PaymentStream")
    assert (stream.name, stream.bytecode[:2]) == ("PaymentStream", "0x")
    assert artifacts.load("PaymentStream") is stream
    for bad in ("Nope", "../chain/artifacts/PaymentStream", "paymentStream", ""):
        with pytest.raises(KeyError, match="there are: DemoToken, PaymentStream, StreamRegistry"):
            artifacts.load(bad)
