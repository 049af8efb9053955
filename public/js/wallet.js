// Wallets for the pages: an injected EIP-1193 provider (MetaMask and the like: window.ethereum),
// or, on a development chain only, one of the demo accounts `tidecast dev` funds (their keys are
// Anvil's public ones, listed at /_dev/chain, which answers only on this machine).
// Every path ends in an ethers v6 Signer, so the pages send transactions one way.
import { ethers } from "/vendor/ethers/ethers.min.js";

// A failure the user can act on: `kind` says which ("no-wallet", "wrong-chain", "rejected",
// "insufficient"), the message says what to do.
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

// A short, human reason for an error from a wallet or a node (user rejection, revert reason).
export function reason(error) {
  if (error instanceof WalletError) return error.message;
  if (error?.code === 4001 || error?.code === "ACTION_REJECTED" || error?.info?.error?.code === 4001) {
    return "You rejected the request in your wallet.";
  }
  return error?.reason || error?.shortMessage || error?.info?.error?.message || error?.message || String(error);
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
    const provider = new ethers.JsonRpcProvider(account.rpcUrl, undefined, { staticNetwork: true, pollingInterval: 500 });
    signer = new ethers.Wallet(account.privateKey, provider);
    source = "demo";
  } else {
    if (!globalThis.ethereum) {
      throw new WalletError(
        "no-wallet",
        "No wallet found: install a browser wallet such as MetaMask" + (allowDemo ? ", or choose a demo account." : "."),
      );
    }
    const provider = new ethers.BrowserProvider(globalThis.ethereum);
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
