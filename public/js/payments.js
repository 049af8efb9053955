// Payment streams from the browser: the platform's contracts (addresses from
// GET /api/payments/config, ABIs from /js/contracts.json, which `make contracts` writes from
// the compiled artifacts) driven through the user's own wallet. Amounts are decimal strings of
// whole tokens outside the chain and bigint smallest units on it (ethers' parseUnits and
// formatUnits with the token's decimals): never floats on the money path.
import { ethers } from "/vendor/ethers/ethers.min.js";
import { api } from "/js/api.js";
import { WalletError } from "/js/wallet.js";

/** @type {Promise<any> | null} */
let configPromise = null;
/** @type {Promise<any> | null} */
let abisPromise = null;

/**
 * The platform's payment settings (GET /api/payments/config: chain, contracts, token, gas),
 * read once a page.
 * @returns {Promise<any>}
 */
export function paymentsConfig() {
  configPromise ??= api("/api/payments/config").then((reply) => reply.data);
  return configPromise;
}

/** @returns {Promise<any>} the contracts' ABIs */
function abis() {
  abisPromise ??= fetch("/js/contracts.json").then((reply) => reply.json());
  return abisPromise;
}

/**
 * The payment contract and the token, bound to `signer`.
 * @param {any} signer an ethers Signer
 * @returns {Promise<{config: any, stream: any, token: any}>}
 */
export async function contracts(signer) {
  const [config, abi] = await Promise.all([paymentsConfig(), abis()]);
  return {
    config,
    stream: new ethers.Contract(config.paymentStream, abi.PaymentStream, signer),
    token: new ethers.Contract(config.token.address, abi.DemoToken, signer),
  };
}

/**
 * A decimal amount of whole tokens in smallest units: units("0.3", 18).
 * @param {string | number} amount
 * @param {number} decimals
 * @returns {bigint}
 */
export function units(amount, decimals) {
  return ethers.parseUnits(String(amount), decimals);
}

/**
 * Smallest units as a decimal string of whole tokens ("0.3", "5").
 * @param {bigint} amount
 * @param {number} decimals
 * @returns {string}
 */
export function tokens(amount, decimals) {
  const text = ethers.formatUnits(amount, decimals);
  return text.endsWith(".0") ? text.slice(0, -2) : text;
}

/**
 * What a whole number of seconds costs at `price` (whole tokens a second), in smallest units.
 * @param {string} price
 * @param {number} seconds
 * @param {number} decimals
 * @returns {bigint}
 */
export function cost(price, seconds, decimals) {
  return units(price, decimals) * BigInt(Math.round(seconds));
}

/**
 * Refuses before the wallet prompts when the balance cannot cover `amount` (smallest units).
 * @param {any} token
 * @param {string} owner
 * @param {bigint} amount
 * @param {any} config
 * @returns {Promise<void>}
 */
async function requireBalance(token, owner, amount, config) {
  const balance = await token.balanceOf(owner);
  if (balance < amount) {
    const { symbol, decimals } = config.token;
    throw new WalletError(
      "insufficient",
      `Not enough ${symbol}: this needs ${tokens(amount, decimals)} ${symbol}, your wallet holds ${tokens(balance, decimals)} ${symbol}.`,
    );
  }
}

// Sends `contract[method](...args)` and waits for its receipt, with a gas limit above the node's
// estimate: the estimate runs against the latest block, and a stream's top-up or cancel costs
// more once time has passed since (tidecast/chain/gas.py measures it; the config carries its
// figures). A wallet that estimates for itself would otherwise send the bare figure, and the
// transaction would run out of gas and revert. Transactions go one at a time: each waits for
// the previous one's receipt, and its nonce is then taken afresh from the node by the signer
// (wallet.js turns ethers' request cache off) or chosen by the user's wallet.
/**
 * @param {any} contract
 * @param {string} method
 * @param {...any} args
 * @returns {Promise<any>} the receipt
 */
async function send(contract, method, ...args) {
  const { gas } = await paymentsConfig();
  const estimate = await contract[method].estimateGas(...args);
  const gasLimit = estimate + (estimate * BigInt(gas.headroomPercent)) / 100n + BigInt(gas.headroomGas);
  return (await contract[method](...args, { gasLimit })).wait();
}

/**
 * ERC-20 approval for exactly what is about to be pulled (no standing unlimited allowance).
 * @param {any} token
 * @param {string} owner
 * @param {string} spender
 * @param {bigint} amount
 * @returns {Promise<void>}
 */
async function approve(token, owner, spender, amount) {
  if ((await token.allowance(owner, spender)) >= amount) return;
  await send(token, "approve", spender, amount);
}

/**
 * Opens a payment stream to `recipient` at `flowRate` (smallest units a second) with `deposit`.
 * @param {any} signer an ethers Signer
 * @param {string} recipient
 * @param {bigint} flowRate
 * @param {bigint} deposit
 * @param {(step: string) => void} [onStep] told each step, to show while the wallet asks
 * @returns {Promise<string>} the new payment stream's id, a decimal string
 */
export async function openStream(signer, recipient, flowRate, deposit, onStep = (_step) => {}) {
  const { config, stream, token } = await contracts(signer);
  const owner = await signer.getAddress();
  await requireBalance(token, owner, deposit, config);
  onStep("Approving the deposit in your wallet…");
  await approve(token, owner, config.paymentStream, deposit);
  onStep("Opening the payment stream in your wallet…");
  const receipt = await send(stream, "createStream", recipient, config.token.address, flowRate, deposit);
  for (const log of receipt.logs) {
    let parsed;
    try {
      parsed = stream.interface.parseLog(log);
    } catch {
      continue; // the token's Transfer/Approval
    }
    if (parsed?.name === "StreamCreated") return parsed.args.streamId.toString();
  }
  throw new WalletError("receipt", "The payment stream was created but its id is not in the receipt: reload the page to see it.");
}

/**
 * Adds `amount` (smallest units) to a running payment stream.
 * @param {any} signer
 * @param {string} streamId
 * @param {bigint} amount
 * @param {(step: string) => void} [onStep]
 * @returns {Promise<void>}
 */
export async function topUp(signer, streamId, amount, onStep = (_step) => {}) {
  const { config, stream, token } = await contracts(signer);
  const owner = await signer.getAddress();
  await requireBalance(token, owner, amount, config);
  onStep("Approving the top-up in your wallet…");
  await approve(token, owner, config.paymentStream, amount);
  onStep("Topping up in your wallet…");
  await send(stream, "topUp", streamId, amount);
}

/**
 * Cancels a payment stream: what streamed goes to the recipient, the rest back to the sender.
 * @param {any} signer
 * @param {string} streamId
 * @returns {Promise<void>}
 */
export async function cancelStream(signer, streamId) {
  const { stream } = await contracts(signer);
  await send(stream, "cancel", streamId);
}

/**
 * Withdraws all that has accrued to the caller (the recipient) so far.
 * @param {any} signer
 * @param {string} streamId
 * @returns {Promise<bigint>} the amount, in smallest units
 */
export async function withdrawAll(signer, streamId) {
  const { stream } = await contracts(signer);
  const amount = await stream.balanceOf(streamId, await signer.getAddress());
  if (amount === 0n) throw new WalletError("insufficient", `Nothing has accrued on payment stream ${streamId} yet.`);
  await send(stream, "withdraw", streamId, amount);
  return amount;
}

/**
 * "1 h 2 min", "42 s": how long a balance lasts.
 * @param {number} seconds
 * @returns {string}
 */
export function duration(seconds) {
  if (!Number.isFinite(seconds)) return "indefinitely";
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
