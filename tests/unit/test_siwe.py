"""EIP-4361 messages: strict parsing, and every check of `verify` failing on its own."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from hypothesis import given
from hypothesis import strategies as st

from tidecast.errors import BadRequest, Unauthorized
from tidecast.services import siwe

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
KEY = Account.from_key("0x" + "11" * 32)
OTHER = Account.from_key("0x" + "22" * 32)
SITE = {"domain": "localhost:8888", "origin": "http://localhost:8888", "chain_id": 31337}


def message(**changes: object) -> siwe.SiweMessage:
    base = siwe.SiweMessage(
        scheme="http",
        domain="localhost:8888",
        address=KEY.address,
        statement="Sign in to tidecast with this wallet.",
        uri="http://localhost:8888",
        version="1",
        chain_id=31337,
        nonce="abcdef0123456789",
        issued_at=NOW - timedelta(seconds=5),
        expiration_time=NOW + timedelta(minutes=10),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def sign(text: str, account=KEY) -> str:
    return "0x" + account.sign_message(encode_defunct(text=text)).signature.hex().removeprefix("0x")


def test_text_parses_back_to_the_same_message() -> None:
    original = message(request_id="r-1", resources=("ipfs://bafy", "https://example.com/a"))
    parsed = siwe.parse(original.text())
    assert replace(parsed, raw=None) == original
    assert parsed.raw == original.text()


def test_a_message_without_statement_or_scheme() -> None:
    original = message(statement=None, scheme=None, expiration_time=None)
    text = original.text()
    assert "\n\n\nURI: " in text  # the EIP's empty statement section
    parsed = siwe.parse(text)
    assert parsed.statement is None and parsed.scheme is None
    siwe.verify(parsed, sign(text), now=NOW, **SITE)


def test_a_signed_message_verifies_against_the_exact_text_received() -> None:
    # Written by hand as a wallet would: seconds-precision timestamps the renderer would not
    # produce. Verification must use these bytes, not a re-rendering.
    text = (
        "localhost:8888 wants you to sign in with your Ethereum account:\n"
        f"{KEY.address}\n\nHello\n\n"
        "URI: http://localhost:8888/login\nVersion: 1\nChain ID: 31337\nNonce: 12345678abc\n"
        "Issued At: 2026-11-22T11:59:58+00:00"
    )
    siwe.verify(siwe.parse(text), sign(text), now=NOW, **SITE)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"domain": "evil.example"}, "domain"),
        ({"scheme": "https"}, "scheme"),
        ({"uri": "http://evil.example/login"}, "URI"),
        ({"chain_id": 1}, "chain"),
        ({"expiration_time": NOW - timedelta(seconds=1)}, "expired"),
        ({"issued_at": NOW + timedelta(hours=1)}, "future"),
        ({"not_before": NOW + timedelta(hours=1)}, "not valid yet"),
    ],
)
def test_each_check_refuses_on_its_own(changes: dict[str, object], reason: str) -> None:
    bad = message(**changes)
    text = bad.text()
    with pytest.raises(Unauthorized, match=reason):
        siwe.verify(siwe.parse(text), sign(text), now=NOW, **SITE)


def test_a_signature_by_another_key_is_refused() -> None:
    text = message().text()
    with pytest.raises(Unauthorized, match="not made by"):
        siwe.verify(siwe.parse(text), sign(text, OTHER), now=NOW, **SITE)


def test_a_signature_over_other_text_is_refused() -> None:
    text = message().text()
    with pytest.raises(Unauthorized, match="not made by"):
        siwe.verify(siwe.parse(text), sign(text + " "), now=NOW, **SITE)


@pytest.mark.parametrize("signature", ["", "0x1234", "0x" + "zz" * 65, "0x" + "00" * 65, "0x" + "ff" * 65])
def test_malformed_signatures(signature: str) -> None:
    text = message().text()
    with pytest.raises((BadRequest, Unauthorized)):
        siwe.verify(siwe.parse(text), signature, now=NOW, **SITE)


GOOD = message().text()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "first line"),
        ("hello", "first line"),
        (GOOD.replace(KEY.address, KEY.address.lower()), "checksummed"),
        (GOOD.replace(KEY.address, "0x1234"), "Ethereum address"),
        (GOOD.replace("Version: 1", "Version: 2"), "Version"),
        (GOOD.replace("Chain ID: 31337", "Chain ID: 0x7a69"), "Chain ID"),
        (GOOD.replace("Chain ID: 31337", "Chain ID: \u0663\u0661"), "Chain ID"),  # Arabic-Indic 31
        (GOOD.replace("Chain ID: 31337", "Chain ID: 3\u00b2"), "Chain ID"),  # superscript two
        (GOOD.replace("Chain ID: 31337", "Chain ID: 031337"), "Chain ID"),
        (GOOD.replace("Nonce: abcdef0123456789", "Nonce: short"), "Nonce"),
        (GOOD.replace("Nonce: abcdef0123456789", "Nonce: has spaces in it"), "Nonce"),
        (GOOD.replace("Issued At: ", "Issued At: yesterday "), "RFC 3339"),
        (GOOD.replace("Z\nExpiration", "\nExpiration"), "time zone"),
        (GOOD.replace("URI: http://localhost:8888", "URI: localhost"), "absolute"),
        (GOOD.replace("Version: 1\n", ""), "'Version:' expected"),
        (GOOD + "\nSurprise: field", "unexpected line"),
        (GOOD.replace("wallet.\n\nURI", "wallet.\nURI"), "blank line"),
        (GOOD + "\n" + "x" * 9000, "longer than"),
    ],
)
def test_malformed_messages_name_the_problem(text: str, reason: str) -> None:
    with pytest.raises(BadRequest, match=reason):
        siwe.parse(text)


LINE = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=80).filter(
    lambda s: s.strip() == s and not s.startswith("URI: ")
)


@given(
    statement=st.one_of(st.none(), LINE),
    nonce=st.text("abcdefABCDEF0123456789", min_size=8, max_size=40),
    chain_id=st.integers(min_value=1, max_value=2**63),
    resources=st.lists(
        st.text("abcdefghijklmnopqrstuvwxyz:/.-0123456789", min_size=1, max_size=40), max_size=3
    ),
    request_id=st.one_of(st.none(), LINE),
)
def test_any_message_we_build_parses_back(statement, nonce, chain_id, resources, request_id) -> None:
    original = message(
        statement=statement, nonce=nonce, chain_id=chain_id, resources=tuple(resources), request_id=request_id
    )
    assert replace(siwe.parse(original.text()), raw=None) == original


@given(st.text(max_size=300))
def test_parse_never_fails_with_anything_but_a_400(text: str) -> None:
    try:
        siwe.parse(text)
    except BadRequest:
        pass
