// The account page. Signed out: sign in, create an account, a reset link for a forgotten
// password. Signed in: the profile (verified, or a new link), wallets (linked ones, which one
// receives payments, unlink, link another, the connected wallet's TIDE balance), spending (each
// payment stream sent: video, seconds, TIDE streamed), card credit, and, on a development
// server only, the demo-account signer tucked away under "Developer tools".
import { ethers } from "/vendor/ethers/ethers.min.js";
import { api, formData, tokenKey } from "/js/api.js";
import { formatAmount, formatDate, formatDurationWords, parseDecimal } from "/js/format.js";
import { refreshAuth } from "/js/layout.js";
import { linkWallet, offerSwitch, setUpDemoChooser, unlinkWallet } from "/js/link.js";
import { paymentsConfig } from "/js/payments.js";
import { el, setStatus } from "/js/ui.js";
import { chosenDemo, connect, reason } from "/js/wallet.js";

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const status = $("status");
const walletStatus = $("wallet-status");
/** @type {string} */
let symbol = "TIDE";

/** @returns {string | null} */
function token() {
  return sessionStorage.getItem(tokenKey);
}

/** @param {unknown} error */
function fail(error) {
  setStatus(status, error instanceof Error ? error.message : String(error), "error");
}

/**
 * @param {string} value a decimal string
 * @returns {string}
 */
function amount(value) {
  return `${formatAmount(value ?? "0", { decimals: 6 })} ${symbol}`;
}

// -- profile and wallets ------------------------------------------------------------------------

/**
 * @param {Array<{address: string, linkedAt?: string}>} wallets
 */
function showWallets(wallets) {
  // The earliest linked wallet is the one a creator's videos pay (the API names it so too).
  const ordered = [...wallets].sort((a, b) => String(a.linkedAt ?? "").localeCompare(String(b.linkedAt ?? "")));
  $("wallets").replaceChildren(
    ...ordered.map((wallet, index) => {
      const unlink = el("button", { type: "button", class: "btn btn-ghost btn-sm danger-text", "aria-label": `Unlink wallet ${wallet.address}` }, "Unlink");
      unlink.addEventListener("click", () => unlinkOne(wallet.address, /** @type {HTMLButtonElement} */ (unlink)));
      return el(
        "li",
        { class: "wallet" },
        el(
          "div",
          { class: "wallet-main" },
          el("code", { class: "address" }, wallet.address),
          el(
            "span",
            { class: "cluster wallet-meta" },
            index === 0 ? el("span", { class: "badge", "data-kind": "ok" }, "Receives payments") : null,
            wallet.linkedAt ? el("span", { class: "muted small" }, `Linked ${formatDate(wallet.linkedAt)}`) : null,
          ),
        ),
        unlink,
      );
    }),
  );
  $("no-wallets").hidden = wallets.length > 0;
  $("link-wallet").textContent = wallets.length ? "Link another wallet" : "Link a wallet";
}

/**
 * @param {string} address
 * @param {HTMLButtonElement} button
 */
async function unlinkOne(address, button) {
  setStatus(walletStatus, "");
  button.disabled = true;
  try {
    await unlinkWallet(/** @type {string} */ (token()), address);
    setStatus(status, `Wallet ${address} is no longer linked to your account.`, "ok");
    await refresh();
  } catch (error) {
    button.disabled = false;
    setStatus(walletStatus, reason(error), "error");
  }
}

async function showBalance() {
  const text = $("balance-text");
  const button = /** @type {HTMLButtonElement} */ ($("show-balance"));
  button.disabled = true;
  try {
    const config = await paymentsConfig();
    const wallet = await connect({ expectedChainId: config.chainId, allowDemo: config.development });
    const erc20 = new ethers.Contract(config.token.address, ["function balanceOf(address) view returns (uint256)"], wallet.signer);
    const units = await erc20.balanceOf(wallet.address);
    const whole = ethers.formatUnits(units, config.token.decimals);
    const linked = [...document.querySelectorAll("#wallets code")].some((code) => code.textContent?.toLowerCase() === wallet.address.toLowerCase());
    text.replaceChildren(
      el("span", { class: "balance-figure" }, amount(whole)),
      " in ",
      el("code", { class: "address" }, wallet.address),
      wallet.source === "demo" ? " (a demo account)" : "",
      linked ? "" : el("span", { class: "muted" }, ". This wallet is not linked to your account."),
    );
    text.classList.remove("muted");
    button.textContent = "Refresh balance";
  } catch (error) {
    text.textContent = reason(error);
  } finally {
    button.disabled = false;
  }
}

// -- spending and credit ------------------------------------------------------------------------

/**
 * @typedef {import("/js/types/api").components["schemas"]["PaymentStream"] & {
 *   video?: {id: string, title: string} | null, seconds?: number, streamed?: string}} Sent
 */

async function showSpending() {
  try {
    const { data } = await api("/api/payments/mine", { token: token() });
    /** @type {Sent[]} */
    const sent = data.sent ?? [];
    const seconds = sent.reduce((sum, stream) => sum + (stream.seconds ?? 0), 0);
    $("spent").textContent = amount(data.spent ?? "0");
    $("watched").textContent = formatDurationWords(seconds) || "0 s";
    $("open-count").textContent = String(sent.filter((stream) => stream.active).length);
    $("sent").replaceChildren(
      ...sent.map((stream) =>
        el(
          "tr",
          null,
          el(
            "td",
            null,
            stream.video
              ? el("a", { href: `/watch/?id=${encodeURIComponent(stream.video.id)}` }, stream.video.title)
              : el("span", { class: "muted" }, "A video no longer listed"),
          ),
          el("td", { class: "num" }, formatDurationWords(stream.seconds ?? 0) || "0 s"),
          el("td", { class: "amount" }, amount(stream.streamed ?? stream.withdrawn)),
          el("td", null, stream.active ? el("span", { class: "badge", "data-kind": "info" }, "Open") : el("span", { class: "badge" }, "Stopped")),
          el("td", { class: "muted nowrap" }, `#${stream.id}`),
        ),
      ),
    );
    $("spending-figures").hidden = sent.length === 0;
    $("spending-wrap").hidden = sent.length === 0;
    $("spending-empty").hidden = sent.length > 0;
  } catch (error) {
    setStatus($("spending-alert"), `Your spending could not be read: ${error.message}`, "warn");
  }
}

async function showCredit() {
  const text = $("credit-text");
  try {
    const { data } = await api("/api/billing/balance", { token: token() });
    const held = parseDecimal(data.held)?.units ?? 0n;
    text.replaceChildren(
      el("span", { class: "balance-figure" }, `${formatAmount(data.available, { decimals: 4 })} ${data.token?.symbol ?? symbol}`),
      " available to watch with",
      held > 0n ? `, ${formatAmount(data.held, { decimals: 4 })} held by a playback` : "",
      ".",
    );
    text.classList.remove("muted");
  } catch (error) {
    // No card payments on this server (503), or the API is away: say so quietly.
    text.textContent = error.status === 503 ? "Card payments are not offered on this server." : `Your credit could not be read: ${error.message}`;
  }
}

// -- the page's state ---------------------------------------------------------------------------

let devToolsReady = false;

async function refresh() {
  const signedIn = !!token();
  $("signed-in").hidden = !signedIn;
  $("signed-out").hidden = signedIn;
  if (!signedIn) return;
  try {
    const { data } = await api("/api/auth/me", { token: token() });
    $("me-avatar").textContent = data.username.slice(0, 1);
    $("me-username").textContent = data.username;
    $("me-email").textContent = data.email;
    setStatus($("me-verified"), data.emailVerified ? "Verified" : "Not verified", data.emailVerified ? "ok" : "warn");
    $("verify-box").hidden = data.emailVerified;
    showWallets(data.wallets || []);
  } catch (error) {
    if (error.status === 401) {
      sessionStorage.removeItem(tokenKey);
      refreshAuth();
      fail(new Error("Your sign-in has expired: sign in again."));
      return refresh();
    }
    fail(error);
  }
  if (!devToolsReady) {
    devToolsReady = true;
    const details = /** @type {HTMLDetailsElement} */ ($("dev-tools"));
    setUpDemoChooser(details, /** @type {HTMLSelectElement} */ ($("demo-account"))).then(() => {
      if (chosenDemo() !== null && !details.hidden) showBalance();
    });
  }
  await Promise.all([showSpending(), showCredit()]);
}

/**
 * @param {string} id
 * @param {(fields: Record<string, any>, form: HTMLFormElement) => Promise<void>} action
 */
function handle(id, action) {
  const form = /** @type {HTMLFormElement} */ ($(id));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button?.setAttribute("disabled", "");
    try {
      await action(formData(form), form);
    } catch (error) {
      fail(error);
    } finally {
      button?.removeAttribute("disabled");
    }
  });
}

handle("login", async (fields) => {
  const reply = /** @type {{token: string, user: {username: string}}} */ (/** @type {unknown} */ (await api("/api/auth/login", { method: "POST", body: fields })));
  sessionStorage.setItem(tokenKey, reply.token);
  setStatus(status, `Welcome back, ${reply.user.username}.`, "ok");
  refreshAuth();
  await refresh();
});
handle("register", async (fields, form) => {
  const { data } = await api("/api/auth/register", { method: "POST", body: fields });
  form.reset();
  // The same answer whether or not the address already has an account (the API tells
  // nobody which addresses are registered); the mail says which it was.
  setStatus(status, `${data.message} Then sign in as ${data.username}.`, "ok");
});
handle("forgot", async (fields) => {
  const { data } = await api("/api/auth/forgot-password", { method: "POST", body: fields });
  setStatus(status, data.message, "ok");
});

$("resend").addEventListener("click", async () => {
  try {
    const { data } = await api("/api/auth/resend-verification", { method: "POST", token: token() });
    setStatus(status, data.message, "ok");
  } catch (error) {
    fail(error);
  }
});

$("link-wallet").addEventListener("click", async () => {
  setStatus(walletStatus, "");
  try {
    const linked = await linkWallet(token(), (text) => setStatus(status, text));
    setStatus(status, `Wallet ${linked.address} is linked to your account.`, "ok");
    await refresh();
  } catch (error) {
    setStatus(status, "");
    setStatus(walletStatus, reason(error), "error");
    // No wallet in this browser: on a development server, the demo accounts are the way.
    const tools = /** @type {HTMLDetailsElement} */ ($("dev-tools"));
    if (error.kind === "no-wallet" && !tools.hidden) tools.open = true;
    if (error.kind === "wrong-chain") {
      offerSwitch(/** @type {HTMLButtonElement} */ ($("switch-chain")), error.chainId, (failed) =>
        failed ? setStatus(walletStatus, reason(failed), "error") : setStatus(walletStatus, "Network switched: link again.", "ok"),
      );
    }
  }
});

$("show-balance").addEventListener("click", showBalance);
$("demo-account").addEventListener("change", () => {
  if (chosenDemo() !== null) showBalance();
});

const config = await paymentsConfig().catch(() => null);
if (config) {
  symbol = config.token.symbol;
  $("balance-text").textContent = `Connect your browser wallet to see how much ${symbol} it holds.`;
}
refresh();
