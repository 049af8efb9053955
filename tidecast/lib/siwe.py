"""Sign-In with Ethereum (EIP-4361) messages: build, parse strictly, verify.

Hand-written because the `siwe` package (4.4.0) pins web3 < 8 and an exact `abnf`, which the
chain work's web3 8 cannot live with. The grammar is small and line-oriented, so this module
follows the EIP's ABNF line by line: the structure first (which line is the statement, which
are empty, which field comes next), then each value against its own rule from RFC 3986 or
RFC 3339. Anything the ABNF does not produce is refused, so what a wallet shows its user is
exactly what is checked here, and a text that two parsers could read differently never gets
as far as a signature check.

Signatures are EIP-191 personal messages recovered with eth-account (imported on first use:
it costs a few hundred ms of a cold start). Only the low-s form of a signature is accepted
(EIP-2), so one signed message has exactly one valid signature. Contract wallets (EIP-1271)
are not supported: recovering an address needs an EOA signature.

Errors: a message that does not follow the grammar is a 400 naming the first thing wrong in
reading order; a well-formed message that is not for this site, moment or statement, or not
signed by its address, is a 401.
"""

from __future__ import annotations

import calendar
import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urlsplit

from tidecast.errors import InvalidInput, NotAuthenticated
from tidecast.imports import sane_import

PREAMBLE = " wants you to sign in with your Ethereum account:"
MAX_MESSAGE_CHARS = 8192
CLOCK_SKEW = timedelta(minutes=2)

# secp256k1's group order. A signature (r, s) and (r, n - s) both verify; EIP-2 keeps the one
# with s <= n / 2 so that a signature cannot be altered into a second valid one.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

# RFC 3986 character sets, spelled out in ASCII: Python's \d and \w would also take other
# scripts' digits and letters. Every pattern below is used with fullmatch, never match/search
# with ^...$, because $ also matches before a final newline.
_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_GEN_DELIMS = r":/?#\[\]@"
_PCT_ENCODED = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT_ENCODED})"

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*")
_USERINFO = re.compile(rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT_ENCODED})*")
_REG_NAME = re.compile(rf"(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT_ENCODED})*")
_IPV_FUTURE = re.compile(rf"[vV][0-9A-Fa-f]+\.[{_UNRESERVED}{_SUB_DELIMS}:]+")
_IPV6_CHARS = re.compile(r"[0-9A-Fa-f:.]+")
_PORT = re.compile(r"[0-9]*")
_PATH = re.compile(rf"(?:{_PCHAR}|/)*")
_QUERY_OR_FRAGMENT = re.compile(rf"(?:{_PCHAR}|[/?])*")
# EIP-4361's statement is *( reserved / unreserved / " " ): printable ASCII without " % < > \
# ^ ` { | }, and no control characters, so no LF either.
_NOT_STATEMENT = re.compile(rf"[^{_UNRESERVED}{_GEN_DELIMS}{_SUB_DELIMS} ]")
_REQUEST_ID = re.compile(rf"{_PCHAR}*")

# Anchored with \A and \Z because callers elsewhere use ADDRESS.match on untrusted input.
ADDRESS = re.compile(r"\A0x[0-9a-fA-F]{40}\Z")
_NONCE = re.compile(r"[A-Za-z0-9]{8,}")
_CHAIN_ID = re.compile(r"[0-9]+")
_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")
# 2**256 has 78 digits. The grammar has no upper bound, but int() refuses strings over 4300
# digits (a ValueError, so a 500) and no chain can have a larger id than this.
_MAX_CHAIN_ID_DIGITS = 78

# RFC 3339 section 5.6 date-time. "T" and "Z" may be lower case (its note under the grammar);
# a space for "T", a missing seconds field, a date alone, "+0000", week or ordinal dates are
# ISO 8601 forms RFC 3339 leaves out, and datetime.fromisoformat would read them all.
_DATE_TIME = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[Tt]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?P<fraction>\.[0-9]+)?"
    r"(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<offset_hour>[0-9]{2}):(?P<offset_minute>[0-9]{2}))"
)


@dataclass(frozen=True)
class SiweMessage:
    domain: str
    address: str
    uri: str
    version: str
    chain_id: int
    nonce: str
    issued_at: datetime
    scheme: str | None = None
    statement: str | None = None
    expiration_time: datetime | None = None
    not_before: datetime | None = None
    request_id: str | None = None
    resources: tuple[str, ...] = ()
    #: The text as received: the signature covers these exact bytes, not a re-rendering.
    raw: str | None = None

    def text(self) -> str:
        """The message as a wallet signs it (EIP-4361's layout).

        Without a statement the address is followed by two empty lines; with one, the statement
        sits between two empty lines. Either way `parse` reads the same fields back.
        """
        head = f"{self.scheme}://{self.domain}" if self.scheme else self.domain
        lines = [head + PREAMBLE, self.address, ""]
        if self.statement is not None:
            lines.append(self.statement)
        lines += [
            "",
            f"URI: {self.uri}",
            f"Version: {self.version}",
            f"Chain ID: {self.chain_id}",
            f"Nonce: {self.nonce}",
            f"Issued At: {_rfc3339(self.issued_at)}",
        ]
        if self.expiration_time is not None:
            lines.append(f"Expiration Time: {_rfc3339(self.expiration_time)}")
        if self.not_before is not None:
            lines.append(f"Not Before: {_rfc3339(self.not_before)}")
        if self.request_id is not None:
            lines.append(f"Request ID: {self.request_id}")
        if self.resources:
            lines.append("Resources:")
            lines += [f"- {r}" for r in self.resources]
        return "\n".join(lines)


def parse(message: str) -> SiweMessage:
    """The fields of an EIP-4361 message, or a 400 naming the first thing wrong with it."""
    if not isinstance(message, str):
        raise InvalidInput("message: must be a string")
    if len(message) > MAX_MESSAGE_CHARS:
        raise InvalidInput(f"message: longer than {MAX_MESSAGE_CHARS} characters")
    lines = _Lines(message.split("\n"))

    first = lines.next()
    if first is None or not first.endswith(PREAMBLE):
        raise InvalidInput("message: not a Sign-In with Ethereum message (first line)")
    scheme, domain = _header(first[: -len(PREAMBLE)])

    address = lines.next()
    if address is None or not ADDRESS.match(address):
        raise InvalidInput("message: the second line must be an Ethereum address (0x and 40 hex digits)")
    if checksummed(address) != address:
        raise InvalidInput("message: the address must be EIP-55 checksummed")
    lines.empty("an empty line follows the address")

    # address LF LF [ statement LF ] LF "URI: ": the statement is optional, the empty lines
    # around it are not. An empty line followed by a non-empty one means no statement; any
    # other line here is the statement (even one that reads "URI: ...", which the grammar
    # allows), and must be followed by an empty line.
    statement: str | None = None
    if lines.peek() == "" and lines.peek(1) != "":
        lines.next()
    else:
        statement = lines.next()
        if statement is None:
            raise InvalidInput(f"message: 'URI:' expected on line {lines.at + 1}")
        bad = _NOT_STATEMENT.search(statement)
        if bad is not None:
            raise InvalidInput(
                f"message: the statement may not contain {bad.group()!r} (only ASCII letters, "
                "digits, spaces and RFC 3986 reserved or unreserved characters)"
            )
        lines.empty("an empty line follows the statement; without one, two follow the address")

    uri = lines.take("URI")
    if not _is_uri(uri):
        raise InvalidInput("message: URI must be an RFC 3986 URI (scheme:...)")
    if lines.take("Version") != "1":
        raise InvalidInput("message: Version must be 1")
    chain_id = _chain_id(lines.take("Chain ID"))
    nonce = lines.take("Nonce")
    if not _NONCE.fullmatch(nonce):
        raise InvalidInput("message: Nonce must be at least 8 ASCII letters or digits")
    issued_at = _timestamp("Issued At", lines.take("Issued At"))
    expiration = lines.optional("Expiration Time")
    expiration_time = _timestamp("Expiration Time", expiration) if expiration is not None else None
    before = lines.optional("Not Before")
    not_before = _timestamp("Not Before", before) if before is not None else None
    request_id = lines.optional("Request ID")
    if request_id is not None and not _REQUEST_ID.fullmatch(request_id):
        raise InvalidInput("message: Request ID may hold only RFC 3986 path characters (pchar)")
    resources = _resources(lines)
    lines.end()
    return SiweMessage(
        domain=domain,
        scheme=scheme,
        address=address,
        statement=statement,
        uri=uri,
        version="1",
        chain_id=chain_id,
        nonce=nonce,
        issued_at=issued_at,
        expiration_time=expiration_time,
        not_before=not_before,
        request_id=request_id,
        resources=resources,
        raw=message,
    )


def verify(
    message: SiweMessage,
    signature: str,
    *,
    domain: str,
    origin: str,
    chain_id: int,
    statement: str | None,
    now: datetime,
) -> None:
    """Check the message is for this site, chain, moment and statement, and signed by its address.

    The signature's form is checked first (a 400 like any malformed input); every other
    failure is a 401. `statement` is the one this site issued for the flow: a message carrying
    another statement (or one where none was issued) asks the user to agree to something else.
    """
    check_signature_form(signature)
    if message.domain.lower() != domain.lower():
        raise NotAuthenticated(f"Message is for domain '{message.domain}', not '{domain}'")
    site = urlsplit(origin)
    if message.scheme is not None and message.scheme.lower() != site.scheme:
        raise NotAuthenticated(f"Message is for scheme '{message.scheme}', not '{site.scheme}'")
    try:
        target = urlsplit(message.uri)
        on_site = (target.scheme.lower(), target.netloc.lower()) == (site.scheme, site.netloc.lower())
    except ValueError:  # urlsplit is stricter than RFC 3986 about bracketed hosts ("[V1.x]")
        on_site = False
    if not on_site:
        raise NotAuthenticated(f"Message URI must be on {site.scheme}://{site.netloc}")
    if message.chain_id != chain_id:
        raise NotAuthenticated(f"Message is for chain {message.chain_id}, not {chain_id}")
    if message.statement != statement:
        raise NotAuthenticated("Message statement is not the one this site issued")
    if message.issued_at > now + CLOCK_SKEW:
        raise NotAuthenticated("Message is issued in the future")
    if message.expiration_time is not None and message.expiration_time <= now:
        raise NotAuthenticated("Message has expired")
    if message.not_before is not None and message.not_before > now + CLOCK_SKEW:
        raise NotAuthenticated("Message is not valid yet")
    signed = message.raw if message.raw is not None else message.text()
    if recover(signed, signature) != message.address:
        raise NotAuthenticated("Signature was not made by the message's address")


def recover(text: str, signature: str) -> str | None:
    """The address that signed `text` as an EIP-191 personal message, None if unrecoverable.

    Does not judge the signature's form: `verify` refuses high-s and odd v before calling this.
    """
    # Through sane_import: py_ecc (under eth-account) raises the recursion limit on import.
    account = sane_import("eth_account")
    messages = sane_import("eth_account.messages")
    try:
        return str(account.Account.recover_message(messages.encode_defunct(text=text), signature=signature))
    except Exception:  # noqa: BLE001 - eth-keys raises several types for a malformed signature
        return None


def checksummed(address: str) -> str:
    return str(sane_import("eth_utils.address").to_checksum_address(address))


def check_signature_form(signature: str) -> None:
    """A 400 unless `signature` is r || s || v with r, s in range, s low (EIP-2), v a parity."""
    if not isinstance(signature, str) or not _SIGNATURE.fullmatch(signature):
        raise InvalidInput("signature: must be 0x and 130 hex digits (65 bytes)")
    r, s, v = int(signature[2:66], 16), int(signature[66:130], 16), int(signature[130:], 16)
    if not 0 < r < SECP256K1_N:
        raise InvalidInput("signature: r is out of range for secp256k1")
    if not 0 < s < SECP256K1_N:
        raise InvalidInput("signature: s is out of range for secp256k1")
    if s > SECP256K1_N // 2:
        raise InvalidInput("signature: s must be in the lower half of the curve order (EIP-2 low-s)")
    # 27/28 is what wallets send for personal_sign; 0/1 is the bare recovery id some send
    # instead. EIP-155's 35+ chain-encoded values belong to transactions, not messages.
    if v not in (0, 1, 27, 28):
        raise InvalidInput("signature: v must be 27 or 28 (or 0 or 1)")


class _Lines:
    """The message's lines and a cursor: each step of the grammar takes the next line or refuses."""

    def __init__(self, lines: list[str]) -> None:
        self.lines, self.at = lines, 0

    def peek(self, ahead: int = 0) -> str | None:
        at = self.at + ahead
        return self.lines[at] if at < len(self.lines) else None

    def next(self) -> str | None:
        line = self.peek()
        if line is not None:
            self.at += 1
        return line

    def empty(self, rule: str) -> None:
        if self.peek() != "":
            raise InvalidInput(f"message: line {self.at + 1} must be empty ({rule})")
        self.at += 1

    def take(self, name: str) -> str:
        value = self.optional(name)
        if value is None:
            raise InvalidInput(f"message: '{name}:' expected on line {self.at + 1}")
        return value

    def optional(self, name: str) -> str | None:
        prefix = f"{name}: "
        line = self.peek()
        if line is not None and line.startswith(prefix):
            self.at += 1
            return line[len(prefix) :]
        return None

    def end(self) -> None:
        line = self.peek()
        if line is None:
            return
        if line == "" and self.peek(1) is None:
            raise InvalidInput("message: must not end with a line break")
        raise InvalidInput(f"message: unexpected line {self.at + 1}: {line[:60]!r}")


def _header(head: str) -> tuple[str | None, str]:
    """`[ scheme "://" ] domain` of the first line. An authority holds no "/", so the first
    "://" is the only place a scheme can end."""
    scheme: str | None = None
    if "://" in head:
        scheme, _, head = head.partition("://")
        if not _SCHEME.fullmatch(scheme):
            raise InvalidInput("message: the first line's scheme is not an RFC 3986 scheme")
    host = _host(head)
    if host is None:
        raise InvalidInput("message: the first line must start with an RFC 3986 authority (the domain)")
    # The grammar's reg-name may be empty, but the EIP lists domain as REQUIRED and an empty
    # host names no site at all.
    if host == "":
        raise InvalidInput("message: the first line must start with the domain asking for the sign-in")
    return scheme, head


def _host(authority: str) -> str | None:
    """The host of an RFC 3986 `authority` ([ userinfo "@" ] host [ ":" port ]), None if the
    text is not one. Neither userinfo nor host may hold "@", so the last one ends userinfo."""
    userinfo, at, hostport = authority.rpartition("@")
    if at and not _USERINFO.fullmatch(userinfo):
        return None
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0 or not _is_ip_literal(hostport[1:end]):
            return None
        host, rest = hostport[: end + 1], hostport[end + 1 :]
    else:
        # A reg-name (which also covers IPv4address) holds no ":", so the first one starts the port.
        host, colon, port = hostport.partition(":")
        if not _REG_NAME.fullmatch(host):
            return None
        rest = colon + port
    if rest and not (rest[0] == ":" and _PORT.fullmatch(rest[1:])):
        return None
    return host


def _is_ip_literal(text: str) -> bool:
    """IPv6address or IPvFuture, the inside of RFC 3986's "[ ]".

    ipaddress reads the textual IPv6 forms RFC 3986 spells out (RFC 4291's); the character
    check first rules out the "%zone" suffix (RFC 6874) that ipaddress would also accept.
    """
    if _IPV_FUTURE.fullmatch(text):
        return True
    if not _IPV6_CHARS.fullmatch(text):
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _is_uri(text: str) -> bool:
    """RFC 3986 `URI`: scheme ":" hier-part [ "?" query ] [ "#" fragment ] (absolute only).

    Split at the first "#", then the first "?", then the first ":"; each piece is then held
    to its own rule, so a character in the wrong place fails that piece's check.
    """
    rest, _, fragment = text.partition("#")
    rest, _, query = rest.partition("?")
    scheme, colon, hier = rest.partition(":")
    if not colon or not _SCHEME.fullmatch(scheme):
        return False
    if not (_QUERY_OR_FRAGMENT.fullmatch(query) and _QUERY_OR_FRAGMENT.fullmatch(fragment)):
        return False
    if hier.startswith("//"):
        # "//" authority path-abempty: the authority runs to the first "/".
        authority, slash, path = hier[2:].partition("/")
        return _host(authority) is not None and _PATH.fullmatch(slash + path) is not None
    # path-absolute, path-rootless or path-empty: pchars and "/" not starting with "//",
    # which the branch above has taken.
    return _PATH.fullmatch(hier) is not None


def _resources(lines: _Lines) -> tuple[str, ...]:
    """[ LF "Resources:" *( LF "- " URI ) ], each entry an RFC 3986 URI."""
    if lines.peek() != "Resources:":
        return ()
    lines.next()
    found: list[str] = []
    while (line := lines.peek()) is not None and line.startswith("- "):
        if not _is_uri(line[2:]):
            raise InvalidInput(f"message: Resources entry {len(found) + 1} must be an RFC 3986 URI")
        found.append(line[2:])
        lines.next()
    return tuple(found)


def _chain_id(value: str) -> int:
    # chain-id = 1*DIGIT: ASCII digits only (int() would also read "٣١", Arabic-Indic 31, and
    # choke on "²"). Leading zeros are part of the grammar, so "031337" is chain 31337.
    if not _CHAIN_ID.fullmatch(value):
        raise InvalidInput("message: Chain ID must be a decimal number")
    if len(value.lstrip("0")) > _MAX_CHAIN_ID_DIGITS:
        raise InvalidInput("message: Chain ID is larger than any chain's")
    return int(value)


def _timestamp(name: str, value: str) -> datetime:
    """An RFC 3339 date-time as an aware UTC datetime, or a 400."""
    found = _DATE_TIME.fullmatch(value)
    if found is None:
        raise InvalidInput(f"message: {name} must be an RFC 3339 date-time, like 2026-11-22T12:00:00Z")
    year, month, day = int(found["year"]), int(found["month"]), int(found["day"])
    hour, minute, second = int(found["hour"]), int(found["minute"]), int(found["second"])
    # calendar.isleap, not monthrange: monthrange goes through datetime, which has no year 0.
    days_in_month = (31, 29 if calendar.isleap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if not 1 <= month <= 12 or not 1 <= day <= days_in_month[month - 1]:
        raise InvalidInput(f"message: {name} is not a calendar date")
    if hour > 23 or minute > 59 or second > 60:
        raise InvalidInput(f"message: {name} is not a time of day")
    # RFC 3339 allows second 60 for a leap second; datetime cannot hold one. It is read as
    # second 59 of the same minute rather than refused: the value is legal, and every check
    # made with it has a tolerance (CLOCK_SKEW) far wider than the second this shifts it by.
    second = min(second, 59)
    # Digits past the sixth are cut, not rounded: rounding could carry into the next second.
    fraction = found["fraction"]
    microsecond = int(fraction[1:7].ljust(6, "0")) if fraction else 0
    if found["utc"] is not None:
        zone = UTC
    else:
        offset_hour, offset_minute = int(found["offset_hour"]), int(found["offset_minute"])
        if offset_hour > 23 or offset_minute > 59:
            raise InvalidInput(f"message: {name} has an impossible time offset")
        offset = timedelta(hours=offset_hour, minutes=offset_minute)
        zone = timezone(-offset if found["sign"] == "-" else offset)
    try:
        return datetime(year, month, day, hour, minute, second, microsecond, zone).astimezone(UTC)
    except (ValueError, OverflowError):  # year 0000, or an offset that moves it past 0001 or 9999
        raise InvalidInput(f"message: {name} is outside the years 0001 to 9999 (UTC)") from None


def _rfc3339(value: datetime) -> str:
    """UTC with a "Z"; milliseconds as wallets and JavaScript write them, microseconds only when
    the value has them, so a built message parses back to the same instant."""
    # A naive datetime is UTC, as everything tidecast stores (and SQLite hands back naive).
    utc = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    precision = "milliseconds" if utc.microsecond % 1000 == 0 else "microseconds"
    return utc.isoformat(timespec=precision).replace("+00:00", "Z")
