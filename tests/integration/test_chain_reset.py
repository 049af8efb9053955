"""A chain node that loses its state under a running service (issue 18): Anvil reset in place
(`anvil_reset`, which keeps the genesis) or killed and started again on the same port (a new
genesis), the contracts then redeployed at the same addresses under the same chain id, so
payment stream ids start at 1 again.

- Nothing of the first deployment counts for the second: key grants, the watcher's index
  (`/api/payments/mine`), a playback token.
- While the contracts are gone, every route that reads the chain answers 503 naming RPC_URL
  and the contract settings (never a 500); after the redeploy an unknown stream is a 404, or
  a 402 where a payment is asked for.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tests.integration.test_playback_keys import World, grants, key, paid_token, payments, playback
from tests.support.accounts import add_user
from tests.support.anvil import rpc, running_anvil
from tests.support.chain import Chain, deployed, link_wallet, sign_status
from tests.support.events import aws_event
from tests.support.parts import free_port
from tidecast import embedded
from tidecast.chain.devnet import DEMO_TIDE, demo_accounts, read_chain_file
from tidecast.chain.embedded import ChainPart
from tidecast.chain.service import BlockchainDataService
from tidecast.chain.signer import ChainSigner
from tidecast.config import load_settings
from tidecast.container import Services
from tidecast.db.schema import key_grants
from tidecast.errors import Reverted, Unavailable
from tidecast.functions.payments import handler as payments_handler

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


class Node:
    """Anvil on a fixed port that a test can reset in place or restart without its state."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._running: AbstractContextManager[str] | None = None

    def start(self) -> None:
        self._running = running_anvil(self.port)
        self._running.__enter__()

    def stop(self) -> None:
        if self._running is not None:
            self._running.__exit__(None, None, None)
            self._running = None

    def reset(self, how: str) -> None:
        if how == "anvil_reset":
            rpc(self.url, "anvil_reset")
        else:  # killed and started again: a new genesis, one second later at least
            self.stop()
            time.sleep(1.1)
            self.start()


@pytest.fixture
def node() -> Iterator[Node]:
    running = Node()
    running.start()
    yield running
    running.stop()


@pytest.fixture
def chain(node: Node) -> Chain:
    return deployed(node.url)


@pytest.fixture
def svc(engine: Engine, chain: Chain, make_services: Callable[..., Services]) -> Services:
    # The tests run the event and mail drains themselves.
    return make_services(
        engine,
        quiet=("events", "outbox"),
        bind=True,
        **chain.env(TIDECAST_PAYMENT_CACHE_SECONDS="0", TIDECAST_KEY_LOOKAHEAD_PERIODS="2"),
    )


def post_status(svc: Services, signer: Any, stream_id: int) -> tuple[int, dict[str, Any]]:
    nonce, expires = "0x" + secrets.token_hex(32), int(time.time()) + 120
    typed = svc.payment_status.typed_data(stream_id, nonce, expires)
    body = {
        "streamId": stream_id,
        "nonce": nonce,
        "expiresAt": expires,
        "signature": sign_status(signer, typed),
    }
    event = aws_event("1.0", "POST", "/.netlify/functions/payments/status", body=json.dumps(body))
    reply = payments_handler(event, None)
    return reply["statusCode"], json.loads(reply["body"])


@pytest.mark.parametrize("how", ["anvil_reset", "restart"])
def test_a_reset_chains_grants_and_index_never_count_for_the_next_deployment(
    svc: Services, chain: Chain, node: Node, engine: Engine, how: str
) -> None:
    """Both databases. Viewer A spends the budget of payment stream #1; the node loses its state
    and the contracts come back at the same addresses; honest viewer B's #1 gets its own budget,
    A's old token names nothing, and A's /mine does not show B's #1 as A's."""
    world = World(svc, chain)
    first = world.pay()
    assert first == 1
    token_a = paid_token(world, first)
    assert [key(world.stream_id, p, token_a)[0] for p in (0, 1, 2)] == [200, 200, 402]  # spent
    svc.watcher.drain()
    assert [s["id"] for s in payments("mine", world.login["uv"])[1]["data"]["sent"]] == ["1"]

    node.reset(how)
    again = deployed(node.url)
    assert again.deployment == chain.deployment  # the same addresses, the same chain id
    walt = add_user(engine, "uw", "walt", "walt@example.com")
    link_wallet(engine, walt["id"], chain.accounts[4].address, chain.deployment.chain_id)
    login = svc.accounts.issue_login("uw").token
    second = world.pay(sender=chain.accounts[4])
    assert second == 1  # ids start over
    status, body, _ = playback(world.stream_id, login, {"paymentStreamId": second})
    assert status == 200, body
    token_b = body["data"]["token"]
    # Periods 5 and 6: new pairs. Counted with A's grants, #1's budget (2) was spent already.
    assert [key(world.stream_id, p, token_b)[0] for p in (5, 6, 7)] == [200, 200, 402]
    status, body, _ = key(world.stream_id, 3, token_a)  # #1 is B's payment now
    assert status == 402 and "not a wallet linked to your account" in body["error"], body
    with engine.connect() as conn:
        deployments = conn.execute(select(key_grants.c.deployment).distinct()).scalars().all()
    assert len(deployments) == 2 and grants(engine) == 4
    svc.watcher.drain()
    status, body, _ = payments("mine", world.login["uv"])
    assert status == 200 and body["data"]["sent"] == [], body  # A's #1 is gone with its chain
    status, body, _ = payments("mine", login)
    assert [s["id"] for s in body["data"]["sent"]] == ["1"]
    assert body["data"]["sent"][0]["sender"] == chain.accounts[4].address


@SQLITE
def test_every_route_that_reads_the_chain_answers_a_node_reset_without_a_500(
    svc: Services, chain: Chain, node: Node
) -> None:
    world = World(svc, chain)
    pay = world.pay()
    token = paid_token(world, pay)
    assert key(world.stream_id, 0, token)[0] == 200
    svc.watcher.drain()

    rpc(node.url, "anvil_reset")  # the node forgets the contracts; the settings still name them
    routes: dict[str, Callable[[], tuple[int, Any]]] = {
        "playback start": lambda: playback(world.stream_id, world.login["uv"], {"paymentStreamId": pay})[:2],
        "key": lambda: key(world.stream_id, 1, token)[:2],
        "payment stream": lambda: payments(f"streams/{pay}")[:2],
        "mine": lambda: payments("mine", world.login["uv"])[:2],
        "config": lambda: payments("config")[:2],
        "status": lambda: post_status(svc, world.viewer_key, pay),
    }
    for name, call in routes.items():
        status, body = call()
        assert status == 503, (name, body)
        assert body["code"] == "UNAVAILABLE" and "RPC_URL" in body["error"], (name, body)
        assert f"PAYMENT_STREAM_CONTRACT_ADDRESS {chain.deployment.payment_stream}" in body["error"], body
    # The contracts come back (same addresses, nothing streaming): unknown streams, not 500s.
    deployed(node.url)
    expected = {"playback start": 402, "key": 402, "payment stream": 404, "mine": 200, "config": 200}
    expected["status"] = 404
    for name, call in routes.items():
        status, body = call()
        assert status == expected[name], (name, body)
    # The viewer pays again: #1 once more, theirs, but the token of the first #1 names nothing.
    assert world.pay() == pay
    status, body, _ = key(world.stream_id, 1, token)
    assert status == 401 and "another chain or deployment" in body["error"], body
    assert key(world.stream_id, 1, paid_token(world, pay))[0] == 200
    # And the node gone altogether: 503 naming RPC_URL for every route.
    node.stop()
    for name, call in routes.items():
        status, body = call()
        assert status == 503 and "cannot be reached" in body["error"], (name, body)


def test_a_receipt_that_never_comes_is_unavailable(node: Node, chain: Chain) -> None:
    """web3's TimeExhausted from the receipt wait: 503, saying the transaction may still land."""
    client = ChainSigner(
        BlockchainDataService(
            node.url,
            payment_stream_address=chain.deployment.payment_stream,
            token_address=chain.deployment.token,
        ),
        receipt_timeout=1,
    )
    sid = client.open_stream(chain.accounts[2].private_key, chain.accounts[3].address, "0.25", "10")
    rpc(node.url, "evm_setAutomine", False)
    with pytest.raises(Unavailable, match="did not mine the transaction") as caught:
        client.cancel(chain.accounts[2].private_key, sid)
    assert caught.value.retry_after == 5


@pytest.mark.parametrize("how", ["anvil_reset", "restart"])
def test_tidecast_dev_deploys_again_onto_a_development_node_that_lost_them(
    node: Node, monkeypatch: pytest.MonkeyPatch, isolated: Path, how: str
) -> None:
    """`tidecast dev` against an Anvil that is reset, or restarted without `--state`: the guard
    deploys and funds again at the same addresses, within a few seconds, and rewrites the chain
    file; the services' settings stay right, and stream ids start over on a new deployment."""
    monkeypatch.setenv("RPC_URL", node.url)
    settings = load_settings(env_file=None)
    part = ChainPart.plan(settings)
    assert part is not None and part.server is None
    part.guard_seconds = 0.2
    embedded.start_all([part])
    try:
        effective = part.configure(settings)
        client = BlockchainDataService(
            node.url,
            payment_stream_address=effective.payment_stream_contract_address,
            token_address=effective.token_address,
        )
        demo = demo_accounts(3)
        sid = ChainSigner(client).open_stream(demo[2].private_key, demo[1].address, "0.25", "10")
        before = client.deployment()
        node.reset(how)
        deadline = time.monotonic() + 20
        while part.redeployed == 0:
            assert time.monotonic() < deadline, "the contracts were not deployed again"
            time.sleep(0.1)
        after = client.deployment()  # the same settings work again
        assert after.key != before.key and after.contract == before.contract
        with pytest.raises(Reverted, match="unknown stream"):
            client.get_payment_stream_details(sid)
        assert client.get_token_balance(demo[2].address, str(effective.token_address)) == DEMO_TIDE
        written = read_chain_file(isolated / ".tidecast")
        assert written is not None and written.genesis_hash == after.genesis_hash
        assert written.payment_stream == effective.payment_stream_contract_address
        assert part.recheck() is False  # nothing lost since
    finally:
        embedded.stop_all([part])
