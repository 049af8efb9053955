"""The client's pieces that need no platform: errors read from answers, the SIWE check, the
README's copy of the example, and a platform that does not answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.parts import free_port
from tidecast.accounts.wallets import STATEMENTS
from tidecast.client import ApiError, RefusedToSign, Tidecast, TidecastError, Unreachable, _siwe
from tidecast.client._generated.models import Error404

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = "0x" + "ab" * 20


def test_the_readme_holds_the_example_as_it_is_in_its_file() -> None:
    example = (ROOT / "docs" / "examples" / "sdk_example.py").read_text(encoding="utf-8")
    assert len(example.splitlines()) <= 10
    assert f"```python\n{example}```" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_an_error_answer_gives_status_message_code_and_request_id() -> None:
    parsed = Error404(success=False, error="Stream not found", code="NOT_FOUND")
    error = ApiError.from_answer(404, b"", {"x-request-id": "r-1"}, parsed)
    assert (error.status, error.error, error.code, error.request_id) == (
        404,
        "Stream not found",
        "NOT_FOUND",
        "r-1",
    )
    assert str(error) == "HTTP 404: Stream not found (NOT_FOUND) [request r-1]"
    undocumented = ApiError.from_answer(418, b'{"success": false, "error": "teapot", "code": "TEAPOT"}', {})
    assert (undocumented.error, undocumented.code) == ("teapot", "TEAPOT")
    html = ApiError.from_answer(502, b"<html>Bad gateway</html>\nmore", {})
    assert (html.error, html.code) == ("<html>Bad gateway</html>", "UNEXPECTED_ANSWER")
    assert ApiError.from_answer(502, b"", {}).error == "no body"
    assert isinstance(html, TidecastError)


def test_the_statements_are_the_platforms() -> None:
    assert STATEMENTS == _siwe.STATEMENTS


def message(
    domain: str = "localhost:8888", address: str = ADDRESS, statement: str = STATEMENTS["link"]
) -> str:
    return (
        f"{domain} wants you to sign in with your Ethereum account:\n{address}\n\n{statement}\n\n"
        "URI: http://localhost:8888\nVersion: 1\nChain ID: 1337\nNonce: abcdefgh12\n"
        "Issued At: 2026-01-01T00:00:00Z"
    )


def test_only_a_link_of_the_keys_own_address_on_the_platforms_domain_is_signed() -> None:
    _siwe.check(message(), domain="localhost:8888", address=ADDRESS, purpose="link")
    _siwe.check(message("http://localhost:8888"), domain="localhost:8888", address=ADDRESS, purpose="link")
    for wrong in (
        message(domain="evil.example"),
        message(address="0x" + "cd" * 20),
        message(statement=STATEMENTS["login"]),
        "",
    ):
        with pytest.raises(RefusedToSign):
            _siwe.check(wrong, domain="localhost:8888", address=ADDRESS, purpose="link")


def test_a_signature_recovers_to_the_key() -> None:
    from eth_account import Account
    from eth_account.messages import encode_defunct

    key = "0x" + "11" * 32
    signer = _siwe.account(key)
    signature = _siwe.sign(signer, message(address=signer.address))
    recovered = Account.recover_message(
        encode_defunct(text=message(address=signer.address)), signature=signature
    )
    assert recovered == signer.address
    with pytest.raises(ValueError, match="not a private key") as bad:
        _siwe.account("0x" + "zz" * 32)
    assert "zz" not in str(bad.value)


def test_a_platform_that_does_not_answer_is_unreachable() -> None:
    with Tidecast(f"http://127.0.0.1:{free_port()}", timeout=5) as tc:
        with pytest.raises(Unreachable):
            tc.stream("abc")
        with pytest.raises(TidecastError, match="needs a login"):
            tc.playback_token("abc")
    with pytest.raises(ValueError, match="http"):
        Tidecast("localhost:8888")
