"""A test EIP-1193 wallet for the browser tests: `window.ethereum` in the page, Python behind it.

The page sees an injected provider as MetaMask injects one (`request({method, params})`); every
call crosses to Python through a Playwright binding. Python holds the key (a demo account's,
signing with eth-account): `eth_requestAccounts`/`eth_accounts` answer its address,
`personal_sign` signs (EIP-191), `eth_sendTransaction` fills nonce, gas and gas price from the
node, signs and sends the raw transaction; everything else (reads, receipts, estimates) is
forwarded to the chain's JSON-RPC as a wallet forwards it. Errors keep the node's code, message
and data, so ethers decodes reverts as it would from a real wallet. `reject` makes the user say
no (EIP-1193 code 4001); `chain_id` makes the wallet claim another chain."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

INIT_SCRIPT = """
(() => {
  const listeners = {};
  window.ethereum = {
    isTidecastTestWallet: true,
    async request({ method, params }) {
      const reply = await window.__tidecastWallet(method, params ?? []);
      if (reply.error) {
        const error = new Error(reply.error.message);
        error.code = reply.error.code;
        if (reply.error.data !== undefined) error.data = reply.error.data;
        throw error;
      }
      return reply.result;
    },
    on(event, listener) { (listeners[event] ??= []).push(listener); return this; },
    removeListener(event, listener) {
      listeners[event] = (listeners[event] ?? []).filter((l) => l !== listener);
      return this;
    },
  };
})();
"""


class TestWallet:
    """One account's wallet; `install(page)` injects it into a page before its scripts run."""

    __test__ = False  # not a pytest class

    def __init__(self, rpc_url: str, private_key: str) -> None:
        from eth_account import Account

        self.account = Account.from_key(private_key)
        self.address = str(self.account.address)
        self.rpc_url = rpc_url
        self.reject: set[str] = set()  # methods the "user" refuses
        self.calls: list[str] = []
        self.failures: list[str] = []
        self.chain_id: int | None = None  # set: the wallet says it is on this chain
        self._ids = itertools.count(1)
        self._http = httpx.Client(timeout=30)

    def install(self, page: Any) -> None:
        page.expose_binding("__tidecastWallet", lambda _source, method, params: self.answer(method, params))
        page.add_init_script(INIT_SCRIPT)

    def rpc(self, method: str, params: list[Any]) -> dict[str, Any]:
        reply = self._http.post(
            self.rpc_url, json={"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        ).json()
        return {"error": reply["error"]} if "error" in reply else {"result": reply.get("result")}

    def _value(self, method: str, params: list[Any]) -> Any:
        reply = self.rpc(method, params)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def answer(self, method: str, params: list[Any]) -> dict[str, Any]:
        """`handle`, with a failure of the test wallet itself as an EIP-1193 internal error (a
        Python exception would reach the page as an error with no code)."""
        try:
            return self.handle(method, params)
        except Exception as exc:  # the page must hear of it, and the test see it
            self.failures.append(f"{method}: {exc!r}")
            return {"error": {"code": -32603, "message": f"test wallet: {exc}"}}

    def handle(self, method: str, params: list[Any]) -> dict[str, Any]:
        self.calls.append(method)
        if method in self.reject:
            return {"error": {"code": 4001, "message": "User rejected the request."}}
        if method in ("eth_requestAccounts", "eth_accounts"):
            return {"result": [self.address]}
        if method == "personal_sign":
            return {"result": self.personal_sign(params[0])}
        if method == "eth_sendTransaction":
            return self.send_transaction(params[0])
        if method == "eth_chainId" and self.chain_id is not None:
            return {"result": hex(self.chain_id)}
        if method == "wallet_switchEthereumChain":
            # It knows one chain, the node's: switching there works, anywhere else is unknown.
            if int(params[0]["chainId"], 16) != int(self._value("eth_chainId", []), 16):
                return {"error": {"code": 4902, "message": "Unrecognized chain."}}
            self.chain_id = None
            return {"result": None}
        return self.rpc(method, params)

    def personal_sign(self, data: str) -> str:
        from eth_account.messages import encode_defunct

        raw = bytes.fromhex(data[2:]) if data.startswith("0x") else data.encode()
        return str(self.account.sign_message(encode_defunct(primitive=raw)).signature.to_0x_hex())

    def send_transaction(self, tx: dict[str, Any]) -> dict[str, Any]:
        if str(tx.get("from", self.address)).lower() != self.address.lower():
            return {"error": {"code": 4100, "message": "The requested account is not authorized."}}
        call = {key: tx[key] for key in ("from", "to", "data", "value") if key in tx}
        call["from"] = self.address
        gas = tx.get("gas") or tx.get("gasLimit")
        if gas is None:
            estimate = self.rpc("eth_estimateGas", [call])
            if "error" in estimate:
                return estimate  # a revert: its reason goes back to the page
            gas = estimate["result"]
        from eth_utils import to_checksum_address

        signed = self.account.sign_transaction(
            {
                "to": to_checksum_address(tx["to"]) if tx.get("to") else None,
                "data": tx.get("data", "0x"),
                "value": int(tx.get("value", "0x0"), 16),
                "gas": int(gas, 16) * 12 // 10,
                "gasPrice": int(self._value("eth_gasPrice", []), 16),
                "nonce": int(self._value("eth_getTransactionCount", [self.address, "pending"]), 16),
                "chainId": int(self._value("eth_chainId", []), 16),
            }
        )
        return self.rpc("eth_sendRawTransaction", ["0x" + bytes(signed.raw_transaction).hex()])
