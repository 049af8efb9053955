"""Opening payment streams from the browser, many times in a row, through the site's own modules
(/js/wallet.js, /js/payments.js, ethers 6 as vendored) in Chromium against the platform
(`tidecast dev`, the embedded chain mining a block a second).

Issue 18: about one open in five failed with ethers' "could not coalesce error" ("Invalid
transaction nonce: Expected 64, but got 63"): the approval and `createStream` went out with the
same nonce. ethers' providers answer a repeated request from a cache for 250 ms
(`cacheTimeout`), `eth_getTransactionCount(…, "pending")` included; when the approval was mined
within that time, `createStream` reused its nonce. And every wallet error the pages show must be
a sentence for a person, never a library's text."""

from __future__ import annotations

import time
from typing import Any

from tests.support.platform import Platform
from tests.support.wallet import TestWallet

OPEN_MANY = """async ([recipient, count]) => {
  const { connect, reason } = await import("/js/wallet.js");
  const { openStream, paymentsConfig } = await import("/js/payments.js");
  const config = await paymentsConfig();
  const { signer, source } = await connect({ expectedChainId: config.chainId, allowDemo: true });
  const ids = [];
  const failures = [];
  for (let i = 0; i < count; i++) {
    try {
      ids.push(await openStream(signer, recipient, 1n, 60n));
    } catch (error) {
      failures.push(`${reason(error)} [${error.shortMessage || error.message}]`);
    }
  }
  return { ids, failures, source };
}"""


def accounts(platform: Platform) -> list[dict[str, Any]]:
    return list(platform.chain()["accounts"])


def test_thirty_streams_in_a_row_with_a_demo_account(platform: Platform, browser: Any) -> None:
    """The demo account's signer (an ethers Wallet on a JsonRpcProvider to the chain) takes its
    nonces from the node: each one fresh."""
    chain = accounts(platform)
    viewer = next(a for a in chain if a["role"] == "viewer")
    recipient = next(a for a in chain if a["role"] == "viewer" and a["index"] != viewer["index"])
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(platform.base + "/")
    page.evaluate("(index) => localStorage.setItem('tidecast.demoAccount', String(index))", viewer["index"])
    started = time.monotonic()
    result = page.evaluate(OPEN_MANY, [recipient["address"], 30])
    took = time.monotonic() - started
    print(f"30 payment streams opened in {took:.1f} s ({took / 30:.2f} s each)")
    assert result["source"] == "demo"
    assert result["failures"] == [], result["failures"]
    assert len(result["ids"]) == 30 and len(set(result["ids"])) == 30
    assert [int(i) for i in result["ids"]] == sorted(int(i) for i in result["ids"])
    assert errors == []
    page.close()


def test_five_streams_in_a_row_with_an_injected_wallet(platform: Platform, browser: Any) -> None:
    """A browser wallet (EIP-1193) chooses its own nonces; the page must not race it either
    (five: the demo account's thirty above are where the race showed, one time in fifteen)."""
    chain = accounts(platform)
    viewers = [a for a in chain if a["role"] == "viewer"]
    wallet = TestWallet(platform.rpc_url, viewers[-1]["privateKey"])
    page = browser.new_page()
    wallet.install(page)
    page.goto(platform.base + "/")
    page.evaluate("() => localStorage.removeItem('tidecast.demoAccount')")
    result = page.evaluate(OPEN_MANY, [viewers[0]["address"], 5])
    assert result["source"] == "injected"
    assert result["failures"] == [], result["failures"]
    assert len(set(result["ids"])) == 5
    assert wallet.failures == []
    page.close()


WALLET_ERRORS = """async ([rpcUrl, deadUrl, demoKey, recipient]) => {
  const { ethers } = await import("/vendor/ethers/ethers.min.js");
  const { reason, errorKind } = await import("/js/wallet.js");
  const { openStream } = await import("/js/payments.js");
  const options = { staticNetwork: true, pollingInterval: 500, cacheTimeout: -1 };
  const provider = new ethers.JsonRpcProvider(rpcUrl, undefined, options);
  const demo = new ethers.Wallet(demoKey, provider);
  const out = {};
  async function record(name, attempt) {
    try {
      await attempt();
      out[name] = { kind: "none", text: "it did not fail" };
    } catch (error) {
      const inner = error.error?.message || error.info?.error?.message || "";
      const raw = `${error.shortMessage || error.message} / ${inner}`;
      out[name] = { kind: errorKind(error), text: reason(error), raw };
    }
  }
  await (await demo.sendTransaction({ to: recipient, value: 1n })).wait(); // nonce 0 is used now
  const stale = { to: recipient, value: 1n, nonce: 0 };
  await record("nonce", async () => (await demo.sendTransaction(stale)).wait());
  const broke = ethers.Wallet.createRandom().connect(provider);
  const gasless = { to: recipient, value: 1n, gasLimit: 21000n };
  await record("insufficient-funds", async () => broke.sendTransaction(gasless));
  await record("reverted", async () => openStream(demo, await demo.getAddress(), 1n, 60n));
  const dead = new ethers.JsonRpcProvider(deadUrl, undefined, options);
  await record("network", async () => dead.getBalance(recipient));
  await record("unknown", async () => { throw new Error("internal: frobnicator state 0x2a invalid"); });
  return out;
}"""


def test_every_wallet_error_is_said_in_words(platform: Platform, browser: Any) -> None:
    """Real failures from the chain, ethers and a wallet, each turned into a sentence by
    wallet.js's `reason` (the one place the pages do it); no library text reaches the page."""
    from tests.support.parts import free_port

    chain = accounts(platform)
    viewers = [a for a in chain if a["role"] == "viewer"]
    page = browser.new_page()
    page.goto(platform.base + "/")
    dead = f"http://127.0.0.1:{free_port()}"
    found = page.evaluate(
        WALLET_ERRORS, [platform.rpc_url, dead, viewers[1]["privateKey"], viewers[0]["address"]]
    )
    expected = {
        "nonce": "transaction count was out of step",
        "insufficient-funds": "too little ETH to pay the network fee",
        "reverted": "The payment contract refused the transaction: recipient is the sender. Nothing was paid",
        "network": "The chain did not answer",
        "unknown": "unexpected error",
    }
    for kind, words in expected.items():
        assert found[kind]["kind"] == kind, found[kind]
        assert words in found[kind]["text"], found[kind]
        for library_text in ("coalesce", "code=", "version=", "0x", "UNKNOWN_ERROR", "frobnicator"):
            assert library_text not in found[kind]["text"], found[kind]

    # The user says no in an injected wallet: the page's own flow, with its words.
    wallet = TestWallet(platform.rpc_url, viewers[2]["privateKey"])
    wallet.reject.add("eth_sendTransaction")
    rejecting = browser.new_page()
    wallet.install(rejecting)
    rejecting.goto(platform.base + "/")
    rejecting.evaluate("() => localStorage.removeItem('tidecast.demoAccount')")
    said = rejecting.evaluate(OPEN_MANY, [viewers[0]["address"], 1])
    assert said["failures"][0].startswith("You rejected the request in your wallet. Nothing was sent."), said
    assert "eth_sendTransaction" in wallet.calls
    page.close()
    rejecting.close()
