# pragma version 0.4.3
# pragma evm-version cancun
# pragma optimize gas
"""
@title DemoToken
@notice The ERC-20 that tidecast's development chains stream ("TIDE").
@dev Minting is how demo accounts get money, so it is allowed only to the
     deployer and only on chains that are development chains by id: the same
     bytecode deployed to a public chain can never print tokens there.
"""

from ethereum.ercs import IERC20

implements: IERC20

# Anvil and Hardhat (31337), the usual private-network id (1337), eth-tester.
DEV_CHAIN_IDS: constant(uint256[3]) = [31337, 1337, 131277322940537]

name: public(constant(String[32])) = "tidecast demo token"
symbol: public(constant(String[8])) = "TIDE"
decimals: public(constant(uint8)) = 18

owner: public(address)
totalSupply: public(uint256)
# Private with explicit getters below, so the ABI names the arguments (a public
# HashMap's getter takes `arg0`).
balances: HashMap[address, uint256]
allowances: HashMap[address, HashMap[address, uint256]]

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256


@deploy
def __init__():
    self.owner = msg.sender


@external
@view
def balanceOf(account: address) -> uint256:
    return self.balances[account]


@external
@view
def allowance(owner: address, spender: address) -> uint256:
    return self.allowances[owner][spender]


@internal
def _transfer(source: address, to: address, amount: uint256):
    assert to != empty(address), "transfer to the zero address"
    assert self.balances[source] >= amount, "transfer amount exceeds balance"
    self.balances[source] -= amount
    # Cannot overflow: the sum of balances is totalSupply.
    self.balances[to] = unsafe_add(self.balances[to], amount)
    log Transfer(sender=source, receiver=to, value=amount)


@external
def transfer(to: address, amount: uint256) -> bool:
    self._transfer(msg.sender, to, amount)
    return True


@external
def transferFrom(source: address, to: address, amount: uint256) -> bool:
    allowed: uint256 = self.allowances[source][msg.sender]
    # The usual convention: an allowance of 2**256-1 is unlimited.
    if allowed != max_value(uint256):
        assert allowed >= amount, "transfer amount exceeds allowance"
        self.allowances[source][msg.sender] = allowed - amount
    self._transfer(source, to, amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowances[msg.sender][spender] = amount
    log Approval(owner=msg.sender, spender=spender, value=amount)
    return True


@external
def mint(to: address, amount: uint256):
    """
    @notice Create `amount` tokens for `to`: the owner only, dev chains only.
    """
    assert msg.sender == self.owner, "only the owner mints"
    assert chain.id in DEV_CHAIN_IDS, "minting only on development chains"
    assert to != empty(address), "mint to the zero address"
    assert amount <= max_value(uint256) - self.totalSupply, "total supply would overflow"
    self.totalSupply += amount
    self.balances[to] = unsafe_add(self.balances[to], amount)
    log Transfer(sender=empty(address), receiver=to, value=amount)
