"""`tidecast payments open|show|top-up|withdraw|cancel`: the whole money path from a terminal.

Amounts are decimal token amounts (`--rate 0.001` tokens per second, `--deposit 5`), read
exactly in the token's units. The signing key is a development chain's demo account
(`--from-demo N`, see `tidecast chain accounts`) or a key held in an environment variable whose
name is given (`--key-env VAR`); a key is never taken on the command line, where shells keep it.

Every failure the chain client reports (a node out of reach, a refusal, an unknown stream) is
one line on stderr and exit status 1, as the other commands do; mistakes in the command line
are exit status 2.

Its commands import their domain when they run (`# lazy`), so `tidecast --help`
loads none of it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer

from tidecast.cli import common
from tidecast.errors import DomainError

if TYPE_CHECKING:
    from tidecast.chain.service import BlockchainDataService
    from tidecast.chain.signer import ChainSigner

payments_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Payment streams on chain.")

FromDemo = Annotated[
    int | None, typer.Option("--from-demo", min=0, help="Sign with demo account N (development chains).")
]
KeyEnv = Annotated[
    str | None, typer.Option("--key-env", help="Sign with the key in this environment variable.")
]


def _chain() -> BlockchainDataService:
    return common.services().chain


def _signer() -> ChainSigner:
    return common.services().chain_signer


def _key(from_demo: int | None, key_env: str | None, chain: BlockchainDataService) -> str:
    if (from_demo is None) == (key_env is None):
        raise common.fail("tidecast: say who signs: --from-demo N or --key-env VARIABLE")
    if key_env is not None:
        key = os.environ.get(key_env, "").strip()
        if not key:
            raise common.fail(f"tidecast: the environment variable {key_env} is empty or not set")
        from tidecast.imports import sane_import  # lazy

        try:
            sane_import("eth_account").Account.from_key(key)
        except Exception:  # noqa: BLE001 - hex, length and range errors differ; the value is never shown
            raise common.fail(
                f"tidecast: the environment variable {key_env} does not hold a private key "
                "(32 bytes: 64 hex digits, 0x optional)"
            ) from None
        return key
    from tidecast.chain.devnet import DEV_CHAIN_IDS, demo_accounts  # lazy

    chain_id = chain.chain_id()
    if chain_id not in DEV_CHAIN_IDS:
        raise common.fail(
            f"tidecast: demo accounts exist only on development chains (this is chain {chain_id})"
        )
    assert from_demo is not None
    return str(demo_accounts(from_demo + 1)[from_demo].private_key)


@contextlib.contextmanager
def _failing() -> Iterator[None]:
    """A domain error (the chain client translates every node error into one) as one line."""
    try:
        yield
    except DomainError as exc:
        raise common.fail(f"tidecast: {exc.message}", code=1) from None


def _show(chain: BlockchainDataService, stream_id: int) -> None:
    from tidecast.chain.timestamps import chain_datetime  # lazy
    from tidecast.chain.units import format_units  # lazy

    s = chain.get_payment_stream_details(stream_id)
    token = chain.token(s.token)

    def amount(units: int) -> str:
        return f"{format_units(units, token.decimals)} {token.symbol}"

    def when(seconds: int) -> str:
        moment = chain_datetime(seconds)
        return "never (past year 9999)" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")

    typer.echo(f"payment stream {stream_id}: {'active' if s.active else 'inactive'}")
    typer.echo(f"  from {s.sender}\n  to   {s.recipient}")
    typer.echo(f"  rate       {amount(s.flow_rate)} per second")
    typer.echo(f"  deposited  {amount(s.deposit)}   withdrawn {amount(s.withdrawn)}")
    typer.echo(f"  remaining  {amount(s.remaining_balance)} (not yet streamed)")
    # An inactive stream (cancelled, or run dry) has ended: its depletion time is when.
    ends = "runs dry" if s.active else "ended"
    typer.echo(f"  started    {when(s.start_time)}   {ends} {when(s.depletion_time)}")


@payments_app.command("open")
def open_stream(
    to: Annotated[str, typer.Option("--to", help="The recipient's address.")],
    rate: Annotated[str, typer.Option(help="Tokens per second, e.g. 0.001.")],
    deposit: Annotated[str, typer.Option(help="Tokens to deposit, e.g. 5.")],
    from_demo: FromDemo = None,
    key_env: KeyEnv = None,
) -> None:
    """Approve the deposit and open a payment stream to --to; prints the stream."""
    with _failing():
        chain = _chain()
        key = _key(from_demo, key_env, chain)
        stream_id = _signer().open_stream(key, to, rate, deposit)
        typer.echo(f"opened payment stream {stream_id}")
        _show(chain, stream_id)


@payments_app.command("show")
def show(stream_id: int) -> None:
    """A payment stream as the contract sees it now."""
    with _failing():
        _show(_chain(), stream_id)


@payments_app.command("top-up")
def top_up(
    stream_id: int,
    amount: Annotated[str, typer.Option(help="Tokens to add, e.g. 2.5.")],
    from_demo: FromDemo = None,
    key_env: KeyEnv = None,
) -> None:
    """Add tokens to a stream (its sender only); streaming resumes at once if it ran dry."""
    with _failing():
        chain = _chain()
        key = _key(from_demo, key_env, chain)
        tx = _signer().top_up(key, stream_id, amount)
        typer.echo(f"topped up payment stream {stream_id} (transaction {tx})")
        _show(chain, stream_id)


@payments_app.command("withdraw")
def withdraw(
    stream_id: int,
    amount: Annotated[
        str | None, typer.Option(help="Tokens to take (default: all that has accrued).")
    ] = None,
    from_demo: FromDemo = None,
    key_env: KeyEnv = None,
) -> None:
    """Take what has accrued to the recipient (the recipient only)."""
    with _failing():
        chain = _chain()
        key = _key(from_demo, key_env, chain)
        tx = _signer().withdraw(key, stream_id, amount)
        typer.echo(f"withdrew from payment stream {stream_id} (transaction {tx})")
        _show(chain, stream_id)


@payments_app.command("cancel")
def cancel(stream_id: int, from_demo: FromDemo = None, key_env: KeyEnv = None) -> None:
    """End a stream (either party): what accrued goes to the recipient, the rest back."""
    with _failing():
        chain = _chain()
        key = _key(from_demo, key_env, chain)
        tx = _signer().cancel(key, stream_id)
        typer.echo(f"cancelled payment stream {stream_id} (transaction {tx})")
        _show(chain, stream_id)
