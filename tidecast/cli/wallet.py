"""`tidecast wallet link`: link a wallet to an account by Sign-In with Ethereum, from a terminal.

What the account page does with a browser wallet, done with a private key: ask the platform
for the EIP-4361 message (`POST /api/auth/wallet/nonce`, purpose `link`, with the address),
sign it as `personal_sign` does (EIP-191, through eth-account), and send message and signature
to `POST /api/auth/wallet/link`. The platform writes the message and checks everything in it;
this command refuses to sign one that is not a link of the key's own address (its first lines
and statement), as a careful wallet would.

The key is a demo account's (`--from-demo N`, only when the platform's chain is a development
chain) or one read from an environment variable (`--key-env VAR`) or a file (`--key-file
PATH`), never from the command line, where shells and process lists keep it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from tidecast.cli import common, remote

wallet_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Wallets linked to your account (Sign-In with Ethereum).",
)
LINK_STATEMENT = "Link this wallet to your tidecast account."


def _private_key(from_demo: int | None, key_env: str | None, key_file: Path | None) -> str:
    given = [choice for choice in (from_demo, key_env, key_file) if choice is not None]
    if len(given) != 1:
        raise common.fail(
            "tidecast: say which key signs: one of --from-demo N, --key-env VAR, --key-file PATH"
        )
    if from_demo is not None:
        from tidecast.chain.devnet import demo_accounts

        return str(demo_accounts(from_demo + 1)[from_demo].private_key)
    if key_env is not None:
        key = os.environ.get(key_env, "").strip()
        where = f"the environment variable {key_env}"
    else:
        assert key_file is not None
        try:
            key = key_file.read_text().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise common.fail(f"tidecast: cannot read {key_file}: {exc}") from None
        where = str(key_file)
    if not key:
        raise common.fail(f"tidecast: {where} is empty or not set")
    return key


def _account(key: str, where: str) -> Any:  # eth_account.signers.local.LocalAccount
    from tidecast.imports import sane_import

    try:
        return sane_import("eth_account").Account.from_key(key)
    except Exception:  # noqa: BLE001 - hex, length and range errors differ; the value is never shown
        raise common.fail(
            f"tidecast: {where} does not hold a private key (32 bytes: 64 hex digits, 0x optional)"
        ) from None


@wallet_app.command("link")
def link(
    from_demo: Annotated[
        int | None,
        typer.Option("--from-demo", min=0, help="Demo account N's key (development chains)."),
    ] = None,
    key_env: Annotated[
        str | None, typer.Option("--key-env", help="The key is in this environment variable.")
    ] = None,
    key_file: Annotated[Path | None, typer.Option("--key-file", help="The key is in this file.")] = None,
    url: remote.Url = remote.DEFAULT_URL,
    token: remote.Token = "",
) -> None:
    """Link a wallet to the account whose login token is given; print its address."""
    if not token:
        raise common.fail("tidecast: linking a wallet needs a login token: --token or TIDECAST_TOKEN")
    key = _private_key(from_demo, key_env, key_file)
    account = _account(key, "the key given")
    address = str(account.address)
    with remote.client(url, token) as http:
        nonce = remote.data(
            remote.request(
                http,
                "POST",
                "/api/auth/wallet/nonce",
                expect=(201,),
                json={"purpose": "link", "address": address},
            )
        )
        if from_demo is not None:
            from tidecast.chain.devnet import DEV_CHAIN_IDS

            if nonce["chainId"] not in DEV_CHAIN_IDS:
                raise common.fail(
                    f"tidecast: demo accounts exist only on development chains (the platform is on "
                    f"chain {nonce['chainId']}); use --key-env or --key-file"
                )
        message = str(nonce["message"])
        lines = message.splitlines()
        if (
            len(lines) < 4
            # EIP-4361's first line: [scheme://]domain wants you to sign in ...
            or not re.fullmatch(
                rf"(?:[a-z][a-z0-9+.-]*://)?{re.escape(str(nonce['domain']))} wants you to sign in with your "
                r"Ethereum account:",
                lines[0],
            )
            or lines[1] != address
            or lines[3] != LINK_STATEMENT
        ):
            raise common.fail(
                f"tidecast: refusing to sign a message that is not a link of {address}:\n{message}", code=1
            )
        from tidecast.imports import sane_import

        signable = sane_import("eth_account.messages").encode_defunct(text=message)
        signature = "0x" + bytes(account.sign_message(signable).signature).hex()
        linked = remote.data(
            remote.request(
                http,
                "POST",
                "/api/auth/wallet/link",
                expect=(200,),
                json={"message": message, "signature": signature},
            )
        )
    typer.echo(linked.get("address") or address)
