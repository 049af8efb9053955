// The watch page's wiring: a video, its details and price, and playback gated by a live
// payment stream.
//
// Segments are public (and encrypted); keys are paid for. With a payment stream running (the
// viewer's own from a wallet, or the platform's treasury's paid from their card credit), the
// page asks for a playback token (./playback-session.js) that hls.js sends with each key
// request; the token is renewed at half its life and the buffer is kept to about a key period,
// so when the payment stops (cancelled, run dry) the next key or renewal is refused and the
// picture stops within two key periods, with the reason said. The page never asks for a token
// it knows will be refused: an encrypted, priced video needs a payment stream first, so a
// viewer who has not paid sees the price and the ways to pay (./payment-panel.js), not a
// player waiting for keys.
//
// The modules: ../player/controls.js (the controls over <video>), ./playback-session.js
// (tokens), ./payment-panel.js (paying, topping up, stopping), ./ticker.js (the balance),
// ./resume.js (where the viewer stopped), ./status.js (the one status area). They share the
// page's `state` object, passed to each; nothing is kept on window.
import { api, tokenKey } from "/js/api.js";
import { formatDate, formatDurationWords, formatRelative } from "/js/format.js";
import { currentUser } from "/js/layout.js";
import { paymentsConfig, units } from "/js/payments.js";
import { creatorLabel } from "/js/ui.js";
import { clock, mountControls } from "/player/controls.js";
import { play, qualityEvents } from "/player/player.js";
import { createPaymentPanel, paymentKey } from "/watch/payment-panel.js";
import { PlaybackSession } from "/watch/playback-session.js";
import { costSentence, inOurWords, isFreeStream, money, pricePerSecond } from "/watch/pricing.js";
import { loadPosition, savePositions } from "/watch/resume.js";
import { createStatus } from "/watch/status.js";
import { createTicker } from "/watch/ticker.js";

/** @param {string} id */
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const video = /** @type {HTMLVideoElement} */ (byId("video"));
const page = byId("main");
const status = createStatus(byId("status"), byId("alert"));
const controls = mountControls(byId("player"), video);

/** @type {import("/watch/payment-panel.js").WatchState & {hls: any, stoppedAt: number | null, recovering: boolean}} */
const state = {
  mediaId: new URLSearchParams(location.search).get("id") ?? "",
  loginToken: sessionStorage.getItem(tokenKey),
  stream: null,
  config: null,
  me: null,
  phase: "loading",
  startAt: 0,
  paymentId: null,
  credit: null,
  hls: null,
  stoppedAt: null,
  recovering: false,
};

/** @param {string} phase */
function enter(phase) {
  state.phase = phase;
  page.dataset.phase = phase;
}

const session = new PlaybackSession({ mediaId: state.mediaId, loginToken: state.loginToken, onRefused: refused });
const positions = savePositions(state, video);
const onQuality = qualityEvents(controls, () => state.hls);
/** @type {ReturnType<typeof createTicker> | null} */
let ticker = null;
/** @type {ReturnType<typeof createPaymentPanel> | null} */
let panel = null;

// -- the picture ------------------------------------------------------------------------------

/**
 * Plays from `position` with the current grant's token on key requests.
 * @param {number} position seconds (0: the start)
 * @param {boolean} autoplay start at once (the viewer just asked: paid, or pressed play)
 */
function startPlayer(position, autoplay) {
  if (state.hls) {
    state.hls.destroy();
    state.hls = null;
  }
  const period = session.grant?.keyPeriodSeconds ?? state.stream.keyPeriodSeconds;
  const hlsConfig = {
    // 0, not hls.js's -1: a stream still processing has a growing (EVENT) playlist, which -1
    // would start at its live edge; a viewer starts a video at its beginning.
    startPosition: position > 0 ? position : 0,
    // A short buffer: the player never holds more than about one key period ahead, so a
    // stopped payment shows within two.
    ...(period ? { maxBufferLength: Math.max(period, 1), maxMaxBufferLength: Math.max(2 * period, 2), backBufferLength: 30 } : {}),
    /** @param {XMLHttpRequest} xhr @param {string} url */
    xhrSetup: (xhr, url) => session.authorize(xhr, url),
  };
  controls.unlock();
  controls.setEnabled(true);
  positions.resume();
  state.hls = play(video, state.stream.masterPlaylist, {
    hlsConfig,
    onEvent(kind, detail) {
      onQuality(kind, detail);
      // Key failures are handled below, with the server's own words.
      if (kind === "fatal" && !/^key/i.test(detail.details || "") && !controls.locked()) {
        halt();
        status.alarm(`Playback stopped: the video could not be loaded (${detail.details}).`);
      }
    },
  });
  const Hls = /** @type {any} */ (globalThis).Hls;
  if (state.hls && Hls) {
    state.hls.on(Hls.Events.ERROR, (/** @type {unknown} */ _event, /** @type {any} */ data) => {
      if (data.details === Hls.ErrorDetails.KEY_LOAD_ERROR || data.details === Hls.ErrorDetails.KEY_LOAD_TIMEOUT) {
        keyRefused(keyError(data));
      }
    });
  }
  if (!state.hls && position > 0) video.currentTime = position; // the browser's own HLS
  if (autoplay) {
    video.play().catch(() => {
      video.muted = true; // no user activation here: browsers allow muted playback
      video.play().catch(() => status.say("Press play to start."));
    });
  }
}

/**
 * What the key URL answered (its body is the API's JSON error), if hls.js kept it.
 * @param {any} data
 * @returns {{code: number | undefined, message: string | null}}
 */
function keyError(data) {
  const xhr = data.networkDetails;
  const code = data.response?.code ?? xhr?.status;
  let message = null;
  try {
    const body = xhr?.response instanceof ArrayBuffer ? new TextDecoder().decode(xhr.response) : xhr?.responseText;
    message = JSON.parse(body).error;
  } catch {
    // not JSON: the status says enough
  }
  return { code, message };
}

/**
 * A key refused means one of two things, and only the server knows which: the payment stopped
 * (then renewing the token is refused too, and `refused` stops playback with the reason), or
 * the player ran ahead of what the payment has covered so far (the server releases keys a
 * little ahead of what was paid). Then the token renews fine: wait a key period and carry on
 * from where the picture is.
 * @param {{code: number | undefined, message: string | null}} refusal
 */
async function keyRefused({ code }) {
  if (state.recovering || controls.locked() || state.phase !== "playing") return;
  state.recovering = true;
  try {
    if (!(await session.renew())) return;
    const position = video.currentTime;
    const wait = code === 402 ? (session.grant?.keyPeriodSeconds ?? state.stream.keyPeriodSeconds ?? 2) * 1000 : 0;
    if (code === 402) status.say("Waiting for your payment to cover what comes next…");
    if (state.hls) {
      state.hls.destroy();
      state.hls = null;
    }
    setTimeout(() => {
      if (state.phase === "playing") startPlayer(position, true);
    }, wait);
  } finally {
    state.recovering = false;
  }
}

/** Ends playback for good (until the viewer pays again): nothing more loads or plays. */
function halt() {
  session.stop();
  ticker?.halt();
  state.hls?.stopLoad();
  controls.lock();
  state.stoppedAt = video.currentTime;
  // A new payment stream starts here: its deposit is sized from here, not from the first start.
  state.startAt = state.stoppedAt;
  positions.pause();
  enter("stopped");
}

/**
 * The server refused to renew the token: the payment stopped covering now (cancelled
 * elsewhere, ran dry, the card-credit playback ended). Said calmly, with what to do.
 * @param {Error & {status?: number}} error
 */
function refused(error) {
  if (state.phase === "stopped") return;
  halt();
  state.startAt = state.stoppedAt ?? 0;
  status.say(`Playback stopped: ${inOurWords(error.message, state.config?.token.symbol ?? "TIDE")}`, "warn");
  if (error.status === 402) {
    localStorage.removeItem(paymentKey(state.mediaId));
    state.credit = null;
    panel?.offer();
  }
}

// -- paying -----------------------------------------------------------------------------------

/**
 * Plays on a payment stream (a wallet's, opened now or before).
 * @param {string} paymentId
 * @param {boolean} autoplay
 */
async function playOn(paymentId, autoplay) {
  const grant = await session.start({ paymentStreamId: paymentId });
  if (!panel || !ticker) return;
  panel.running(String(grant.payment?.id ?? paymentId), false);
  ticker.follow(String(grant.payment?.id ?? paymentId));
  const position = state.stoppedAt ?? state.startAt;
  enter("playing");
  startPlayer(position, autoplay);
  status.say(`Paying ${money(pricePerSecond(state.stream, state.config.token), state.config.token)} a second while the video plays.`, "ok");
}

async function playOnCredit() {
  const grant = await session.start({ credit: true });
  if (!panel || !ticker || !grant.creditPlayback || !grant.payment) return;
  state.credit = grant.creditPlayback;
  byId("credit-held").textContent = `Paying from card credit: ${grant.creditPlayback.held} ${state.config.token.symbol} held`;
  panel.running(String(grant.payment.id), true);
  ticker.follow(String(grant.payment.id));
  enter("playing");
  startPlayer(state.stoppedAt ?? state.startAt, true);
  status.say("Playing on your card credit: you are charged only for what you watch.", "ok");
}

/**
 * The viewer's payment stream for this video that still runs: the one this browser opened,
 * else an active one of theirs to the creator's wallet at the price or more.
 * @returns {Promise<string | null>}
 */
async function knownPayment() {
  const creator = state.stream.creator?.wallet?.toLowerCase();
  const price = pricePerSecond(state.stream, state.config.token);
  const decimals = state.config.token.decimals;
  /** @param {any} payment */
  const usable = (payment) =>
    payment.active &&
    payment.recipient.toLowerCase() === creator &&
    units(payment.flowRate, decimals) >= price &&
    units(payment.remainingBalance, decimals) > 0n &&
    (!payment.depletionTime || Date.parse(payment.depletionTime) > Date.now() + 2000);
  const saved = localStorage.getItem(paymentKey(state.mediaId));
  try {
    if (saved) {
      const { data } = await api(`/api/payments/streams/${encodeURIComponent(saved)}`);
      if (usable(data)) return saved;
      localStorage.removeItem(paymentKey(state.mediaId));
    }
    const { data } = await api("/api/payments/mine", { token: state.loginToken });
    const found = (data.sent || []).find(usable);
    return found ? String(found.id) : null;
  } catch {
    return null;
  }
}

// -- the page -----------------------------------------------------------------------------------

function showDetails() {
  const { stream } = state;
  document.title = `${stream.title} · tidecast`;
  byId("title").textContent = stream.title || "Untitled video";
  byId("description").textContent = stream.description || "";
  const creator = /** @type {HTMLAnchorElement} */ (byId("creator"));
  creator.textContent = creatorLabel(stream);
  if (stream.creator?.username) creator.href = `/channel/?name=${encodeURIComponent(stream.creator.username)}`;
  else creator.removeAttribute("href");
  const date = /** @type {HTMLTimeElement} */ (byId("date"));
  if (stream.createdAt) {
    date.dateTime = stream.createdAt;
    date.title = formatDate(stream.createdAt);
    date.textContent = formatRelative(stream.createdAt);
  }
  const length = formatDurationWords(stream.duration);
  byId("length").textContent = length;
  byId("length-sep").hidden = !length;
  byId("byline").hidden = false;
  if (stream.thumbnail) video.poster = stream.thumbnail;
  controls.setDuration(stream.duration ?? null);
}

/** @param {number | null} saved where the viewer stopped last time */
function offerResume(saved) {
  if (saved === null) return;
  state.startAt = saved;
  const from = /** @type {HTMLButtonElement} */ (byId("resume-from"));
  const over = /** @type {HTMLButtonElement} */ (byId("start-over"));
  byId("resume-text").textContent = `You stopped at ${clock(saved)}.`;
  from.textContent = `Resume from ${clock(saved)}`;
  byId("resume").hidden = false;
  /** @param {number} at */
  const choose = (at) => {
    state.startAt = at;
    if (state.stoppedAt !== null) state.stoppedAt = at;
    from.setAttribute("aria-pressed", String(at > 0));
    over.setAttribute("aria-pressed", String(at === 0));
    panel?.updateDeposit();
    if (state.hls || video.currentSrc) video.currentTime = at;
  };
  from.addEventListener("click", () => choose(saved));
  over.addEventListener("click", () => choose(0));
}

async function main() {
  if (!state.mediaId) {
    enter("error");
    status.alarm("No stream chosen: open this page from the list of videos.");
    return;
  }
  try {
    ({ data: state.stream } = await api(`/api/streams/${encodeURIComponent(state.mediaId)}`));
  } catch (error) {
    enter("error");
    const failure = /** @type {Error & {status?: number}} */ (error);
    status.alarm(failure.status === 404 ? "This video does not exist (or was removed)." : failure.message);
    return;
  }
  const { stream } = state;
  showDetails();
  // A stream still processing plays once its first segments are published (`playable`): its
  // playlists grow until the job ends, and it plays from the start.
  if (!stream.playable) {
    enter("error");
    if (stream.status === "failed") status.alarm("This video failed to process.");
    else status.say("This video is still processing: come back in a moment.", "info");
    return;
  }
  byId("growing").hidden = stream.status !== "processing";
  const [me, saved] = await Promise.all([currentUser(), loadPosition(state, stream.duration)]);
  state.me = me;
  offerResume(saved);

  if (!stream.encrypted) {
    enter("free");
    status.say("This video is free to watch.");
    startPlayer(state.startAt, false); // published before gating: it plays free, no token needed
    return;
  }
  try {
    state.config = await paymentsConfig();
  } catch (error) {
    enter("error");
    status.alarm(`Payments are unavailable right now: ${/** @type {Error} */ (error).message}`);
    return;
  }
  const symbol = state.config.token.symbol;
  const free = isFreeStream(stream);
  byId("cost").textContent = free ? "This video is free to watch." : costSentence(stream, symbol);

  if (!me) {
    enter("signed-out");
    byId("payment").hidden = false;
    byId("signed-out").hidden = false;
    byId("wallet-pay").hidden = true;
    byId("payment-heading").textContent = free ? "Sign in to watch" : "Pay per second to watch";
    const back = `${location.pathname}${location.search}`;
    /** @type {HTMLAnchorElement} */ (byId("sign-in")).href = `/account/?next=${encodeURIComponent(back)}`;
    return;
  }

  ticker = createTicker(
    {
      streamed: byId("streamed"),
      remaining: byId("remaining"),
      timeLeft: byId("time-left"),
      bar: /** @type {HTMLProgressElement} */ (byId("balance-bar")),
    },
    state.config.token,
    {
      onDry() {
        if (state.phase !== "playing" || state.credit) return; // a credit playback: the platform ends it
        halt();
        state.startAt = state.stoppedAt ?? 0;
        status.say("Your deposit is used up. Open a new payment stream to keep watching from here.", "info");
        localStorage.removeItem(paymentKey(state.mediaId));
        panel?.offer();
      },
      onError: (error) => status.alarm(`Could not read the payment stream: ${error.message}`),
    },
  );
  panel = createPaymentPanel(state, {
    status,
    paid: (id) => playOn(id, true),
    payWithCredit: playOnCredit,
    halt,
    stopped(text) {
      state.paymentId = null;
      const length = state.stream.duration ?? Infinity;
      if (state.stoppedAt !== null && state.stoppedAt > length - 1) state.stoppedAt = 0; // watched to the end
      state.startAt = state.stoppedAt ?? state.startAt;
      status.say(text, "info");
    },
    figures: () => ticker?.figures() ?? null,
    refresh: async () => ticker?.refresh(),
  });

  if (free || me.id === stream.ownerId) {
    try {
      const grant = await session.start({});
      enter("free");
      status.say(grant.reason === "owner" ? "Your own video: it plays free for you." : "This video is free to watch.");
      startPlayer(state.startAt, false);
    } catch (error) {
      enter("error");
      status.alarm(inOurWords(/** @type {Error} */ (error).message, symbol));
    }
    return;
  }

  const paymentId = await knownPayment();
  if (paymentId) {
    try {
      await playOn(paymentId, false);
      return;
    } catch {
      localStorage.removeItem(paymentKey(state.mediaId)); // refused after all: offer to pay
    }
  }
  enter("payment-required");
  // Said before the panel finishes setting up, not after: a viewer may already press a button
  // meanwhile, and what that says (a refusal with its link) must not be replaced by this.
  if ((me.wallets || []).length === 0) {
    // No wallet yet is not a fault: card credit or a wallet, both in the panel.
    status.say("This video is paid per second: pay with card credit, or link a wallet and pay from it, below.");
  } else {
    status.clear();
  }
  await panel.offer();
}

// The video's end: nothing more to pay for. A card-credit playback is settled at once; a
// wallet's payment stream runs until stopped (or dry), so the page says how to stop it.
video.addEventListener("ended", () => {
  if (state.phase !== "playing") return;
  positions.save();
  if (state.credit) {
    byId("credit-stop").click();
    return;
  }
  session.stop();
  ticker?.halt();
  state.hls?.stopLoad();
  controls.lock();
  state.stoppedAt = 0; // a new payment stream starts it over
  enter("ended");
  status.say("The video has ended. Stop paying to get the rest of your deposit back.", "info");
});

await main();
if (state.phase === "loading") enter("idle");
