// The payment panel: "Pay per second to watch", the cost, and the two ways to pay, a wallet
// (open a payment stream, top it up, stop it) or card credit (/credit/, no wallet needed: the
// platform's treasury opens the payment stream for the viewer and Stop settles it). It moves
// money and says so; the picture is the page's (watch.js), told through `hooks`.
import { api } from "/js/api.js";
import { offerSwitch, setUpDemoChooser } from "/js/link.js";
import { cancelStream, openStream, topUp, units } from "/js/payments.js";
import { formatAmount, formatDurationWords } from "/js/format.js";
import { el } from "/js/ui.js";
import { WalletError, connect, reason } from "/js/wallet.js";
import { costOf, depositSeconds, inOurWords, money, pricePerSecond, shortAddress } from "/watch/pricing.js";
import { AFTER_ACTION_MS } from "/watch/ticker.js";

/**
 * The page's state, shared by its modules (passed, never module-level).
 * @typedef {object} WatchState
 * @property {string} mediaId
 * @property {string | null} loginToken
 * @property {any} stream the API's stream
 * @property {any} config GET /api/payments/config
 * @property {{id: string, wallets: Array<{address: string}>} | null} me
 * @property {string} phase loading | signed-out | payment-required | starting | playing | stopped | free | error
 * @property {number} startAt where playback starts (a resume, or 0)
 * @property {string | null} paymentId the running payment stream
 * @property {{id: string, held: string} | null} credit the running card-credit playback
 */

/**
 * What the panel asks of the page.
 * @typedef {object} PanelHooks
 * @property {(paymentId: string) => Promise<void>} paid a wallet payment stream is open: play on it
 * @property {() => Promise<void>} payWithCredit start a card-credit playback and play on it
 * @property {() => void} halt stop the picture now (before a stop is settled)
 * @property {(text: string) => void} stopped the stop is done: say it, calmly
 * @property {import("/watch/status.js").StatusArea} status
 * @property {() => import("/watch/ticker.js").Figures | null} figures the running payment's
 * @property {() => Promise<void>} refresh reads the running payment's figures again
 */

/** @param {string} id */
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * @typedef {object} PaymentPanel
 * @property {(options?: {invite?: boolean}) => Promise<void>} offer shows the ways to pay
 * @property {(paymentId: string, credit: boolean) => void} running shows a running payment stream
 * @property {() => void} updateDeposit sizes the deposit to what is left from `startAt`
 * @property {() => Promise<any>} showCreditBalance
 * @property {(error: Error & {status?: number}) => void} creditRefused
 */

/**
 * @param {WatchState} state
 * @param {PanelHooks} hooks
 * @returns {PaymentPanel}
 */
export function createPaymentPanel(state, hooks) {
  const { status } = hooks;
  const token = () => state.config.token;
  const symbol = () => state.config.token.symbol;
  const price = () => pricePerSecond(state.stream, token());
  const openForm = /** @type {HTMLFormElement} */ (byId("open"));
  const topUpForm = /** @type {HTMLFormElement} */ (byId("top-up"));
  const seconds = /** @type {HTMLInputElement} */ (byId("deposit-seconds"));
  const panel = { creditReady: false, depositTouched: false, demoReady: false };

  function updateDeposit() {
    if (!panel.depositTouched) {
      seconds.value = String(depositSeconds(state.stream.duration, state.startAt, state.stream.keyPeriodSeconds));
    }
    const covered = Number(seconds.value);
    if (!Number.isInteger(covered) || covered < 1) {
      byId("deposit-text").textContent = "Enter whole seconds, 1 or more.";
      return;
    }
    const from = state.startAt > 0 ? `from ${formatDurationWords(state.startAt)} in` : "from the start";
    const whole = Math.ceil(state.stream.duration ?? 0);
    const what =
      whole && covered >= whole - Math.floor(state.startAt)
        ? `the rest of the video (${from}) with a few seconds to spare while it starts`
        : formatDurationWords(covered);
    byId("deposit-text").textContent =
      `Deposit ${money(costOf(price(), covered), token())}: covers ${what}. You pay only for what streams: the rest comes back when you stop.`;
  }

  /**
   * The wallet to pay with: on the right chain, and linked to this account (else the server
   * would refuse the payment stream it opens, and the deposit would be spent for nothing).
   * @param {string | null} [mustBe]
   */
  async function payingWallet(mustBe = null) {
    const wallet = await connect({ expectedChainId: state.config.chainId, allowDemo: state.config.development });
    if (mustBe && wallet.address.toLowerCase() !== mustBe.toLowerCase()) {
      throw new WalletError("wrong-wallet", `Use the wallet that opened this payment stream (${shortAddress(mustBe)}).`);
    }
    const { data: me } = await api("/api/auth/me", { token: state.loginToken });
    if (!(me.wallets || []).some((/** @type {{address: string}} */ linked) => linked.address.toLowerCase() === wallet.address.toLowerCase())) {
      throw new WalletError("not-linked", `Wallet ${shortAddress(wallet.address)} is not linked to your account: link it on your account page first.`);
    }
    return wallet;
  }

  /** @param {unknown} error */
  function walletFailure(error) {
    status.alarm(inOurWords(reason(error), symbol()));
    if (/** @type {{kind?: string}} */ (error).kind === "wrong-chain") {
      offerSwitch(/** @type {HTMLButtonElement} */ (byId("switch-chain")), state.config.chainId, (failed) =>
        failed ? status.alarm(reason(failed)) : status.say("Network switched: try again.", "ok"),
      );
    }
  }

  /**
   * @param {HTMLFormElement | HTMLButtonElement} source
   * @param {() => Promise<void>} action
   */
  async function busy(source, action) {
    const button = source instanceof HTMLFormElement ? source.querySelector("button") : source;
    if (button) button.disabled = true;
    byId("switch-chain").hidden = true;
    try {
      await action();
    } finally {
      if (button) button.disabled = false;
    }
  }

  seconds.addEventListener("input", () => {
    panel.depositTouched = true;
    updateDeposit();
  });

  openForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(openForm, async () => {
      try {
        const wallet = state.stream.creator?.wallet;
        if (!wallet) throw new WalletError("no-creator-wallet", "The creator has not linked a wallet yet, so this video cannot be paid for.");
        const covered = Number(seconds.value);
        const { signer } = await payingWallet();
        const id = await openStream(signer, wallet, price(), costOf(price(), covered), (step) => status.say(step));
        status.say(`Payment stream open. Starting the video…`, "ok");
        await hooks.paid(id);
      } catch (error) {
        walletFailure(error);
      }
    });
  });

  topUpForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(topUpForm, async () => {
      try {
        const covered = Number(/** @type {HTMLInputElement} */ (byId("top-up-seconds")).value);
        const { signer } = await payingWallet(hooks.figures()?.sender ?? null);
        await topUp(signer, String(state.paymentId), costOf(price(), covered), (step) => status.say(step));
        status.say(`Topped up payment stream #${state.paymentId} by ${money(costOf(price(), covered), token())} (${formatDurationWords(covered)}).`, "ok");
        await hooks.refresh();
        setTimeout(hooks.refresh, AFTER_ACTION_MS);
      } catch (error) {
        walletFailure(error);
      }
    });
  });

  byId("stop").addEventListener("click", (event) => {
    busy(/** @type {HTMLButtonElement} */ (event.currentTarget), async () => {
      try {
        const before = hooks.figures();
        const { signer } = await payingWallet(before?.sender ?? null);
        status.say("Confirm the stop in your wallet…");
        const id = String(state.paymentId);
        hooks.halt();
        await cancelStream(signer, id);
        localStorage.removeItem(paymentKey(state.mediaId));
        hooks.stopped(await paidText(id, before));
        await offer();
      } catch (error) {
        walletFailure(error);
      }
    });
  });

  /**
   * "Stopped. You paid 0.12 TIDE for 12 s.": what streamed to the creator (the contract pays
   * it out on a cancel, so it is what was withdrawn), else the local figures' estimate.
   * @param {string} id
   * @param {import("/watch/ticker.js").Figures | null} before
   */
  async function paidText(id, before) {
    let paid = before ? before.deposit - before.remaining : null;
    try {
      const { data } = await api(`/api/payments/streams/${encodeURIComponent(id)}`);
      paid = units(data.withdrawn, token().decimals);
    } catch {
      // the estimate stands
    }
    if (paid === null) return "Stopped. The rest of your deposit is back in your wallet.";
    const secondsPaid = price() > 0n ? Number(paid / price()) : 0;
    return `Stopped. You paid ${money(paid, token())} for ${formatDurationWords(secondsPaid)}; the rest of your deposit is back in your wallet.`;
  }

  // -- card credit ------------------------------------------------------------------------

  async function showCreditBalance() {
    const line = byId("credit-available");
    try {
      const { data } = await api("/api/billing/balance", { token: state.loginToken });
      const has = units(data.available, data.token.decimals) > 0n;
      line.replaceChildren(
        has ? `You have ${formatAmount(data.available)} ${data.token.symbol} of card credit. ` : "You have no card credit yet. ",
        el("a", { href: "/credit/" }, has ? "Buy more" : "Buy credit"),
        has ? "" : " with a card, then come back.",
      );
      return data;
    } catch (error) {
      line.replaceChildren(`Card credit is unavailable right now (${/** @type {Error} */ (error).message}). `, el("a", { href: "/credit/" }, "Your credit"));
      return null;
    }
  }

  // Without a linked wallet, card credit is the way to pay: first, and its button stands out.
  async function setUpCredit() {
    panel.creditReady = true;
    const wallets = state.me?.wallets ?? null;
    const credit = byId("credit");
    const start = byId("credit-start");
    if (wallets?.length === 0) {
      byId("wallet-pay").before(credit);
      start.classList.replace("btn-secondary", "btn-primary");
      byId("open-button").classList.replace("btn-primary", "btn-secondary");
      byId("credit-heading").textContent = "Pay with card credit";
      byId("wallet-heading").textContent = "Or pay from a wallet";
    } else {
      byId("wallet-pay").after(credit);
      byId("credit-heading").textContent = "Or pay with card credit";
    }
    await showCreditBalance();
  }

  /** @param {Error & {status?: number}} error */
  function creditRefused(error) {
    if (error.status === 402 && /credit/i.test(error.message) && !/dispute/i.test(error.message)) {
      status.alarm(`${inOurWords(error.message, symbol()).replace(/\.$/, "")}. `, el("a", { href: "/credit/" }, "Buy card credit"));
    } else {
      status.alarm(inOurWords(error.message, symbol()));
    }
  }

  byId("credit-start").addEventListener("click", (event) => {
    busy(/** @type {HTMLButtonElement} */ (event.currentTarget), async () => {
      byId("credit-result").hidden = true;
      status.say("Starting the video on your card credit…");
      try {
        await hooks.payWithCredit();
        showCreditBalance(); // what is left beside the hold
      } catch (error) {
        creditRefused(/** @type {Error & {status?: number}} */ (error));
      }
    });
  });

  // Stop: the picture stops now, then the platform settles the playback (what streamed is
  // charged, the rest of the hold comes back) and the page says both.
  byId("credit-stop").addEventListener("click", (event) => {
    const credit = state.credit;
    if (!credit) return;
    busy(/** @type {HTMLButtonElement} */ (event.currentTarget), async () => {
      hooks.halt();
      status.say("Stopping: settling what you watched…");
      try {
        const { data } = await api(`/api/billing/playbacks/${encodeURIComponent(credit.id)}/stop`, { method: "POST", token: state.loginToken });
        state.credit = null;
        byId("credit-held").textContent = "";
        const balance = await showCreditBalance();
        const left = balance ? `; ${balance.available} ${symbol()} of credit left` : "";
        const result = byId("credit-result");
        result.textContent = `Charged ${data.charged} ${symbol()} for what you watched${left}.`;
        result.hidden = false;
        const charged = units(data.charged ?? "0", token().decimals);
        const secondsPaid = price() > 0n ? Number(charged / price()) : 0;
        hooks.stopped(`Stopped. You paid ${money(charged, token())} for ${formatDurationWords(secondsPaid)}.`);
        await offer();
      } catch (error) {
        status.alarm(`Could not stop paying: ${/** @type {Error} */ (error).message}. Try again.`);
      }
    });
  });

  // Leaving the page ends a credit playback too (the platform would settle it once it goes idle
  // anyway, a few key periods later): a request that outlives the page. Should the browser bring
  // the page back from its back-forward cache, it starts afresh: that playback is over.
  const left = { credit: false };
  addEventListener("pagehide", () => {
    if (!state.credit || !state.loginToken) return;
    fetch(`/api/billing/playbacks/${encodeURIComponent(state.credit.id)}/stop`, {
      method: "POST",
      keepalive: true,
      headers: { Authorization: `Bearer ${state.loginToken}`, "Content-Type": "application/json" },
      body: "{}",
    }).catch(() => {});
    left.credit = true;
  });
  addEventListener("pageshow", (event) => {
    if (event.persisted && left.credit) location.reload();
  });

  // -- what shows ---------------------------------------------------------------------------

  /** @param {{invite?: boolean}} [options] */
  async function offer({ invite = false } = {}) {
    byId("payment").hidden = false;
    byId("payment-heading").textContent = "Pay per second to watch";
    byId("running").hidden = true;
    byId("wallet-controls").hidden = true;
    byId("credit-running").hidden = true;
    byId("credit-start").hidden = false;
    byId("wallet-pay").hidden = false;
    byId("credit").hidden = false;
    openForm.hidden = false;
    byId("open-button").textContent = state.phase === "stopped" ? "Open a new payment stream" : "Open payment stream";
    const work = [];
    if (!panel.demoReady) {
      panel.demoReady = true;
      work.push(setUpDemoChooser(byId("demo"), /** @type {HTMLSelectElement} */ (byId("demo-account"))));
    }
    if (!panel.creditReady) work.push(setUpCredit());
    else work.push(showCreditBalance());
    panel.depositTouched = false;
    updateDeposit();
    await Promise.all(work);
    if (invite) byId("payment-heading").focus({ preventScroll: true });
  }

  /**
   * @param {string} paymentId
   * @param {boolean} credit
   */
  function running(paymentId, credit) {
    state.paymentId = paymentId;
    if (!credit) localStorage.setItem(paymentKey(state.mediaId), paymentId);
    byId("payment").hidden = false;
    byId("stream-id").textContent = `#${paymentId}`;
    openForm.hidden = true;
    byId("running").hidden = false;
    byId("wallet-controls").hidden = credit;
    byId("wallet-pay").hidden = credit;
    byId("credit").hidden = !credit;
    byId("credit-start").hidden = credit;
    byId("credit-running").hidden = !credit;
    const topUpSeconds = /** @type {HTMLInputElement} */ (byId("top-up-seconds"));
    topUpSeconds.value = String(depositSeconds(state.stream.duration, 0, state.stream.keyPeriodSeconds));
    byId("payment-heading").textContent = credit ? "Paying from card credit" : "Paying per second";
  }

  return { offer, running, updateDeposit, showCreditBalance, creditRefused };
}

/**
 * Where this browser remembers the payment stream it opened for a video.
 * @param {string} mediaId
 * @returns {string}
 */
export function paymentKey(mediaId) {
  return `tidecast.payment.${mediaId}`;
}
