"""Wallets as the ecosystem does them, in a real browser (Debian's chromium) against the real
platform (`tidecast dev`): two browser wallets announce themselves at once (EIP-6963), the page
sees both and uses the one chosen; a wallet that lacks tidecast's network is asked to add it
(EIP-3085) when switching (EIP-3326) fails with 4902; a refusal (4001) and every other wallet
error reach the person as a sentence.

The wallets are in-page EIP-1193 providers (`request` only) whose calls cross to Python
(tests/support/wallet.py's TestWallet: a demo account's key, everything else forwarded to the
development chain's JSON-RPC), announced as extensions announce themselves."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.support.platform import Platform
from tests.support.wallet import TestWallet

PASSWORD = "correct horse battery"
#: A wallet's icon as EIP-6963 wants it: a data: URI (an empty SVG).
ICON = "data:image/svg+xml,%3Csvg%20xmlns%3D%22http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%22%2F%3E"

ANNOUNCE = """
((wallets) => {
  const details = wallets.map((info) => {
    const provider = {
      async request({ method, params }) {
        const reply = await window.__tidecastWallets(info.rdns, method, params ?? []);
        if (reply.error) {
          const error = new Error(reply.error.message);
          error.code = reply.error.code;
          if (reply.error.data !== undefined) error.data = reply.error.data;
          throw error;
        }
        return reply.result;
      },
      on() { return this; },
      removeListener() { return this; },
    };
    return Object.freeze({ info: Object.freeze({ ...info }), provider });
  });
  const announce = () => {
    for (const detail of details) {
      window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail }));
    }
  };
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})(%s);
"""


class AnnouncedWallet(TestWallet):
    """A TestWallet that announces itself by EIP-6963 and, like MetaMask, may not know the
    node's chain until asked to add it (`wallet_addEthereumChain`, which also switches to it)."""

    __test__ = False

    def __init__(self, platform: Platform, index: int, name: str, rdns: str) -> None:
        super().__init__(platform.rpc_url, platform.chain()["accounts"][index]["privateKey"])
        self.info = {"uuid": str(uuid.uuid4()), "name": name, "icon": ICON, "rdns": rdns}
        self.knows_the_chain = True
        self.added: list[dict[str, Any]] = []

    def handle(self, method: str, params: list[Any]) -> dict[str, Any]:
        if method in self.reject:
            return super().handle(method, params)
        if method == "wallet_switchEthereumChain" and not self.knows_the_chain:
            self.calls.append(method)
            return {"error": {"code": 4902, "message": "Unrecognized chain ID. Try adding the chain first."}}
        if method == "wallet_addEthereumChain":
            self.calls.append(method)
            self.added.append(params[0])
            node = int(self._value("eth_chainId", []), 16)
            if int(params[0]["chainId"], 16) != node or not params[0].get("rpcUrls"):
                return {"error": {"code": -32602, "message": "Invalid parameters."}}
            self.knows_the_chain, self.chain_id = True, None  # added, and switched to it
            return {"result": None}
        return super().handle(method, params)


def install(page: Any, *wallets: AnnouncedWallet) -> None:
    by_rdns = {wallet.info["rdns"]: wallet for wallet in wallets}
    page.expose_binding(
        "__tidecastWallets", lambda _source, rdns, method, params: by_rdns[rdns].answer(method, params)
    )
    page.add_init_script(ANNOUNCE % json.dumps([wallet.info for wallet in wallets]))


def in_page(page: Any, body: str, arg: Any = None) -> Any:
    """Runs `body` (an async function's body) in the page with wallet.js imported as `w`."""
    return page.evaluate(f"async (arg) => {{ const w = await import('/js/wallet.js'); {body} }}", arg)


@pytest.fixture
def two_wallets(platform: Platform, browser: Any) -> Any:
    alpha = AnnouncedWallet(platform, 4, "Alpha Wallet", "org.example.alpha")
    beta = AnnouncedWallet(platform, 5, "Beta Wallet", "org.example.beta")
    page = browser.new_page()
    install(page, alpha, beta)
    page.goto(platform.base + "/")
    in_page(page, "w.chooseWallet(null); w.chooseDemo(null);")
    yield page, alpha, beta
    page.close()


def test_both_announced_wallets_are_seen_and_the_chosen_one_connects(
    platform: Platform, two_wallets: Any
) -> None:
    page, alpha, beta = two_wallets
    found = in_page(page, "return (await w.discoverWallets()).map((wallet) => wallet.info);")
    assert [(info["name"], info["rdns"], info["uuid"]) for info in found] == [
        ("Alpha Wallet", "org.example.alpha", alpha.info["uuid"]),
        ("Beta Wallet", "org.example.beta", beta.info["uuid"]),
    ]
    assert all(info["icon"] == ICON for info in found)
    assert in_page(page, "return w.hasBrowserWallet();") is True

    # None chosen: the first; chosen: that one, remembered across a reload.
    connect = (
        "const c = await w.connect(); return { address: c.address, rdns: c.wallet.rdns, source: c.source };"
    )
    assert in_page(page, connect) == {
        "address": alpha.address,
        "rdns": "org.example.alpha",
        "source": "injected",
    }
    alpha.calls.clear()
    in_page(page, "w.chooseWallet('org.example.beta');")
    page.reload()
    assert in_page(page, "return w.chosenWallet();") == "org.example.beta"
    assert in_page(page, connect) == {
        "address": beta.address,
        "rdns": "org.example.beta",
        "source": "injected",
    }
    assert "eth_requestAccounts" in beta.calls and alpha.calls == []

    # A chosen wallet that is gone (its extension removed): the first one present.
    in_page(page, "w.chooseWallet('org.example.gone');")
    assert in_page(page, connect)["rdns"] == "org.example.alpha"
    assert alpha.failures == [] and beta.failures == []


def test_a_wallet_without_the_chain_is_asked_to_add_it(platform: Platform, two_wallets: Any) -> None:
    page, alpha, beta = two_wallets
    chain_id = int(platform.chain()["chainId"])
    in_page(page, "w.chooseWallet('org.example.beta');")
    beta.chain_id, beta.knows_the_chain = 1, False  # on mainnet, tidecast's network unknown to it

    wrong = in_page(
        page,
        "try { await w.connect({ expectedChainId: arg }); return null; }"
        " catch (error) { return { kind: error.kind, chainId: error.chainId, message: error.message }; }",
        chain_id,
    )
    assert wrong == {
        "kind": "wrong-chain",
        "chainId": chain_id,
        "message": (
            f"Your wallet is on chain 1; tidecast runs on chain {chain_id}. Switch your wallet's network."
        ),
    }

    # Refusing to add it is said in words, and nothing changes.
    beta.reject = {"wallet_addEthereumChain"}
    refused = in_page(
        page,
        "try { await w.switchChain(arg); return null; } catch (error) { return error.message; }",
        chain_id,
    )
    assert refused == "You rejected the request in your wallet. Nothing was sent."
    assert beta.chain_id == 1

    beta.reject = set()
    beta.calls.clear()
    in_page(page, "await w.switchChain(arg);", chain_id)
    assert beta.calls == [
        "wallet_switchEthereumChain",
        "wallet_addEthereumChain",
        "wallet_switchEthereumChain",
    ]
    added = beta.added[-1]
    assert added["chainId"] == hex(chain_id)
    assert added["rpcUrls"] == [platform.rpc_url]  # the development chain's, from /_dev/chain
    assert added["nativeCurrency"] == {"name": "Ether", "symbol": "ETH", "decimals": 18}
    assert added["chainName"]
    connected = in_page(
        page, "const c = await w.connect({ expectedChainId: arg }); return c.chainId;", chain_id
    )
    assert connected == chain_id
    assert alpha.calls == []


def test_a_refusal_in_the_wallet_is_said_in_words_on_the_account_page(
    platform: Platform, two_wallets: Any
) -> None:
    from playwright.sync_api import expect

    page, alpha, beta = two_wallets
    base = platform.base
    reply = httpx.post(
        base + "/api/auth/register",
        json={"username": "wanda", "email": "wanda@example.com", "password": PASSWORD},
        timeout=30,
    )
    assert reply.status_code == 202, reply.text
    token = httpx.post(
        base + "/api/auth/login", json={"username": "wanda", "password": PASSWORD}, timeout=30
    ).json()["token"]
    page.goto(base + "/account/")
    page.evaluate(
        "(token) => { sessionStorage.setItem('tidecast.token', token);"
        " localStorage.setItem('tidecast.wallet', 'org.example.beta'); }",
        token,
    )
    page.reload()
    beta.reject = {"eth_requestAccounts"}
    page.get_by_role("button", name="Link a wallet").click()
    expect(page.get_by_text("You rejected the request in your wallet. Nothing was sent.")).to_be_visible()
    assert beta.calls == ["eth_requestAccounts"] and "eth_requestAccounts" not in alpha.calls


#: Every wallet error the pages may meet, as wallets, ethers and nodes raise them.
WALLET_ERRORS = {
    "4001": {"code": 4001, "message": "User rejected the request."},
    "ACTION_REJECTED": {"code": "ACTION_REJECTED", "message": "user rejected action"},
    "4100": {
        "code": 4100,
        "message": "The requested account and/or method has not been authorized by the user.",
    },
    "4200": {"code": 4200, "message": "The requested method is not supported by this Ethereum provider."},
    "4900": {"code": 4900, "message": "Disconnected"},
    "4901": {"code": 4901, "message": "Chain disconnected"},
    "4902": {"code": 4902, "message": "Unrecognized chain ID"},
    "-32002": {"code": -32002, "message": "Request of type 'wallet_requestPermissions' already pending"},
    "-32603": {"code": -32603, "message": "Internal JSON-RPC error."},
    "-32000": {"code": -32000, "message": "insufficient funds for gas * price + value"},
    "-32000 other": {"code": -32000, "message": "header not found"},
    "INSUFFICIENT_FUNDS": {"code": "INSUFFICIENT_FUNDS", "message": "insufficient funds"},
    "CALL_EXCEPTION": {
        "code": "CALL_EXCEPTION",
        "message": "execution reverted",
        "reason": "stream is closed",
    },
    "NETWORK_ERROR": {"code": "NETWORK_ERROR", "message": "network error"},
    "fetch": {"message": "Failed to fetch"},
    "wrapped 4902": {
        "code": -32603,
        "message": "Internal JSON-RPC error (wrapped).",
        "data": {"originalError": {"code": 4902, "message": "Unrecognized chain ID 0x7a69."}},
    },
    "coalesced": {"code": "UNKNOWN_ERROR", "message": "could not coalesce error", "error": {"code": 4001}},
}


def test_every_wallet_error_has_a_sentence(two_wallets: Any) -> None:
    page, _alpha, _beta = two_wallets
    said = in_page(
        page,
        "const out = {}; for (const [name, raw] of Object.entries(arg)) {"
        " const error = Object.assign(new Error(raw.message ?? ''), raw);"
        " out[name] = { kind: w.errorKind(error), text: w.reason(error) }; } return out;",
        WALLET_ERRORS,
    )
    kinds = {name: said[name]["kind"] for name in WALLET_ERRORS}
    assert kinds == {
        "4001": "rejected",
        "ACTION_REJECTED": "rejected",
        "4100": "unauthorized",
        "4200": "unsupported",
        "4900": "disconnected",
        "4901": "disconnected",
        "4902": "unknown-chain",
        "-32002": "pending",
        "-32603": "internal",
        "-32000": "insufficient-funds",
        "-32000 other": "node",
        "INSUFFICIENT_FUNDS": "insufficient-funds",
        "CALL_EXCEPTION": "reverted",
        "NETWORK_ERROR": "network",
        "fetch": "network",
        "wrapped 4902": "unknown-chain",
        "coalesced": "rejected",
    }
    for name, raw in WALLET_ERRORS.items():
        text = said[name]["text"]
        assert text.endswith(".") and text[0].isupper(), (name, text)
        assert raw["message"] not in text and str(raw.get("code", "¤")) not in text, (name, text)
    assert (
        said["CALL_EXCEPTION"]["text"]
        == "The payment contract refused the transaction: stream is closed. Nothing was paid."
    )
    assert len({said[name]["text"] for name in WALLET_ERRORS}) == len(
        set(kinds.values())
    )  # one sentence a kind


def test_without_announcements_window_ethereum_is_the_wallet(platform: Platform, browser: Any) -> None:
    account = platform.chain()["accounts"][6]
    legacy = TestWallet(platform.rpc_url, account["privateKey"])
    page = browser.new_page()
    legacy.install(page)
    page.goto(platform.base + "/")
    found = in_page(
        page,
        "w.chooseWallet(null); w.chooseDemo(null); return (await w.discoverWallets()).map((x) => x.info);",
    )
    assert found == [
        {"uuid": "window.ethereum", "name": "Browser wallet", "icon": "", "rdns": "window.ethereum"}
    ]
    assert in_page(page, "return (await w.connect()).address;") == legacy.address
    page.close()
