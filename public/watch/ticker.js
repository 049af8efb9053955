// The balance of the running payment stream, ticking: what has streamed to the creator so far
// and what is left, moved on each second from the last figures the API gave (the flow rate is
// the price), and read again every 30 s, when the page comes back into view and after the
// viewer's own top-up. A cancel from elsewhere stops the picture through the keys within two
// key periods whatever this poll does. Reading every 5 s was most of a viewer's chain reads,
// and the chain node the first part to saturate (docs/scale.md).
import { api } from "/js/api.js";
import { duration, units } from "/js/payments.js";
import { money } from "/watch/pricing.js";

const FIGURES_EVERY_MS = 30_000;
/** After the viewer's own top-up, once more: the first read may meet the node a block behind. */
export const AFTER_ACTION_MS = 3_000;

/**
 * @typedef {object} Figures
 * @property {bigint} deposit all paid in, top-ups included
 * @property {bigint} remaining not streamed yet, at `at`
 * @property {bigint} flowRate smallest units a second
 * @property {number} at when read (ms)
 * @property {boolean} active
 * @property {string} sender
 */

/**
 * @typedef {object} TickerElements
 * @property {HTMLElement} streamed
 * @property {HTMLElement} remaining
 * @property {HTMLElement} timeLeft
 * @property {HTMLProgressElement} bar
 */

/**
 * @typedef {object} Ticker
 * @property {(paymentId: string) => Promise<void>} follow shows this payment stream's figures
 * @property {() => Promise<void>} refresh reads the figures again
 * @property {() => void} halt stops ticking (the figures stay as they were)
 * @property {() => Figures | null} figures the last read, moved on to now
 */

/**
 * @param {TickerElements} elements
 * @param {import("/watch/pricing.js").Token} token
 * @param {{onDry?: () => void, onError?: (error: Error) => void}} [hooks] `onDry`: the balance
 *   ran out (by the local clock)
 * @returns {Ticker}
 */
export function createTicker(elements, token, { onDry = () => {}, onError = () => {} } = {}) {
  /** @type {{paymentId: string | null, figures: Figures | null, dry: boolean, clock: ReturnType<typeof setInterval> | undefined, poll: ReturnType<typeof setInterval> | undefined}} */
  const state = { paymentId: null, figures: null, dry: false, clock: undefined, poll: undefined };

  /** @returns {Figures | null} */
  function now() {
    const f = state.figures;
    if (!f) return null;
    if (!f.active) return f;
    const elapsed = BigInt(Math.max(0, Date.now() - f.at));
    let remaining = f.remaining - (f.flowRate * elapsed) / 1000n;
    if (remaining < 0n) remaining = 0n;
    return { ...f, remaining };
  }

  function render() {
    const f = now();
    if (!f) return;
    const streamed = f.deposit > f.remaining ? f.deposit - f.remaining : 0n;
    elements.streamed.textContent = money(streamed, token);
    elements.remaining.textContent = money(f.remaining, token);
    const left = f.active && f.flowRate > 0n ? Number(f.remaining / f.flowRate) : 0;
    elements.timeLeft.textContent = f.active ? duration(left) : "stopped";
    // Per mille of the deposit left: a bar that empties as the payment streams.
    elements.bar.max = 1000;
    elements.bar.value = f.deposit > 0n ? Number((f.remaining * 1000n) / f.deposit) : 0;
    elements.bar.setAttribute("aria-valuetext", `${money(f.remaining, token)} left`);
    if (f.active && f.remaining === 0n && !state.dry) {
      state.dry = true;
      onDry();
    }
  }

  async function refresh() {
    const id = state.paymentId;
    if (!id) return;
    try {
      const { data } = await api(`/api/payments/streams/${encodeURIComponent(id)}`);
      if (state.paymentId !== id) return;
      state.figures = {
        deposit: units(data.deposit, token.decimals),
        remaining: units(data.remainingBalance, token.decimals),
        flowRate: units(data.flowRate, token.decimals),
        at: Date.now(),
        active: data.active,
        sender: data.sender,
      };
      render();
    } catch (error) {
      onError(/** @type {Error} */ (error));
    }
  }

  function halt() {
    clearInterval(state.clock);
    clearInterval(state.poll);
    state.clock = state.poll = undefined;
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && state.clock !== undefined) refresh();
  });

  return {
    async follow(paymentId) {
      halt();
      state.paymentId = paymentId;
      state.figures = null;
      state.dry = false;
      state.clock = setInterval(render, 1000);
      state.poll = setInterval(() => {
        if (!document.hidden) refresh();
      }, FIGURES_EVERY_MS);
      await refresh();
    },
    refresh,
    halt,
    figures: now,
  };
}
