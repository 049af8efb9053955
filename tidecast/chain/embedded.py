"""The development chain (an embedded part): an EVM node on RPC_URL, contracts deployed, demo
accounts funded, their addresses in the effective settings.

`plan` looks at RPC_URL. Another host: a real node is configured, nothing to do. A loopback
address where a JSON-RPC node already answers (Anvil, Hardhat): that node is used and no chain
starts, but on a development chain the contracts are deployed onto it unless the settings
already name contracts that are there. A loopback address where nothing listens: the embedded
chain (eth-tester's py-evm, tidecast/chain/node/evm.py) serves JSON-RPC there, as a node would,
so web3.py, ethers.js and wallets use it over HTTP like any node. A port held by something that
is not a JSON-RPC node is a PortTaken naming RPC_URL.

`configure` deploys through web3 over HTTP (tidecast/chain/deploy.py), so nothing in the deploy
or the services knows the chain is embedded; the addresses go into the effective settings and
into `.tidecast/chain.json` for the processes started in other terminals.

A development node that is not ours (Anvil in another terminal) may be restarted without its
state, or reset in place, while `tidecast dev` runs: the contracts are gone and every chain read
would answer 503 until tidecast restarted. So `configure` leaves a guard that looks every
GUARD_SECONDS: when the payment contract has no code any more (or the genesis changed), it
deploys and funds again, as a start would. Deployments are deterministic (the deployer's nonces
0, 1, 2 on a fresh chain), so the contracts come back at the addresses the services use; if
they do not (the node came back with other transactions first), the guard says to restart
`tidecast dev`. Payment stream ids start over on the new deployment, which every grant, index
row and playback token is keyed by (ChainDeployment), so nothing of the old one counts. Only
development ever does this: production never deploys, it answers 503 naming the settings.
"""

from __future__ import annotations

import logging
import socket
import threading
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tidecast.chain.artifacts import load
from tidecast.chain.deploy import DeployError, address_of, connect, deploy_all, fund_demo_accounts
from tidecast.chain.devnet import (
    DEMO_ETH_WEI,
    DEPLOYER_INDEX,
    DEV_CHAIN_IDS,
    MNEMONIC,
    PLATFORM_INDEX,
    TREASURY_INDEX,
    ChainFile,
    chain_file_path,
    demo_accounts,
    read_chain_file,
    remove_chain_file,
    write_chain_file,
)
from tidecast.chain.node.evm import EvmNode
from tidecast.chain.node.store import STATE_FILE
from tidecast.chain.node.wire import RpcApp
from tidecast.config import Settings, mask_url
from tidecast.errors import ConfigError
from tidecast.net.sockets import PortTaken, bind_host, bind_socket, free_port, is_loopback
from tidecast.net.threaded import ThreadedServer

log = logging.getLogger("tidecast.chain")

if TYPE_CHECKING:
    from tidecast.chain.node.evm import EvmNode
    from tidecast.net.threaded import ThreadedServer

RPC_THREAD = "tidecast-chain-rpc"
#: How often the guard looks for contracts lost by a development node that is not ours.
GUARD_SECONDS = 2.0
ADDRESS_FIELDS = ("payment_stream_contract_address", "token_address", "stream_registry_address")
CONTRACT_NAMES = {
    "payment_stream_contract_address": "PaymentStream",
    "token_address": "DemoToken",
    "stream_registry_address": "StreamRegistry",
}


class RpcServer:
    """An EvmNode answering JSON-RPC over HTTP on host:port, in a thread of its own; its chain on
    disk at `state_path` (kept across restarts), or in memory when that is None."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        accounts: int = 10,
        block_seconds: float = 2,
        state_path: Path | None = None,
        header_timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.accounts = accounts
        self.block_seconds = block_seconds
        self.state_path = state_path
        #: Seconds a request's headers may take to arrive (as the dev server's: no slowloris).
        self.header_timeout = header_timeout
        self.node: EvmNode | None = None
        self._server: ThreadedServer | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Bind first (a taken port is an OSError before anything else), then build the chain
        and serve. Returns once the server accepts connections."""
        sock = bind_socket(self.host, self.port)
        _quiet_access_log()
        try:
            self.node = EvmNode(
                MNEMONIC,
                self.accounts,
                block_seconds=self.block_seconds,
                balance_wei=DEMO_ETH_WEI,
                state_path=self.state_path,
            )
            self._server = ThreadedServer(
                RpcApp(self.node.dispatch),
                name=RPC_THREAD,
                header_timeout=self.header_timeout,
                what="the embedded chain's JSON-RPC server",
            )
            self._server.start(sock)
            self.node.start_mining()
        except BaseException:
            self.stop()
            sock.close()
            raise

    def stop(self) -> None:
        if self.node is not None:
            self.node.stop_mining()
        if self._server is not None:
            self._server.stop()
        self._server = None
        if self.node is not None:
            self.node.close()  # on disk: what is pending is mined and kept


class ChainPart:
    """The embedded part. `server` is None when another node answers at RPC_URL."""

    name = "embedded chain"
    setting = "RPC_URL"

    def __init__(self, settings: Settings, *, embedded: bool) -> None:
        parts = urlsplit(settings.rpc_url)
        self.rpc_url = settings.rpc_url
        self.host = bind_host(parts.hostname or "127.0.0.1")
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.data_dir = settings.tidecast_data_dir
        self.accounts = settings.tidecast_demo_accounts
        self.server = (
            RpcServer(
                self.host,
                self.port,
                accounts=self.accounts,
                block_seconds=settings.tidecast_chain_block_seconds,
                state_path=settings.tidecast_data_dir / STATE_FILE,
                header_timeout=settings.tidecast_header_timeout_seconds,
            )
            if embedded
            else None
        )
        self.chain_file: ChainFile | None = None
        self.deployed = False  # by this start (else the contracts were there already)
        self.notes: list[str] = []
        self.dev_chain = True
        self.guard_seconds = GUARD_SECONDS
        #: Times the guard deployed again (a node that lost its state under `tidecast dev`).
        self.redeployed = 0
        self._effective: Settings | None = None
        self._stopping = threading.Event()
        self._guard: threading.Thread | None = None

    @classmethod
    def plan(cls, settings: Settings) -> ChainPart | None:
        parts = urlsplit(settings.rpc_url)
        if parts.scheme != "http" or not is_loopback(parts.hostname or ""):
            return None  # a real node elsewhere (or TLS, which the embedded chain does not speak)
        probe = _probe(settings.rpc_url)
        if probe == "node":
            return cls(settings, embedded=False)
        if probe == "other":
            raise PortTaken(_taken(settings.rpc_url))
        return cls(settings, embedded=True)

    @property
    def endpoint(self) -> str:
        return self.rpc_url

    def start(self) -> None:
        if self.server is None:
            return
        try:
            self.server.start()
        except OSError as exc:
            raise PortTaken(_taken(self.rpc_url)) from exc

    def stop(self) -> None:
        self._stopping.set()
        if self._guard is not None:
            self._guard.join(timeout=10)
            self._guard = None
        if self.server is not None:
            self.server.stop()
            if self.chain_file is not None and self.server.state_path is None:
                # A chain kept in memory is gone: so is the file that pointed at it. One kept on
                # disk comes back with the next start, and the file names it until then.
                remove_chain_file(self.data_dir, self.chain_file.genesis_hash)

    def configure(self, settings: Settings) -> Settings:
        """The settings with the contracts this chain has: the ones the settings name when they
        are there, else freshly deployed and the demo accounts funded. A failure is a
        ConfigError naming RPC_URL, reported before the banner."""
        try:
            effective = self._configure(settings)
        except DeployError as exc:
            raise ConfigError(
                f"cannot deploy the contracts to RPC_URL {mask_url(self.rpc_url)}: {exc} "
                "(DEPLOYER_PRIVATE_KEY names the key to deploy from; unset, demo account 0)"
            ) from exc
        except OSError as exc:  # requests' ConnectionError and timeouts are OSErrors
            raise ConfigError(
                f"the node at RPC_URL {mask_url(self.rpc_url)} stopped answering: {exc}"
            ) from exc
        if self.server is None and self.dev_chain and self._guard is None:
            self._effective = effective
            self._stopping.clear()
            self._guard = threading.Thread(target=self._watch, name="tidecast-chain-guard", daemon=True)
            self._guard.start()
        return effective

    def _watch(self) -> None:
        """The guard: every guard_seconds, `recheck`; a node out of reach is said once."""
        failing = False
        while not self._stopping.wait(self.guard_seconds):
            try:
                self.recheck()
                failing = False
            except Exception as exc:  # noqa: BLE001 - a guard must outlive a node's restarts
                if not failing:
                    log.warning("the chain node at RPC_URL %s: %s", mask_url(self.rpc_url), exc)
                failing = True

    def recheck(self) -> bool:
        """Deploy again if the node lost the contracts (or has a new genesis); whether it did."""
        assert self._effective is not None and self.chain_file is not None
        w3 = connect(self.rpc_url, timeout=5, retry=False)
        genesis = "0x" + bytes(w3.eth.get_block(0)["hash"]).hex()
        address = w3.to_checksum_address(self.chain_file.payment_stream)
        if genesis == self.chain_file.genesis_hash and w3.eth.get_code(address):
            return False
        before = {f: getattr(self._effective, f) for f in ADDRESS_FIELDS}
        self.deployed = False
        effective = self._configure(self._effective)  # deploys where the code is gone
        after = {f: getattr(effective, f) for f in ADDRESS_FIELDS}
        if self.deployed:
            self.redeployed += 1
        if before != after:
            log.error(
                "the chain node at RPC_URL %s lost tidecast's contracts and they were deployed again "
                "at other addresses (%s): restart `tidecast dev` so its services use them",
                mask_url(self.rpc_url),
                ", ".join(f"{f.upper()}={a}" for f, a in after.items()),
            )
        else:
            log.warning(
                "the chain node at RPC_URL %s was restarted or reset (genesis %s): tidecast's "
                "contracts are %s at the same addresses; payment streams start over",
                mask_url(self.rpc_url),
                genesis,
                "deployed again" if self.deployed else "there",
            )
        return True

    def _configure(self, settings: Settings) -> Settings:
        w3 = connect(self.rpc_url)
        chain_id = int(w3.eth.chain_id)
        genesis = "0x" + bytes(w3.eth.get_block(0)["hash"]).hex()
        if chain_id not in DEV_CHAIN_IDS:
            self.dev_chain = False
            self.notes.append(f"chain id {chain_id} is not a development chain: nothing deployed")
            return settings
        demo = demo_accounts(self.accounts)
        platform_key = (
            settings.platform_private_key.get_secret_value()
            if settings.platform_private_key is not None
            else demo[PLATFORM_INDEX].private_key
        )
        kept = read_chain_file(self.data_dir) if self.server is not None else None
        if kept is not None and kept.genesis_hash == genesis and kept.node == "embedded":
            # The embedded chain kept on disk from the last start, and what was deployed on it
            # (whatever RPC_URL said then): the same contracts, the same payment streams.
            settings = settings.with_chain(kept.settings_values(), str(chain_file_path(self.data_dir)))
        else:
            kept = None
        there = [getattr(settings, f) for f in ADDRESS_FIELDS]
        reuse = all(there) and all(w3.eth.get_code(w3.to_checksum_address(a)) for a in there)
        if self.server is not None and kept is None:
            # A fresh chain: only what the environment names can be on it.
            reuse = reuse and all(settings.set_in_environment(f) for f in ADDRESS_FIELDS)
        values: dict[str, Any] = {"platform_private_key": platform_key, "tidecast_chain_id": chain_id}
        if not reuse:
            deployer = (
                settings.deployer_private_key.get_secret_value()
                if settings.deployer_private_key
                else demo[DEPLOYER_INDEX].private_key
            )
            deployment = deploy_all(w3, deployer, platform_address=address_of(platform_key))
            fund_demo_accounts(w3, deployer, deployment.token, [a.address for a in demo])
            values.update(deployment.settings_values())
            self.deployed = True
        else:
            self._check_platform(w3, str(settings.stream_registry_address), address_of(platform_key))
        effective = settings.with_chain(values, "tidecast dev")
        for field in ADDRESS_FIELDS:
            address = getattr(effective, field)
            if settings.set_in_environment(field) and not w3.eth.get_code(w3.to_checksum_address(address)):
                self.notes.append(f"{field.upper()} (set in the environment) has no code on this chain")
        self.chain_file = ChainFile(
            rpc_url=self.rpc_url,
            chain_id=chain_id,
            genesis_hash=genesis,
            block=int(w3.eth.block_number),
            payment_stream=str(effective.payment_stream_contract_address),
            token=str(effective.token_address),
            registry=str(effective.stream_registry_address),
            platform_private_key=platform_key,
            node="embedded" if self.server is not None else "external",
        )
        write_chain_file(self.data_dir, self.chain_file)
        return effective

    def _check_platform(self, w3: Any, registry: str, platform: str) -> None:
        """Contracts kept from before may have another platform than the key in effect."""
        contract = w3.eth.contract(address=w3.to_checksum_address(registry), abi=load("StreamRegistry").abi)
        actual = contract.functions.platform().call()
        if actual.lower() != platform.lower():
            self.notes.append(
                f"StreamRegistry's platform is {actual}, not PLATFORM_PRIVATE_KEY's address {platform}: "
                "stream starts will be refused (`tidecast chain deploy` deploys afresh)"
            )

    def routes(self) -> list[BaseRoute]:
        async def info(request: Request) -> Response:
            return JSONResponse({"success": True, "data": await run_in_threadpool(self.describe)})

        return [Route("/_dev/chain", info)]

    def public_routes(self) -> list[BaseRoute]:
        return []

    def describe(self) -> dict[str, Any]:
        """RPC URL, chain id, latest block, contracts and the demo accounts with their keys and
        balances (what /_dev/chain shows; development only)."""
        w3 = connect(self.rpc_url, retry=False)
        found = self.chain_file
        token = (
            w3.eth.contract(address=w3.to_checksum_address(found.token), abi=load("DemoToken").abi)
            if found
            else None
        )
        accounts = []
        for account in demo_accounts(self.accounts):
            tide = token.functions.balanceOf(account.address).call() if token is not None else 0
            role = {DEPLOYER_INDEX: "deployer", PLATFORM_INDEX: "platform", TREASURY_INDEX: "treasury"}.get(
                account.index, "viewer"
            )
            accounts.append(
                {
                    "index": account.index,
                    "role": role,
                    "address": account.address,
                    "privateKey": account.private_key,
                    "balances": {
                        "ETH": _units(w3.eth.get_balance(w3.to_checksum_address(account.address))),
                        "TIDE": _units(tide),
                    },
                }
            )
        return {
            "rpcUrl": mask_url(self.rpc_url),
            "node": "embedded" if self.server is not None else "external",
            "chainId": int(w3.eth.chain_id),
            "blockNumber": int(w3.eth.block_number),
            "genesisHash": found.genesis_hash if found else None,
            "contracts": {
                "PaymentStream": found.payment_stream if found else None,
                "DemoToken": found.token if found else None,
                "StreamRegistry": found.registry if found else None,
            },
            "accounts": accounts,
        }

    def banner(self, base_url: str) -> str:
        what = "embedded eth-tester node" if self.server is not None else "the node already there"
        found = self.chain_file
        lines = [f"chain     {mask_url(self.rpc_url)} ({what}) → {base_url}/_dev/chain"]
        if found is not None:
            lines.append(
                f"          chain id {found.chain_id}; "
                + ("deployed " if self.deployed else "contracts ")
                + f"PaymentStream {found.payment_stream}, DemoToken (TIDE) {found.token}, "
                f"StreamRegistry {found.registry}; {self.accounts} demo accounts"
            )
        lines += [f"          note: {note}" for note in self.notes]
        return "\n  ".join(lines)


class _NotFromChainThread(logging.Filter):
    """Drops uvicorn's access and start/stop lines for the chain's HTTP server (wallets and
    ethers poll it several times a second); the dev server's own lines, and any warning, stay.
    uvicorn's loggers are global, configured by whichever server starts last, so the thread is
    what tells the two servers apart."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != RPC_THREAD or record.levelno >= logging.WARNING


def _quiet_access_log() -> None:
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NotFromChainThread) for f in logger.filters):
            logger.addFilter(_NotFromChainThread())


def _units(amount: int) -> str:
    """An 18-decimal amount as an exact decimal string (never a float)."""
    return format(Decimal(amount).scaleb(-18).normalize(), "f")


def _probe(url: str) -> str:
    """What holds `url`: "none" (nothing listens), "node" (a JSON-RPC node answers eth_chainId),
    or "other" (something else holds the port)."""
    parts = urlsplit(url)
    host = bind_host(parts.hostname or "127.0.0.1")
    port = parts.port or 80
    try:
        with socket.create_connection((host, port), timeout=1):
            pass
    except OSError:
        return "none"
    try:
        reply = httpx.post(
            url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=3
        )
        answer = reply.json()
    except (httpx.HTTPError, ValueError):
        return "other"
    if isinstance(answer, dict) and answer.get("jsonrpc") == "2.0" and isinstance(answer.get("result"), str):
        return "node"
    return "other"


def _taken(rpc_url: str) -> str:
    parts = urlsplit(rpc_url)
    return (
        f"cannot start the embedded chain on {mask_url(rpc_url)}: the port is in use by something that "
        f"does not answer Ethereum JSON-RPC. Move it with RPC_URL=http://127.0.0.1:{free_port()} "
        f"(any free port), or stop what holds port {parts.port}"
    )
