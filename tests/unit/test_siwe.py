"""EIP-4361 messages: parsing that follows the EIP's ABNF, and every check of `verify` failing on its own."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tidecast.errors import InvalidInput, NotAuthenticated
from tidecast.imports import sane_import
from tidecast.lib import siwe

# Not `from eth_account import ...`: py_ecc would raise the whole test process's recursion limit.
Account = sane_import("eth_account").Account
encode_defunct = sane_import("eth_account.messages").encode_defunct

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
KEY = Account.from_key("0x" + "11" * 32)
OTHER = Account.from_key("0x" + "22" * 32)
STATEMENT = "Sign in to tidecast with this wallet."
SITE = {"domain": "localhost:8888", "origin": "http://localhost:8888", "chain_id": 31337}
N = siwe.SECP256K1_N

# Test vectors, kept as data: the three example messages in EIP-4361's text
# (eips.ethereum.org/EIPS/eip-4361), and spruceid/siwe's test/parsing_positive.json,
# test/parsing_negative.json, test/verification_positive.json (commit 940a66ac) and
# test/invalid_uris.json (commit 58741063). The file's "about" entry has the full commits.
VECTORS = json.loads((Path(__file__).parents[1] / "fixtures" / "siwe-vectors.json").read_text())


def message(**changes: object) -> siwe.SiweMessage:
    base = siwe.SiweMessage(
        scheme="http",
        domain="localhost:8888",
        address=KEY.address,
        statement=STATEMENT,
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


def malleated(signature: str) -> str:
    """The same signature with s' = n - s and the recovery bit flipped: it recovers the same key."""
    r, s, v = signature[2:66], int(signature[66:130], 16), int(signature[130:], 16)
    flipped = {27: 28, 28: 27, 0: 1, 1: 0}[v]
    return f"0x{r}{N - s:064x}{flipped:02x}"


def verify(parsed: siwe.SiweMessage, signature: str, **changes: object) -> None:
    site: dict[str, object] = {**SITE, "statement": STATEMENT, "now": NOW, **changes}
    siwe.verify(parsed, signature, **site)  # type: ignore[arg-type]


GOOD = message().text()
ISSUED_LINE = "Issued At: 2026-11-22T11:59:55.000Z"
assert ISSUED_LINE in GOOD


def swap(text: str, first: str, second: str) -> str:
    """`text` with the lines of two fields exchanged."""
    lines = text.split("\n")
    i = next(n for n, line in enumerate(lines) if line.startswith(first + ": "))
    j = next(n for n, line in enumerate(lines) if line.startswith(second + ": "))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def issued(value: str) -> str:
    """GOOD with another Issued At value."""
    return GOOD.replace(ISSUED_LINE, f"Issued At: {value}")


# --- building and reading back -------------------------------------------------------------


def test_text_parses_back_to_the_same_message() -> None:
    original = message(request_id="r-1", resources=("ipfs://bafy", "https://example.com/a"))
    parsed = siwe.parse(original.text())
    assert replace(parsed, raw=None) == original
    assert parsed.raw == original.text()


def test_a_message_without_statement_or_scheme() -> None:
    original = message(statement=None, scheme=None, expiration_time=None)
    text = original.text()
    assert f"{KEY.address}\n\n\nURI: " in text  # the EIP's two empty lines, no statement between
    parsed = siwe.parse(text)
    assert parsed.statement is None and parsed.scheme is None
    verify(parsed, sign(text), statement=None)


def test_a_statement_sits_between_two_empty_lines() -> None:
    assert f"{KEY.address}\n\n{STATEMENT}\n\nURI: " in GOOD


def test_an_empty_statement_is_not_an_absent_one() -> None:
    # [ statement LF ] with statement = *(...) allows "": three empty lines before URI.
    text = message(statement="").text()
    assert f"{KEY.address}\n\n\n\nURI: " in text
    assert siwe.parse(text).statement == ""


def test_a_statement_that_starts_like_the_uri_field_is_a_statement() -> None:
    # statement = *( reserved / unreserved / " " ) allows "URI: ..."; the structure, not the
    # line's content, says which line is the statement.
    text = message(statement="URI: http://evil.example").text()
    parsed = siwe.parse(text)
    assert parsed.statement == "URI: http://evil.example"
    assert parsed.uri == "http://localhost:8888"
    with pytest.raises(NotAuthenticated, match="statement"):
        verify(parsed, sign(text))


def test_a_signed_message_verifies_against_the_exact_text_received() -> None:
    # Written by hand as a wallet would: seconds-precision timestamps the renderer would not
    # produce. Verification must use these bytes, not a re-rendering.
    text = (
        "localhost:8888 wants you to sign in with your Ethereum account:\n"
        f"{KEY.address}\n\nHello\n\n"
        "URI: http://localhost:8888/login\nVersion: 1\nChain ID: 31337\nNonce: 12345678abc\n"
        "Issued At: 2026-11-22T11:59:58+00:00"
    )
    verify(siwe.parse(text), sign(text), statement="Hello")


# --- verify: each check on its own ------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"domain": "evil.example"}, "domain"),
        ({"scheme": "https"}, "scheme"),
        ({"uri": "http://evil.example/login"}, "URI"),
        ({"uri": "http://[V1.x]/"}, "URI"),  # valid RFC 3986; urllib refuses the upper-case V
        ({"chain_id": 1}, "chain"),
        ({"statement": "Sign in to tidecast with this wallet"}, "statement is not the one"),
        ({"statement": None}, "statement is not the one"),
        ({"expiration_time": NOW - timedelta(seconds=1)}, "expired"),
        ({"issued_at": NOW + timedelta(hours=1)}, "future"),
        ({"not_before": NOW + timedelta(hours=1)}, "not valid yet"),
    ],
)
def test_each_check_refuses_on_its_own(changes: dict[str, object], reason: str) -> None:
    text = message(**changes).text()
    with pytest.raises(NotAuthenticated, match=reason):
        verify(siwe.parse(text), sign(text))


def test_a_statement_where_none_was_issued_is_refused() -> None:
    text = GOOD
    with pytest.raises(NotAuthenticated, match="statement is not the one"):
        verify(siwe.parse(text), sign(text), statement=None)


def test_a_signature_by_another_key_is_refused() -> None:
    with pytest.raises(NotAuthenticated, match="not made by"):
        verify(siwe.parse(GOOD), sign(GOOD, OTHER))


def test_a_signature_over_other_text_is_refused() -> None:
    with pytest.raises(NotAuthenticated, match="not made by"):
        verify(siwe.parse(GOOD), sign(GOOD + " "))


# --- verify: the signature's form -----------------------------------------------------------


def test_the_high_s_form_of_a_valid_signature_is_refused() -> None:
    signature = sign(GOOD)
    assert int(signature[66:130], 16) <= N // 2  # eth-account signs low-s
    high = malleated(signature)
    # The high-s twin does recover the same address: only the EIP-2 rule tells them apart.
    assert siwe.recover(GOOD, high) == KEY.address
    verify(siwe.parse(GOOD), signature)
    with pytest.raises(InvalidInput, match="low-s"):
        verify(siwe.parse(GOOD), high)


def test_v_as_a_bare_recovery_id_is_accepted() -> None:
    signature = sign(GOOD)
    bare = signature[:130] + f"{int(signature[130:], 16) - 27:02x}"
    verify(siwe.parse(GOOD), bare)


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        ("", "130 hex digits"),
        ("0x1234", "130 hex digits"),
        ("0x" + "zz" * 65, "130 hex digits"),
        ("0x" + "ab" * 65 + "\n", "130 hex digits"),
        ("0x" + "00" * 65, "r is out of range"),
        ("0x" + "01" * 32 + "00" * 32 + "1b", "s is out of range"),
        ("0x" + f"{N:064x}" + "01" * 32 + "1b", "r is out of range"),
        ("0x" + "01" * 32 + f"{N // 2 + 1:064x}" + "1b", "low-s"),
        ("0x" + "ff" * 65, "out of range"),
        ("0x" + "01" * 64 + "1d", "v must"),  # 29
        ("0x" + "01" * 64 + "25", "v must"),  # 37, an EIP-155 transaction v
        ("0x" + "01" * 64 + "02", "v must"),
    ],
)
def test_malformed_signatures_are_a_400_naming_the_problem(signature: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        verify(siwe.parse(GOOD), signature)


def test_a_signature_that_is_not_a_string_is_a_400() -> None:
    with pytest.raises(InvalidInput, match="signature"):
        verify(siwe.parse(GOOD), None)  # type: ignore[arg-type]


# --- parse: structure ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "first line"),
        ("hello", "first line"),
        (GOOD.replace(KEY.address, KEY.address.lower()), "checksummed"),
        (GOOD.replace(KEY.address, "0x1234"), "Ethereum address"),
        (GOOD.replace(KEY.address, KEY.address + " "), "Ethereum address"),
        (GOOD.replace(f"{KEY.address}\n\n", f"{KEY.address}\n"), "line 3 must be empty"),
        (GOOD.replace("wallet.\n\nURI", "wallet.\nURI"), "line 5 must be empty"),
        # No statement and a single empty line: "URI: ..." is then read as the statement, and
        # the empty line that must follow it is missing.
        (message(statement=None).text().replace("\n\n\nURI", "\n\nURI"), "line 5 must be empty"),
        (GOOD.replace("wallet.\n\nURI", "wallet.\n\n\nURI"), "'URI:' expected on line 6"),
        (GOOD.split("\n\nURI")[0], "line 5 must be empty"),
        ("\n".join(GOOD.split("\n")[:3]), "'URI:' expected on line 4"),
        ("\n".join(GOOD.split("\n")[:3]) + "\n", "'URI:' expected on line 5"),
        (GOOD.replace("Version: 1\n", ""), "'Version:' expected"),
        (GOOD.replace("Version: 1\nChain ID: 31337", "Chain ID: 31337\nVersion: 1"), "'Version:' expected"),
        (GOOD + "\nSurprise: field", "unexpected line"),
        (GOOD + "\n", "must not end with a line break"),
        (GOOD + "\n\n", "unexpected line"),
        (GOOD.replace("\n", "\r\n"), "first line"),
        (GOOD.replace("Expiration Time", "expiration time"), "unexpected line"),
        (swap(message(not_before=NOW).text(), "Expiration Time", "Not Before"), "unexpected line"),
        (swap(GOOD, "Nonce", "Issued At"), "'Nonce:' expected"),
        (message(request_id="r1", resources=("https://a",)).text() + "\nRequest ID: r2", "unexpected line"),
        (GOOD + "\n" + "x" * 9000, "longer than"),
    ],
)
def test_malformed_messages_name_the_problem(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        siwe.parse(text)


def test_a_message_that_is_not_a_string_is_a_400() -> None:
    with pytest.raises(InvalidInput, match="string"):
        siwe.parse(None)  # type: ignore[arg-type]


# --- parse: each field's rule ---------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "Café",  # non-ASCII letter
        "Sign in \u2014 now",  # em dash
        "Sign in\u00a0now",  # no-break space
        "evil\u202etxt",  # right-to-left override
        "tab\there",
        "carriage\rreturn",
        'say "yes"',
        "100% sure",
        "<b>bold</b>",
        "a {b} | c ^ d ` e \\ f",
    ],
)
def test_a_statement_outside_the_grammar_is_refused(statement: str) -> None:
    with pytest.raises(InvalidInput, match="statement may not contain"):
        siwe.parse(message(statement=statement).text())


def test_every_character_the_grammar_allows_in_a_statement_is_accepted() -> None:
    allowed = "AZaz09-._~:/?#[]@!$&'()*+,;= "
    assert siwe.parse(message(statement=allowed).text()).statement == allowed


@pytest.mark.parametrize(
    ("head", "scheme", "domain"),
    [
        ("localhost:8888", None, "localhost:8888"),
        ("https://example.com", "https", "example.com"),
        ("git+ssh://example.com", "git+ssh", "example.com"),
        ("user:pw@example.com:", None, "user:pw@example.com:"),  # port = *DIGIT may be empty
        ("[::1]:8080", None, "[::1]:8080"),
        ("[v1.fe80::a+en1]", None, "[v1.fe80::a+en1]"),
        ("not_rfc4501", None, "not_rfc4501"),  # "_" is unreserved, so a valid reg-name
        ("xn--caf-dma.example", None, "xn--caf-dma.example"),
        ("ex%41mple.com", None, "ex%41mple.com"),
    ],
)
def test_domains_that_are_rfc_3986_authorities(head: str, scheme: str | None, domain: str) -> None:
    parsed = siwe.parse(GOOD.replace("http://localhost:8888 wants", f"{head} wants", 1))
    assert (parsed.scheme, parsed.domain) == (scheme, domain)


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        ("", "domain"),
        ("http://", "domain"),
        ("user@", "domain"),
        (":8080", "domain"),
        ("café.example", "authority"),
        ("exa mple.com", "authority"),
        ("example.com/path", "authority"),
        ("a@b@example.com", "authority"),
        ("example.com:80a", "authority"),
        ("example.com:\u0668\u0660", "authority"),  # Arabic-Indic 80
        ("ex%4", "authority"),
        ("[::1", "authority"),
        ("[fe80::1%25en0]", "authority"),  # zone ids are RFC 6874, not RFC 3986
        ("[::1]x", "authority"),
        ("1http://example.com", "scheme"),
        ("ht_tp://example.com", "scheme"),
        ("https://example.com://x", "authority"),
    ],
)
def test_domains_outside_the_grammar_are_refused(head: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        siwe.parse(GOOD.replace("http://localhost:8888 wants", f"{head} wants", 1))


BAD_URIS = [
    "",
    "localhost",
    "/login",  # a relative reference, not a URI
    "//localhost:8888/login",
    "://localhost",
    "1http://localhost",
    "http://local host",
    "http://localhost/a b",
    "http://localhost/%zz",
    "http://localhost/<script>",
    "http://localhost/a|b",
    "http://localhost/?q=a b",
    "http://localhost/#a#b",
    "http://u@v@localhost/",
    "http://localhost:80a/",
    "http://[::1/",
    "http://[::1]x/",
    "http://[1:2:3:4:5:6:7:8:9]/",
    "http://caf\u00e9.example/",
    "https://example.com/\u00e9",
]


@pytest.mark.parametrize("uri", BAD_URIS)
def test_a_uri_outside_rfc_3986_is_refused(uri: str) -> None:
    with pytest.raises(InvalidInput, match="URI must be an RFC 3986 URI"):
        siwe.parse(GOOD.replace("URI: http://localhost:8888", f"URI: {uri}"))


@pytest.mark.parametrize("uri", BAD_URIS)
def test_each_bad_resources_entry_is_refused(uri: str) -> None:
    text = message(resources=("https://example.com/a", uri)).text()
    with pytest.raises(InvalidInput, match="Resources entry 2 must be an RFC 3986 URI"):
        siwe.parse(text)


@pytest.mark.parametrize(
    "uri",
    [
        "http:",
        "urn:isbn:0451450523",
        "mailto:someone@example.com",
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "file:///etc/hosts",
        "ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/",
        "https://user:pw@[2001:db8::7]:8443/a//b;c=d/%2F?q=1&r=/?#frag/?",
        "https://[v7.future:addr]/",
        "HTTPS://EXAMPLE.COM",
    ],
)
def test_uris_and_resources_inside_rfc_3986_are_accepted(uri: str) -> None:
    parsed = siwe.parse(message(uri=uri, resources=(uri,)).text())
    assert (parsed.uri, parsed.resources) == (uri, (uri,))


def test_resources_may_be_an_empty_list() -> None:
    assert siwe.parse(GOOD + "\nResources:").resources == ()


def test_resources_must_each_be_on_their_own_line() -> None:
    text = message(resources=("https://a.example/1 - https://a.example/2",)).text()
    with pytest.raises(InvalidInput, match="Resources entry 1"):
        siwe.parse(text)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Version: 2", "Version must be 1"),
        ("Version: 1.0", "Version must be 1"),
        ("Version: ", "Version must be 1"),
        ("Chain ID: 0x7a69", "Chain ID"),
        ("Chain ID: ", "Chain ID"),
        ("Chain ID: -1", "Chain ID"),
        ("Chain ID: 1 ", "Chain ID"),
        ("Chain ID: \u0663\u0661", "Chain ID"),  # Arabic-Indic 31
        ("Chain ID: 3\u00b2", "Chain ID"),  # superscript two
        ("Chain ID: " + "9" * 79, "larger than any chain"),  # int() would refuse past 4300 digits
        ("Nonce: short", "Nonce"),
        ("Nonce: 1234567", "Nonce"),
        ("Nonce: has spaces in it", "Nonce"),
        ("Nonce: abcd\u00e9fgh1", "Nonce"),
        ("Nonce: abcdefgh-1", "Nonce"),
        ("Request ID: a b", "Request ID"),
        ("Request ID: a/b", "Request ID"),
        ("Request ID: 50%", "Request ID"),
        ("Request ID: \u00e9", "Request ID"),
    ],
)
def test_field_values_outside_the_grammar_are_refused(line: str, reason: str) -> None:
    name = line.split(":")[0]
    lines = message(request_id="r-1").text().split("\n")
    lines = [line if existing.startswith(name + ":") else existing for existing in lines]
    with pytest.raises(InvalidInput, match=reason):
        siwe.parse("\n".join(lines))


@pytest.mark.parametrize(
    ("digits", "chain_id"), [("031337", 31337), ("0", 0), ("9" * 78, int("9" * 78)), ("0" * 100 + "1", 1)]
)
def test_chain_id_is_any_run_of_ascii_digits(digits: str, chain_id: int) -> None:
    # chain-id = 1*DIGIT: leading zeros are in the grammar; verify compares the number.
    assert siwe.parse(GOOD.replace("Chain ID: 31337", f"Chain ID: {digits}")).chain_id == chain_id


@pytest.mark.parametrize("request_id", ["", "some_id", "a:b@c!$&'()*+,;=-._~%2F"])
def test_request_ids_made_of_pchar_are_accepted(request_id: str) -> None:
    assert siwe.parse(message(request_id=request_id).text()).request_id == request_id


# --- parse: RFC 3339 timestamps ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-22T11:59:58Z", datetime(2026, 11, 22, 11, 59, 58, tzinfo=UTC)),
        ("2026-11-22t11:59:58z", datetime(2026, 11, 22, 11, 59, 58, tzinfo=UTC)),  # RFC 3339 5.6 note
        ("2026-11-22t11:59:58Z", datetime(2026, 11, 22, 11, 59, 58, tzinfo=UTC)),
        ("2026-11-22T11:59:58.5z", datetime(2026, 11, 22, 11, 59, 58, 500000, tzinfo=UTC)),
        ("2026-11-22T13:59:58+02:00", datetime(2026, 11, 22, 11, 59, 58, tzinfo=UTC)),
        ("2026-11-22T09:29:58-02:30", datetime(2026, 11, 22, 11, 59, 58, tzinfo=UTC)),
        ("2026-11-22T11:59:58-00:00", datetime(2026, 11, 22, 11, 59, 58, tzinfo=UTC)),  # unknown offset
        ("2026-11-22T11:59:58.123456789Z", datetime(2026, 11, 22, 11, 59, 58, 123456, tzinfo=UTC)),
        ("2026-11-22T11:59:58.9999999Z", datetime(2026, 11, 22, 11, 59, 58, 999999, tzinfo=UTC)),
        ("2024-02-29T00:00:00Z", datetime(2024, 2, 29, tzinfo=UTC)),
        ("2000-02-29T00:00:00Z", datetime(2000, 2, 29, tzinfo=UTC)),
        # A leap second is read as second 59 of its minute (see _timestamp).
        ("2016-12-31T23:59:60Z", datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
    ],
)
def test_rfc_3339_date_times_are_read(value: str, expected: datetime) -> None:
    parsed = siwe.parse(issued(value)).issued_at
    assert parsed == expected and parsed.utcoffset() == timedelta(0)


# ISO 8601 forms that datetime.fromisoformat reads and RFC 3339's date-time does not allow.
ISO_NOT_RFC_3339 = [
    "2026-11-22 11:59:58Z",  # space instead of T
    "2026-11-22",  # date only
    "2026-11-22T11:59:58",  # no offset
    "2026-11-22T11:59:58+0000",  # offset without a colon
    "2026-11-22T11:59:58+00",  # offset without minutes
    "2026-11-22T11:59:58+00:00:00",  # offset with seconds
    "2026-W47-7T11:59:58Z",  # week date
    "2026-11-22T11:59Z",  # no seconds
    "2026-11-22T11Z",  # hour only
    "20261122T115958Z",  # basic format
    "2026-11-22T115958Z",
    "2026-11-22T11:59:58,5Z",  # comma before the fraction
]


@pytest.mark.parametrize("value", ISO_NOT_RFC_3339)
def test_iso_8601_forms_outside_rfc_3339_are_refused(value: str) -> None:
    datetime.fromisoformat(value)  # the reason this parser no longer uses it
    with pytest.raises(InvalidInput, match="Issued At must be an RFC 3339 date-time"):
        siwe.parse(issued(value))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("yesterday", "RFC 3339"),
        ("Wed Oct 05 2011 16:48:00 GMT+0200 (CEST)", "RFC 3339"),
        ("2026-326T11:59:58Z", "RFC 3339"),  # ordinal date
        ("2026-11-22T11:59:58.Z", "RFC 3339"),
        ("2026-11-22T11:59:58 Z", "RFC 3339"),
        ("2026-11-22T11:59:58UTC", "RFC 3339"),
        ("2026-11-22T1:59:58Z", "RFC 3339"),
        ("+2026-11-22T11:59:58Z", "RFC 3339"),
        ("\u0662\u0660\u0662\u0666-11-22T11:59:58Z", "RFC 3339"),  # Arabic-Indic 2026
        ("2026-11-22T11:59:58Z ", "RFC 3339"),
        ("2026-13-01T00:00:00Z", "not a calendar date"),
        ("2026-00-01T00:00:00Z", "not a calendar date"),
        ("2026-11-00T00:00:00Z", "not a calendar date"),
        ("2026-02-29T00:00:00Z", "not a calendar date"),
        ("1900-02-29T00:00:00Z", "not a calendar date"),
        ("2026-04-31T00:00:00Z", "not a calendar date"),
        ("2026-11-22T24:00:00Z", "not a time of day"),
        ("2026-11-22T11:60:00Z", "not a time of day"),
        ("2026-11-22T11:59:61Z", "not a time of day"),
        ("2026-11-22T11:59:58+24:00", "impossible time offset"),
        ("2026-11-22T11:59:58+01:60", "impossible time offset"),
        ("0000-01-01T00:00:00Z", "outside the years"),
        ("9999-12-31T23:59:59-00:01", "outside the years"),
        ("0001-01-01T00:00:00+00:01", "outside the years"),
    ],
)
def test_timestamps_outside_rfc_3339_are_refused(value: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        siwe.parse(issued(value))


@pytest.mark.parametrize("field", ["Expiration Time", "Not Before"])
def test_the_optional_timestamps_follow_the_same_rule(field: str) -> None:
    text = message(not_before=NOW).text()
    value = text.split(f"{field}: ")[1].split("\n")[0]
    assert siwe.parse(text.replace(value, value.replace("T", "t").replace("Z", "z")))
    with pytest.raises(InvalidInput, match=f"{field} must be an RFC 3339"):
        siwe.parse(text.replace(value, value.replace("T", " ")))


# --- published test vectors -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(VECTORS["positive"]))
def test_published_positive_vectors_parse_to_their_fields(name: str) -> None:
    vector = VECTORS["positive"][name]
    fields = vector["fields"]
    parsed = siwe.parse(vector["message"])
    assert parsed.raw == vector["message"]
    assert parsed.domain == fields["domain"]
    assert parsed.scheme == fields.get("scheme")
    assert parsed.address == fields["address"]
    assert parsed.statement == fields.get("statement")
    assert parsed.uri == fields["uri"]
    assert parsed.version == fields["version"]
    assert parsed.chain_id == int(fields["chainId"])
    assert parsed.nonce == fields["nonce"]
    assert parsed.issued_at == datetime.fromisoformat(fields["issuedAt"])
    assert parsed.resources == tuple(fields.get("resources", ()))


@pytest.mark.parametrize("name", sorted(VECTORS["negative"]))
def test_published_negative_vectors_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        siwe.parse(VECTORS["negative"][name])


def published(name: str) -> tuple[siwe.SiweMessage, str, dict[str, object]]:
    """A message signed by a real wallet, its signature, and the site and moment it is valid for."""
    vector = VECTORS["verification_positive"][name]

    def when(key: str) -> datetime | None:
        return datetime.fromisoformat(vector[key]) if key in vector else None

    built = siwe.SiweMessage(
        domain=vector["domain"],
        address=vector["address"],
        statement=vector.get("statement"),
        uri=vector["uri"],
        version=vector["version"],
        chain_id=vector["chainId"],
        nonce=vector["nonce"],
        issued_at=when("issuedAt"),  # type: ignore[arg-type]
        expiration_time=when("expirationTime"),
        not_before=when("notBefore"),
    )
    target = urlsplit(vector["uri"])
    site: dict[str, object] = {
        "domain": vector["domain"],
        "origin": f"{target.scheme}://{target.netloc}",
        "chain_id": vector["chainId"],
        "statement": vector.get("statement"),
        "now": when("time") or built.issued_at + timedelta(minutes=1),
    }
    return siwe.parse(built.text()), vector["signature"], site


@pytest.mark.parametrize("name", sorted(VECTORS["verification_positive"]))
def test_published_wallet_signatures_verify_and_their_high_s_twins_do_not(name: str) -> None:
    parsed, signature, site = published(name)
    siwe.verify(parsed, signature, **site)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="low-s"):
        siwe.verify(parsed, malleated(signature), **site)  # type: ignore[arg-type]


# --- properties -----------------------------------------------------------------------------

STATEMENT_CHARS = "ABCXYZabcxyz0189-._~:/?#[]@!$&'()*+,;= "
PCHAR = "abcXYZ019-._~!$&'()*+,;=:@"
URIS = st.from_regex(
    r"\A[a-z][a-z0-9+.\-]{0,6}:(//([a-z0-9\-._~]{1,12}@)?[a-z0-9.\-]{1,20}(:[0-9]{1,5})?)?"
    # Path segments are never empty here: "a:" + "//" + "x:y" would be an authority with a bad port.
    r"(/[A-Za-z0-9\-._~!$&'()*+,;=:@]{1,8}|/%[0-9A-F]{2}){0,3}"
    r"(\?[a-z0-9=&/?]{0,10})?(#[a-z0-9/?]{0,8})?\Z"
)
TIMES = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC))


@given(
    statement=st.one_of(
        st.none(),
        st.text(STATEMENT_CHARS, max_size=80),
        st.text(STATEMENT_CHARS, max_size=20).map(lambda rest: "URI: " + rest),
    ),
    scheme=st.sampled_from([None, "http", "https"]),
    nonce=st.text("abcdefABCDEF0123456789", min_size=8, max_size=40),
    chain_id=st.integers(min_value=0, max_value=2**256),
    uri=URIS,
    resources=st.lists(URIS, max_size=3),
    request_id=st.one_of(st.none(), st.text(PCHAR, max_size=40)),
    issued_at=TIMES,
    expiration_time=st.one_of(st.none(), TIMES),
    not_before=st.one_of(st.none(), TIMES),
)
def test_any_message_we_build_parses_back(
    statement, scheme, nonce, chain_id, uri, resources, request_id, issued_at, expiration_time, not_before
) -> None:
    original = message(
        statement=statement,
        scheme=scheme,
        nonce=nonce,
        chain_id=chain_id,
        uri=uri,
        resources=tuple(resources),
        request_id=request_id,
        issued_at=issued_at,
        expiration_time=expiration_time,
        not_before=not_before,
    )
    parsed = siwe.parse(original.text())
    assert replace(parsed, raw=None) == original
    assert parsed.text() == original.text()


@given(st.text(max_size=300))
def test_parse_never_fails_with_anything_but_a_400(text: str) -> None:
    try:
        siwe.parse(text)
    except InvalidInput:
        pass


# Characters that matter to the grammar, so edits of a good message reach the deep checks.
NEAR_MISS = st.text(st.sampled_from(list("\n :-T.Z+0159aF[]@/%?#\u00e9\u0661")), min_size=1, max_size=6)


@given(at=st.integers(min_value=0, max_value=len(GOOD)), cut=st.integers(0, 8), insert=NEAR_MISS)
def test_an_edited_good_message_is_read_or_refused_with_a_400(at: int, cut: int, insert: str) -> None:
    try:
        siwe.parse(GOOD[:at] + insert + GOOD[at + cut :])
    except InvalidInput:
        pass


DATE_TIME_SHAPED = st.from_regex(
    r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})\Z"
)


@given(value=DATE_TIME_SHAPED)
def test_any_date_time_shaped_value_is_read_or_refused_with_a_400(value: str) -> None:
    try:
        siwe.parse(issued(value))
    except InvalidInput:
        pass


@given(signature=st.one_of(st.text(max_size=140), st.from_regex(r"\A0x[0-9a-f]{130}\Z")))
def test_verify_never_fails_with_anything_but_a_400_or_401(signature: str) -> None:
    try:
        verify(siwe.parse(GOOD), signature)
    except (InvalidInput, NotAuthenticated):
        pass
