# pragma version 0.4.3
# pragma evm-version cancun
"""
@notice Test-only ERC-20 whose transfer and transferFrom return nothing (as
        USDT's do): PaymentStream must accept it.
"""

balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
totalSupply: public(uint256)


@external
def mint(to: address, amount: uint256):
    self.balanceOf[to] += amount
    self.totalSupply += amount


@external
def approve(spender: address, amount: uint256):
    self.allowance[msg.sender][spender] = amount


@external
def transfer(to: address, amount: uint256):
    self.balanceOf[msg.sender] -= amount
    self.balanceOf[to] += amount


@external
def transferFrom(source: address, to: address, amount: uint256):
    self.allowance[source][msg.sender] -= amount
    self.balanceOf[source] -= amount
    self.balanceOf[to] += amount
