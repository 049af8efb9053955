"""Development chains: the demo accounts, and the chain file other processes read."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tidecast.chain.devnet import (
    WELL_KNOWN_KEYS,
    ChainFile,
    chain_file_path,
    demo_accounts,
    read_chain_file,
    remove_chain_file,
    write_chain_file,
)

CHAIN = ChainFile(
    rpc_url="http://127.0.0.1:8545",
    chain_id=31337,
    genesis_hash="0x" + "ab" * 32,
    block=4,
    payment_stream="0x" + "11" * 20,
    token="0x" + "22" * 20,
    registry="0x" + "33" * 20,
    platform_private_key="0x" + "44" * 32,
    node="external",
)


def test_demo_accounts_are_anvils_and_hardhats() -> None:
    accounts = demo_accounts(10)
    assert accounts[0].address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert accounts[1].address == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    assert {a.private_key for a in accounts} == WELL_KNOWN_KEYS
    assert [a.index for a in demo_accounts(12)] == list(range(12))


def test_the_chain_file_is_private_and_read_back(tmp_path: Path) -> None:
    data_dir = tmp_path / ".tidecast"
    path = write_chain_file(data_dir, CHAIN)
    assert path == chain_file_path(data_dir) and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(data_dir).st_mode) == 0o700
    assert read_chain_file(data_dir) == CHAIN
    remove_chain_file(data_dir, "0x" + "cd" * 32)  # another chain's genesis: kept
    assert path.exists()
    remove_chain_file(data_dir, CHAIN.genesis_hash)
    assert not path.exists() and read_chain_file(data_dir) is None


def test_a_damaged_chain_file_reads_as_none(tmp_path: Path) -> None:
    path = chain_file_path(tmp_path)
    for text in ("{", "[]", '{"rpc_url": 1}', '{"chain_id": "x"}'):
        path.write_text(text)
        assert read_chain_file(tmp_path) is None
