"""Development chains: which chains count as one, the demo accounts they fund, and the chain
file (`.tidecast/chain.json`) where `tidecast dev` leaves what it deployed, so `tidecast worker`
and the CLI in another terminal use the same contracts.

Imported by settings loading, so it imports nothing beyond the standard library at module
level; deriving keys (eth-account) happens on first use.

The demo accounts are the ones Anvil and Hardhat fund: BIP-39 mnemonic
"test test test test test test test test test test test junk", BIP-44 path
m/44'/60'/0'/0/<index>. Their keys are public knowledge (wallets warn about them), which is
what makes them useful here and why production refuses them. Account 0 deploys the contracts
and owns DemoToken (it may mint); account 1 is the platform (PLATFORM_PRIVATE_KEY, the only
sender StreamRegistry accepts); account 9 is the card-credit treasury
(TREASURY_PRIVATE_KEY); the others are for viewers and creators.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

from tidecast.files import private_dir
from tidecast.imports import sane_import

MNEMONIC = "test test test test test test test test test test test junk"
HD_PATH = "m/44'/60'/0'/0/{index}"
DEPLOYER_INDEX = 0
PLATFORM_INDEX = 1
#: The treasury that pays creators for card credit in development (TREASURY_PRIVATE_KEY).
TREASURY_INDEX = 9
#: Chain ids of development nodes: Anvil and Hardhat; geth --dev and Ganache; eth-tester.
DEV_CHAIN_IDS = frozenset({31337, 1337, 131277322940537})
EMBEDDED_CHAIN_ID = 131277322940537
CHAIN_FILE = "chain.json"
#: What each demo account holds: ETH as Anvil funds its accounts, TIDE as the demo mints.
DEMO_ETH_WEI = 10_000 * 10**18
DEMO_TIDE = 1_000_000 * 10**18

#: The first ten keys the mnemonic gives (tests check they are its keys): any of them in
#: production settings is a configuration mistake, caught without deriving anything.
WELL_KNOWN_KEYS = frozenset(
    {
        "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
        "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
        "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
        "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
        "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
        "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
        "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
        "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
        "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
        "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
    }
)


@dataclass(frozen=True)
class DemoAccount:
    index: int
    address: str  # EIP-55 checksummed
    private_key: str  # 0x + 64 hex


def demo_accounts(count: int) -> list[DemoAccount]:
    """The first `count` demo accounts, in index order."""
    return list(_derive(count))


@cache
def _derive(count: int) -> tuple[DemoAccount, ...]:
    account = sane_import("eth_account").Account
    hd = sane_import("eth_account.hdaccount")
    seed = hd.seed_from_mnemonic(MNEMONIC, "")
    found = []
    for index in range(count):
        key = "0x" + bytes(hd.key_from_seed(seed, HD_PATH.format(index=index))).hex()
        found.append(DemoAccount(index, str(account.from_key(key).address), key))
    return tuple(found)


@dataclass(frozen=True)
class ChainFile:
    """What a development deployment leaves for other processes. Settings loading takes the
    contract addresses, the platform key and the chain id from it when its `rpc_url` is the
    RPC_URL in effect; `genesis_hash` lets anyone who talks to the node tell a restarted
    chain (same URL, none of these contracts) from the one deployed to."""

    rpc_url: str
    chain_id: int
    genesis_hash: str
    block: int
    payment_stream: str
    token: str
    registry: str
    platform_private_key: str
    #: "embedded" (tidecast dev's own chain, gone when it stops) or "external" (Anvil, …).
    node: str

    def settings_values(self) -> dict[str, Any]:
        """By Settings field name."""
        return {
            "payment_stream_contract_address": self.payment_stream,
            "token_address": self.token,
            "stream_registry_address": self.registry,
            "platform_private_key": self.platform_private_key,
            "tidecast_chain_id": self.chain_id,
        }


def chain_file_path(data_dir: Path) -> Path:
    return data_dir / CHAIN_FILE


def read_chain_file(data_dir: Path) -> ChainFile | None:
    """The chain file, or None when there is none or it is not one (never raises: a damaged
    file must not stop settings from loading; `tidecast dev` writes it again)."""
    try:
        raw = json.loads(chain_file_path(data_dir).read_text(encoding="utf-8"))
        values = {f.name: raw[f.name] for f in fields(ChainFile)}
        types_ok = all(isinstance(v, int if k in ("chain_id", "block") else str) for k, v in values.items())
        return ChainFile(**values) if types_ok else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_chain_file(data_dir: Path, chain: ChainFile) -> Path:
    """Write the file readable by its owner only (it holds the platform key), atomically."""
    private_dir(data_dir)
    path = chain_file_path(data_dir)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(asdict(chain), fh, indent=2)
        fh.write("\n")
    os.chmod(tmp, 0o600)  # O_CREAT's mode is filtered by the umask; be exact
    os.replace(tmp, path)
    return path


def remove_chain_file(data_dir: Path, genesis_hash: str) -> None:
    """Remove the file if it describes the chain with this genesis (the embedded chain that is
    stopping), so no process picks up contracts that are gone."""
    found = read_chain_file(data_dir)
    if found is not None and found.genesis_hash == genesis_hash:
        chain_file_path(data_dir).unlink(missing_ok=True)
