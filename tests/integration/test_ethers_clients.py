"""What a real client makes, tidecast accepts: ethers.js v6 (a client nobody here wrote) signs a
PaymentStatusRequest the way a browser wallet would, and POST /api/payments/status answers it, in
process and over HTTP through the dev server; ethers also recovers the signer from tidecast's
own typed data, and reads a stream with the same fields the Blockchain Data Service does. Each
test runs against both nodes (the embedded chain and Anvil)."""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from tests.support.anvil import ROOT, require_node
from tests.support.chain import Chain, deployed, sign_status
from tests.support.devserver import running_devserver
from tests.support.events import aws_event
from tests.support.parts import missing_part
from tidecast.chain.artifacts import load
from tidecast.container import Services
from tidecast.functions.payments import handler
from tidecast.imports import sane_import

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
REFERENCE = {"streamId", "isActive", "currentBalance", "recipient", "flowRate"}


def node_script(script: str, *args: str, stdin: str | None = None) -> Any:
    """Run tests/js/<script> with node (bounded); its last stdout line as JSON."""
    binary = require_node()
    if not (ROOT / "node_modules" / "ethers").exists():
        missing_part("node_modules/ethers not found; `make setup-dev` runs `npm ci` (package.json)")
    done = subprocess.run(
        [binary, str(ROOT / "tests" / "js" / script), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def ethers(*requests: dict[str, Any]) -> list[dict[str, Any]]:
    return list(node_script("eip712.mjs", stdin=json.dumps(list(requests))))


def as_json(value: Any) -> Any:
    """JSON for a JavaScript client: integers as decimal strings (a JSON number past 2**53 is
    rounded by JSON.parse; ethers takes uint256 as a decimal string), bytes32 stay 0x hex."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def digest(typed: dict[str, Any]) -> str:
    """The EIP-712 digest eth-account signs for `typed` (0x1901 || domain hash || struct hash)."""
    signable = sane_import("eth_account.messages").encode_typed_data(full_message=typed)
    keccak = sane_import("eth_utils").keccak
    return "0x" + bytes(keccak(b"\x19" + signable.version + signable.header + signable.body)).hex()


def request_for(domain: dict[str, Any], key: str, stream_id: int, *, expires_in: int = 120) -> dict[str, Any]:
    """An ethers `sign` request for the domain as GET /api/payments/domain answers it."""
    return {
        "op": "sign",
        "key": key,
        "domain": domain["domain"],
        "types": domain["types"],  # with EIP712Domain: the script drops it, as a client must
        "value": {
            "streamId": str(stream_id),
            "nonce": "0x" + secrets.token_hex(32),
            "expiresAt": int(time.time()) + expires_in,
        },
    }


def body_of(request: dict[str, Any], signature: str) -> dict[str, Any]:
    """What a browser posts: the id as a decimal string, expiresAt a number."""
    value = request["value"]
    return {
        "streamId": value["streamId"],
        "nonce": value["nonce"],
        "expiresAt": value["expiresAt"],
        "signature": signature,
    }


def in_process(method: str, route: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    raw = json.dumps(body) if body is not None else None
    reply = handler(aws_event("1.0", method, f"/.netlify/functions/payments/{route}", body=raw), None)
    return reply["statusCode"], json.loads(reply["body"])


def assert_reference_shape(data: dict[str, Any], svc: Services, chain: Chain, stream_id: int) -> None:
    details = svc.chain.get_payment_stream_details(stream_id)
    assert REFERENCE <= set(data), data
    assert data["streamId"] == str(stream_id) and data["isActive"] is True
    assert data["recipient"] == chain.accounts[3].address == details.recipient
    assert data["sender"] == chain.accounts[2].address and data["flowRate"] == "0.25 tokens/sec"
    assert data["token"] == {"address": chain.deployment.token, "symbol": "TIDE", "decimals": 18}
    balance = data["currentBalance"]
    assert isinstance(balance, str) and "e" not in balance.lower()  # a decimal string, never a float
    whole, _, frac = balance.partition(".")
    units = int(whole) * 10**18 + int(frac.ljust(18, "0") or "0")
    assert 0 < units <= 12 * 10**18 and units >= details.remaining_balance  # read a moment earlier


@pytest.fixture
def chain(node: str) -> Chain:
    return deployed(node)


@pytest.fixture
def svc(engine: Engine, chain: Chain, make_services: Callable[..., Services]) -> Services:
    # The tests run the event and mail drains themselves.
    return make_services(engine, quiet=("events", "outbox"), bind=True, **chain.env())


@pytest.fixture
def stream_id(svc: Services, chain: Chain) -> int:
    return svc.chain_signer.open_stream(
        chain.accounts[2].private_key, chain.accounts[3].address, "0.25", "12"
    )


@SQLITE
def test_an_ethers_signature_gets_the_status_in_process(svc: Services, chain: Chain, stream_id: int) -> None:
    status, domain = in_process("GET", "domain")
    assert status == 200
    sender, recipient, stranger = chain.accounts[2], chain.accounts[3], chain.accounts[4]
    requests = [request_for(domain["data"], a.private_key, stream_id) for a in (sender, recipient, stranger)]
    signed = ethers(*requests)
    for request, got, account in zip(requests, signed, (sender, recipient, stranger), strict=True):
        assert got["address"] == account.address
        # ethers hashed what tidecast will hash: the same digest from the service's typed data.
        value = request["value"]
        typed = svc.payment_status.typed_data(int(value["streamId"]), value["nonce"], value["expiresAt"])
        assert got["digest"] == digest(typed)

    for request, got in zip(requests[:2], signed[:2], strict=True):  # the sender, the recipient
        status, reply = in_process("POST", "status", body_of(request, got["signature"]))
        assert status == 200, reply
        assert_reference_shape(reply["data"], svc, chain, stream_id)
    # The same signature again is a replay; a stranger's good signature is no party's.
    invalid = {"success": False, "error": "Invalid signature", "code": "UNAUTHORIZED"}
    assert in_process("POST", "status", body_of(requests[0], signed[0]["signature"])) == (401, invalid)
    assert in_process("POST", "status", body_of(requests[2], signed[2]["signature"])) == (401, invalid)
    # EIP-2098's 64-byte compact form (ethers makes it, wallets do not send it) is a clear 400.
    fresh = request_for(domain["data"], sender.private_key, stream_id)
    [compact] = ethers(fresh)
    status, reply = in_process("POST", "status", body_of(fresh, compact["compact"]))
    assert status == 400 and "signature" in reply["error"]


@SQLITE
def test_an_ethers_signature_gets_the_status_over_http(svc: Services, chain: Chain, stream_id: int) -> None:
    with running_devserver(ROOT) as base, httpx.Client(base_url=base, timeout=30) as client:
        domain = client.get("/api/payments/domain")
        assert domain.status_code == 200, domain.text
        request = request_for(domain.json()["data"], chain.accounts[3].private_key, stream_id)
        [got] = ethers(request)
        reply = client.post("/api/payments/status", json=body_of(request, got["signature"]))
        assert reply.status_code == 200, reply.text
        assert reply.headers["content-type"].startswith("application/json")
        assert_reference_shape(reply.json()["data"], svc, chain, stream_id)
        replay = client.post("/api/payments/status", json=body_of(request, got["signature"]))
        assert replay.status_code == 401 and replay.json()["error"] == "Invalid signature"
        # Signed for another chain (a wallet on the wrong network): no party recovered.
        other = request_for(domain.json()["data"], chain.accounts[3].private_key, stream_id)
        other["domain"] = {**other["domain"], "chainId": 1}
        [wrong_chain] = ethers(other)
        refused = client.post("/api/payments/status", json=body_of(other, wrong_chain["signature"]))
        assert refused.status_code == 401 and refused.json()["error"] == "Invalid signature"


@SQLITE
def test_ethers_recovers_the_signer_from_tidecasts_typed_data(svc: Services, chain: Chain) -> None:
    viewer = chain.accounts[2]
    expires = int(time.time()) + 60
    cases = [
        svc.payment_status.typed_data(7, "0x" + secrets.token_hex(32), expires),
        # uint256 far past 2**53 and a nonce whose bytes start with zeros: encodings that break
        # when JSON numbers or trimmed hex are used.
        svc.payment_status.typed_data(2**256 - 1, "0x" + "00" * 8 + secrets.token_hex(24), expires),
    ]
    signatures = [sign_status(viewer, typed) for typed in cases]
    answers = ethers(
        *(
            {"op": "verify", "typedData": as_json(t), "signature": s}
            for t, s in zip(cases, signatures, strict=True)
        )
    )
    for typed, got in zip(cases, answers, strict=True):
        assert got == {"address": viewer.address, "digest": digest(typed)}
    # The check can fail: a message changed after signing recovers someone else.
    changed = as_json(cases[0])
    changed["message"]["expiresAt"] = str(expires + 1)
    [moved] = ethers({"op": "verify", "typedData": changed, "signature": signatures[0]})
    assert moved["address"] != viewer.address and moved["digest"] != digest(cases[0])


@SQLITE
def test_ethers_reads_get_stream_as_the_service_does(
    svc: Services, chain: Chain, stream_id: int, tmp_path: Path
) -> None:
    chain.advance(7)  # something streamed and a block after the stream's own
    svc.chain_signer.withdraw(chain.accounts[3].private_key, stream_id, "1")
    block = svc.chain.block_number()
    details = svc.chain.get_payment_stream_details(stream_id, block=block)
    abi = tmp_path / "PaymentStream.json"
    abi.write_text(json.dumps(load("PaymentStream").abi))
    seen = node_script(
        "get_stream.mjs", chain.url, chain.deployment.payment_stream, str(abi), str(stream_id), str(block)
    )
    assert seen["fields"] == {
        "sender": details.sender,
        "recipient": details.recipient,
        "token": details.token,
        "flowRate": str(details.flow_rate),
        "deposit": str(details.deposit),
        "startTime": str(details.start_time),
        "withdrawn": str(details.withdrawn),
        "remainingBalance": str(details.remaining_balance),
        "active": details.active,
        "depletionTime": str(details.depletion_time),
    }
    assert details.withdrawn == 10**18 and 0 < details.remaining_balance < 12 * 10**18
    assert seen["unknown"] == {"code": "CALL_EXCEPTION", "reason": "unknown stream"}
