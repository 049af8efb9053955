// Linking a wallet to the signed-in account: Sign-In with Ethereum (EIP-4361). The server writes
// the message (POST /api/auth/wallet/nonce with the address), the wallet signs it with
// personal_sign, the server checks it (POST /api/auth/wallet/link). The page never composes
// what the user signs, so what the wallet shows is exactly what the server verifies.
import { api } from "/js/api.js";
import { WalletError, chooseDemo, chosenDemo, hasBrowserWallet, connect, demoAccounts, reason, switchChain } from "/js/wallet.js";

/**
 * Links the connected wallet (an injected one, or the chosen demo account) to the account.
 * @param {string | null} token the login token
 * @param {(text: string) => void} [onStep] told each step, to show while the wallet asks
 * @returns {Promise<{address: string, chainId: number, linkedAt: string}>} the linked wallet
 */
export async function linkWallet(token, onStep = () => {}) {
  if (!token) throw new WalletError("signed-out", "Sign in first: a wallet is linked to an account.");
  onStep("Connecting to your wallet…");
  const wallet = await connect({ allowDemo: true });
  const { data: nonce } = await api("/api/auth/wallet/nonce", {
    method: "POST",
    token,
    body: { purpose: "link", address: wallet.address },
  });
  if (wallet.chainId !== nonce.chainId) {
    const error = new WalletError(
      "wrong-chain",
      `Your wallet is on chain ${wallet.chainId}; tidecast runs on chain ${nonce.chainId}. Switch your wallet's network, then link again.`,
    );
    /** @type {any} */ (error).chainId = nonce.chainId;
    throw error;
  }
  onStep("Sign the message in your wallet to prove it is yours…");
  let signature;
  try {
    signature = await wallet.signer.signMessage(nonce.message);
  } catch (error) {
    throw new WalletError("rejected", reason(error));
  }
  const { data } = await api("/api/auth/wallet/link", { method: "POST", token, body: { message: nonce.message, signature } });
  return data;
}

/**
 * Unlinks a wallet from the account (`DELETE /api/auth/wallets/{address}`).
 * @param {string} token the login token
 * @param {string} address the wallet's address
 * @returns {Promise<{address: string, chainId: number, linkedAt: string}>} the wallet unlinked
 */
export async function unlinkWallet(token, address) {
  const { data } = await api(`/api/auth/wallets/${encodeURIComponent(address)}`, { method: "DELETE", token });
  return data;
}

/**
 * Fills the development-only demo account chooser and shows `container`; leaves it hidden
 * where there are no demo accounts.
 * @param {HTMLElement} container what to show when there are demo accounts
 * @param {HTMLSelectElement} select the chooser
 * @returns {Promise<boolean>} whether demo accounts are offered
 */
export async function setUpDemoChooser(container, select) {
  const accounts = await demoAccounts();
  if (accounts.length === 0) return false;
  for (const account of accounts) {
    select.add(new Option(`Demo account ${account.index} (${account.address})`, String(account.index)));
  }
  select.value = chosenDemo() ?? "";
  select.addEventListener("change", () => chooseDemo(select.value));
  container.hidden = false;
  // Out of the way (a closed <details>) unless a demo account is already the one in use.
  if (container instanceof HTMLDetailsElement && chosenDemo() !== null) container.open = true;
  return true;
}

/**
 * A "Switch network" button beside a wrong-chain message (an injected wallet only).
 * @param {HTMLButtonElement} button the button, shown here when switching can help
 * @param {number} chainId the chain to switch to
 * @param {(error: unknown) => void} onDone called with null once switched, or the error
 * @returns {void}
 */
export function offerSwitch(button, chainId, onDone) {
  button.hidden = !hasBrowserWallet() || chosenDemo() !== null;
  button.onclick = async () => {
    try {
      await switchChain(chainId);
      button.hidden = true;
      onDone(null);
    } catch (error) {
      onDone(error);
    }
  };
}
