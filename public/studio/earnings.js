// Earnings: what viewers paid per video (GET /api/payments/mine's `earnings`), the totals, each
// payment stream received, and "Withdraw all": every payment stream with something to
// withdraw, one transaction each in turn, signed by the creator's wallet. Amounts stay decimal
// strings (the API's) or bigint smallest units (the chain's): never floats.
import { api } from "/js/api.js";
import { decimalString, formatAmount, formatDurationWords, parseDecimal } from "/js/format.js";
import { paymentsConfig, tokens, withdrawAll } from "/js/payments.js";
import { el, setStatus } from "/js/ui.js";
import { WalletError, chosenDemo, connect, reason } from "/js/wallet.js";

/** @typedef {import("/studio/context.js").StudioContext} StudioContext */

/**
 * A payment stream as GET /api/payments/mine lists it, with the video it paid for.
 * @typedef {import("/js/types/api").components["schemas"]["PaymentStream"] & {
 *   video?: {id: string, title: string} | null, seconds?: number | null, streamed?: string | null}} Received
 */

/**
 * One video's earnings.
 * @typedef {{video: {id: string, title: string} | null, paymentStreams: number, seconds: number,
 *   earned: string, withdrawable: string}} Earning
 */

/**
 * Whether a decimal string is above zero.
 * @param {string | null | undefined} amount
 * @returns {boolean}
 */
export function positive(amount) {
  const parsed = amount === null || amount === undefined ? null : parseDecimal(amount);
  return !!parsed && parsed.units > 0n;
}

/**
 * The exact sum of decimal strings.
 * @param {Array<string | null | undefined>} amounts
 * @returns {string}
 */
export function sumDecimals(amounts) {
  let scale = 0;
  const parsed = amounts.map((amount) => parseDecimal(amount ?? "0") ?? { units: 0n, scale: 0 });
  for (const part of parsed) scale = Math.max(scale, part.scale);
  const total = parsed.reduce((sum, part) => sum + part.units * 10n ** BigInt(scale - part.scale), 0n);
  return decimalString(total, scale);
}

/**
 * Per-video earnings worked out from the payment streams, for an API without `earnings`.
 * @param {Received[]} received
 * @returns {Earning[]}
 */
function earningsFrom(received) {
  /** @type {Map<string, Received[]>} */
  const groups = new Map();
  for (const stream of received) {
    const key = stream.video?.id ?? "";
    groups.set(key, [...(groups.get(key) ?? []), stream]);
  }
  return [...groups.values()].map((streams) => ({
    video: streams[0].video ?? null,
    paymentStreams: streams.length,
    seconds: streams.reduce((sum, stream) => sum + (stream.seconds ?? 0), 0),
    earned: sumDecimals(streams.map((stream) => stream.streamed ?? stream.withdrawn)),
    withdrawable: sumDecimals(streams.map((stream) => stream.withdrawable)),
  }));
}

/**
 * The earnings section.
 * @param {StudioContext} ctx
 * @returns {{refresh: () => Promise<void>}}
 */
export function earnings(ctx) {
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const button = /** @type {HTMLButtonElement} */ ($("withdraw-all"));
  const progress = $("withdraw-status");
  const failure = $("withdraw-alert");
  /** @type {Received[]} */
  let received = [];
  let busy = false;

  const amount = (/** @type {string | null | undefined} */ value) => `${formatAmount(value ?? "0", { decimals: 6 })} ${ctx.symbol}`;

  /** @param {{id: string, title: string} | null} video */
  function videoCell(video) {
    return video
      ? el("a", { href: `/watch/?id=${encodeURIComponent(video.id)}` }, video.title)
      : el("span", { class: "muted" }, "No video (deleted, or paid from card credit)");
  }

  /** @param {Received} stream */
  function receivedRow(stream) {
    const action = el("td");
    if (stream.active && positive(stream.withdrawable)) {
      const withdraw = el("button", { type: "button", class: "btn btn-secondary btn-sm", "aria-label": `Withdraw from payment stream ${stream.id}` }, "Withdraw");
      withdraw.addEventListener("click", () => withdrawOne(stream.id, /** @type {HTMLButtonElement} */ (withdraw)));
      action.append(withdraw);
    } else {
      action.append(el("span", { class: "muted" }, stream.active ? "nothing yet" : "ended (paid out)"));
    }
    return el(
      "tr",
      null,
      el("td", { class: "nowrap" }, `#${stream.id}`),
      el("td", null, videoCell(stream.video ?? null)),
      el("td", null, el("code", { class: "address", title: stream.sender }, stream.sender)),
      el("td", { class: "amount" }, `${stream.flowRate} ${ctx.symbol}/s`),
      el("td", { class: "amount" }, amount(stream.withdrawable)),
      action,
    );
  }

  async function refresh() {
    try {
      const { data } = await api("/api/payments/mine", { token: ctx.token });
      received = data.received ?? [];
      /** @type {Earning[]} */
      const perVideo = Array.isArray(data.earnings) ? data.earnings : earningsFrom(received);
      const earned = data.earned ?? sumDecimals(perVideo.map((row) => row.earned));
      const seconds = perVideo.reduce((sum, row) => sum + (row.seconds ?? 0), 0);
      $("earned").textContent = amount(earned);
      $("withdrawable").textContent = amount(data.withdrawable);
      $("seconds-watched").textContent = seconds ? formatDurationWords(seconds) : "0 s";

      $("earnings").replaceChildren(
        ...perVideo.map((row) =>
          el(
            "tr",
            null,
            el("th", { scope: "row" }, videoCell(row.video)),
            el("td", { class: "num" }, String(row.paymentStreams)),
            el("td", { class: "num" }, formatDurationWords(row.seconds ?? 0) || "0 s"),
            el("td", { class: "amount" }, amount(row.earned)),
            el("td", { class: "amount" }, amount(row.withdrawable)),
          ),
        ),
      );
      $("earnings-totals").replaceChildren(
        el(
          "tr",
          null,
          el("th", { scope: "row" }, "Total"),
          el("td", { class: "num" }, String(perVideo.reduce((sum, row) => sum + row.paymentStreams, 0))),
          el("td", { class: "num" }, formatDurationWords(seconds) || "0 s"),
          el("td", { class: "amount" }, amount(earned)),
          el("td", { class: "amount" }, amount(data.withdrawable)),
        ),
      );
      $("earnings-wrap").hidden = perVideo.length === 0;
      $("earnings-figures").hidden = perVideo.length === 0;
      button.hidden = received.length === 0;
      $("earnings-empty").hidden = perVideo.length > 0;
      $("received").replaceChildren(...received.map(receivedRow));
      $("received-details").hidden = received.length === 0;
      button.disabled = busy || !received.some((stream) => positive(stream.withdrawable));
      const demo = chosenDemo();
      setStatus($("signer-note"), demo === null ? "" : `Withdrawals are signed by demo account ${demo} (Developer tools, on your account page).`);
    } catch (error) {
      $("earnings-figures").hidden = false;
      $("earned").textContent = "unavailable";
      $("withdrawable").textContent = "unavailable";
      $("seconds-watched").textContent = "unavailable";
      ctx.fail(error);
    }
  }

  /** @returns {Promise<import("/vendor/ethers/ethers.min.js").Signer>} */
  async function signer() {
    const config = await paymentsConfig();
    const wallet = await connect({ expectedChainId: config.chainId, allowDemo: config.development });
    return wallet.signer;
  }

  /**
   * @param {string} id
   * @param {HTMLButtonElement} control
   */
  async function withdrawOne(id, control) {
    ctx.quiet();
    setStatus(failure, "");
    control.disabled = true;
    try {
      ctx.say("Confirm the withdrawal in your wallet…");
      const paid = await withdrawAll(await signer(), id);
      ctx.say(`Withdrew ${tokens(paid, ctx.decimals)} ${ctx.symbol} from payment stream ${id}.`, "ok");
    } catch (error) {
      ctx.say("");
      setStatus(failure, reason(error), "error");
    } finally {
      control.disabled = false;
      await refresh();
    }
  }

  button.addEventListener("click", async () => {
    const due = received.filter((stream) => positive(stream.withdrawable));
    if (due.length === 0 || busy) return;
    busy = true;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    setStatus(failure, "");
    let done = 0;
    let total = 0n;
    try {
      setStatus(progress, `Connecting to your wallet to withdraw from ${due.length} payment ${due.length === 1 ? "stream" : "streams"}…`);
      const wallet = await signer();
      for (const stream of due) {
        setStatus(progress, `${done} of ${due.length} withdrawn. Confirm the withdrawal from payment stream ${stream.id} in your wallet…`);
        try {
          total += await withdrawAll(wallet, stream.id);
        } catch (error) {
          // Already withdrawn elsewhere since the list was read: nothing to do for this one.
          if (!(error instanceof WalletError && error.kind === "insufficient")) throw error;
        }
        done += 1;
      }
      setStatus(progress, `${done} of ${due.length} withdrawn: ${tokens(total, ctx.decimals)} ${ctx.symbol} are in your wallet.`, "ok");
    } catch (error) {
      const sofar = done > 0 ? ` ${done} of ${due.length} withdrawn before that (${tokens(total, ctx.decimals)} ${ctx.symbol}).` : "";
      setStatus(progress, "");
      setStatus(failure, `${reason(error)}${sofar}`, "error");
    } finally {
      busy = false;
      button.removeAttribute("aria-busy");
      await refresh();
    }
  });

  return { refresh };
}
