# pragma version 0.4.3
# pragma evm-version cancun
"""
@notice Test-only: streams, both parties' balances in each, and token
        balances, in one eth_call each, so the property test can check the
        contract after every step without hundreds of round trips.
"""

struct Stream:
    sender: address
    recipient: address
    token: address
    flowRate: uint256
    deposit: uint256
    startTime: uint256
    withdrawn: uint256
    remainingBalance: uint256
    active: bool
    depletionTime: uint256

interface PaymentStream:
    def getStream(streamId: uint256) -> Stream: view
    def balanceOf(streamId: uint256, account: address) -> uint256: view

interface Token:
    def balanceOf(account: address) -> uint256: view


@external
@view
def streams(
    ps: address, ids: DynArray[uint256, 64], balanceIds: DynArray[uint256, 64]
) -> (DynArray[Stream, 64], DynArray[uint256[2], 64]):
    """
    @notice getStream for each of `ids`; (recipient's, sender's) balanceOf for
            each of `balanceIds`.
    """
    found: DynArray[Stream, 64] = []
    for i: uint256 in ids:
        found.append(staticcall PaymentStream(ps).getStream(i))
    owed: DynArray[uint256[2], 64] = []
    for i: uint256 in balanceIds:
        s: Stream = staticcall PaymentStream(ps).getStream(i)
        owed.append(
            [
                staticcall PaymentStream(ps).balanceOf(i, s.recipient),
                staticcall PaymentStream(ps).balanceOf(i, s.sender),
            ]
        )
    return found, owed


@external
@view
def balances(tokens: DynArray[address, 4], accounts: DynArray[address, 16]) -> DynArray[DynArray[uint256, 16], 4]:
    out: DynArray[DynArray[uint256, 16], 4] = []
    for token: address in tokens:
        row: DynArray[uint256, 16] = []
        for account: address in accounts:
            row.append(staticcall Token(token).balanceOf(account))
        out.append(row)
    return out
