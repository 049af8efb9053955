"""PaymentStream on eth-tester's py-evm and on Anvil, a real node: every revert with its reason, the happy
paths to the token unit, events as web3 decodes them, and the clock under the test's control.

One chain per module with the contracts deployed once; each test runs from a snapshot of it.
`chain` is the only fixture that knows the node; the module runs on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.contracts import (
    AnvilChain,
    Chain,
    EthTesterChain,
    compile_test_contract,
    deploy,
    events,
    reverts,
    send,
)
from tidecast.chain.artifacts import load

if TYPE_CHECKING:
    from web3.contract import Contract
    from web3.types import TxReceipt

MAX = 2**256 - 1
ZERO = "0x" + "00" * 20


@dataclass
class World:
    chain: Chain
    ps: Contract
    tide: Contract
    deployer: str
    alice: str  # a sender
    bob: str  # a recipient
    carol: str  # neither


@pytest.fixture(scope="module", params=["eth-tester", "anvil"])
def chain(request: pytest.FixtureRequest) -> Iterator[Chain]:
    """The module's node: eth-tester in process, then Anvil, a real node."""
    if request.param == "eth-tester":
        yield EthTesterChain()
        return
    from tests.support.anvil import running_anvil

    with running_anvil() as url:
        yield AnvilChain(url)


@pytest.fixture(scope="module")
def world(chain: Chain) -> World:
    deployer, alice, bob, carol = chain.accounts[:4]
    ps = deploy(chain, load("PaymentStream"), sender=deployer)
    tide = deploy(chain, load("DemoToken"), sender=deployer)
    send(tide.functions.mint(alice, 10**30), deployer)
    send(tide.functions.approve(ps.address, MAX), alice)
    return World(chain, ps, tide, deployer, alice, bob, carol)


@pytest.fixture(autouse=True)
def fresh(world: World) -> Iterator[None]:
    snapshot = world.chain.snapshot()
    yield
    world.chain.revert(snapshot)


def start(w: World) -> int:
    """A second comfortably after the snapshot, from which a test counts."""
    return w.chain.latest_time() + 100


def tx(w: World, at: int, call: Any, sender: str) -> TxReceipt:
    w.chain.next_tx_at(at)
    return send(call, sender)


def create(
    w: World,
    at: int,
    rate: int,
    deposit: int,
    token: Contract | None = None,
    sender: str | None = None,
    recipient: str | None = None,
) -> tuple[int, TxReceipt]:
    token = token or w.tide
    call = w.ps.functions.createStream(recipient or w.bob, token.address, rate, deposit)
    receipt = tx(w, at, call, sender or w.alice)
    (created,) = events(w.ps, "StreamCreated", receipt)
    return created["streamId"], receipt


def view_at(w: World, at: int) -> None:
    """Views after this read second `at`."""
    w.chain.mine_at(at)


def stream(w: World, stream_id: int) -> dict[str, Any]:
    return dict(w.ps.functions.getStream(stream_id).call()._asdict())


def owed(w: World, stream_id: int) -> tuple[int, int]:
    """(recipient's withdrawable, sender's not yet streamed) as the contract says."""
    s = stream(w, stream_id)
    return (
        w.ps.functions.balanceOf(stream_id, s["recipient"]).call(),
        w.ps.functions.balanceOf(stream_id, s["sender"]).call(),
    )


# --- creating ------------------------------------------------------------------------------


def test_create_pulls_the_deposit_and_describes_the_stream(world: World) -> None:
    w, t0 = world, start(world)
    alice_before = w.tide.functions.balanceOf(w.alice).call()
    assert w.ps.functions.nextStreamId().call() == 1
    first, receipt = create(w, t0, rate=3, deposit=100)
    # Views read the latest block: the one the creation was mined in, at t0.
    assert stream(w, first) == {
        "sender": w.alice,
        "recipient": w.bob,
        "token": w.tide.address,
        "flowRate": 3,
        "deposit": 100,
        "startTime": t0,
        "withdrawn": 0,
        "remainingBalance": 100,
        "active": True,
        "depletionTime": t0 + 34,  # ceil(100 / 3)
    }
    assert events(w.ps, "StreamCreated", receipt) == [
        {
            "streamId": 1,
            "sender": w.alice,
            "recipient": w.bob,
            "token": w.tide.address,
            "flowRate": 3,
            "deposit": 100,
            "startTime": t0,
        }
    ]
    assert events(w.tide, "Transfer", receipt) == [
        {"sender": w.alice, "receiver": w.ps.address, "value": 100}
    ]

    second, _ = create(w, t0 + 1, rate=1, deposit=1)
    assert (first, second) == (1, 2)
    assert w.ps.functions.nextStreamId().call() == 3
    assert w.tide.functions.balanceOf(w.ps.address).call() == 101
    assert w.tide.functions.balanceOf(w.alice).call() == alice_before - 101


@pytest.mark.parametrize(
    ("rate", "deposit", "recipient", "reason"),
    [
        (0, 100, "bob", "flowRate is zero"),
        (1, 0, "bob", "deposit is zero"),
        (1, 100, "zero", "recipient is the zero address"),
        (1, 100, "contract", "recipient is this contract"),
        (1, 100, "alice", "recipient is the sender"),
    ],
)
def test_create_refuses_bad_arguments(
    world: World, rate: int, deposit: int, recipient: str, reason: str
) -> None:
    w = world
    to = {"bob": w.bob, "zero": ZERO, "contract": w.ps.address, "alice": w.alice}[recipient]
    with reverts(reason):
        w.ps.functions.createStream(to, w.tide.address, rate, deposit).transact({"from": w.alice})
    assert w.ps.functions.nextStreamId().call() == 1


def test_create_refuses_a_token_that_is_not_a_contract(world: World) -> None:
    w = world
    with reverts("token is not a contract"):
        w.ps.functions.createStream(w.bob, w.carol, 1, 100).transact({"from": w.alice})


def test_create_without_allowance_reverts_with_the_tokens_reason(world: World) -> None:
    w = world
    send(w.tide.functions.mint(w.carol, 1000), w.deployer)
    with reverts("transfer amount exceeds allowance"):
        w.ps.functions.createStream(w.bob, w.tide.address, 1, 100).transact({"from": w.carol})


# --- streaming and withdrawing -------------------------------------------------------------


def test_accrual_withdrawal_and_depletion_to_the_unit(world: World) -> None:
    w, t0 = world, start(world)
    sid, _ = create(w, t0, rate=3, deposit=100)

    view_at(w, t0 + 10)
    assert owed(w, sid) == (30, 70)
    assert w.ps.functions.balanceOf(sid, w.carol).call() == 0

    receipt = tx(w, t0 + 11, w.ps.functions.withdraw(sid, 20), w.bob)
    assert events(w.ps, "Withdrawn", receipt) == [
        {"streamId": sid, "sender": w.alice, "recipient": w.bob, "amount": 20}
    ]
    assert w.tide.functions.balanceOf(w.bob).call() == 20
    assert owed(w, sid) == (13, 67)  # 33 streamed at t0 + 11
    assert stream(w, sid)["withdrawn"] == 20

    w.chain.next_tx_at(t0 + 12)  # 36 streamed, 16 withdrawable
    with reverts("amount exceeds withdrawable"):
        w.ps.functions.withdraw(sid, 17).transact({"from": w.bob})
    with reverts("amount is zero"):
        w.ps.functions.withdraw(sid, 0).transact({"from": w.bob})
    send(w.ps.functions.withdraw(sid, 16), w.bob)

    view_at(w, t0 + 33)  # 99 streamed: the last unit has not streamed yet
    s = stream(w, sid)
    assert (s["remainingBalance"], s["active"], s["depletionTime"]) == (1, True, t0 + 34)
    view_at(w, t0 + 34)
    s = stream(w, sid)
    assert (s["remainingBalance"], s["active"], s["depletionTime"]) == (0, False, t0 + 34)
    assert owed(w, sid) == (64, 0)

    # A stream that ran dry still pays out what it owes.
    tx(w, t0 + 500, w.ps.functions.withdraw(sid, 64), w.bob)
    assert w.tide.functions.balanceOf(w.bob).call() == 100
    assert w.tide.functions.balanceOf(w.ps.address).call() == 0
    assert owed(w, sid) == (0, 0)
    with reverts("amount exceeds withdrawable"):
        w.ps.functions.withdraw(sid, 1).transact({"from": w.bob})


def test_only_the_sender_tops_up_only_the_recipient_withdraws(world: World) -> None:
    w, t0 = world, start(world)
    sid, _ = create(w, t0, rate=1, deposit=100)
    view_at(w, t0 + 50)
    for who in (w.bob, w.carol, w.deployer):
        with reverts("only the sender"):
            w.ps.functions.topUp(sid, 1).transact({"from": who})
    for who in (w.alice, w.carol, w.deployer):
        with reverts("only the recipient"):
            w.ps.functions.withdraw(sid, 1).transact({"from": who})
    for who in (w.carol, w.deployer):
        with reverts("only the sender or the recipient"):
            w.ps.functions.cancel(sid).transact({"from": who})


def test_unknown_streams_revert_everywhere(world: World) -> None:
    w = world
    create(w, start(w), rate=1, deposit=10)
    for sid in (0, 2, MAX):
        with reverts("unknown stream"):
            w.ps.functions.getStream(sid).call()
        with reverts("unknown stream"):
            w.ps.functions.balanceOf(sid, w.bob).call()
        with reverts("unknown stream"):
            w.ps.functions.topUp(sid, 1).transact({"from": w.alice})
        with reverts("unknown stream"):
            w.ps.functions.withdraw(sid, 1).transact({"from": w.bob})
        with reverts("unknown stream"):
            w.ps.functions.cancel(sid).transact({"from": w.alice})


# --- topping up ----------------------------------------------------------------------------


def test_top_up_while_running_changes_nothing_already_streamed(world: World) -> None:
    w, t0 = world, start(world)
    sid, _ = create(w, t0, rate=10, deposit=100)
    receipt = tx(w, t0 + 5, w.ps.functions.topUp(sid, 50), w.alice)
    assert events(w.ps, "ToppedUp", receipt) == [
        {"streamId": sid, "sender": w.alice, "recipient": w.bob, "amount": 50, "deposit": 150}
    ]
    view_at(w, t0 + 8)
    assert owed(w, sid) == (80, 70)
    s = stream(w, sid)
    assert (s["deposit"], s["startTime"], s["depletionTime"]) == (150, t0, t0 + 15)


def test_top_up_after_running_dry_charges_nothing_for_the_dry_time(world: World) -> None:
    w, t0 = world, start(world)
    sid, _ = create(w, t0, rate=10, deposit=100)
    view_at(w, t0 + 49)  # dry since t0 + 10
    s = stream(w, sid)
    assert (s["active"], s["depletionTime"], owed(w, sid)) == (False, t0 + 10, (100, 0))

    tx(w, t0 + 50, w.ps.functions.topUp(sid, 100), w.alice)
    s = stream(w, sid)
    # Streaming resumes from the top-up: nothing of the new 100 went to the 40 dry seconds.
    assert (s["active"], s["remainingBalance"], s["depletionTime"]) == (True, 100, t0 + 60)
    assert owed(w, sid) == (100, 100)
    view_at(w, t0 + 55)
    assert owed(w, sid) == (150, 50)

    receipt = tx(w, t0 + 56, w.ps.functions.cancel(sid), w.alice)
    assert events(w.ps, "StreamCancelled", receipt) == [
        {"streamId": sid, "sender": w.alice, "recipient": w.bob, "recipientAmount": 160, "senderRefund": 40}
    ]


def test_top_up_refusals(world: World) -> None:
    w, t0 = world, start(world)
    sid, _ = create(w, t0, rate=1, deposit=100)
    with reverts("amount is zero"):
        w.ps.functions.topUp(sid, 0).transact({"from": w.alice})
    with reverts("deposit would overflow"):
        w.ps.functions.topUp(sid, MAX - 99).transact({"from": w.alice})
    send(w.tide.functions.approve(w.ps.address, 10), w.alice)
    with reverts("transfer amount exceeds allowance"):
        w.ps.functions.topUp(sid, 11).transact({"from": w.alice})


# --- cancelling ----------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["sender", "recipient"])
def test_cancel_splits_the_deposit_and_is_final(world: World, by: str) -> None:
    w, t0 = world, start(world)
    sid, _ = create(w, t0, rate=7, deposit=1000)
    tx(w, t0 + 10, w.ps.functions.withdraw(sid, 50), w.bob)
    alice_before = w.tide.functions.balanceOf(w.alice).call()

    receipt = tx(w, t0 + 20, w.ps.functions.cancel(sid), w.alice if by == "sender" else w.bob)
    assert events(w.ps, "StreamCancelled", receipt) == [
        {"streamId": sid, "sender": w.alice, "recipient": w.bob, "recipientAmount": 90, "senderRefund": 860}
    ]
    assert w.tide.functions.balanceOf(w.bob).call() == 140
    assert w.tide.functions.balanceOf(w.alice).call() == alice_before + 860
    assert w.tide.functions.balanceOf(w.ps.address).call() == 0

    view_at(w, t0 + 500)
    assert stream(w, sid) == {
        "sender": w.alice,
        "recipient": w.bob,
        "token": w.tide.address,
        "flowRate": 7,
        "deposit": 1000,
        "startTime": t0,
        "withdrawn": 140,  # everything the recipient was paid, the cancel payout included
        "remainingBalance": 0,
        "active": False,
        "depletionTime": t0 + 20,  # the cancel time
    }
    assert owed(w, sid) == (0, 0)
    with reverts("stream is cancelled"):
        w.ps.functions.topUp(sid, 1).transact({"from": w.alice})
    with reverts("stream is cancelled"):
        w.ps.functions.withdraw(sid, 1).transact({"from": w.bob})
    for who in (w.alice, w.bob):
        with reverts("stream is cancelled"):
            w.ps.functions.cancel(sid).transact({"from": who})


def test_cancel_after_running_dry_refunds_nothing_and_moves_no_zero_amounts(world: World) -> None:
    w, t0 = world, start(world)
    sid, _ = create(w, t0, rate=5, deposit=20)
    receipt = tx(w, t0 + 100, w.ps.functions.cancel(sid), w.alice)
    assert events(w.ps, "StreamCancelled", receipt)[0]["senderRefund"] == 0
    assert events(w.tide, "Transfer", receipt) == [{"sender": w.ps.address, "receiver": w.bob, "value": 20}]
    # Withdrawn in full first: the cancel moves no tokens at all.
    sid, _ = create(w, t0 + 101, rate=5, deposit=20)
    tx(w, t0 + 200, w.ps.functions.withdraw(sid, 20), w.bob)
    receipt = tx(w, t0 + 201, w.ps.functions.cancel(sid), w.bob)
    assert events(w.tide, "Transfer", receipt) == []
    assert w.tide.functions.balanceOf(w.ps.address).call() == 0


# --- amounts at the edge of uint256 --------------------------------------------------------


@pytest.fixture
def big(world: World) -> Contract:
    """A DemoToken whose whole possible supply belongs to alice."""
    token = deploy(world.chain, load("DemoToken"), sender=world.deployer)
    send(token.functions.mint(world.alice, MAX), world.deployer)
    send(token.functions.approve(world.ps.address, MAX), world.alice)
    return token


def test_deposit_near_two_to_the_256(world: World, big: Contract) -> None:
    w, t0 = world, start(world)
    sid, _ = create(w, t0, rate=1, deposit=MAX - 9, token=big)
    view_at(w, t0 + 100)
    s = stream(w, sid)
    # t0 + MAX - 9 does not fit in uint256: the depletion time saturates.
    assert (s["depletionTime"], s["active"], owed(w, sid)) == (MAX, True, (100, MAX - 109))
    with reverts("deposit would overflow"):
        w.ps.functions.topUp(sid, 10).transact({"from": w.alice})
    tx(w, t0 + 101, w.ps.functions.topUp(sid, 9), w.alice)
    assert stream(w, sid)["deposit"] == MAX
    assert big.functions.balanceOf(w.alice).call() == 0
    receipt = tx(w, t0 + 200, w.ps.functions.cancel(sid), w.bob)
    assert events(w.ps, "StreamCancelled", receipt)[0]["recipientAmount"] == 200
    assert big.functions.balanceOf(w.alice).call() == MAX - 200


@pytest.mark.parametrize(
    ("rate", "deposit", "streamed_after_1s", "depletion"),
    [
        (2**255, 5, 5, 1),  # a huge rate on a tiny deposit: dry after one second
        (MAX, MAX, MAX, 1),  # flowRate * 1 == deposit exactly: no overflow at the edge
        (2**128, MAX, 2**128, 2**128),  # ceil(MAX / 2**128) seconds
        (3, MAX, 3, MAX // 3),  # 3 divides 2**256 - 1
        (1, MAX, 1, MAX),  # t0 + MAX does not fit: the depletion time saturates
    ],
)
def test_huge_rates_never_overflow(
    world: World, big: Contract, rate: int, deposit: int, streamed_after_1s: int, depletion: int
) -> None:
    w, t0 = world, start(world)
    sid, _ = create(w, t0, rate=rate, deposit=deposit, token=big)
    s = stream(w, sid)
    assert (s["remainingBalance"], s["active"]) == (deposit, True)
    assert s["depletionTime"] == (MAX if depletion == MAX else t0 + depletion)
    view_at(w, t0 + 1)
    assert owed(w, sid) == (streamed_after_1s, deposit - streamed_after_1s)
    view_at(w, t0 + 10**6)
    assert owed(w, sid) == (min(deposit, rate * 10**6), deposit - min(deposit, rate * 10**6))
    tx(w, t0 + 10**6 + 1, w.ps.functions.cancel(sid), w.alice)
    assert big.functions.balanceOf(w.bob).call() == min(deposit, rate * (10**6 + 1))


# --- tokens that misbehave -----------------------------------------------------------------


@pytest.fixture
def odd(world: World) -> Contract:
    token = deploy(world.chain, compile_test_contract("MisbehavingToken"), sender=world.deployer)
    send(token.functions.mint(world.alice, 10**6), world.deployer)
    send(token.functions.approve(world.ps.address, MAX), world.alice)
    return token


def test_a_token_returning_false_is_a_failure(world: World, odd: Contract) -> None:
    w, t0 = world, start(world)
    sid, _ = create(w, t0, rate=1, deposit=100, token=odd)
    send(odd.functions.setMode(1), w.deployer)
    w.chain.next_tx_at(t0 + 10)
    with reverts("token transferFrom failed"):
        w.ps.functions.createStream(w.bob, odd.address, 1, 100).transact({"from": w.alice})
    with reverts("token transferFrom failed"):
        w.ps.functions.topUp(sid, 100).transact({"from": w.alice})
    with reverts("token transfer failed"):
        w.ps.functions.withdraw(sid, 5).transact({"from": w.bob})
    with reverts("token transfer failed"):
        w.ps.functions.cancel(sid).transact({"from": w.alice})
    # Nothing was counted: once the token works, the stream is as it was.
    send(odd.functions.setMode(0), w.deployer)
    tx(w, t0 + 20, w.ps.functions.withdraw(sid, 20), w.bob)
    assert odd.functions.balanceOf(w.bob).call() == 20


def test_a_reverting_token_reverts_with_its_own_reason(world: World, odd: Contract) -> None:
    w, t0 = world, start(world)
    sid, _ = create(w, t0, rate=1, deposit=100, token=odd)
    send(odd.functions.setMode(2), w.deployer)
    w.chain.next_tx_at(t0 + 10)
    frozen = "MisbehavingToken: transfers frozen"
    with reverts(frozen):
        w.ps.functions.createStream(w.bob, odd.address, 1, 100).transact({"from": w.alice})
    with reverts(frozen):
        w.ps.functions.withdraw(sid, 5).transact({"from": w.bob})
    with reverts(frozen):
        w.ps.functions.cancel(sid).transact({"from": w.bob})
    assert stream(w, sid)["withdrawn"] == 0


def test_a_token_taking_a_fee_is_refused(world: World, odd: Contract) -> None:
    w = world
    send(odd.functions.setMode(3), w.deployer)
    with reverts("token received differs from amount"):
        w.ps.functions.createStream(w.bob, odd.address, 1, 1000).transact({"from": w.alice})


def test_a_token_returning_nothing_works(world: World) -> None:
    w, t0 = world, start(world)
    token = deploy(w.chain, compile_test_contract("NoReturnToken"), sender=w.deployer)
    send(token.functions.mint(w.alice, 1000), w.deployer)
    send(token.functions.approve(w.ps.address, MAX), w.alice)
    sid, _ = create(w, t0, rate=2, deposit=100, token=token)
    tx(w, t0 + 10, w.ps.functions.topUp(sid, 100), w.alice)
    tx(w, t0 + 20, w.ps.functions.withdraw(sid, 40), w.bob)
    tx(w, t0 + 30, w.ps.functions.cancel(sid), w.alice)
    balance = token.functions.balanceOf
    assert (balance(w.bob).call(), balance(w.alice).call(), balance(w.ps.address).call()) == (60, 940, 0)


def test_reentering_from_a_token_callback_is_refused(world: World, odd: Contract) -> None:
    """The token is the stream's recipient and tries to cancel in the middle of a top-up:
    the lock refuses the inner call (a revert without reason, the compiler's lock), so the
    whole top-up reverts; the same cancel outside a callback goes through."""
    w, t0 = world, start(world)
    sid, _ = create(w, t0, rate=1, deposit=100, token=odd, recipient=odd.address)
    send(odd.functions.setHook(w.ps.address, w.ps.encode_abi("cancel", [sid])), w.deployer)
    send(odd.functions.setMode(4), w.deployer)
    w.chain.next_tx_at(t0 + 10)
    with reverts(""):
        w.ps.functions.topUp(sid, 10).transact({"from": w.alice})
    send(odd.functions.setMode(0), w.deployer)
    receipt = tx(w, t0 + 11, odd.functions.callHook(), w.deployer)
    assert events(w.ps, "StreamCancelled", receipt)[0]["recipientAmount"] == 11


# --- gas -----------------------------------------------------------------------------------


def test_gas_of_each_call(world: World) -> None:
    """The figures reported for the contract (printed; -s shows them), with loose ceilings so
    a change that doubles a cost is noticed. "first" pays for storage going from zero to
    non-zero (the contract's first balance of a token, a recipient's first tokens, a stream's
    first withdrawal); "later" is the same call again."""
    w, t0 = world, start(world)
    sid, first_create = create(w, t0, rate=10, deposit=10**6)
    _, later_create = create(w, t0 + 1, rate=10, deposit=10**6)
    topped = tx(w, t0 + 10, w.ps.functions.topUp(sid, 10**6), w.alice)
    first_withdraw = tx(w, t0 + 20, w.ps.functions.withdraw(sid, 100), w.bob)
    later_withdraw = tx(w, t0 + 21, w.ps.functions.withdraw(sid, 100), w.bob)
    get = w.ps.functions.getStream(sid).estimate_gas()
    balance = w.ps.functions.balanceOf(sid, w.bob).estimate_gas()
    cancelled = tx(w, t0 + 30, w.ps.functions.cancel(sid), w.alice)
    figures = {
        "createStream (first)": first_create["gasUsed"],
        "createStream (later)": later_create["gasUsed"],
        "topUp": topped["gasUsed"],
        "withdraw (first)": first_withdraw["gasUsed"],
        "withdraw (later)": later_withdraw["gasUsed"],
        "cancel (both paid)": cancelled["gasUsed"],
        "getStream (estimate)": get,
        "balanceOf (estimate)": balance,
    }
    print("\ngas:", ", ".join(f"{name} {gas}" for name, gas in figures.items()))
    ceilings = {
        "createStream (first)": 300_000,
        "createStream (later)": 250_000,
        "topUp": 120_000,
        "withdraw (first)": 120_000,
        "withdraw (later)": 80_000,
        "cancel (both paid)": 120_000,
        "getStream (estimate)": 60_000,
    }
    for name, ceiling in ceilings.items():
        assert figures[name] < ceiling, (name, figures[name])
