# pragma version 0.4.3
# pragma evm-version cancun
"""
@notice Test-only ERC-20 whose transfers misbehave on demand, to prove that
        PaymentStream never counts money it did not move.
        mode 0: a correct token. 1: transfer/transferFrom return false and
        move nothing. 2: they revert with a reason. 3: a fee of 1% (at least
        one unit) is burnt from every transfer. 4: before moving, call back
        into `hookTarget` with `hookData` (a reentrancy attempt); the call's
        failure is bubbled up.
"""

balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
totalSupply: public(uint256)
mode: public(uint256)
hookTarget: public(address)
hookData: public(Bytes[256])

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256


@external
def setMode(mode: uint256):
    self.mode = mode


@external
def setHook(target: address, data: Bytes[256]):
    self.hookTarget = target
    self.hookData = data


@external
def callHook():
    # The same call as mode 4 makes, outside any callback.
    raw_call(self.hookTarget, self.hookData)


@external
def mint(to: address, amount: uint256):
    self.balanceOf[to] += amount
    self.totalSupply += amount


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    return True


@internal
def _move(source: address, to: address, amount: uint256) -> bool:
    if self.mode == 1:
        return False
    if self.mode == 2:
        raise "MisbehavingToken: transfers frozen"
    if self.mode == 4:
        raw_call(self.hookTarget, self.hookData)
    self.balanceOf[source] -= amount
    received: uint256 = amount
    if self.mode == 3:
        received = amount - max(amount // 100, 1)
        self.totalSupply -= amount - received
    self.balanceOf[to] += received
    log Transfer(sender=source, receiver=to, value=received)
    return True


@external
def transfer(to: address, amount: uint256) -> bool:
    return self._move(msg.sender, to, amount)


@external
def transferFrom(source: address, to: address, amount: uint256) -> bool:
    self.allowance[source][msg.sender] -= amount
    return self._move(source, to, amount)
