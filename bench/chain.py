"""Chain reads on Anvil (a real node, from node_modules): batched balances, and what the payment
status function costs beyond the one contract call it exists for.

1. Balances: the platform token's balance of 200 addresses, each holding a different amount.
   System under test: `get_token_balances` (JSON-RPC batches of up to 100 `eth_call`s). Anchor:
   `get_token_balance` once per address, 200 requests. Both return the same answers (checked
   every repeat). Repeats are interleaved, order alternating; medians. Aim: >= 10x.
   Reference lines from the same run: the earlier implementation (web3's `batch_requests`
   with contract functions), and the same JSON-RPC without web3 (one POST per call, and the
   same batches), which is what the node and HTTP alone cost.
2. Payment status: POST /api/payments/status through the function's in-process handler (an API
   Gateway event, a fresh EIP-712 signature and nonce each request, SQLite), against the bare
   `get_payment_stream_details` call it makes (one `getStream` eth_call). Interleaved,
   medians, and the ratio. Then the parts it spends beyond that call, each timed on its own:
   the signing domain (eth_chainId and a PaymentStream contract object), signature recovery,
   the nonce's insert, token info; what is left is the handler's own work.
   Signing is the client's work and is done before the timing.

    .venv/bin/python bench/chain.py [--addresses 200] [--repeats 15] [--requests 300]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import requests
from _common import ROOT

from tests.support.anvil import running_anvil
from tests.support.chain import Chain, deployed, sign_status
from tests.support.events import aws_event
from tests.support.functions import bind_functions
from tidecast.chain.artifacts import load
from tidecast.chain.deploy import Sender
from tidecast.config import load_settings
from tidecast.container import Services, create_services
from tidecast.db.migrate import upgrade
from tidecast.db.schema import signed_nonces
from tidecast.db.times import now_utc
from tidecast.db.tx import transaction

AIM = 10.0
ANVIL_VERSION = json.loads((ROOT / "package.json").read_text())["devDependencies"]["@foundry-rs/anvil"]


def fail(message: str) -> None:
    sys.exit(f"bench/chain.py: FAILED: {message}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    got = fn()
    return time.perf_counter() - start, got


def holders(svc: Services, chain: Chain, count: int) -> list[str]:
    """`count` fresh addresses, the i-th holding i + 1 TIDE and i wei (all different), minted by
    DemoToken's owner in a few blocks."""
    w3 = svc.chain.w3
    addresses = [w3.to_checksum_address("0x" + secrets.token_hex(20)) for _ in range(count)]
    token = w3.eth.contract(address=chain.deployment.token, abi=load("DemoToken").abi)
    sender = Sender(w3, chain.deployer.private_key)
    sent = {
        a: sender.send(
            {
                "to": token.address,
                "data": token.encode_abi("mint", args=[a, (i + 1) * 10**18 + i]),
                "gas": 120_000,
            }
        )
        for i, a in enumerate(addresses)
    }
    sender.wait(sent, timeout=120)
    return addresses


def web3_batch(svc: Services, addresses: list[str], token: str) -> list[int]:
    """The earlier get_token_balances (before bench/chain.py): the same batches of 100, built
    with web3's `batch_requests` and contract functions (kept here as a reference line)."""
    contract = svc.chain.erc20(token)
    found: list[int] = []
    for start in range(0, len(addresses), 100):
        with svc.chain.w3.batch_requests() as batch:
            for account in addresses[start : start + 100]:
                batch.add(contract.functions.balanceOf(account))
            found.extend(int(v) for v in batch.execute())
    return found


def raw_calls(addresses: list[str], token: str) -> list[dict[str, Any]]:
    return [
        {
            "jsonrpc": "2.0",
            "id": i,
            "method": "eth_call",
            "params": [{"to": token, "data": "0x70a08231" + "0" * 24 + a[2:].lower()}, "latest"],
        }
        for i, a in enumerate(addresses)
    ]


def bench_balances(svc: Services, chain: Chain, count: int, repeats: int) -> float:
    token = chain.deployment.token
    addresses = holders(svc, chain, count)
    expected = [(i + 1) * 10**18 + i for i in range(count)]
    session = requests.Session()  # what web3's HTTPProvider uses, without web3
    calls = raw_calls(addresses, token)

    def raw_each() -> list[int]:
        return [int(session.post(chain.url, json=c, timeout=30).json()["result"], 16) for c in calls]

    def raw_batched() -> list[int]:
        replies = [
            r
            for i in range(0, count, 100)
            for r in session.post(chain.url, json=calls[i : i + 100], timeout=30).json()
        ]
        return [int(r["result"], 16) for r in sorted(replies, key=lambda r: r["id"])]

    sides: dict[str, Callable[[], list[int]]] = {
        "one each": lambda: [svc.chain.get_token_balance(a, token) for a in addresses],
        "batched": lambda: list(svc.chain.get_token_balances(addresses, token).values()),
        "web3 batch": lambda: web3_batch(svc, addresses, token),
        "raw each": raw_each,
        "raw batched": raw_batched,
    }
    for fn in sides.values():  # warm: web3's imports, the connection pools, ABI caches
        fn()
    times: dict[str, list[float]] = {k: [] for k in sides}
    for r in range(repeats):
        order = list(sides) if r % 2 == 0 else list(reversed(sides))
        for name in order:
            elapsed, got = timed(sides[name])
            if got != expected:
                fail(f"{name} answered other balances than were minted")
            times[name].append(elapsed)
    median = {k: statistics.median(v) for k, v in times.items()}
    each, batch = median["one each"], median["batched"]
    ratio = each / batch

    def line(label: str, name: str) -> str:
        return f"  {label:<38} {ms(median[name])}   {median[name] / count * 1e6:6.0f} us/address"

    batches = (count + 99) // 100
    print(f"1. ERC-20 balances of {count} addresses on Anvil ({repeats} interleaved repeats, medians)")
    print(line(f"anchor  get_token_balance x {count}", "one each") + f"   ({count} HTTP requests)")
    print(line("get_token_balances", "batched") + f"   ({batches} HTTP requests, batches of 100)")
    verdict = "met" if ratio >= AIM else "MISSED"
    print(f"  ratio one-each/batched                 {ratio:8.1f}x  aim >= {AIM:g}x: {verdict}")
    print(f"  same answers                           yes ({count} distinct balances, every repeat)")
    print("  for reference, in the same run:")
    print(
        line("web3 batch_requests (the earlier code)", "web3 batch")
        + f"   ratio {each / median['web3 batch']:.1f}x"
    )
    print(line("no web3: one POST per call", "raw each"))
    print(
        line("no web3: the same batches", "raw batched")
        + f"   ratio {median['raw each'] / median['raw batched']:.1f}x"
    )
    return ratio


def status_event(body: dict[str, Any]) -> dict[str, Any]:
    return aws_event("1.0", "POST", "/.netlify/functions/payments/status", body=json.dumps(body))


def bench_status(svc: Services, chain: Chain, count: int) -> float:
    from tidecast.functions.payments import handler

    viewer, creator = chain.accounts[2], chain.accounts[3]
    sid = svc.chain_signer.open_stream(viewer.private_key, creator.address, "0.001", "100")
    status = svc.payment_status

    def signed_request() -> tuple[dict[str, Any], dict[str, Any], str]:
        nonce = "0x" + secrets.token_hex(32)
        expires = int(time.time()) + 3000
        typed = status.typed_data(sid, nonce, expires)
        signature = sign_status(viewer, typed)
        body = {"streamId": str(sid), "nonce": nonce, "expiresAt": expires, "signature": signature}
        return status_event(body), typed, signature

    warm = 10
    prepared = [signed_request() for _ in range(count + warm)]  # the client's work, not timed

    def call(i: int) -> None:
        reply = handler(prepared[i][0], None)
        if reply["statusCode"] != 200:
            fail(f"status answered {reply['statusCode']}: {reply['body']}")

    for i in range(warm):
        call(count + i)
        svc.chain.get_payment_stream_details(sid)
    full: list[float] = []
    bare: list[float] = []
    for i in range(count):
        sides = [lambda i=i: call(i), lambda: svc.chain.get_payment_stream_details(sid)]
        if i % 2:
            sides.reverse()
        first, second = (timed(fn)[0] for fn in sides)
        full.append(first if i % 2 == 0 else second)
        bare.append(second if i % 2 == 0 else first)

    # The parts beyond getStream, each alone, on count like the ones above.
    parts: dict[str, list[float]] = {"chain id": [], "contract": [], "recover": [], "nonce": [], "token": []}
    token = svc.chain.get_payment_stream_details(sid).token
    for i in range(count):
        _, typed, signature = prepared[i]
        parts["chain id"].append(timed(svc.chain.chain_id)[0])
        parts["contract"].append(timed(svc.chain.payment_stream)[0])
        elapsed, signer = timed(lambda typed=typed, signature=signature: status._signer(typed, signature))
        if signer != viewer.address:
            fail("signature recovery found another signer")
        parts["recover"].append(elapsed)

        def insert() -> None:
            with transaction(svc.engine) as conn:
                conn.execute(
                    signed_nonces.insert().values(
                        nonce="0x" + secrets.token_hex(32), signer=viewer.address, expires_at=now_utc()
                    )
                )

        parts["nonce"].append(timed(insert)[0])
        parts["token"].append(timed(lambda: svc.chain.token(token))[0])

    handler_ms, bare_ms = statistics.median(full), statistics.median(bare)
    ratio = handler_ms / bare_ms
    medians = {k: statistics.median(v) for k, v in parts.items()}
    beyond = handler_ms - bare_ms
    print(f"2. POST /api/payments/status in process ({count} requests, each a fresh signature and nonce)")
    print(f"  anchor  get_payment_stream_details {ms(bare_ms)} (median; one getStream eth_call)")
    print(f"  payment status handler         {ms(handler_ms)} (median; answered 200 every time)")
    print(f"  ratio handler/getStream        {ratio:8.1f}x")
    print("  beyond the call (medians, each timed alone):")
    print(f"    signing domain: chain id (eth_chainId)  {ms(medians['chain id'])}")
    print(f"    signing domain: PaymentStream contract  {ms(medians['contract'])} (web3 object from the ABI)")
    print(f"    signature recovery (EIP-712, ecrecover) {ms(medians['recover'])}")
    print(f"    nonce insert (SQLite transaction)       {ms(medians['nonce'])}")
    print(f"    token info (cached after first)         {ms(medians['token'])}")
    summed = ms(sum(medians.values()))
    print(f"    sum of these parts                      {summed} of {ms(beyond).strip()} beyond the call")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--addresses", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_anvil() as url:
        chain = deployed(url)
        os.environ.update(
            {
                **chain.env(),
                "TIDECAST_DATA_DIR": tmp,
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            }
        )
        svc = create_services(load_settings(env_file=None))
        upgrade(svc.engine)
        svc.events.kick = None
        bind_functions(svc)
        print(f"node: Anvil {ANVIL_VERSION} on 127.0.0.1, chain id {svc.chain.chain_id()}; database: SQLite")
        bench_balances(svc, chain, args.addresses, args.repeats)
        bench_status(svc, chain, args.requests)
        bind_functions(None)
        svc.close()


if __name__ == "__main__":
    main()
