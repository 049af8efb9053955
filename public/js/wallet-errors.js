// Wallet, ethers and node errors in words for people: the one place the pages turn a failure of
// a wallet (EIP-1193 and EIP-1474 codes), of ethers v6 (its string codes) or of a node (its
// messages) into a sentence. A library's own text (codes, "could not coalesce error", hex data)
// never reaches the page; it goes to the console.

/**
 * A failure the user can act on: `kind` says which ("no-wallet", "wrong-chain", "rejected",
 * "insufficient", "not-linked", "wrong-wallet", "no-creator-wallet", "receipt", "signed-out"),
 * the message says what to do.
 */
export class WalletError extends Error {
  /**
   * @param {string} kind
   * @param {string} message a sentence for a person
   */
  constructor(kind, message) {
    super(message);
    this.name = "WalletError";
    this.kind = kind;
    /** @type {number | undefined} the chain a "wrong-chain" error wants */
    this.chainId = undefined;
  }
}

/**
 * The kinds errorKind tells apart.
 * @typedef {"rejected" | "pending" | "insufficient-funds" | "nonce" | "reverted" | "unknown-chain"
 *   | "unauthorized" | "unsupported" | "disconnected" | "network" | "internal" | "node" | "unknown"} ErrorKind
 */

/**
 * Every code an error carries, at any depth wallets and ethers nest them: ethers wraps what it
 * cannot sort as UNKNOWN_ERROR ("could not coalesce error") with the wallet's error in `error`
 * or `info.error`; MetaMask puts the original in `data.originalError`.
 * @param {any} error
 * @returns {{ codes: unknown[], text: string }}
 */
function parts(error) {
  const nested = [
    error,
    error?.error,
    error?.info?.error,
    error?.error?.error,
    error?.data?.originalError,
    error?.error?.data?.originalError,
    error?.info?.error?.data?.originalError,
    error?.cause,
  ];
  const codes = nested.map((part) => part?.code).filter((code) => code !== undefined && code !== null);
  const text = nested
    .map((part) => part?.message)
    .filter((part) => typeof part === "string")
    .join(" ")
    .toLowerCase();
  return { codes, text };
}

/**
 * What kind of failure an error from a wallet, ethers or a node is. Wallets and nodes word
 * these differently, so both the codes and the words are read:
 * - "rejected": the user said no (4001, ethers ACTION_REJECTED);
 * - "pending": a request is already waiting in the wallet (-32002);
 * - "insufficient-funds": no ETH for gas (ethers INSUFFICIENT_FUNDS; geth and Anvil "insufficient
 *   funds for gas * price + value", -32000; py-evm "cannot afford txn gas");
 * - "nonce": the transaction count was out of step; "reverted": the contract refused (CALL_EXCEPTION);
 * - "unknown-chain": the wallet does not know the chain (4902, EIP-3326);
 * - "unauthorized" (4100), "unsupported" (4200, -32601), "disconnected" (4900, 4901);
 * - "network": the node or wallet did not answer; "internal" (-32603), "node" (-32000, other).
 * @param {unknown} error
 * @returns {ErrorKind}
 */
export function errorKind(error) {
  const { codes, text } = parts(error);
  const has = (/** @type {unknown[]} */ ...wanted) => wanted.some((code) => codes.includes(code));
  if (has(4001, "ACTION_REJECTED") || /user (rejected|denied|cancel)/.test(text)) return "rejected";
  if (has(-32002) || /already pending|request of type .* already/.test(text)) return "pending";
  if (has("INSUFFICIENT_FUNDS") || /insufficient funds|cannot afford txn/.test(text)) return "insufficient-funds";
  if (has("NONCE_EXPIRED", "REPLACEMENT_UNDERPRICED") || /\bnonce\b/.test(text)) return "nonce";
  if (has("CALL_EXCEPTION") || /execution reverted|\breverted\b/.test(text)) return "reverted";
  if (has(4902) || /unrecognized chain|unknown chain/.test(text)) return "unknown-chain";
  if (has(4100)) return "unauthorized";
  if (has(4200, -32601, "UNSUPPORTED_OPERATION")) return "unsupported";
  if (has(4900, 4901)) return "disconnected";
  if (has("NETWORK_ERROR", "SERVER_ERROR", "TIMEOUT") || /failed to fetch|networkerror|network error|load failed/.test(text)) {
    return "network";
  }
  if (has(-32603)) return "internal";
  if (has(-32000)) return "node";
  return "unknown";
}

/**
 * A sentence for a person, for any error a page shows after a wallet, ethers or the API failed.
 * A WalletError and an API error (api.js: it has a numeric `status`) are already in words.
 * @param {unknown} error
 * @returns {string}
 */
export function reason(error) {
  if (error instanceof WalletError) return error.message;
  const any = /** @type {any} */ (error);
  if (typeof any?.status === "number" && typeof any?.message === "string") return any.message; // the API's own words
  const kind = errorKind(error);
  if (kind !== "rejected") console.error("wallet or chain error:", error);
  switch (kind) {
    case "rejected":
      return "You rejected the request in your wallet. Nothing was sent.";
    case "pending":
      return "Your wallet already has a request from this site waiting: open your wallet (its icon in the browser's toolbar) and answer it there.";
    case "insufficient-funds":
      return "Your wallet holds too little ETH to pay the network fee (gas) for this transaction. Nothing was sent.";
    case "nonce":
      return "Your wallet's transaction count was out of step with the chain (another transaction went out at the same moment). Nothing was paid: try again.";
    case "reverted": {
      const why = typeof any?.reason === "string" && any.reason.length <= 200 ? any.reason : null;
      return why
        ? `The payment contract refused the transaction: ${why}. Nothing was paid.`
        : "The payment contract refused the transaction. Nothing was paid.";
    }
    case "unknown-chain":
      return "Your wallet does not know tidecast's network yet: add it in your wallet (tidecast offers it when you switch), then try again.";
    case "unauthorized":
      return "Your wallet has not let this site use that account: unlock the wallet and connect the account to this site, then try again.";
    case "unsupported":
      return "Your wallet cannot do what this step asks of it. Try another browser wallet.";
    case "disconnected":
      return "Your wallet is not connected to a network: open it, check that it is online and on the right network, and try again.";
    case "network":
      return "The chain did not answer: check your connection and try again. Any transaction that was sent is listed in your wallet.";
    case "internal":
      return "Your wallet reported an internal error and this step did not finish. Try again; if it repeats, reload the page or restart the wallet.";
    case "node":
      return "The chain's node refused the request, and this step did not finish. Nothing was paid: try again in a moment.";
    default:
      return "Your wallet or the chain reported an unexpected error, and this step did not finish. Try again; the details are in the browser's console.";
  }
}
