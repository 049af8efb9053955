// Wallets for the pages: an injected EIP-1193 provider (MetaMask and the like: window.ethereum),
// or, on a development chain only, one of the demo accounts `tidecast dev` funds (their keys are
// Anvil's public ones, listed at /_dev/chain, which answers only on this machine).
// Every path ends in an ethers v6 Signer, so the pages send transactions one way.
import { ethers } from "/vendor/ethers/ethers.min.js";

// A failure the user can act on: `kind` says which ("no-wallet", "wrong-chain", "rejected",
// "insufficient", "not-linked", "wrong-wallet", "no-creator-wallet", "receipt"), the message
// says what to do.
export class WalletError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

const demoKey = "tidecast.demoAccount";

// The demo accounts, or [] when this is not a development chain reachable from here.
export async function demoAccounts() {
  try {
    const reply = await fetch("/_dev/chain", { headers: { Accept: "application/json" } });
    if (!reply.ok) return [];
    const { data } = await reply.json();
    // Account 0 deploys, 1 is the platform: offer the ones meant for viewers and creators.
    return data.accounts.filter((account) => account.role === "viewer").map((account) => ({ ...account, rpcUrl: data.rpcUrl }));
  } catch {
    return [];
  }
}

export function chosenDemo() {
  return localStorage.getItem(demoKey);
}

export function chooseDemo(index) {
  if (index === null || index === "") localStorage.removeItem(demoKey);
  else localStorage.setItem(demoKey, String(index));
}

// What kind of failure an error from a wallet, ethers or a node is: "rejected" (the user said
// no), "insufficient-funds" (no ETH for gas), "nonce" (the transaction count was out of step),
// "reverted" (the contract refused), "network" (the node or wallet did not answer), "unknown".
// Wallets and nodes word these differently; ethers wraps what it cannot sort as UNKNOWN_ERROR
// ("could not coalesce error") with the node's error inside.
export function errorKind(error) {
  const codes = [error?.code, error?.error?.code, error?.info?.error?.code, error?.error?.error?.code];
  const text = [error?.message, error?.error?.message, error?.info?.error?.message, error?.error?.error?.message]
    .filter((part) => typeof part === "string")
    .join(" ")
    .toLowerCase();
  if (codes.includes(4001) || codes.includes("ACTION_REJECTED") || /user (rejected|denied)/.test(text)) return "rejected";
  // geth and Anvil: "insufficient funds for gas * price + value"; py-evm (the embedded chain):
  // "Sender … cannot afford txn gas … with account balance 0".
  if (codes.includes("INSUFFICIENT_FUNDS") || /insufficient funds|cannot afford txn/.test(text)) return "insufficient-funds";
  if (codes.includes("NONCE_EXPIRED") || codes.includes("REPLACEMENT_UNDERPRICED") || /\bnonce\b/.test(text)) return "nonce";
  if (codes.includes("CALL_EXCEPTION") || /execution reverted|\breverted\b/.test(text)) return "reverted";
  if (
    ["NETWORK_ERROR", "SERVER_ERROR", "TIMEOUT"].some((code) => codes.includes(code)) ||
    /failed to fetch|networkerror|network error|load failed/.test(text)
  ) {
    return "network";
  }
  return "unknown";
}

// A sentence for a person, for any error a page shows after a wallet, ethers or the API
// failed: the one place the pages turn errors into words. A library's own text (codes, "could
// not coalesce error", hex data) never reaches the page; it goes to the console.
export function reason(error) {
  if (error instanceof WalletError) return error.message;
  if (typeof error?.status === "number") return error.message; // the API's own words (api.js)
  const kind = errorKind(error);
  if (kind !== "rejected") console.error("wallet or chain error:", error);
  switch (kind) {
    case "rejected":
      return "You rejected the request in your wallet. Nothing was sent.";
    case "insufficient-funds":
      return "Your wallet holds too little ETH to pay the network fee (gas) for this transaction. Nothing was sent.";
    case "nonce":
      return "Your wallet's transaction count was out of step with the chain (another transaction went out at the same moment). Nothing was paid: try again.";
    case "reverted": {
      const why = typeof error?.reason === "string" && error.reason.length <= 200 ? error.reason : null;
      return why
        ? `The payment contract refused the transaction: ${why}. Nothing was paid.`
        : "The payment contract refused the transaction. Nothing was paid.";
    }
    case "network":
      return "The chain did not answer: check your connection and try again. Any transaction that was sent is listed in your wallet.";
    default:
      return "Your wallet or the chain reported an unexpected error, and this step did not finish. Try again; the details are in the browser's console.";
  }
}

// Connects: { signer, address, chainId, source: "injected" | "demo" }. `expectedChainId`
// (a number) makes a wallet on another chain an error the page can offer to fix.
export async function connect({ expectedChainId = null, allowDemo = false } = {}) {
  let signer;
  let source;
  const demo = allowDemo ? chosenDemo() : null;
  if (demo !== null) {
    const account = (await demoAccounts()).find((candidate) => String(candidate.index) === demo);
    if (!account) throw new WalletError("no-wallet", `Demo account ${demo} is not available (is this the development server?).`);
    // cacheTimeout -1: ethers answers a request repeated within 250 ms from a cache, and the
    // signer takes each nonce with eth_getTransactionCount(…, "pending"): an approval mined
    // within that time left createStream its nonce (issue 18, about one open in five).
    const provider = new ethers.JsonRpcProvider(account.rpcUrl, undefined, {
      staticNetwork: true,
      pollingInterval: 500,
      cacheTimeout: -1,
    });
    signer = new ethers.Wallet(account.privateKey, provider);
    source = "demo";
  } else {
    if (!globalThis.ethereum) {
      throw new WalletError(
        "no-wallet",
        "No wallet found: install a browser wallet such as MetaMask" + (allowDemo ? ", or choose a demo account." : "."),
      );
    }
    // The wallet picks nonces; reads (allowance after an approval, balances) are fresh too.
    const provider = new ethers.BrowserProvider(globalThis.ethereum, undefined, { cacheTimeout: -1 });
    provider.pollingInterval = 500; // the dev chain mines in about a second; ethers' default is 4 s
    try {
      await provider.send("eth_requestAccounts", []);
    } catch (error) {
      throw new WalletError("rejected", reason(error));
    }
    signer = await provider.getSigner();
    source = "injected";
  }
  const chainId = Number((await signer.provider.getNetwork()).chainId);
  if (expectedChainId !== null && chainId !== Number(expectedChainId)) {
    throw new WalletError(
      "wrong-chain",
      `Your wallet is on chain ${chainId}; tidecast runs on chain ${expectedChainId}. Switch your wallet's network.`,
    );
  }
  return { signer, address: await signer.getAddress(), chainId, source };
}

// Asks an injected wallet to move to `chainId` (EIP-3326); the wallet shows its own prompt.
export async function switchChain(chainId) {
  if (!globalThis.ethereum) throw new WalletError("no-wallet", "No wallet found.");
  try {
    await globalThis.ethereum.request({ method: "wallet_switchEthereumChain", params: [{ chainId: ethers.toQuantity(chainId) }] });
  } catch (error) {
    if (error?.code === 4902) {
      throw new WalletError("wrong-chain", `Your wallet does not know chain ${chainId}: add it (its RPC URL is on /_dev/chain in development).`);
    }
    throw new WalletError("rejected", reason(error));
  }
}
