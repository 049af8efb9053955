"""What a payment stream has paid, as the key release budget counts it, against the contract's
own arithmetic over the whole uint256 range.

`Stored` is PaymentStream.vy's storage and `streamed`/`depletion`/`get_stream` transcribe its
`_streamed`, `_depletionTime`, `getStream` and `balanceOf` line by line. The code under test
sees only what a node answers (getStream at some block, the recipient's balance) and the wall
clock; the truth is what the contract's formula says had streamed by then. Property: the paid
time and paid key periods never exceed what has streamed (so the keys released, paid periods
plus the look-ahead, never exceed what has streamed plus the look-ahead), and equal it whenever
the read says its block's time. Issue 18's exploit (a depletion past year 9999 counted as paid)
is the first explicit example.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction

import hypothesis.strategies as st
from hypothesis import example, given, settings

from tidecast.chain.service import StreamDetails
from tidecast.payments.streams import PaymentState

MAX = 2**256 - 1
LOOKAHEAD = 3
ADDRESS = "0x" + "11" * 20
YEAR_9999 = 253402300799
NOW = 1_796_600_000  # a second in 2026


@dataclass(frozen=True)
class Stored:
    """PaymentStream's StreamData."""

    flow_rate: int
    deposit: int
    start_time: int
    withdrawn: int
    checkpoint_time: int
    checkpoint_streamed: int
    cancelled: bool


def streamed(s: Stored, t: int) -> int:
    """PaymentStream._streamed at block.timestamp t."""
    if s.cancelled:
        return s.checkpoint_streamed
    left = s.deposit - s.checkpoint_streamed
    elapsed = t - s.checkpoint_time
    if elapsed > left // s.flow_rate:
        return s.deposit
    return s.checkpoint_streamed + s.flow_rate * elapsed


def depletion(s: Stored) -> int:
    """PaymentStream._depletionTime."""
    if s.cancelled:
        return s.checkpoint_time
    left = s.deposit - s.checkpoint_streamed
    duration = left // s.flow_rate
    if left % s.flow_rate != 0:
        duration += 1
    if duration > MAX - s.checkpoint_time:
        return MAX
    return s.checkpoint_time + duration


def get_stream(s: Stored, t: int) -> StreamDetails:
    """PaymentStream.getStream at block.timestamp t."""
    done = streamed(s, t)
    remaining = 0 if s.cancelled else s.deposit - done
    return StreamDetails(
        1, ADDRESS, ADDRESS, ADDRESS, s.flow_rate, s.deposit, s.start_time, s.withdrawn,
        remaining, remaining != 0, depletion(s),
    )  # fmt: skip


def recipient_balance(s: Stored, t: int) -> int:
    """PaymentStream.balanceOf(streamId, recipient) at block.timestamp t."""
    return 0 if s.cancelled else streamed(s, t) - s.withdrawn


@st.composite
def streams(draw: st.DrawFn) -> tuple[Stored, int, int]:
    """A stream's storage as the contract can hold it, the block time it is read at, and the
    wall clock (before or after that block), each anywhere in uint256 with the edges likely."""
    near = st.integers(0, 10**6)
    uint = st.integers(0, MAX)
    flow_rate = draw(st.one_of(st.integers(1, 10**6), st.integers(1, MAX), st.just(MAX)))
    deposit = draw(st.one_of(st.integers(1, 10**30), st.integers(1, MAX), st.just(MAX)))
    checkpoint_time = draw(st.one_of(near.map(lambda d: NOW - d), uint))
    start_time = draw(st.integers(0, checkpoint_time))
    checkpoint_streamed = draw(st.integers(0, deposit))
    base = Stored(flow_rate, deposit, start_time, 0, checkpoint_time, checkpoint_streamed, False)
    block = draw(
        st.one_of(
            near.map(lambda d: checkpoint_time + d),
            st.integers(checkpoint_time, MAX),
            st.just(min(MAX, depletion(base))),
            st.just(max(checkpoint_time, min(MAX, depletion(base) - 1))),
        ).filter(lambda b: b <= MAX)
    )
    cancelled = draw(st.booleans())
    if cancelled:  # cancel at some second up to the block read: withdrawn is what had streamed
        at = draw(st.integers(checkpoint_time, block))
        done = streamed(base, at)
        stored = Stored(flow_rate, deposit, start_time, done, at, done, True)
    else:
        withdrawn = draw(st.integers(0, streamed(base, block)))
        stored = replace(base, withdrawn=withdrawn)
    now = draw(st.one_of(near.map(lambda d: block + d - 1000), uint, st.just(NOW)))
    return stored, block, max(0, now)


EXPLOIT = (  # issue 18: flowRate 10**12, deposit running 200,000 s past year 9999
    Stored(10**12, 10**12 * (YEAR_9999 - NOW + 200_000), NOW, 0, NOW, 0, False),
    NOW + 2,
    NOW + 2,
)


@settings(max_examples=1000, deadline=None)
@given(case=streams(), key_period=st.one_of(st.sampled_from([2.0, 4.0, 6.0, 30.0]), st.floats(0.001, 600)))
@example(case=EXPLOIT, key_period=2.0)
def test_released_periods_never_exceed_what_has_streamed_plus_the_look_ahead(
    case: tuple[Stored, int, int], key_period: float
) -> None:
    stored, block, now = case
    state = PaymentState.of(get_stream(stored, block), recipient_balance(stored, block))
    truth = streamed(stored, max(block, now))  # the contract's word, had a block come at `now`
    paid = state.paid_seconds(now)
    assert paid * stored.flow_rate <= truth
    periods = state.paid_periods(now, key_period)
    released = periods + LOOKAHEAD  # the most keys the budget lets out
    period_cost = stored.flow_rate * Fraction(key_period)
    assert periods >= 0
    assert released * period_cost <= truth + LOOKAHEAD * period_cost
    assert periods == math.floor(Fraction(state.streamed(now)) / (stored.flow_rate * Fraction(key_period)))
    # Never less than the chain said at its block, and exact whenever the read tells its block.
    assert state.streamed(now) >= streamed(stored, block)
    if state.block_time() is not None:
        assert state.block_time() == block
        assert state.streamed(now) == truth


def test_the_exploit_pays_for_two_seconds() -> None:
    stored, block, now = EXPLOIT
    state = PaymentState.of(get_stream(stored, block), None)
    assert state.paid_seconds(now) == 2  # 200,002 before issue 18's fix
    assert state.paid_periods(now + 28, 30.0) == 1
