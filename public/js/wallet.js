// Wallets for the pages: the browser wallets the page finds (EIP-6963: each extension announces
// itself, several at once; the legacy window.ethereum when none does), or, on a development
// chain only, one of the demo accounts `tidecast dev` funds (their keys are Anvil's public ones,
// listed at /_dev/chain, which answers only on this machine).
// Wallets are spoken to with EIP-1193 `request` only; switching networks is EIP-3326, adding
// tidecast's network to a wallet that lacks it EIP-3085. Every path ends in an ethers v6 Signer,
// so the pages send transactions one way. Errors become words in wallet-errors.js.
import { ethers } from "/vendor/ethers/ethers.min.js";
import { WalletError, errorKind, reason } from "/js/wallet-errors.js";

export { WalletError, errorKind, reason };

/** @typedef {import("/vendor/ethers/ethers.min.js").Eip1193Provider} Eip1193Provider */
/** @typedef {import("/vendor/ethers/ethers.min.js").Signer} Signer */
/**
 * A wallet's description as it announces itself (EIP-6963): `rdns` names it for good
 * ("io.metamask"), `uuid` this session's instance, `icon` a data: URI.
 * @typedef {{ uuid: string, name: string, icon: string, rdns: string }} WalletInfo
 */
/** @typedef {{ info: WalletInfo, provider: Eip1193Provider }} WalletDetail */
/**
 * A demo account of the development chain (GET /_dev/chain).
 * @typedef {{ index: number, role: string, address: string, privateKey: string, rpcUrl: string }} DemoAccount
 */
/**
 * What connect() gives: an ethers Signer and where it came from (`wallet` is the browser
 * wallet's description, null for a demo account).
 * @typedef {{ signer: Signer, address: string, chainId: number, source: "injected" | "demo", wallet: WalletInfo | null }} Connection
 */

const demoKey = "tidecast.demoAccount";
const walletKey = "tidecast.wallet";
/** The rdns given to window.ethereum when no wallet announces itself (EIP-6963). */
export const legacyRdns = "window.ethereum";

/** @type {Map<string, WalletDetail>} by uuid, in the order they announced themselves */
const announced = new Map();
/** @type {Set<(wallets: WalletDetail[]) => void>} */
const watchers = new Set();
let waited = false;

/** @param {Event} event */
function onAnnounce(event) {
  const detail = /** @type {CustomEvent} */ (event).detail;
  const info = detail?.info;
  if (!info || typeof info.uuid !== "string" || typeof detail.provider?.request !== "function") return;
  const wallet = Object.freeze({
    info: Object.freeze({
      uuid: info.uuid,
      name: typeof info.name === "string" && info.name ? info.name : "Browser wallet",
      icon: typeof info.icon === "string" && info.icon.startsWith("data:image/") ? info.icon : "",
      rdns: typeof info.rdns === "string" ? info.rdns : info.uuid,
    }),
    provider: detail.provider,
  });
  const known = announced.has(info.uuid);
  announced.set(info.uuid, wallet);
  if (!known) for (const watcher of watchers) watcher(announcedWallets());
}

// Listening starts as the module loads, so a wallet that announces itself on its own (as the
// page loads) is kept as well as those answering a request.
if (typeof window !== "undefined") {
  window.addEventListener("eip6963:announceProvider", onAnnounce);
  window.dispatchEvent(new Event("eip6963:requestProvider"));
}

/** @returns {WalletDetail[]} */
function announcedWallets() {
  return [...announced.values()];
}

/** @returns {WalletDetail | null} window.ethereum described as a wallet, or null */
function legacyWallet() {
  const provider = globalThis.ethereum;
  if (!provider || typeof provider.request !== "function") return null;
  const flags = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (provider));
  const name = flags.isMetaMask ? "MetaMask" : flags.isCoinbaseWallet ? "Coinbase Wallet" : flags.isBraveWallet ? "Brave Wallet" : "Browser wallet";
  return { info: { uuid: legacyRdns, name, icon: "", rdns: legacyRdns }, provider };
}

/** @param {number} ms */
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The browser wallets on this page: every wallet that announced itself (EIP-6963), asked again
 * now; when none did, window.ethereum (an older wallet) if present; else an empty list.
 * @param {{ wait?: number }} [options] how long (ms) to give wallets to answer when none has yet
 * @returns {Promise<WalletDetail[]>}
 */
export async function discoverWallets({ wait = 250 } = {}) {
  if (typeof window === "undefined") return [];
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  await pause(0); // wallets answer in the same task, mostly; a later one in the next
  if (announced.size === 0 && wait > 0 && !waited) {
    await pause(wait); // once a page: a wallet that announces later is still kept (onWalletsChange)
    waited = true;
  }
  const wallets = announcedWallets();
  if (wallets.length > 0) return wallets;
  const legacy = legacyWallet();
  return legacy ? [legacy] : [];
}

/**
 * Whether the page has a browser wallet at all, as far as is known now (no waiting).
 * @returns {boolean}
 */
export function hasBrowserWallet() {
  return announced.size > 0 || legacyWallet() !== null;
}

/**
 * Calls `callback` with the whole list each time another wallet announces itself (a wallet
 * extension can load after the page). Returns a function that stops it.
 * @param {(wallets: WalletDetail[]) => void} callback
 * @returns {() => void}
 */
export function onWalletsChange(callback) {
  watchers.add(callback);
  return () => watchers.delete(callback);
}

/**
 * The browser wallet chosen on this browser (its rdns), or null.
 * @returns {string | null}
 */
export function chosenWallet() {
  return localStorage.getItem(walletKey);
}

/**
 * Chooses the browser wallet connect() uses, by its rdns (kept in localStorage); null or ""
 * forgets the choice.
 * @param {string | null} rdns
 * @returns {void}
 */
export function chooseWallet(rdns) {
  if (rdns === null || rdns === "") localStorage.removeItem(walletKey);
  else localStorage.setItem(walletKey, rdns);
}

/**
 * The wallet connect() and switchChain() use: the chosen one if it is here, else the first.
 * @returns {Promise<WalletDetail | null>}
 */
export async function currentWallet() {
  const wallets = await discoverWallets();
  if (wallets.length === 0) return null;
  const chosen = chosenWallet();
  return wallets.find((wallet) => wallet.info.rdns === chosen) ?? wallets[0];
}

/**
 * The demo accounts, or [] when this is not a development chain reachable from here.
 * @returns {Promise<DemoAccount[]>}
 */
export async function demoAccounts() {
  try {
    const reply = await fetch("/_dev/chain", { headers: { Accept: "application/json" } });
    if (!reply.ok) return [];
    const { data } = await reply.json();
    // Account 0 deploys, 1 is the platform: offer the ones meant for viewers and creators.
    return data.accounts
      .filter((/** @type {{role: string}} */ account) => account.role === "viewer")
      .map((/** @type {DemoAccount} */ account) => ({ ...account, rpcUrl: data.rpcUrl }));
  } catch {
    return [];
  }
}

/**
 * The demo account chosen on this browser (its index, as a string), or null.
 * @returns {string | null}
 */
export function chosenDemo() {
  return localStorage.getItem(demoKey);
}

/**
 * Chooses a demo account by index; null or "" goes back to the browser wallet.
 * @param {string | number | null} index
 * @returns {void}
 */
export function chooseDemo(index) {
  if (index === null || index === "") localStorage.removeItem(demoKey);
  else localStorage.setItem(demoKey, String(index));
}

/**
 * Connects: the chosen demo account (when `allowDemo` and one is chosen), else the chosen
 * browser wallet (or the only one, or the first). `expectedChainId` (a number) makes a wallet
 * on another chain a WalletError of kind "wrong-chain" the page can offer to fix (switchChain).
 * @param {{ expectedChainId?: number | null, allowDemo?: boolean }} [options]
 * @returns {Promise<Connection>}
 */
export async function connect({ expectedChainId = null, allowDemo = false } = {}) {
  /** @type {Signer} */
  let signer;
  /** @type {"injected" | "demo"} */
  let source;
  /** @type {WalletInfo | null} */
  let info = null;
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
    const wallet = await currentWallet();
    if (!wallet) {
      throw new WalletError(
        "no-wallet",
        "No wallet found: install a browser wallet such as MetaMask" + (allowDemo ? ", or choose a demo account." : "."),
      );
    }
    try {
      await wallet.provider.request({ method: "eth_requestAccounts" });
    } catch (error) {
      throw new WalletError(errorKind(error) === "rejected" ? "rejected" : "no-wallet", reason(error));
    }
    // The wallet picks nonces; reads (allowance after an approval, balances) are fresh too.
    const provider = new ethers.BrowserProvider(wallet.provider, undefined, { cacheTimeout: -1 });
    provider.pollingInterval = 500; // the dev chain mines in about a second; ethers' default is 4 s
    signer = await provider.getSigner();
    source = "injected";
    info = wallet.info;
  }
  const chainId = Number((await signer.provider.getNetwork()).chainId);
  if (expectedChainId !== null && chainId !== Number(expectedChainId)) {
    const error = new WalletError(
      "wrong-chain",
      `Your wallet is on chain ${chainId}; tidecast runs on chain ${expectedChainId}. Switch your wallet's network.`,
    );
    error.chainId = Number(expectedChainId);
    throw error;
  }
  return { signer, address: await signer.getAddress(), chainId, source, wallet: info };
}

/**
 * What a wallet needs to add tidecast's network (EIP-3085 `wallet_addEthereumChain`), from
 * GET /api/payments/config (a `chain` object or top-level `chainName`, `rpcUrls`/`rpcUrl`,
 * `nativeCurrency`, `blockExplorerUrls`, where the server gives them) and, on a development
 * server, /_dev/chain's RPC URL. Null when no RPC URL is known: a wallet cannot add a network
 * without one.
 * @param {number} chainId
 * @returns {Promise<{ chainId: string, chainName: string, rpcUrls: string[], nativeCurrency: { name: string, symbol: string, decimals: number }, blockExplorerUrls?: string[] } | null>}
 */
export async function chainParameters(chainId) {
  /** @type {any} */
  let config = {};
  try {
    const reply = await fetch("/api/payments/config", { headers: { Accept: "application/json" } });
    if (reply.ok) config = (await reply.json()).data ?? {};
  } catch {
    // the development chain's page below may still know
  }
  const chain = { ...config, ...(typeof config.chain === "object" && config.chain ? config.chain : {}) };
  /** @type {string[]} */
  let rpcUrls = [chain.rpcUrls, chain.rpcUrl].flat().filter((url) => typeof url === "string" && /^https?:\/\//.test(url));
  if (rpcUrls.length === 0 && config.development !== false) {
    try {
      const reply = await fetch("/_dev/chain", { headers: { Accept: "application/json" } });
      const dev = reply.ok ? (await reply.json()).data : null;
      if (dev && Number(dev.chainId) === Number(chainId) && typeof dev.rpcUrl === "string") rpcUrls = [dev.rpcUrl];
    } catch {
      // not a development server
    }
  }
  if (rpcUrls.length === 0) return null;
  const native = chain.nativeCurrency;
  const explorers = [chain.blockExplorerUrls, chain.blockExplorerUrl].flat().filter((url) => typeof url === "string" && url.startsWith("https://"));
  return {
    chainId: ethers.toQuantity(chainId),
    chainName: typeof chain.chainName === "string" ? chain.chainName : typeof chain.name === "string" ? chain.name : `tidecast (chain ${chainId})`,
    rpcUrls,
    nativeCurrency:
      native && typeof native.symbol === "string"
        ? { name: String(native.name ?? native.symbol), symbol: native.symbol, decimals: Number(native.decimals ?? 18) }
        : { name: "Ether", symbol: "ETH", decimals: 18 },
    ...(explorers.length > 0 ? { blockExplorerUrls: explorers } : {}),
  };
}

/**
 * Asks the browser wallet to add tidecast's network (EIP-3085); the wallet shows its own prompt
 * (and most switch to it once added).
 * @param {number} chainId
 * @param {WalletDetail | null} [wallet] the wallet to ask (the current one by default)
 * @returns {Promise<void>}
 */
export async function addChain(chainId, wallet = null) {
  const target = wallet ?? (await currentWallet());
  if (!target) throw new WalletError("no-wallet", "No wallet found.");
  const parameters = await chainParameters(chainId);
  if (!parameters) {
    throw new WalletError(
      "wrong-chain",
      `Your wallet does not know chain ${chainId}, and this site does not publish a way to reach it: add the network in your wallet, then try again.`,
    );
  }
  try {
    await target.provider.request({ method: "wallet_addEthereumChain", params: [parameters] });
  } catch (error) {
    throw new WalletError(errorKind(error) === "rejected" ? "rejected" : "wrong-chain", reason(error));
  }
}

/**
 * Asks the browser wallet to move to `chainId` (EIP-3326); the wallet shows its own prompt.
 * A wallet that does not know the chain (4902) is asked to add it (EIP-3085), then to switch.
 * @param {number} chainId
 * @returns {Promise<void>}
 */
export async function switchChain(chainId) {
  const wallet = await currentWallet();
  if (!wallet) throw new WalletError("no-wallet", "No wallet found.");
  const request = { method: "wallet_switchEthereumChain", params: [{ chainId: ethers.toQuantity(chainId) }] };
  try {
    await wallet.provider.request(request);
    return;
  } catch (error) {
    if (errorKind(error) !== "unknown-chain") {
      throw new WalletError(errorKind(error) === "rejected" ? "rejected" : "wrong-chain", reason(error));
    }
  }
  await addChain(chainId, wallet);
  // Most wallets switch on adding; asking again is harmless and covers those that do not.
  try {
    await wallet.provider.request(request);
  } catch (error) {
    throw new WalletError(errorKind(error) === "rejected" ? "rejected" : "wrong-chain", reason(error));
  }
}
