"""`tidecast wallet link`: link a wallet to an account by Sign-In with Ethereum, from a terminal.

What the account page does with a browser wallet, done with a private key through
tidecast.client's `link_wallet`: the platform writes the EIP-4361 message (`POST
/api/auth/wallet/nonce`, purpose `link`), the client refuses to sign one that is not a link of
the key's own address, as a careful wallet would, signs it as `personal_sign` does (EIP-191) and
sends it to `POST /api/auth/wallet/link`, where the platform checks everything in it.

The key is a demo account's (`--from-demo N`, only when the platform's chain is a development
chain) or one read from an environment variable (`--key-env VAR`) or a file (`--key-file
PATH`), never from the command line, where shells and process lists keep it.

Its commands import their domain when they run (`# lazy`), so `tidecast --help`
loads none of it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from tidecast.cli import common, remote

wallet_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Wallets linked to your account (Sign-In with Ethereum).",
)


def _private_key(from_demo: int | None, key_env: str | None, key_file: Path | None) -> str:
    given = [choice for choice in (from_demo, key_env, key_file) if choice is not None]
    if len(given) != 1:
        raise common.fail(
            "tidecast: say which key signs: one of --from-demo N, --key-env VAR, --key-file PATH"
        )
    if from_demo is not None:
        from tidecast.chain.devnet import demo_accounts  # lazy

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
    from tidecast.chain.devnet import DEV_CHAIN_IDS  # lazy
    from tidecast.client._siwe import account  # lazy

    try:
        account(key)
    except ValueError:  # the key itself is never shown
        raise common.fail(
            "tidecast: the key given does not hold a private key (32 bytes: 64 hex digits, 0x optional)"
        ) from None
    with remote.platform(url, token) as platform:
        # Demo keys are public: sign with one only for a development chain's platform.
        linked = platform.link_wallet(key, chain_ids=DEV_CHAIN_IDS if from_demo is not None else None)
    typer.echo(linked.address)
