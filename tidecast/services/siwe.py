"""Sign-In with Ethereum (EIP-4361) messages: build, parse strictly, verify.

Hand-written because the `siwe` package (4.4.0) pins web3 < 8 and an exact `abnf`, which the
chain work's web3 8 cannot live with. The grammar is small and line-oriented: this parser
takes the fields in the order the EIP fixes and refuses anything else, so what a wallet shows
its user is exactly what is checked here. Signatures are EIP-191 personal messages recovered
with eth-account (imported on first use: it costs a few hundred ms of a cold start).
Contract wallets (EIP-1271) are not supported: recovering an address needs an EOA signature.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from tidecast.db.times import as_utc
from tidecast.errors import BadRequest, Unauthorized

PREAMBLE = " wants you to sign in with your Ethereum account:"
MAX_MESSAGE_CHARS = 8192
CLOCK_SKEW = timedelta(minutes=2)

_HEADER = re.compile(r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://)?(?P<domain>[^\s/?#]+)$")
ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_NONCE = re.compile(r"^[A-Za-z0-9]{8,}$")
_SIGNATURE = re.compile(r"^0x[0-9a-fA-F]{130}$")
# ASCII digits only: int() would also read "٣١" (Arabic-Indic) as 31, and choke on "²".
_CHAIN_ID = re.compile(r"^[1-9][0-9]*$")


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
        """The message as a wallet signs it (EIP-4361's layout)."""
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
    if len(message) > MAX_MESSAGE_CHARS:
        raise BadRequest(f"message: longer than {MAX_MESSAGE_CHARS} characters")
    lines = message.split("\n")
    if not lines[0].endswith(PREAMBLE):
        raise BadRequest("message: not a Sign-In with Ethereum message (first line)")
    header = _HEADER.match(lines[0][: -len(PREAMBLE)])
    if header is None:
        raise BadRequest("message: the first line does not start with a domain")
    if len(lines) < 8 or not ADDRESS.match(lines[1]):
        raise BadRequest("message: the second line must be an Ethereum address")
    address = checksummed(lines[1])
    if address != lines[1]:
        raise BadRequest("message: the address must be EIP-55 checksummed")
    if lines[2] != "":
        raise BadRequest("message: a blank line must follow the address")
    at, statement = 3, None
    if lines[3] == "":
        at = 4
    elif not lines[3].startswith("URI: "):
        statement, at = lines[3], 5
        if len(lines) < 6 or lines[4] != "":
            raise BadRequest("message: a blank line must follow the statement")
    fields = _Fields(lines, at)
    uri = fields.take("URI")
    version = fields.take("Version")
    chain = fields.take("Chain ID")
    nonce = fields.take("Nonce")
    issued_at = _timestamp("Issued At", fields.take("Issued At"))
    expiration = fields.optional("Expiration Time")
    not_before = fields.optional("Not Before")
    request_id = fields.optional("Request ID")
    resources = fields.resources()
    if version != "1":
        raise BadRequest("message: Version must be 1")
    if not _CHAIN_ID.match(chain):
        raise BadRequest("message: Chain ID must be a positive integer")
    if not _NONCE.match(nonce):
        raise BadRequest("message: Nonce must be at least 8 letters or digits")
    if not urlsplit(uri).scheme:
        raise BadRequest("message: URI must be an absolute URI")
    return SiweMessage(
        domain=header["domain"],
        scheme=header["scheme"],
        address=address,
        statement=statement,
        uri=uri,
        version=version,
        chain_id=int(chain),
        nonce=nonce,
        issued_at=issued_at,
        expiration_time=_timestamp("Expiration Time", expiration) if expiration is not None else None,
        not_before=_timestamp("Not Before", not_before) if not_before is not None else None,
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
    now: datetime,
) -> None:
    """Check the message is for this site, chain and moment, and signed by its address; 401 if not."""
    if message.domain.lower() != domain.lower():
        raise Unauthorized(f"Message is for domain '{message.domain}', not '{domain}'")
    site = urlsplit(origin)
    if message.scheme is not None and message.scheme.lower() != site.scheme:
        raise Unauthorized(f"Message is for scheme '{message.scheme}', not '{site.scheme}'")
    target = urlsplit(message.uri)
    if (target.scheme, target.netloc.lower()) != (site.scheme, site.netloc.lower()):
        raise Unauthorized(f"Message URI must be on {site.scheme}://{site.netloc}")
    if message.chain_id != chain_id:
        raise Unauthorized(f"Message is for chain {message.chain_id}, not {chain_id}")
    if message.issued_at > now + CLOCK_SKEW:
        raise Unauthorized("Message is issued in the future")
    if message.expiration_time is not None and message.expiration_time <= now:
        raise Unauthorized("Message has expired")
    if message.not_before is not None and message.not_before > now + CLOCK_SKEW:
        raise Unauthorized("Message is not valid yet")
    if not isinstance(signature, str) or not _SIGNATURE.match(signature):
        raise BadRequest("signature: must be 0x and 130 hex digits (65 bytes)")
    signed = message.raw if message.raw is not None else message.text()
    if recover(signed, signature) != message.address:
        raise Unauthorized("Signature was not made by the message's address")


def recover(text: str, signature: str) -> str | None:
    """The address that signed `text` as an EIP-191 personal message, None if unrecoverable."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    try:
        return str(Account.recover_message(encode_defunct(text=text), signature=signature))
    except Exception:  # noqa: BLE001 - eth-keys raises several types for a malformed signature
        return None


def checksummed(address: str) -> str:
    from eth_utils.address import to_checksum_address

    return str(to_checksum_address(address))


class _Fields:
    """The `Name: value` lines after the statement, consumed in the EIP's fixed order."""

    def __init__(self, lines: list[str], at: int) -> None:
        self.lines, self.at = lines, at

    def take(self, name: str) -> str:
        value = self.optional(name)
        if value is None:
            raise BadRequest(f"message: '{name}:' expected on line {self.at + 1}")
        return value

    def optional(self, name: str) -> str | None:
        prefix = f"{name}: "
        if self.at < len(self.lines) and self.lines[self.at].startswith(prefix):
            self.at += 1
            return self.lines[self.at - 1][len(prefix) :]
        return None

    def resources(self) -> tuple[str, ...]:
        found: list[str] = []
        if self.at < len(self.lines) and self.lines[self.at] == "Resources:":
            self.at += 1
            while self.at < len(self.lines) and self.lines[self.at].startswith("- "):
                found.append(self.lines[self.at][2:])
                self.at += 1
        if self.at != len(self.lines):
            raise BadRequest(f"message: unexpected line {self.at + 1}: {self.lines[self.at][:60]!r}")
        return tuple(found)


def _timestamp(name: str, value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"message: {name} must be an RFC 3339 timestamp") from None
    if parsed.tzinfo is None:
        raise BadRequest(f"message: {name} must carry a time zone (RFC 3339)")
    return as_utc(parsed)


def _rfc3339(value: datetime) -> str:
    return as_utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")
