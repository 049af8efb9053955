"""PaymentStream against a model, over random sequences of creates, top-ups, withdrawals (of
any amount, more than is due included), cancels and jumps in time, on eth-tester.

The model streams by simulation, second span by second span (`charge = min(left, rate * dt)`),
not by the contract's checkpoint formula, so a checkpoint mistake (charging for time a stream
stood dry, say) shows up as a difference. After every step that mined a block, the contract is
read through a test-only lens (tests/contracts/StreamLens.vy, one call) and must equal the
model to the unit:
- the fields of every stream still streaming or named by the step (a cancelled or dry stream
  changes only when a call names it), and what each party could take out of a stream the step
  named; at the end of the example, everything of every stream;
- the token balance of every party the step paid or charged (at the end, of all parties), so
  what each was paid is exact;
- the contract's balance of each token equals what it owes on all streams (so it is >=);
- the recipient never has more than flowRate x the seconds the stream was funded, the sender
  never more back than the deposit minus that;
and a call the model says succeeds must succeed, one it says fails must revert with the
model's reason.

Each example starts from one snapshot of a chain deployed once. Under CI=true: 200 examples of
up to 30 steps (the `ci` profile, about two minutes on two cores); locally 30. The time taken
and how often each call succeeded or failed (and why) are printed (`-s`).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.support.contracts import EthTesterChain, compile_test_contract, deploy, events, revert_reason, send
from tidecast.chain.artifacts import load

pytestmark = pytest.mark.slow  # a stateful property run of hundreds of transactions on the chain

if TYPE_CHECKING:
    from web3.contract import Contract

MAX = 2**256 - 1
GAS = 1_000_000
SENDER_FUNDS = 2**200
MAX_WAIT = 10**7  # seconds in one jump: 30 of them stay far below eth-tester's limit on time

settings.register_profile(
    "ci", max_examples=200, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.register_profile(
    "dev", max_examples=30, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck)
)
PROFILE = "ci" if os.environ.get("CI", "").lower() == "true" else "dev"


@dataclass
class World:
    chain: EthTesterChain
    ps: Contract
    lens: Contract
    tokens: list[Contract]
    senders: list[str]
    recipients: list[str]
    outsider: str
    snapshot: int  # deployed, funded and approved: where every example starts

    @property
    def parties(self) -> list[str]:
        return [*self.senders, *self.recipients, self.outsider]


def build_world() -> World:
    chain = EthTesterChain()
    deployer, *rest = chain.accounts
    senders, recipients, outsider = rest[:3], rest[3:5], rest[5]
    ps = deploy(chain, load("PaymentStream"), sender=deployer)
    lens = deploy(chain, compile_test_contract("StreamLens"), sender=deployer)
    tokens = [deploy(chain, load("DemoToken"), sender=deployer) for _ in range(2)]
    for token in tokens:
        for sender in senders:
            send(token.functions.mint(sender, SENDER_FUNDS), deployer)
            send(token.functions.approve(ps.address, MAX), sender)
    return World(chain, ps, lens, tokens, senders, recipients, outsider, chain.snapshot())


@dataclass
class ModelStream:
    sender: str
    recipient: str
    token: int
    rate: int
    deposit: int
    start: int
    at: int  # the model has streamed up to this second
    streamed: int = 0
    withdrawn: int = 0  # paid to the recipient, the cancel payout included
    funded_seconds: int = 0  # seconds that began with something left to stream
    dry_at: int | None = None
    cancelled_at: int | None = None

    def advance(self, now: int) -> None:
        if self.cancelled_at is not None:
            return
        span, left = now - self.at, self.deposit - self.streamed
        if left and span:
            seconds_left = -(-left // self.rate)  # ceil
            self.funded_seconds += min(span, seconds_left)
            if span >= seconds_left:
                self.dry_at = self.at + seconds_left
            self.streamed += min(left, self.rate * span)
        self.at = now

    def idle(self) -> bool:
        """Nothing about it changes with time any more (until a call names it)."""
        return self.cancelled_at is not None or self.streamed == self.deposit

    def depletion_time(self) -> int:
        if self.cancelled_at is not None:
            return self.cancelled_at
        left = self.deposit - self.streamed
        if left == 0:
            assert self.dry_at is not None
            return self.dry_at
        return min(MAX, self.at + -(-left // self.rate))


DEPOSITS = st.one_of(st.integers(1, 5000), st.integers(1, 2**64), st.integers(1, 2**130))
# Index 0 names an unknown stream; caller -1 the party entitled to the call.
INDEXES = st.integers(0, 64)
CALLERS = st.one_of(st.just(-1), st.just(-1), st.just(-1), st.integers(0, 5))
RATES = st.one_of(st.integers(1, 100), st.integers(1, 2**64), st.integers(1, 2**128), st.just(MAX))


class PaymentStreamMachine(RuleBasedStateMachine):
    world: ClassVar[World]
    outcomes: ClassVar[Counter[str]]  # what the calls did, over all examples (printed)

    def __init__(self) -> None:
        super().__init__()
        w = self.world
        w.chain.revert(w.snapshot)
        self.now = w.chain.latest_time()
        self.streams: dict[int, ModelStream] = {}
        self.balances: dict[tuple[int, str], int] = {
            (k, a): (SENDER_FUNDS if a in w.senders else 0) for k in range(2) for a in w.parties
        }
        self.steps: list[str] = []  # shown when an assertion fails
        self.touched: set[int] = set()  # streams and parties the last step acted on
        self.touched_parties: set[str] = set()
        self.mined = True  # whether a block was mined since the last check

    # -- calling the chain, with the model's prediction --------------------------------------

    def call(self, fn: Any, sender: str, reason: str | None) -> Any:
        """Run `fn` from `sender` as the next block (at now + 1). `reason` None: it must
        succeed (mined with a fixed gas so nothing is estimated twice); else it must revert
        with that reason, which web3's estimate reports without mining anything."""
        self.outcomes[f"{fn.fn_name}: {reason or 'succeeds'}"] += 1
        if reason is None:
            receipt = send(fn, sender, gas=GAS)
            assert receipt["status"] == 1, f"reverted but the model says it succeeds: {self.steps}"
            self.now += 1
            self.mined = True
            return receipt
        try:
            fn.estimate_gas({"from": sender})
        except Exception as exc:
            assert revert_reason(exc) == reason, (revert_reason(exc), reason)
            return None
        raise AssertionError(f"succeeded, the model says it reverts with {reason!r}")

    def pick(self, index: int) -> int:
        """A stream id: index 0 names the next, unknown, one; otherwise three times in four a
        stream that is not cancelled (calls on cancelled ones only revert), if there is one."""
        live = [sid for sid, s in self.streams.items() if s.cancelled_at is None]
        if index == 0:
            sid = len(self.streams) + 1
        elif live and index % 4:
            sid = live[index % len(live)]
        else:
            sid = index % len(self.streams) + 1
        self.touched.add(sid)
        return sid

    def party(self, caller: int, proper: str | None) -> str:
        """The proper party (caller -1, three times in four), else anyone at all."""
        return proper if caller < 0 and proper is not None else self.world.parties[max(caller, 0)]

    def settle(self, now: int) -> None:
        for s in self.streams.values():
            s.advance(now)

    # -- rules -----------------------------------------------------------------------------

    @rule(
        sender=st.integers(0, 2),
        recipient=st.integers(0, 1),
        token=st.integers(0, 1),
        rate=RATES,
        deposit=DEPOSITS,
        flaw=st.sampled_from([None, None, None, None, None, "zero rate", "zero deposit", "to itself"]),
    )
    def create(
        self, sender: int, recipient: int, token: int, rate: int, deposit: int, flaw: str | None
    ) -> None:
        w = self.world
        who = w.senders[sender]
        to = who if flaw == "to itself" else w.recipients[recipient]
        rate = 0 if flaw == "zero rate" else rate
        deposit = 0 if flaw == "zero deposit" else deposit
        reason = None
        if rate == 0:
            reason = "flowRate is zero"
        elif deposit == 0:
            reason = "deposit is zero"
        elif to == who:
            reason = "recipient is the sender"
        fn = w.ps.functions.createStream(to, w.tokens[token].address, rate, deposit)
        self.steps.append(f"create({sender}, {to[:6]}, {token}, {rate}, {deposit})")
        receipt = self.call(fn, who, reason)
        if receipt is None:
            return
        self.settle(self.now)
        sid = len(self.streams) + 1
        (log,) = events(w.ps, "StreamCreated", receipt)
        assert log["streamId"] == sid
        self.streams[sid] = ModelStream(who, to, token, rate, deposit, self.now, self.now)
        self.touched.add(sid)
        self.move(token, who, w.ps.address, deposit)

    @precondition(lambda self: self.streams)
    @rule(
        index=INDEXES,
        caller=CALLERS,
        kind=st.sampled_from(["small", "big", "zero", "to the brim", "overflow"]),
        small=st.integers(1, 10**6),
        big=st.integers(1, 2**130),
    )
    def top_up(self, index: int, caller: int, kind: str, small: int, big: int) -> None:
        w, sid = self.world, self.pick(index)
        s = self.streams.get(sid)
        who = self.party(caller, s.sender if s else None)
        brim = MAX - s.deposit if s else MAX  # the most the deposit can grow by
        amount = {"small": small, "big": big, "zero": 0, "to the brim": brim, "overflow": brim + 1 + small}[
            kind
        ]
        amount = min(amount, MAX)
        reason = None
        if s is None:
            reason = "unknown stream"
        elif who != s.sender:
            reason = "only the sender"
        elif s.cancelled_at is not None:
            reason = "stream is cancelled"
        elif amount == 0:
            reason = "amount is zero"
        elif amount > MAX - s.deposit:
            reason = "deposit would overflow"
        elif amount > self.balances[(s.token, who)]:
            reason = "transfer amount exceeds balance"
        self.steps.append(f"top_up({sid}, {who[:6]}, {amount})")
        receipt = self.call(w.ps.functions.topUp(sid, amount), who, reason)
        if receipt is None:
            return
        assert s is not None
        self.settle(self.now)
        if s.streamed == s.deposit:
            self.outcomes["topUp: of a stream that stood dry"] += 1
        s.deposit += amount
        self.move(s.token, who, w.ps.address, amount)
        (log,) = events(w.ps, "ToppedUp", receipt)
        assert log["deposit"] == s.deposit

    @precondition(lambda self: self.streams)
    @rule(
        index=INDEXES,
        caller=CALLERS,
        kind=st.sampled_from(["part", "all", "one more", "zero", "huge"]),
        part=st.integers(1, 100),
    )
    def withdraw(self, index: int, caller: int, kind: str, part: int) -> None:
        w, sid = self.world, self.pick(index)
        s = self.streams.get(sid)
        who = self.party(caller, s.recipient if s else None)
        due = 0
        if s is not None:
            probe = ModelStream(**vars(s))  # what is due at the next block, now + 1
            probe.advance(self.now + 1)
            due = probe.streamed - probe.withdrawn
        amount = {"all": due, "part": due * part // 100, "one more": due + 1, "zero": 0, "huge": MAX}[kind]
        reason = None
        if s is None:
            reason = "unknown stream"
        elif who != s.recipient:
            reason = "only the recipient"
        elif s.cancelled_at is not None:
            reason = "stream is cancelled"
        elif amount == 0:
            reason = "amount is zero"
        elif amount > due:
            reason = "amount exceeds withdrawable"
        self.steps.append(f"withdraw({sid}, {who[:6]}, {amount})")
        if self.call(w.ps.functions.withdraw(sid, amount), who, reason) is None:
            return
        assert s is not None
        self.settle(self.now)
        s.withdrawn += amount
        self.move(s.token, w.ps.address, s.recipient, amount)

    @precondition(lambda self: self.streams)
    @rule(index=INDEXES, caller=CALLERS, by_recipient=st.booleans())
    def cancel(self, index: int, caller: int, by_recipient: bool) -> None:
        w, sid = self.world, self.pick(index)
        s = self.streams.get(sid)
        who = self.party(caller, (s.recipient if by_recipient else s.sender) if s else None)
        reason = None
        if s is None:
            reason = "unknown stream"
        elif who not in (s.sender, s.recipient):
            reason = "only the sender or the recipient"
        elif s.cancelled_at is not None:
            reason = "stream is cancelled"
        self.steps.append(f"cancel({sid}, {who[:6]})")
        receipt = self.call(w.ps.functions.cancel(sid), who, reason)
        if receipt is None:
            return
        assert s is not None
        self.settle(self.now)
        to_recipient, refund = s.streamed - s.withdrawn, s.deposit - s.streamed
        (log,) = events(w.ps, "StreamCancelled", receipt)
        assert (log["recipientAmount"], log["senderRefund"]) == (to_recipient, refund)
        s.withdrawn, s.cancelled_at = s.streamed, self.now
        self.move(s.token, w.ps.address, s.recipient, to_recipient)
        self.move(s.token, w.ps.address, s.sender, refund)

    @rule(seconds=st.one_of(st.integers(1, 60), st.integers(1, 5000), st.integers(1, MAX_WAIT)))
    def wait(self, seconds: int) -> None:
        self.steps.append(f"wait({seconds})")
        self.now += seconds
        self.world.chain.mine_at(self.now)
        self.mined = True

    @precondition(lambda self: len(self.streams) > 0)
    @rule(index=st.integers(0, 64))
    def wait_past_depletion(self, index: int) -> None:
        """Jump to well after a stream runs dry, so top-ups after dry time happen often."""
        s = self.streams[index % len(self.streams) + 1]
        probe = ModelStream(**vars(s))
        probe.advance(self.now)
        target = probe.depletion_time() + 1000
        # eth-tester refuses timestamps past the year 3016; streams that last longer never dry.
        if self.now < target <= self.now + MAX_WAIT:
            self.wait(target - self.now)

    def move(self, token: int, source: str, to: str, amount: int) -> None:
        self.touched_parties.update(a for a in (source, to) if a != self.world.ps.address)
        if source != self.world.ps.address:
            self.balances[(token, source)] -= amount
        if to != self.world.ps.address:
            self.balances[(token, to)] += amount

    # -- after every step ------------------------------------------------------------------

    @invariant()
    def chain_equals_model(self) -> None:
        """Every stream a step could have changed: the one it named, and every stream still
        streaming (time moves them); a cancelled or dry stream changes only when a call names
        it. The token balances of everyone the step moved money for. Teardown checks all. A
        step that mined no block (a revert the estimate reported) changed nothing to check."""
        if not self.mined:
            return
        self.mined = False
        self.settle(self.now)
        moving = [sid for sid, s in self.streams.items() if not s.idle() or sid in self.touched]
        self.check(moving, sorted(self.touched & set(self.streams)), sorted(self.touched_parties))
        self.touched.clear()
        self.touched_parties.clear()

    def teardown(self) -> None:
        self.check(list(self.streams), list(self.streams), self.world.parties)

    def check(self, ids: list[int], balance_ids: list[int], parties: list[str]) -> None:
        """getStream of `ids` and both balanceOfs of `balance_ids` equal the model; the token
        balances of `parties` and of the contract are what the model says they are."""
        w = self.world
        self.settle(self.now)
        views, pairs = w.chain.quick_call(w.lens.functions.streams(w.ps.address, ids, balance_ids))
        balances = dict(zip(balance_ids, pairs, strict=True))
        # What the contract says it owes on each token (what each party could take out): from
        # balanceOf where it was read, else from getStream (deposit - withdrawn while live).
        # A stream left out has not changed since it was last read: what it owed then.
        owed = [0, 0]
        for sid in set(self.streams) - set(ids):
            s = self.streams[sid]
            owed[s.token] += 0 if s.cancelled_at is not None else s.deposit - s.withdrawn
        for sid, stream in zip(ids, views, strict=True):
            s = self.streams[sid]
            cancelled = s.cancelled_at is not None
            remaining = 0 if cancelled else s.deposit - s.streamed
            assert stream == (
                s.sender.lower(),
                s.recipient.lower(),
                w.tokens[s.token].address.lower(),
                s.rate,
                s.deposit,
                s.start,
                s.withdrawn,
                remaining,
                remaining != 0,
                s.depletion_time(),
            ), (sid, stream, self.steps)
            if sid not in balances:
                owed[s.token] += 0 if cancelled else stream[4] - stream[6]
                continue
            recipient_balance, sender_balance = balances[sid]
            expected = (0, 0) if cancelled else (s.streamed - s.withdrawn, s.deposit - s.streamed)
            assert (recipient_balance, sender_balance) == expected, (sid, self.steps)
            owed[s.token] += recipient_balance + sender_balance
            # Fairness: never more than rate x funded seconds to the recipient, never more
            # than the rest of the deposit back to the sender.
            recipient_total = s.withdrawn + recipient_balance
            assert recipient_total <= s.rate * s.funded_seconds, (sid, self.steps)
            assert sender_balance <= s.deposit - recipient_total, (sid, self.steps)
        tokens = [t.address for t in w.tokens]
        (rows,) = w.chain.quick_call(w.lens.functions.balances(tokens, [*parties, w.ps.address]))
        for k, row in enumerate(rows):
            *paid, held = row
            assert held >= owed[k], (k, held, owed[k], self.steps)
            assert held == owed[k], "no dust left behind either"
            assert list(paid) == [self.balances[(k, a)] for a in parties], (k, self.steps)


@pytest.mark.timeout(600)
def test_payment_stream_matches_its_model() -> None:
    PaymentStreamMachine.world = build_world()
    PaymentStreamMachine.outcomes = Counter()
    began = time.monotonic()
    run_state_machine_as_test(PaymentStreamMachine, settings=settings.get_profile(PROFILE))
    print(f"\nPaymentStream state machine ({PROFILE} profile): {time.monotonic() - began:.1f} s")
    for outcome, count in sorted(PaymentStreamMachine.outcomes.items()):
        print(f"  {count:6}  {outcome}")
