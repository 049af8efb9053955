# pragma version 0.4.3
# pragma evm-version cancun
# pragma optimize gas
"""
@title PaymentStream
@notice A sender streams an ERC-20 token to a recipient at `flowRate` token
        units per second out of a deposit: tidecast's pay-as-you-watch money.
@dev Amount streamed at time t (while not cancelled):
         min(deposit, checkpointStreamed + flowRate * (t - checkpointTime))
     The checkpoint moves to the current block on every top-up, so a stream
     that ran dry resumes from the top-up and the sender never pays for the
     time it stood dry. Cancelling freezes the checkpoint for good.
     Every state-changing external is @nonreentrant and follows
     checks-effects-interactions; token calls accept tokens that return
     nothing and revert on `false`.
"""

from ethereum.ercs import IERC20

# What callers read (getStream); the order is the ABI, keep it.
struct Stream:
    sender: address
    recipient: address
    token: address
    flowRate: uint256
    deposit: uint256
    startTime: uint256
    withdrawn: uint256
    remainingBalance: uint256  # not yet streamed, at block.timestamp (0 once cancelled)
    active: bool  # not cancelled and not run dry
    depletionTime: uint256  # when it runs dry (saturates at 2**256-1); cancel time once cancelled

# What is stored. Only facts that change on a call are written; everything
# time-dependent is derived, so nothing has to run on a timer.
struct StreamData:
    sender: address
    recipient: address
    token: address
    flowRate: uint256
    deposit: uint256  # total ever deposited (initial + top-ups)
    startTime: uint256
    withdrawn: uint256  # total paid to the recipient, the cancel payout included
    checkpointTime: uint256
    checkpointStreamed: uint256  # amount streamed up to checkpointTime
    cancelled: bool

event StreamCreated:
    streamId: indexed(uint256)
    sender: indexed(address)
    recipient: indexed(address)
    token: address
    flowRate: uint256
    deposit: uint256
    startTime: uint256

event ToppedUp:
    streamId: indexed(uint256)
    sender: indexed(address)
    recipient: indexed(address)
    amount: uint256
    deposit: uint256  # the new total

event Withdrawn:
    streamId: indexed(uint256)
    sender: indexed(address)
    recipient: indexed(address)
    amount: uint256

event StreamCancelled:
    streamId: indexed(uint256)
    sender: indexed(address)
    recipient: indexed(address)
    recipientAmount: uint256
    senderRefund: uint256

# Ids start at 1 so that 0 can never name a stream by accident.
nextStreamId: public(uint256)

_streams: HashMap[uint256, StreamData]


@deploy
def __init__():
    self.nextStreamId = 1


@internal
@view
def _exists(streamId: uint256) -> bool:
    # A created stream always has a sender; an unknown id reads as zeroes.
    return self._streams[streamId].sender != empty(address)


@internal
@view
def _streamed(s: StreamData) -> uint256:
    """
    @dev Streamed so far, never more than the deposit, with no product that
         can overflow: flowRate * elapsed is only computed once we know it is
         at most deposit - checkpointStreamed.
    """
    if s.cancelled:
        return s.checkpointStreamed
    left: uint256 = s.deposit - s.checkpointStreamed
    elapsed: uint256 = block.timestamp - s.checkpointTime
    if elapsed > left // s.flowRate:
        return s.deposit
    return s.checkpointStreamed + s.flowRate * elapsed


@internal
@view
def _depletionTime(s: StreamData) -> uint256:
    # The first second at which streamed == deposit: ceil(left / flowRate)
    # seconds after the checkpoint, saturating rather than overflowing.
    if s.cancelled:
        return s.checkpointTime
    left: uint256 = s.deposit - s.checkpointStreamed
    duration: uint256 = left // s.flowRate
    if left % s.flowRate != 0:
        duration += 1
    if duration > max_value(uint256) - s.checkpointTime:
        return max_value(uint256)
    return s.checkpointTime + duration


@internal
def _pull(token: address, source: address, amount: uint256):
    # Measured by balance, so a token that takes a fee on transfer cannot
    # leave this contract owing more of it than it holds.
    before: uint256 = staticcall IERC20(token).balanceOf(self)
    assert extcall IERC20(token).transferFrom(
        source, self, amount, default_return_value=True
    ), "token transferFrom failed"
    after: uint256 = staticcall IERC20(token).balanceOf(self)
    assert after >= before and after - before == amount, "token received differs from amount"


@internal
def _push(token: address, to: address, amount: uint256):
    # Zero transfers are skipped: some tokens revert on them, and a zero
    # payout must never block the other party's money.
    if amount == 0:
        return
    assert extcall IERC20(token).transfer(
        to, amount, default_return_value=True
    ), "token transfer failed"


@external
@nonreentrant
def createStream(
    recipient: address, token: address, flowRate: uint256, deposit: uint256
) -> uint256:
    """
    @notice Open a stream of `deposit` `token` units to `recipient` at
            `flowRate` units per second from now; the caller pays the deposit
            (approve this contract first).
    @return The new stream's id (ids start at 1 and increase).
    """
    assert flowRate != 0, "flowRate is zero"
    assert deposit != 0, "deposit is zero"
    assert recipient != empty(address), "recipient is the zero address"
    assert recipient != self, "recipient is this contract"
    assert recipient != msg.sender, "recipient is the sender"
    assert token.is_contract, "token is not a contract"

    streamId: uint256 = self.nextStreamId
    self.nextStreamId = streamId + 1
    self._streams[streamId] = StreamData(
        sender=msg.sender,
        recipient=recipient,
        token=token,
        flowRate=flowRate,
        deposit=deposit,
        startTime=block.timestamp,
        withdrawn=0,
        checkpointTime=block.timestamp,
        checkpointStreamed=0,
        cancelled=False,
    )
    log StreamCreated(
        streamId=streamId,
        sender=msg.sender,
        recipient=recipient,
        token=token,
        flowRate=flowRate,
        deposit=deposit,
        startTime=block.timestamp,
    )

    self._pull(token, msg.sender, deposit)
    return streamId


@external
@nonreentrant
def topUp(streamId: uint256, amount: uint256):
    """
    @notice Add `amount` to the stream's deposit (the sender only). Streaming
            resumes from now: time the stream stood dry is never charged.
    """
    assert self._exists(streamId), "unknown stream"
    s: StreamData = self._streams[streamId]
    assert msg.sender == s.sender, "only the sender"
    assert not s.cancelled, "stream is cancelled"
    assert amount != 0, "amount is zero"
    assert amount <= max_value(uint256) - s.deposit, "deposit would overflow"

    # Checkpoint first (with the old deposit), then grow the deposit.
    streamed: uint256 = self._streamed(s)
    newDeposit: uint256 = s.deposit + amount
    self._streams[streamId].checkpointTime = block.timestamp
    self._streams[streamId].checkpointStreamed = streamed
    self._streams[streamId].deposit = newDeposit
    log ToppedUp(
        streamId=streamId,
        sender=s.sender,
        recipient=s.recipient,
        amount=amount,
        deposit=newDeposit,
    )

    self._pull(s.token, msg.sender, amount)


@external
@nonreentrant
def withdraw(streamId: uint256, amount: uint256):
    """
    @notice Pay the recipient `amount` of what has streamed to them and not
            yet been withdrawn (the recipient only).
    """
    assert self._exists(streamId), "unknown stream"
    s: StreamData = self._streams[streamId]
    assert msg.sender == s.recipient, "only the recipient"
    assert not s.cancelled, "stream is cancelled"
    assert amount != 0, "amount is zero"
    assert amount <= self._streamed(s) - s.withdrawn, "amount exceeds withdrawable"

    self._streams[streamId].withdrawn = s.withdrawn + amount
    log Withdrawn(streamId=streamId, sender=s.sender, recipient=s.recipient, amount=amount)

    self._push(s.token, s.recipient, amount)


@external
@nonreentrant
def cancel(streamId: uint256):
    """
    @notice End the stream (either party): the recipient gets what streamed
            and was not withdrawn, the sender the rest. Final.
    """
    assert self._exists(streamId), "unknown stream"
    s: StreamData = self._streams[streamId]
    assert msg.sender == s.sender or msg.sender == s.recipient, "only the sender or the recipient"
    assert not s.cancelled, "stream is cancelled"

    streamed: uint256 = self._streamed(s)
    recipientAmount: uint256 = streamed - s.withdrawn
    senderRefund: uint256 = s.deposit - streamed
    # Frozen: checkpointTime becomes the cancel time, withdrawn the total the
    # recipient was ever paid.
    self._streams[streamId].checkpointTime = block.timestamp
    self._streams[streamId].checkpointStreamed = streamed
    self._streams[streamId].withdrawn = streamed
    self._streams[streamId].cancelled = True
    log StreamCancelled(
        streamId=streamId,
        sender=s.sender,
        recipient=s.recipient,
        recipientAmount=recipientAmount,
        senderRefund=senderRefund,
    )

    self._push(s.token, s.recipient, recipientAmount)
    self._push(s.token, s.sender, senderRefund)


@external
@view
def getStream(streamId: uint256) -> Stream:
    """
    @notice The stream as of this block. Reverts for an unknown id.
    """
    assert self._exists(streamId), "unknown stream"
    s: StreamData = self._streams[streamId]
    streamed: uint256 = self._streamed(s)
    remaining: uint256 = 0
    if not s.cancelled:
        remaining = s.deposit - streamed
    return Stream(
        sender=s.sender,
        recipient=s.recipient,
        token=s.token,
        flowRate=s.flowRate,
        deposit=s.deposit,
        startTime=s.startTime,
        withdrawn=s.withdrawn,
        remainingBalance=remaining,
        active=remaining != 0,
        depletionTime=self._depletionTime(s),
    )


@external
@view
def balanceOf(streamId: uint256, account: address) -> uint256:
    """
    @notice What `account` could take out of the stream now: the recipient's
            withdrawable amount, the sender's not yet streamed amount; 0 for
            anyone else and for everyone once cancelled.
    """
    assert self._exists(streamId), "unknown stream"
    s: StreamData = self._streams[streamId]
    if s.cancelled:
        return 0
    streamed: uint256 = self._streamed(s)
    if account == s.recipient:
        return streamed - s.withdrawn
    if account == s.sender:
        return s.deposit - streamed
    return 0
