"""The gas limit sent with a transaction: the estimate, headroom for time, the block's cap."""

from __future__ import annotations

import pytest

from tidecast.chain.gas import HEADROOM_GAS, gas_limit


def test_the_limit_covers_what_time_adds_to_a_cancel() -> None:
    # Measured on Anvil: a cancel estimated in its stream's opening second, run a second later.
    assert gas_limit(82_789) >= 133_406
    assert gas_limit(72_185) >= 94_885  # a top-up, the same way
    assert gas_limit(1_000_000) == 1_250_000 + HEADROOM_GAS


def test_never_above_the_block_limit_and_never_from_nothing() -> None:
    assert gas_limit(29_000_000, block_limit=30_000_000) == 30_000_000
    assert gas_limit(21_000, block_limit=None) == 21_000 + 5_250 + HEADROOM_GAS
    for bad in (0, -1):
        with pytest.raises(ValueError, match="positive"):
            gas_limit(bad)
