"""DemoToken and StreamRegistry on eth-tester and on Anvil: an ERC-20 that mints only for its
owner on development chains, and the platform's record of media stream starts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.contracts import AnvilChain, Chain, EthTesterChain, deploy, events, reverts, send
from tidecast.chain.artifacts import load

if TYPE_CHECKING:
    from web3.contract import Contract

MAX = 2**256 - 1
ZERO = "0x" + "00" * 20


@pytest.fixture(scope="module", params=["eth-tester", "anvil"])
def chain(request: pytest.FixtureRequest) -> Iterator[Chain]:
    if request.param == "eth-tester":
        yield EthTesterChain()
        return
    from tests.support.anvil import running_anvil

    with running_anvil() as url:
        yield AnvilChain(url)


@pytest.fixture(autouse=True)
def fresh(chain: Chain) -> Iterator[None]:
    snapshot = chain.snapshot()
    yield
    chain.revert(snapshot)


@pytest.fixture
def token(chain: Chain) -> Contract:
    return deploy(chain, load("DemoToken"), sender=chain.accounts[0])


@pytest.fixture
def registry(chain: Chain) -> Contract:
    return deploy(chain, load("StreamRegistry"), sender=chain.accounts[0])


# --- DemoToken -----------------------------------------------------------------------------


def test_demo_token_describes_itself(chain: Chain, token: Contract) -> None:
    f = token.functions
    assert (f.name().call(), f.symbol().call(), f.decimals().call()) == ("tidecast demo token", "TIDE", 18)
    assert (f.owner().call(), f.totalSupply().call()) == (chain.accounts[0], 0)


def test_only_the_owner_mints(chain: Chain, token: Contract) -> None:
    owner, ann, bob = chain.accounts[:3]
    receipt = send(token.functions.mint(ann, 500), owner)
    assert events(token, "Transfer", receipt) == [{"sender": ZERO, "receiver": ann, "value": 500}]
    assert (token.functions.balanceOf(ann).call(), token.functions.totalSupply().call()) == (500, 500)
    with reverts("only the owner mints"):
        token.functions.mint(ann, 1).transact({"from": ann})
    with reverts("mint to the zero address"):
        token.functions.mint(ZERO, 1).transact({"from": owner})
    send(token.functions.mint(bob, MAX - 500), owner)
    with reverts("total supply would overflow"):
        token.functions.mint(bob, 1).transact({"from": owner})


@pytest.mark.parametrize(
    ("chain_id", "allowed"), [(31337, True), (1337, True), (1, False), (10, False), (8453, False)]
)
def test_minting_only_on_development_chains(
    chain: Chain, token: Contract, chain_id: int, allowed: bool
) -> None:
    """On eth-tester the EVM's CHAINID is patched (it has no setting for it); on Anvil a node
    of that chain id is started."""

    def attempt(chain: Chain, token: Contract) -> None:
        owner, ann = chain.accounts[:2]
        if allowed:
            send(token.functions.mint(ann, 1), owner)
            assert token.functions.balanceOf(ann).call() == 1
        else:
            with reverts("minting only on development chains"):
                token.functions.mint(ann, 1).transact({"from": owner})

    if isinstance(chain, EthTesterChain):
        evm: Any = chain.tester.backend.chain
        saved = evm.chain_id
        evm.chain_id = chain_id
        try:
            attempt(chain, token)
        finally:
            evm.chain_id = saved
        return
    from tests.support.anvil import running_anvil

    with running_anvil(chain_id=chain_id) as url:
        other = AnvilChain(url)
        assert other.w3.eth.chain_id == chain_id
        attempt(other, deploy(other, load("DemoToken"), sender=other.accounts[0]))


def test_transfers_and_allowances(chain: Chain, token: Contract) -> None:
    owner, ann, bob, spender = chain.accounts[:4]
    send(token.functions.mint(ann, 1000), owner)
    receipt = send(token.functions.transfer(bob, 300), ann)
    assert events(token, "Transfer", receipt) == [{"sender": ann, "receiver": bob, "value": 300}]
    assert [token.functions.balanceOf(a).call() for a in (ann, bob)] == [700, 300]
    with reverts("transfer amount exceeds balance"):
        token.functions.transfer(bob, 701).transact({"from": ann})
    with reverts("transfer to the zero address"):
        token.functions.transfer(ZERO, 1).transact({"from": ann})

    receipt = send(token.functions.approve(spender, 200), ann)
    assert events(token, "Approval", receipt) == [{"owner": ann, "spender": spender, "value": 200}]
    send(token.functions.transferFrom(ann, bob, 150), spender)
    assert token.functions.allowance(ann, spender).call() == 50
    with reverts("transfer amount exceeds allowance"):
        token.functions.transferFrom(ann, bob, 51).transact({"from": spender})
    send(token.functions.approve(spender, MAX), ann)
    send(token.functions.transferFrom(ann, bob, 550), spender)
    assert token.functions.allowance(ann, spender).call() == MAX  # unlimited stays unlimited
    assert [token.functions.balanceOf(a).call() for a in (ann, bob)] == [0, 1000]


# --- StreamRegistry ------------------------------------------------------------------------


def test_the_platform_records_stream_starts(chain: Chain, registry: Contract) -> None:
    platform, other = chain.accounts[:2]
    assert registry.functions.platform().call() == platform
    media_id = "str_" + "a" * 60  # 64 characters, the most there is room for
    chain.next_tx_at(chain.latest_time() + 10)
    receipt = send(registry.functions.recordStreamStart(media_id), platform)
    block = chain.w3.eth.get_block(receipt["blockNumber"])
    digest = chain.w3.keccak(text=media_id)
    assert events(registry, "StreamStarted", receipt) == [
        {"mediaStreamIdHash": digest, "mediaStreamId": media_id, "recordedAt": block["timestamp"]}
    ]
    # The indexed hash finds the record without knowing when it happened.
    found = registry.events.StreamStarted().get_logs(
        from_block=0, argument_filters={"mediaStreamIdHash": digest}
    )
    assert [e["args"]["mediaStreamId"] for e in found] == [media_id]
    assert registry.functions.startedAt(digest).call() == block["timestamp"]
    with reverts("already recorded"):  # once per stream: a redelivered event records nothing
        registry.functions.recordStreamStart(media_id).transact({"from": platform})

    with reverts("only the platform"):
        registry.functions.recordStreamStart("str_x").transact({"from": other})
    with reverts("mediaStreamId is empty"):
        registry.functions.recordStreamStart("").transact({"from": platform})
    # Longer than String[64]: refused by the ABI decoder the compiler puts in front (no reason).
    with reverts(""):
        registry.functions.recordStreamStart("a" * 65).transact({"from": platform})


def test_the_platform_hands_over(chain: Chain, registry: Contract) -> None:
    platform, successor, other = chain.accounts[:3]
    with reverts("only the platform"):
        registry.functions.setPlatform(other).transact({"from": other})
    with reverts("platform is the zero address"):
        registry.functions.setPlatform(ZERO).transact({"from": platform})
    receipt = send(registry.functions.setPlatform(successor), platform)
    assert events(registry, "PlatformChanged", receipt) == [{"previous": platform, "current": successor}]
    assert registry.functions.platform().call() == successor
    with reverts("only the platform"):
        registry.functions.recordStreamStart("str_1").transact({"from": platform})
    send(registry.functions.recordStreamStart("str_1"), successor)
