"""The embedded chain as clients see it: the JSON-RPC wire format (checked against Anvil, a real
node, where both must agree), web3.py and ethers.js using it, time moving like a chain's."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.anvil import ANVIL_CHAIN_ID, ROOT, require_node, rpc, running_embedded_chain
from tests.support.parts import free_port
from tests.support.probe_contract import deploy_probe, probe_contract
from tidecast import embedded
from tidecast.chain.artifacts import load
from tidecast.chain.deploy import address_of, connect, deploy_all, fund_demo_accounts
from tidecast.chain.devnet import DEMO_TIDE, EMBEDDED_CHAIN_ID, demo_accounts, read_chain_file
from tidecast.chain.embedded import ChainPart
from tidecast.config import Settings, load_settings

QUANTITY = re.compile(r"0x(0|[1-9a-f][0-9a-f]*)")
DATA = re.compile(r"0x([0-9a-f]{2})*")
ADDRESS = re.compile(r"0x[0-9a-f]{40}")
HASH = re.compile(r"0x[0-9a-f]{64}")
UNLUCKY = (
    "0x08c379a0"
    + "0000000000000000000000000000000000000000000000000000000000000020"
    + "0000000000000000000000000000000000000000000000000000000000000007"
    + "756e6c75636b7900000000000000000000000000000000000000000000000000"
)


def post(url: str, payload: Any) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return httpx.post(url, content=body, headers={"Content-Type": "application/json"})


def call(url: str, method: str, *params: Any) -> dict[str, Any]:
    reply = post(url, {"jsonrpc": "2.0", "id": 7, "method": method, "params": list(params)})
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = reply.json()
    assert body["jsonrpc"] == "2.0" and body["id"] == 7
    return body


def assert_block(block: dict[str, Any]) -> None:
    for key in ("number", "timestamp", "gasLimit", "gasUsed", "baseFeePerGas", "size", "difficulty"):
        assert QUANTITY.fullmatch(block[key]), (key, block[key])
    for key in ("hash", "parentHash", "stateRoot", "transactionsRoot", "receiptsRoot", "sha3Uncles"):
        assert HASH.fullmatch(block[key]), (key, block[key])
    assert ADDRESS.fullmatch(block["miner"]) and DATA.fullmatch(block["extraData"])
    assert DATA.fullmatch(block["logsBloom"]) and len(block["logsBloom"]) == 2 + 512
    assert block["uncles"] == [] and isinstance(block["transactions"], list)


def test_quantities_data_and_objects_on_the_wire(node: str) -> None:
    assert QUANTITY.fullmatch(call(node, "eth_chainId")["result"])
    assert call(node, "net_version")["result"] == str(int(call(node, "eth_chainId")["result"], 16))
    assert QUANTITY.fullmatch(call(node, "eth_gasPrice")["result"])
    assert QUANTITY.fullmatch(call(node, "eth_maxPriorityFeePerGas")["result"])
    accounts = call(node, "eth_accounts")["result"]
    assert len(accounts) >= 2 and all(ADDRESS.fullmatch(a) for a in accounts)
    assert QUANTITY.fullmatch(call(node, "eth_getBalance", accounts[0], "latest")["result"])
    assert call(node, "eth_getCode", accounts[0], "latest")["result"] == "0x"
    assert_block(call(node, "eth_getBlockByNumber", "latest", False)["result"])
    assert call(node, "eth_getBlockByNumber", "0xffffff", False)["result"] is None
    assert call(node, "eth_getTransactionReceipt", "0x" + "11" * 32)["result"] is None

    w3 = connect(node)
    probe = deploy_probe(w3)
    tx_hash = "0x" + bytes(probe.functions.set(7).transact({"from": w3.eth.accounts[0]})).hex()
    w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.05)  # type: ignore[arg-type]
    receipt = call(node, "eth_getTransactionReceipt", tx_hash)["result"]
    assert receipt["status"] == "0x1" and receipt["contractAddress"] is None
    assert receipt["to"] == probe.address.lower() and receipt["transactionHash"] == tx_hash
    for key in (
        "blockNumber",
        "gasUsed",
        "cumulativeGasUsed",
        "effectiveGasPrice",
        "transactionIndex",
        "type",
    ):
        assert QUANTITY.fullmatch(receipt[key]), (key, receipt[key])
    assert len(receipt["logsBloom"]) == 2 + 512 and int(receipt["logsBloom"], 16) != 0
    [entry] = receipt["logs"]
    assert entry["removed"] is False and entry["address"] == probe.address.lower()
    assert QUANTITY.fullmatch(entry["logIndex"]) and all(HASH.fullmatch(t) for t in entry["topics"])
    tx = call(node, "eth_getTransactionByHash", tx_hash)["result"]
    assert tx["input"].startswith("0x60fe47b1") and tx["type"] == "0x2" and QUANTITY.fullmatch(tx["yParity"])
    assert tx["from"] == accounts[0] and tx["blockHash"] == receipt["blockHash"]
    full = call(node, "eth_getBlockByNumber", receipt["blockNumber"], True)["result"]
    assert_block(full)
    assert [t["hash"] for t in full["transactions"]] == [tx_hash]
    assert set(tx) <= set(full["transactions"][0]) | {"blockTimestamp"}
    logs = call(node, "eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest", "address": probe.address})
    assert logs["result"] == [entry]
    history = call(node, "eth_feeHistory", "0x2", "latest", [50])["result"]
    assert QUANTITY.fullmatch(history["oldestBlock"]) and len(history["baseFeePerGas"]) == 3
    assert all(isinstance(r, float) for r in history["gasUsedRatio"]) and len(history["reward"]) == 2


def test_a_revert_is_code_3_with_the_reason_and_the_data(node: str) -> None:
    probe = deploy_probe(connect(node))
    unlucky = {"to": probe.address.lower(), "data": probe.encode_abi("set", args=[13])}
    reverted = call(node, "eth_call", unlucky, "latest")["error"]
    assert reverted == {"code": 3, "message": "execution reverted: unlucky", "data": UNLUCKY}
    estimated = call(node, "eth_estimateGas", {**unlucky, "from": call(node, "eth_accounts")["result"][0]})
    assert estimated["error"] == reverted
    bare = call(node, "eth_call", {"to": probe.address.lower(), "data": probe.encode_abi("boom")}, "latest")
    assert bare["error"] == {"code": 3, "message": "execution reverted", "data": "0x"}
    # An eth_call without `from` or fees costs nothing, as on geth (no balance needed).
    value = call(node, "eth_call", {"to": probe.address.lower(), "data": probe.encode_abi("value")}, "latest")
    assert int(value["result"], 16) == 5


def test_batches_and_notifications(node: str) -> None:
    batch = [
        {"jsonrpc": "2.0", "id": "a", "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "method": "eth_blockNumber", "params": []},  # a notification
        {"jsonrpc": "2.0", "id": 2, "method": "nope_nothing", "params": []},
        {"jsonrpc": "2.0", "id": 3, "method": "eth_blockNumber"},
    ]
    answers = post(node, batch).json()
    assert [a["id"] for a in answers] == ["a", 2, 3]
    assert QUANTITY.fullmatch(answers[0]["result"]) and answers[1]["error"]["code"] == -32601
    assert post(node, {"jsonrpc": "2.0", "method": "eth_chainId", "params": []}).content == b""
    assert post(node, []).json()["error"]["code"] == -32600
    assert call(node, "eth_getBalance")["error"]["code"] == -32602


def test_malformed_requests_get_json_rpc_errors(embedded_chain: str) -> None:
    url = embedded_chain
    assert post(url, b"{not json").json() == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {
            "code": -32700,
            "message": "Parse error: Expecting property name enclosed in double quotes at line 1 column 2",
        },
    }
    assert post(url, b"[" * 100_000).json()["error"]["code"] == -32700  # no recursion, no crash
    assert post(url, b"\xff").json()["error"]["code"] == -32700
    assert post(url, {"id": 1, "method": "eth_chainId"}).json()["error"]["code"] == -32600  # no "jsonrpc"
    assert post(url, [1]).json()[0]["error"]["code"] == -32600
    by_name = post(url, {"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": {"a": 1}})
    assert by_name.json()["error"]["code"] == -32602
    assert call(url, "eth_sendRawTransaction", "0x1234")["error"]["code"] == -32602
    assert call(url, "eth_sendTransaction", {"from": "0x" + "12" * 20})["error"] == {
        "code": -32000,
        "message": "unknown account",
    }
    assert call(url, "debug_traceTransaction", "0x" + "11" * 32)["error"]["code"] == -32601
    assert httpx.get(url).status_code == 405
    preflight = httpx.options(url, headers={"Origin": "http://localhost:8888"})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"


def test_web3_deploys_and_calls_a_contract(node: str) -> None:
    w3 = connect(node)
    probe = deploy_probe(w3, start=5)
    assert probe.functions.value().call() == 5
    tx = probe.functions.set(9).transact({"from": w3.eth.accounts[1]})
    receipt = w3.eth.wait_for_transaction_receipt(tx, poll_latency=0.05)
    assert receipt["status"] == 1 and probe.functions.value().call() == 9
    [event] = probe.events.Set().process_receipt(receipt)
    assert event["args"]["value"] == 9 and event["args"]["who"] == w3.eth.accounts[1]
    from web3.exceptions import ContractLogicError

    with pytest.raises(ContractLogicError) as reverted:
        probe.functions.set(13).call()
    assert "unlucky" in str(reverted.value)


@pytest.mark.slow  # waits for blocks on the wall clock
def test_an_idle_chain_mines_blocks_on_the_wall_clock() -> None:
    with running_embedded_chain(block_seconds=1) as url:
        w3 = connect(url)
        probe = deploy_probe(w3)
        first = w3.eth.block_number
        time.sleep(2.6)
        latest = w3.eth.get_block("latest")
        assert latest["number"] >= first + 2 and len(latest["transactions"]) == 0
        assert time.time() - 2.5 <= latest["timestamp"] <= time.time()
        # block.timestamp in a call is its block's, and so keeps up with the clock
        number = latest["number"]
        assert probe.functions.now().call(block_identifier=number) == latest["timestamp"]
        assert probe.functions.now().call() >= latest["timestamp"]


def test_transactions_of_one_second_share_a_block_never_ahead_of_the_clock(embedded_chain: str) -> None:
    w3 = connect(embedded_chain)
    sender, to = w3.eth.accounts[:2]
    hashes = [w3.eth.send_transaction({"from": sender, "to": to, "value": 1}) for _ in range(6)]
    receipts = [w3.eth.wait_for_transaction_receipt(h, poll_latency=0.05) for h in hashes]
    blocks = sorted({r["blockNumber"] for r in receipts})
    assert len(blocks) <= 3  # six transactions, not six blocks a second apart
    stamps = [w3.eth.get_block(n)["timestamp"] for n in range(w3.eth.block_number + 1)]
    assert stamps == sorted(set(stamps)) and stamps[-1] <= time.time()


def test_evm_increase_time_moves_block_timestamp(node: str) -> None:
    w3 = connect(node)
    probe = deploy_probe(w3)
    before = probe.functions.now().call()
    # The total, as a JSON number (Anvil). Anvil works it out against the wall clock, so it reads
    # 3599 when a second boundary falls inside the call (a fresh-clone CI run saw it): the
    # block's own timestamp, below, is what must move by the hour.
    increased = rpc(node, "evm_increaseTime", 3600)
    assert isinstance(increased, int) and 3599 <= increased <= 3600, increased
    assert rpc(node, "evm_mine") == "0x0"
    assert probe.functions.now().call() >= before + 3600


def test_snapshot_and_revert(node: str) -> None:
    w3 = connect(node)
    probe = deploy_probe(w3)
    snapshot = rpc(node, "evm_snapshot")
    assert isinstance(snapshot, str) and QUANTITY.fullmatch(snapshot)
    w3.eth.wait_for_transaction_receipt(probe.functions.set(8).transact({"from": w3.eth.accounts[0]}))
    assert probe.functions.value().call() == 8
    assert rpc(node, "evm_revert", snapshot) is True
    assert probe.functions.value().call() == 5


def test_web_pages_cannot_call_the_test_only_methods(embedded_chain: str) -> None:
    """Issue 18: any web page could `evm_revert` a payment after its keys were released (the
    chain's CORS is open, and a simple POST needs no preflight). A request with an Origin header
    (a browser's) may read and send signed transactions, as the site's demo accounts do, but
    not call what only tests and tools need: evm_*, anvil_*, hardhat_* and eth_sendTransaction
    with the node's keys. The tests' and tools' own clients send no Origin."""
    browser = {"Origin": "http://evil.example", "Content-Type": "text/plain"}  # no preflight needed
    site = {"Origin": "http://localhost:8888", "Content-Type": "application/json"}
    demo = demo_accounts(3)
    send = {"from": demo[2].address, "to": demo[1].address, "value": "0x1"}
    for headers in (browser, site):
        for method, params in [
            ("evm_snapshot", []),
            ("evm_revert", ["0x1"]),
            ("evm_mine", []),
            ("evm_increaseTime", [60]),
            ("evm_setNextBlockTimestamp", [2**40]),
            ("anvil_reset", []),
            ("hardhat_reset", []),
            ("eth_sendTransaction", [send]),
        ]:
            body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
            reply = httpx.post(embedded_chain, content=json.dumps(body), headers=headers)
            error = reply.json().get("error")
            assert error is not None and error["code"] == -32601, (headers, method, reply.text)
            assert "not available to web pages" in error["message"], error
        # In a batch, only the test-only call is refused; reads and raw sends answer as ever.
        batch = [
            {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
            {"jsonrpc": "2.0", "id": 2, "method": "evm_snapshot", "params": []},
            {"jsonrpc": "2.0", "id": 3, "method": "eth_sendRawTransaction", "params": ["0x00"]},
        ]
        answers = httpx.post(embedded_chain, content=json.dumps(batch), headers=headers).json()
        assert "result" in answers[0] and answers[1]["error"]["code"] == -32601
        assert answers[2]["error"]["code"] == -32602  # reached the node: not a transaction
    # Nothing happened: no block was mined, no time added.
    assert int(call(embedded_chain, "eth_blockNumber")["result"], 16) == 0
    # Without an Origin (the tests, web3.py, the CLI) everything answers.
    snapshot = call(embedded_chain, "evm_snapshot")["result"]
    assert call(embedded_chain, "evm_mine")["result"] == "0x0"
    assert call(embedded_chain, "evm_revert", snapshot)["result"] is True
    sent = call(embedded_chain, "eth_sendTransaction", send)
    assert HASH.fullmatch(sent["result"]), sent


@pytest.mark.slow  # node and ethers.js in a subprocess
def test_ethers_reads_and_writes_the_embedded_chain(embedded_chain: str, tmp_path: Path) -> None:
    """ethers.js v6, a client nobody here wrote: chain id, block number, a call, a transaction,
    an event query and a revert decoded from the wire."""
    node_binary = require_node()
    if not (ROOT / "node_modules" / "ethers").exists():
        from tests.support.parts import missing_part

        missing_part("node_modules/ethers not found; `make setup-dev` runs `npm ci` (package.json)")
    probe = deploy_probe(connect(embedded_chain))
    abi = tmp_path / "probe.json"
    abi.write_text(json.dumps(probe_contract()["abi"]))
    done = subprocess.run(
        [node_binary, str(ROOT / "tests/js/ethers_probe.mjs"), embedded_chain, probe.address, str(abi)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["chainId"] == str(int(rpc(embedded_chain, "eth_chainId"), 16))  # type: ignore[arg-type]
    assert seen["blockNumber"] >= 1 and seen["before"] == "5" and seen["after"] == "42"
    assert seen["receiptStatus"] == 1 and seen["receiptLogs"] == 1 and seen["events"] == ["42"]
    assert seen["revert"] == {"code": "CALL_EXCEPTION", "reason": "unlucky", "data": UNLUCKY}
    assert abs(seen["blockTimestamp"] - time.time()) < 5 and int(seen["maxFeePerGas"]) > 0


# -- the embedded part: contracts deployed, accounts funded, settings in effect --------------


def assert_deployed(url: str, settings: Settings, accounts: int) -> None:
    """Code at the three addresses, DemoToken owned by demo account 0, StreamRegistry's platform
    the platform key's address, every demo account holding ETH and 1,000,000 TIDE."""
    w3 = connect(url)
    demo = demo_accounts(accounts)
    token = w3.eth.contract(
        address=w3.to_checksum_address(str(settings.token_address)), abi=load("DemoToken").abi
    )
    registry = w3.eth.contract(
        address=w3.to_checksum_address(str(settings.stream_registry_address)), abi=load("StreamRegistry").abi
    )
    assert w3.eth.get_code(w3.to_checksum_address(str(settings.payment_stream_contract_address)))
    assert token.functions.symbol().call() == "TIDE" and token.functions.decimals().call() == 18
    assert token.functions.owner().call() == demo[0].address
    assert settings.platform_private_key is not None
    platform = address_of(settings.platform_private_key.get_secret_value())
    assert registry.functions.platform().call() == platform == demo[1].address
    for account in demo:
        assert token.functions.balanceOf(account.address).call() == DEMO_TIDE
        assert w3.eth.get_balance(account.address) > 9_000 * 10**18  # type: ignore[arg-type]
    assert settings.tidecast_chain_id == int(w3.eth.chain_id)


def test_the_part_starts_a_chain_deploys_and_funds(monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("RPC_URL", url)
    monkeypatch.setenv("TIDECAST_DEMO_ACCOUNTS", "4")
    settings = load_settings(env_file=None)
    [part] = [p for p in embedded.plan(settings) if p.setting == "RPC_URL"]
    assert isinstance(part, ChainPart) and part.server is not None
    embedded.start_all([part])
    path = isolated / ".tidecast" / "chain.json"
    try:
        effective = embedded.configure_all([part], settings)
        assert_deployed(url, effective, accounts=4)
        assert effective.tidecast_chain_id == EMBEDDED_CHAIN_ID
        assert effective.chain_source("token_address") == "tidecast dev"
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        written = read_chain_file(isolated / ".tidecast")
        assert written is not None and written.node == "embedded" and written.token == effective.token_address
        assert written.genesis_hash == "0x" + bytes(connect(url).eth.get_block(0)["hash"]).hex()
        # Another process (`tidecast worker`) finds the same contracts through the file.
        elsewhere = load_settings(env_file=None)
        assert elsewhere.stream_registry_address == effective.stream_registry_address
        assert elsewhere.platform_private_key == effective.platform_private_key
        assert elsewhere.chain_source("token_address").endswith("chain.json")
        banner = part.banner("http://localhost:8888")
        assert str(effective.token_address) in banner and "/_dev/chain" in banner
        shown = part.describe()
        assert (
            shown["chainId"] == EMBEDDED_CHAIN_ID
            and shown["contracts"]["DemoToken"] == effective.token_address
        )
        assert [a["balances"]["TIDE"] for a in shown["accounts"]] == ["1000000"] * 4
        assert shown["accounts"][1]["role"] == "platform" and shown["accounts"][2]["privateKey"].startswith(
            "0x"
        )
    finally:
        embedded.stop_all([part])
    # The chain is kept on disk for the next start, and the file still names it.
    assert path.exists() and (isolated / ".tidecast" / "chain-state.sqlite3").exists()


def test_the_same_deploy_works_on_each_node(node: str) -> None:
    w3 = connect(node)
    demo = demo_accounts(3)
    deployment = deploy_all(w3, demo[0].private_key, platform_address=demo[1].address)
    assert deployment.chain_id == int(w3.eth.chain_id) and deployment.block >= 1
    sent = fund_demo_accounts(w3, demo[0].private_key, deployment.token, [a.address for a in demo])
    assert sent == 3  # TIDE for each; ETH was there (genesis, or Anvil's own accounts)
    assert fund_demo_accounts(w3, demo[0].private_key, deployment.token, [a.address for a in demo]) == 0
    values = Settings().with_chain(
        {**deployment.settings_values(), "platform_private_key": demo[1].private_key}, "test"
    )
    assert_deployed(node, values, accounts=3)


def test_an_anvil_at_rpc_url_is_used_and_gets_the_contracts(
    anvil: str, monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    monkeypatch.setenv("RPC_URL", anvil)
    settings = load_settings(env_file=None)
    part = ChainPart.plan(settings)
    assert part is not None and part.server is None  # no embedded chain starts
    embedded.start_all([part])
    effective = part.configure(settings)
    assert_deployed(anvil, effective, accounts=10)
    assert effective.tidecast_chain_id == ANVIL_CHAIN_ID and part.deployed
    embedded.stop_all([part])
    written = read_chain_file(isolated / ".tidecast")
    assert written is not None and written.node == "external"  # Anvil lives on; so does the file
    # The next `tidecast dev` against the same Anvil finds them (chain file) and deploys nothing.
    again = ChainPart.plan(load_settings(env_file=None))
    assert again is not None
    kept = again.configure(load_settings(env_file=None))
    assert not again.deployed and kept.token_address == effective.token_address


def test_addresses_set_in_the_environment_win(anvil: str, monkeypatch: pytest.MonkeyPatch) -> None:
    demo = demo_accounts(2)
    deployment = deploy_all(connect(anvil), demo[0].private_key, platform_address=demo[1].address)
    monkeypatch.setenv("RPC_URL", anvil)
    monkeypatch.setenv("TOKEN_ADDRESS", deployment.token)
    monkeypatch.setenv("PAYMENT_STREAM_CONTRACT_ADDRESS", deployment.payment_stream)
    monkeypatch.setenv("STREAM_REGISTRY_ADDRESS", deployment.registry)
    settings = load_settings(env_file=None)
    part = ChainPart.plan(settings)
    assert part is not None
    effective = part.configure(settings)
    assert not part.deployed and effective.token_address == deployment.token
    assert effective.chain_source("token_address") == "environment"


def test_a_port_held_by_something_else_names_rpc_url(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class NotANode(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), NotANode)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    taken = server.server_address[1]
    try:
        monkeypatch.setenv("RPC_URL", f"http://127.0.0.1:{taken}")
        with pytest.raises(embedded.PortTaken) as caught:
            embedded.plan(load_settings(env_file=None))
    finally:
        server.shutdown()
        server.server_close()
    message = str(caught.value)
    assert f"127.0.0.1:{taken}" in message and re.search(r"RPC_URL=http://127\.0\.0\.1:\d+", message)
    assert f"RPC_URL=http://127.0.0.1:{taken}" not in message


def test_a_failed_deployment_is_a_config_error_naming_rpc_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """`tidecast dev` reports it before the banner: the demo deployer has no ETH on this node."""
    from tests.support.anvil import running_anvil
    from tidecast.errors import ConfigError

    with running_anvil(args=("--balance", "0")) as broke:
        monkeypatch.setenv("RPC_URL", broke)
        settings = load_settings(env_file=None)
        part = ChainPart.plan(settings)
        assert part is not None
        with pytest.raises(ConfigError) as caught:
            part.configure(settings)
    assert f"cannot deploy the contracts to RPC_URL {broke}" in str(caught.value)


def test_a_remote_rpc_url_starts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RPC_URL", "https://rpc.example.org/v3/abc")
    assert ChainPart.plan(load_settings(env_file=None)) is None


def test_a_block_may_mix_transaction_types(embedded_chain: str) -> None:
    """A legacy and a dynamic-fee transaction in one second share a block (eth-tester's own
    validator refused such a block, having mined one block a transaction)."""
    accounts = call(embedded_chain, "eth_accounts")["result"]
    legacy = {"from": accounts[0], "to": accounts[1], "value": "0x1", "gasPrice": hex(3 * 10**9)}
    dynamic = {"from": accounts[1], "to": accounts[0], "value": "0x1"}
    for _attempt in range(5):  # both must arrive within one second of the chain's clock
        sent = post(
            embedded_chain,
            [
                {"jsonrpc": "2.0", "id": i, "method": "eth_sendTransaction", "params": [tx]}
                for i, tx in enumerate((legacy, dynamic))
            ],
        ).json()
        rpc(embedded_chain, "evm_mine")
        receipts = [call(embedded_chain, "eth_getTransactionReceipt", a["result"])["result"] for a in sent]
        if receipts[0]["blockNumber"] == receipts[1]["blockNumber"]:
            break
    number = receipts[0]["blockNumber"]
    block = call(embedded_chain, "eth_getBlockByNumber", number, True)["result"]
    assert [t["type"] for t in block["transactions"]] == ["0x0", "0x2"]
    history = call(embedded_chain, "eth_feeHistory", "0x1", number, [0, 100])["result"]
    base_fee = int(block["baseFeePerGas"], 16)
    assert history["reward"] == [[hex(10**9), hex(3 * 10**9 - base_fee)]]


@pytest.mark.slow  # restarts the chain, a block a second
def test_the_embedded_chain_keeps_its_state_across_restarts(
    monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    """Issue 18: every `make dev` restart forgot the payment streams while the accounts and media
    streams stayed. The chain now lives under the data directory: a restart (even on another
    port) has the same genesis, contracts and streams, deploys nothing, and its clock goes on
    from the last block (evm_increaseTime's offset kept: never a block before the last)."""
    from tidecast.chain.node.evm import EvmNode
    from tidecast.chain.service import BlockchainDataService
    from tidecast.chain.signer import ChainSigner
    from tidecast.errors import ConfigError

    demo = demo_accounts(4)
    seen: dict[str, Any] = {}
    for run, port in enumerate((free_port(), free_port())):
        monkeypatch.setenv("RPC_URL", f"http://127.0.0.1:{port}")
        settings = load_settings(env_file=None)
        started = time.perf_counter()
        [part] = [p for p in embedded.plan(settings) if p.setting == "RPC_URL"]
        assert isinstance(part, ChainPart) and part.server is not None
        embedded.start_all([part])
        try:
            effective = embedded.configure_all([part], settings)
            took = time.perf_counter() - started
            url = str(effective.rpc_url)
            w3 = connect(url)
            client = BlockchainDataService(
                url,
                payment_stream_address=effective.payment_stream_contract_address,
                token_address=effective.token_address,
            )
            if run == 0:
                assert part.deployed
                seen["stream"] = ChainSigner(client).open_stream(
                    demo[2].private_key, demo[3].address, "0.25", "100"
                )
                seen["details"] = client.get_payment_stream_details(seen["stream"])
                seen["deployment"] = client.deployment()
                rpc(url, "evm_increaseTime", 1000)  # the chain's clock ahead of the wall clock
                rpc(url, "evm_mine")
                latest = w3.eth.get_block("latest")
                seen["block"], seen["time"] = latest["number"], latest["timestamp"]
                # One process holds the state: a second chain on it is refused, naming it.
                with pytest.raises(ConfigError, match="in use by another process"):
                    EvmNode("test " * 11 + "junk", 1, balance_wei=1, state_path=part.server.state_path)
                continue
            print(f"\nrestart with {seen['block']} blocks: {took:.2f} s to serve with its contracts")
            assert not part.deployed  # the contracts were there, found through the chain file
            assert client.deployment() == seen["deployment"]  # same genesis, block 1, contract
            details = client.get_payment_stream_details(seen["stream"])
            assert (details.sender, details.deposit, details.start_time) == (
                seen["details"].sender,
                seen["details"].deposit,
                seen["details"].start_time,
            )
            assert w3.eth.block_number >= seen["block"]
            rpc(url, "evm_mine")
            assert w3.eth.get_block("latest")["timestamp"] > seen["time"]  # monotonic, offset kept
            assert client.get_token_balance(demo[2].address, str(effective.token_address)) < DEMO_TIDE
        finally:
            embedded.stop_all([part])
        written = read_chain_file(isolated / ".tidecast")
        assert written is not None and written.genesis_hash == seen["deployment"].genesis_hash
