"""`tidecast chain …`: the node at RPC_URL, the contracts the settings name, the demo accounts,
and deploying the contracts anywhere.

web3 is imported inside the commands only (tidecast.chain.deploy.connect), so `tidecast --help`
and every other command never load it. Private keys are never printed, except the demo
accounts' (public knowledge, and only on development chains).

Its commands import their domain when they run (`# lazy`), so `tidecast --help`
loads none of it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tidecast.cli import common

if TYPE_CHECKING:
    from web3 import Web3

    from tidecast.config import Settings

chain_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="The chain at RPC_URL: contracts, demo accounts, deployment.",
)

CONTRACT_SETTINGS = (
    ("PaymentStream", "payment_stream_contract_address"),
    ("DemoToken", "token_address"),
    ("StreamRegistry", "stream_registry_address"),
)


def _connect(settings: Settings) -> tuple[Web3, int]:
    """A client for RPC_URL and the node's chain id; exit 1 naming the (masked) URL if the node
    does not answer."""
    from tidecast.chain.deploy import connect  # lazy

    w3 = connect(settings.rpc_url, timeout=10, retry=False)
    try:
        return w3, int(w3.eth.chain_id)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the node ends the same way
        raise common.fail(
            f"tidecast: no Ethereum node answers at RPC_URL {settings.masked()['RPC_URL']}: "
            f"{type(exc).__name__}: {exc}",
            code=1,
        ) from None


@contextlib.contextmanager
def _node_answering(settings: Settings) -> Iterator[None]:
    """A node that stops answering (or answers what no node does) in the middle of a command:
    one line naming the (masked) RPC_URL and exit 1, as when it does not answer at all."""
    import requests  # lazy

    from tidecast.imports import sane_import  # lazy

    web3_errors = sane_import("web3.exceptions").Web3Exception
    try:
        yield
    except (requests.exceptions.RequestException, web3_errors, OSError, ValueError) as exc:
        text = " ".join(str(exc).split())[:200]
        raise common.fail(
            f"tidecast: the Ethereum node at RPC_URL {settings.masked()['RPC_URL']} failed: "
            f"{type(exc).__name__}: {text}",
            code=1,
        ) from None


@chain_app.command("info")
def chain_info() -> None:
    """The node at RPC_URL (masked), its chain id and latest block, and the contracts the
    settings name: where each address came from and whether there is code there."""
    settings = common.settings()
    typer.echo(f"RPC_URL          {settings.masked()['RPC_URL']}")
    w3, chain_id = _connect(settings)
    with _node_answering(settings):
        _info(settings, w3, chain_id)


def _info(settings: Settings, w3: Web3, chain_id: int) -> None:
    latest = w3.eth.get_block("latest")
    dev = " (a development chain)" if _is_dev(chain_id) else ""
    typer.echo(f"chain id         {chain_id}{dev}")
    if settings.tidecast_chain_id != chain_id:
        typer.secho(
            f"                 TIDECAST_CHAIN_ID is {settings.tidecast_chain_id} "
            f"({settings.chain_source('tidecast_chain_id')}): wallets sign for the wrong chain",
            fg=typer.colors.YELLOW,
        )
    typer.echo(f"latest block     {latest['number']} (timestamp {latest['timestamp']})")
    for name, field in CONTRACT_SETTINGS:
        address = getattr(settings, field)
        source = settings.chain_source(field)
        if address is None:
            typer.echo(f"{name:<16} (unset: {field.upper()})")
            continue
        code = w3.eth.get_code(w3.to_checksum_address(address))
        there = "contract code there" if code else "NO CODE at this address on this chain"
        typer.echo(f"{name:<16} {address} ({source}; {there})")
    if settings.platform_private_key is not None:
        from tidecast.chain.deploy import address_of  # lazy

        platform = address_of(settings.platform_private_key.get_secret_value())
        source = settings.chain_source("platform_private_key")
        typer.echo(f"platform         {platform} (the address of PLATFORM_PRIVATE_KEY, from {source})")


def _is_dev(chain_id: int) -> bool:
    from tidecast.chain.devnet import DEV_CHAIN_IDS  # lazy

    return chain_id in DEV_CHAIN_IDS


@chain_app.command("accounts")
def chain_accounts() -> None:
    """The demo accounts (TIDECAST_DEMO_ACCOUNTS of them) with their private keys and ETH and TIDE
    balances. Development chains only: their keys are public, anywhere else they mean nothing."""

    settings = common.settings()
    w3, chain_id = _connect(settings)
    if not _is_dev(chain_id):
        raise common.fail(
            f"tidecast: chain id {chain_id} at RPC_URL is not a development chain; "
            "demo accounts exist on development chains only"
        )
    with _node_answering(settings):
        _accounts(settings, w3, chain_id)


def _accounts(settings: Settings, w3: Web3, chain_id: int) -> None:
    from tidecast.chain.devnet import DEPLOYER_INDEX, PLATFORM_INDEX, demo_accounts  # lazy

    token = _token(w3, settings)
    roles = {DEPLOYER_INDEX: "deployer", PLATFORM_INDEX: "platform"}
    typer.echo(f"chain id {chain_id}; TIDE at {settings.token_address or '(no TOKEN_ADDRESS)'}")
    for account in demo_accounts(settings.tidecast_demo_accounts):
        who = w3.to_checksum_address(account.address)
        tide = _units(token.functions.balanceOf(who).call()) if token is not None else "-"
        role = roles.get(account.index, "viewer")
        typer.echo(
            f"{account.index:>3} {role:<8} {account.address} {account.private_key} "
            f"ETH {_units(w3.eth.get_balance(who))} TIDE {tide}"
        )


def _token(w3: Web3, settings: Settings) -> Any:
    from tidecast.chain.artifacts import load  # lazy

    if not settings.token_address:
        return None
    address = w3.to_checksum_address(settings.token_address)
    if not w3.eth.get_code(address):
        return None
    return w3.eth.contract(address=address, abi=load("DemoToken").abi)


def _units(amount: int) -> str:
    from decimal import Decimal  # lazy

    return format(Decimal(amount).scaleb(-18).normalize(), "f")


@chain_app.command("deploy")
def chain_deploy(
    platform: Annotated[
        str | None,
        typer.Option(help="The platform's address (default: PLATFORM_PRIVATE_KEY's; dev chains: demo 1)."),
    ] = None,
    fund: Annotated[
        bool, typer.Option("--fund/--no-fund", help="Fund the demo accounts (development chains only).")
    ] = True,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds to wait for each receipt.")] = 300,
) -> None:
    """Deploy PaymentStream, DemoToken and StreamRegistry to the node at RPC_URL with the key in
    DEPLOYER_PRIVATE_KEY (development chains: demo account 0 when unset), and print the settings
    that use them (stdout, ready for an env file; notes go to stderr)."""

    settings = common.settings()
    w3, chain_id = _connect(settings)
    with _node_answering(settings):
        _deploy(settings, w3, chain_id, platform, fund=fund, timeout=timeout)


def _deploy(
    settings: Settings, w3: Web3, chain_id: int, platform: str | None, *, fund: bool, timeout: float
) -> None:
    from tidecast.chain.deploy import DeployError, address_of, deploy_all, fund_demo_accounts  # lazy
    from tidecast.chain.devnet import DEPLOYER_INDEX, PLATFORM_INDEX, demo_accounts  # lazy

    dev = _is_dev(chain_id)
    demo = demo_accounts(settings.tidecast_demo_accounts) if dev else []
    if settings.deployer_private_key is not None:
        deployer = settings.deployer_private_key.get_secret_value()
    elif dev:
        deployer = demo[DEPLOYER_INDEX].private_key
        typer.echo("DEPLOYER_PRIVATE_KEY is unset: deploying from demo account 0", err=True)
    else:
        raise common.fail(
            f"tidecast: chain id {chain_id} is not a development chain; set DEPLOYER_PRIVATE_KEY"
        )
    platform_key = settings.platform_private_key.get_secret_value() if settings.platform_private_key else None
    if platform is None:
        if platform_key is None and not dev:
            raise common.fail("tidecast: name the platform: --platform ADDRESS or PLATFORM_PRIVATE_KEY")
        platform_key = platform_key or demo[PLATFORM_INDEX].private_key
        platform = address_of(platform_key)
    elif not w3.is_address(platform):
        raise common.fail(f"tidecast: --platform {platform!r} is not an address")
    else:
        platform = w3.to_checksum_address(platform)
        platform_key = platform_key if platform_key and address_of(platform_key) == platform else None
    typer.echo(f"deploying to chain {chain_id} from {address_of(deployer)}; platform {platform}", err=True)
    try:
        deployment = deploy_all(w3, deployer, platform_address=platform, timeout=timeout)
        if dev and fund:
            count = fund_demo_accounts(
                w3, deployer, deployment.token, [a.address for a in demo], timeout=timeout
            )
            typer.echo(f"funded the demo accounts ({count} transactions)", err=True)
    except DeployError as exc:
        raise common.fail(f"tidecast: deployment failed: {exc}", code=1) from None
    if dev and not settings.production and platform_key is not None:
        _write_chain_file(settings, w3, deployment, platform_key)
    for line in deployment.environment_lines():
        typer.echo(line)


def _write_chain_file(settings: Settings, w3: Web3, deployment: Any, platform_key: str) -> None:
    """On a development chain, what `tidecast dev` would leave: other processes find it."""
    from tidecast.chain.devnet import ChainFile, write_chain_file  # lazy

    path = write_chain_file(
        settings.tidecast_data_dir,
        ChainFile(
            rpc_url=settings.rpc_url,
            chain_id=deployment.chain_id,
            genesis_hash="0x" + bytes(w3.eth.get_block(0)["hash"]).hex(),
            block=deployment.block,
            payment_stream=deployment.payment_stream,
            token=deployment.token,
            registry=deployment.registry,
            platform_private_key=platform_key,
            node="external",
        ),
    )
    typer.echo(f"wrote {path} (development settings read it)", err=True)
