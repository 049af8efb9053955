"""How much gas a transaction may burn: the node's estimate plus headroom for time.

eth_estimateGas runs the call against the latest block, but the transaction executes in a later
one, and PaymentStream's cost depends on how long the stream has run. A top-up or cancel
estimated in the second its stream opened sees nothing streamed yet (checkpoints stay zero, the
recipient's transfer is skipped) and estimates 72k and 83k gas; mined a second later it writes
those slots from zero and pays the recipient, and needs 95k and 133k (measured on Anvil). With
the bare estimate, such a transaction runs out of gas and reverts; CI caught exactly that.

The headroom covers the worst case of those paths (three storage slots written from zero and a
token transfer, about 80k gas) plus a quarter for anything else that moved. Unused gas is
refunded, so the price is only that the sender's balance must cover the higher limit.
"""

from __future__ import annotations

#: A quarter on top of the estimate, for state that moved between estimate and inclusion.
HEADROOM_PERCENT = 25
#: And a fixed amount for the paths time opens: storage written from zero, a token transfer.
HEADROOM_GAS = 80_000


def gas_limit(estimate: int, block_limit: int | None = None) -> int:
    """The gas limit to send with a transaction the node estimated at `estimate`, never above
    the block's own limit (a transaction over it is refused outright)."""
    if estimate <= 0:
        raise ValueError("a gas estimate is a positive number")
    limit = estimate + estimate * HEADROOM_PERCENT // 100 + HEADROOM_GAS
    return min(limit, block_limit) if block_limit else limit
