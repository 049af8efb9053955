"""POST /api/payments/status: EIP-712 signed by a stream's party, against real nodes (the
embedded chain and Anvil), in-process through AWS's sample event."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.support.chain import Chain, deployed, sign_status
from tests.support.events import aws_event
from tidecast.container import Services
from tidecast.functions.payments import handler

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


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


def post(route: str, body: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
    raw = body if isinstance(body, str) else json.dumps(body)
    reply = handler(aws_event("1.0", "POST", f"/.netlify/functions/payments/{route}", body=raw), None)
    return reply["statusCode"], json.loads(reply["body"]), reply["headers"]


def signed(
    svc: Services, signer: Any, stream_id: int | str, *, expires_in: int = 120, nonce: str | None = None
) -> dict[str, Any]:
    nonce = nonce or "0x" + secrets.token_hex(32)
    expires = int(time.time()) + expires_in
    typed = svc.payment_status.typed_data(int(stream_id), nonce, expires)
    return {
        "streamId": stream_id,
        "nonce": nonce,
        "expiresAt": expires,
        "signature": sign_status(signer, typed),
    }


@SQLITE
def test_a_party_gets_the_reference_shape(svc: Services, chain: Chain, stream_id: int) -> None:
    for party in (chain.accounts[2], chain.accounts[3]):  # sender, recipient
        status, body, _ = post("status", signed(svc, party, str(stream_id)))
        assert status == 200, body
        data = body["data"]
        assert {"streamId", "isActive", "currentBalance", "recipient", "flowRate"} <= set(data)
        assert data["streamId"] == str(stream_id) and data["isActive"] is True
        assert data["recipient"] == chain.accounts[3].address and data["flowRate"] == "0.25 tokens/sec"
        assert data["depletionTime"].endswith("Z")
        balance = data["currentBalance"]
        assert isinstance(balance, str) and 0 < float(balance) <= 12  # a decimal string of tokens
    status, body, _ = post("status", signed(svc, chain.accounts[2], stream_id))  # an integer id too
    assert status == 200


@SQLITE
def test_who_may_not_ask_and_replays_are_the_same_401(svc: Services, chain: Chain, stream_id: int) -> None:
    invalid = {"success": False, "error": "Invalid signature", "code": "UNAUTHORIZED"}
    stranger = post("status", signed(svc, chain.accounts[4], stream_id))
    assert (stranger[0], stranger[1]) == (401, invalid)
    request = signed(svc, chain.accounts[2], stream_id)
    assert post("status", request)[0] == 200
    replay = post("status", request)
    assert (replay[0], replay[1]) == (401, invalid)
    expired = post("status", signed(svc, chain.accounts[2], stream_id, expires_in=-1))
    assert (expired[0], expired[1]) == (401, invalid)
    # A signature for another stream does not open this one.
    other = signed(svc, chain.accounts[2], stream_id)
    other["streamId"] = stream_id + 1
    assert post("status", other)[0] in (401, 404)


@SQLITE
def test_bad_requests_are_400_and_unknown_streams_404(svc: Services, chain: Chain, stream_id: int) -> None:
    good = signed(svc, chain.accounts[2], stream_id)
    cases = [
        ({**good, "streamId": "abc"}, "streamId"),
        ({**good, "streamId": -1}, "streamId"),
        ({**good, "streamId": "0"}, "streamId"),
        ({**good, "streamId": str(2**256)}, "streamId"),
        ({**good, "signature": "0x1234"}, "signature"),
        ({**good, "signature": good["signature"][:-2] + "1f"}, "signature"),  # v = 31
        ({**good, "nonce": "abc"}, "nonce"),
        ({**good, "expiresAt": int(time.time()) + 7200}, "expiresAt"),
        ({**good, "expiresAt": "soon"}, "expiresAt"),
        ({k: v for k, v in good.items() if k != "signature"}, "signature: required"),
        ({**good, "extra": 1}, "extra"),
    ]
    for body, problem in cases:
        status, reply, _ = post("status", body)
        assert status == 400 and problem in reply["error"], (body, reply)
    assert post("status", "not json")[0] == 400
    unknown = post("status", signed(svc, chain.accounts[2], 999_999))
    assert unknown[0] == 404 and unknown[1]["code"] == "NOT_FOUND"


@SQLITE
def test_other_methods_and_the_signing_domain(svc: Services, chain: Chain) -> None:
    reply = handler(aws_event("1.0", "GET", "/.netlify/functions/payments/status"), None)
    assert reply["statusCode"] == 405 and "POST" in reply["headers"]["Allow"]
    domain = handler(aws_event("1.0", "GET", "/.netlify/functions/payments/domain"), None)
    data = json.loads(domain["body"])["data"]
    assert data["domain"] == {
        "name": "tidecast",
        "version": "1",
        "chainId": chain.deployment.chain_id,
        "verifyingContract": chain.deployment.payment_stream,
    }
    assert data["primaryType"] == "PaymentStatusRequest"
