"""Signing the platform's Sign-In with Ethereum (EIP-4361) message with a private key.

The platform writes the message (POST /api/auth/wallet/nonce with the address) and checks all of
it on /link; this side only refuses to sign a message that is not what it asked for, as a
careful wallet would: the first line names the platform's domain, the second the key's own
address, the fourth the statement of the purpose. eth-account signs as `personal_sign` does
(EIP-191), which is what the platform recovers.
"""

from __future__ import annotations

import re
from typing import Any

from tidecast.client._errors import TidecastError
from tidecast.imports import sane_import

#: The statement the platform writes for each purpose: a copy of tidecast/accounts/wallets.py's
#: (the client imports no server code), held equal by tests/unit/test_client.py.
STATEMENTS = {
    "link": "Link this wallet to your tidecast account.",
    "login": "Sign in to tidecast with this wallet.",
}


class RefusedToSign(TidecastError):
    """The message to sign is not a sign-in of this key for this purpose on this platform."""


def account(private_key: str) -> Any:  # eth_account.signers.local.LocalAccount
    """The account of `private_key` (hex, 0x optional). The key never appears in an error."""
    try:
        return sane_import("eth_account").Account.from_key(private_key.strip())
    except Exception:  # noqa: BLE001 - hex, length and range errors differ; the key is never shown
        raise ValueError("not a private key (32 bytes: 64 hex digits, 0x optional)") from None


def check(message: str, *, domain: str, address: str, purpose: str) -> None:
    """Raise RefusedToSign unless `message` is a `purpose` sign-in of `address` at `domain`."""
    lines = message.splitlines()
    first = rf"(?:[a-z][a-z0-9+.-]*://)?{re.escape(domain)} wants you to sign in with your Ethereum account:"
    if (
        len(lines) < 4
        or not re.fullmatch(first, lines[0])
        or lines[1] != address
        or lines[3] != STATEMENTS.get(purpose)
    ):
        raise RefusedToSign(f"refusing to sign a message that is not a {purpose} of {address}:\n{message}")


def sign(signer: Any, message: str) -> str:
    """The EIP-191 signature of `message` by `signer`, 0x-hex."""
    signable = sane_import("eth_account.messages").encode_defunct(text=message)
    return "0x" + bytes(signer.sign_message(signable).signature).hex()
