// The watch page: a stream, its price, and playback gated by a live payment stream.
//
// Segments are public (and encrypted); keys are paid for. The page asks the API for a playback
// token (POST /api/streams/<id>/playback, naming the viewer's payment stream), and hls.js sends
// it with each key request (/api/keys/...; xhrSetup). The token lives about two key periods and
// is renewed at half its life; the buffer is kept to about one key period, so when the payment
// stops (cancelled, run dry) the next key or renewal answers 402 and the picture stops within
// two key periods, with the server's reason shown (role=alert). A viewer who has not paid sees
// that 402 reason and a way to pay, never a player waiting for keys.
//
// Or the viewer pays from card credit (/credit/), no wallet needed: POST playback with
// `{"credit": true}` and the platform's treasury opens the payment stream for them, holding some
// of their credit; from there playback, keys and renewal are exactly a wallet stream's. "Stop"
// (or leaving the page: pagehide, a keepalive request) settles it: charged what streamed, the
// rest of the hold back to their credit.
import { api, show, tokenKey } from "/js/api.js";
import { offerSwitch, setUpDemoChooser } from "/js/link.js";
import { cancelStream, duration, openStream, paymentsConfig, tokens, topUp, units } from "/js/payments.js";
import { creatorName, describeStream } from "/js/streams.js";
import { WalletError, connect, reason } from "/js/wallet.js";
import { play } from "/player/player.js";

const $ = (id) => document.getElementById(id);
const video = $("video");
const status = $("status");
const alertBox = $("alert");
const loginToken = sessionStorage.getItem(tokenKey);
const mediaId = new URLSearchParams(location.search).get("id");
// The page's own state, never on window: nothing a script on the page could read beyond what
// it shows (hls.js objects hold every key they loaded).
const watch = { state: "loading", hls: null, paymentId: null, credit: null };

let stream = null;
let config = null;
let playback = null; // the last playback grant (token, expiresIn, payment, ...)
let renewTimer = null;
let figures = null; // { remaining: bigint, flowRate: bigint, at: ms, depletion: ms|null, active }

function say(text, kind = "info") {
  show(status, text, kind);
}

function alarm(text) {
  show(alertBox, text, "error");
}

function paymentKey() {
  return `tidecast.payment.${mediaId}`;
}

// Ends playback for good (until the viewer pays again) and says why.
function stop(message) {
  clearTimeout(renewTimer);
  video.pause();
  // Loading stops; the player stays attached, so the last picture and its time stay on screen
  // (destroying hls.js would detach the media and reset the video to 0).
  watch.hls?.stopLoad();
  watch.state = "stopped";
  watch.stoppedAt = video.currentTime;
  alarm(message);
}

async function requestPlayback(paymentId) {
  const body = paymentId ? { paymentStreamId: paymentId } : {};
  const { data } = await api(`/api/streams/${encodeURIComponent(mediaId)}/playback`, { method: "POST", token: loginToken, body });
  return data;
}

function scheduleRenewal(seconds) {
  clearTimeout(renewTimer);
  renewTimer = setTimeout(renew, Math.max(1, seconds / 2) * 1000);
}

// A fresh token before the old one expires; a 402 here means the payment no longer covers now.
async function renew() {
  try {
    playback = await requestPlayback(watch.paymentId);
    scheduleRenewal(playback.expiresIn);
    return true;
  } catch (error) {
    if (error.status === 402 || error.status === 401 || error.status === 403) {
      stop(`Playback stopped: ${error.message}`);
      if (error.status === 402 && config) {
        // That payment stream is done for: offer to open another.
        localStorage.removeItem(paymentKey());
        if (watch.credit) {
          watch.credit = null; // settled by the platform (ran dry, idle, disputed)
          showCreditBalance();
        }
        showOpen();
      }
    } else {
      renewTimer = setTimeout(renew, 2000); // the network, a restart: try again shortly
    }
    return false;
  }
}

// What the key URL answered (its body is the API's JSON error), if hls.js kept it.
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

let recovering = false;

// A key refused with 402 means one of two things, and only the server knows which: the payment
// stopped (then renewing the playback token is refused too, with the reason, and playback ends
// here), or the player ran ahead of what the payment has covered so far (the server releases
// keys a little ahead of what was paid; at the start of a stream hls.js fetches further). Then
// the token renews fine: wait a key period and carry on from where the picture is.
async function onKeyRefused(code, message) {
  if (recovering || watch.state !== "playing") return;
  recovering = true;
  try {
    if (!(await renew())) return; // stopped, with the server's reason
    if (code !== 402) {
      restartPlayer(0); // an expired token or a network blip: on with a fresh token
      return;
    }
    say(`Waiting for your payment to cover what comes next (${message || "payment required"})…`);
    restartPlayer((playback?.keyPeriodSeconds ?? stream.keyPeriodSeconds ?? 2) * 1000);
  } finally {
    recovering = false;
  }
}

function restartPlayer(delay) {
  const position = video.currentTime;
  if (watch.hls) {
    watch.hls.destroy();
    watch.hls = null;
  }
  setTimeout(() => {
    if (watch.state === "playing") startPlayer(position);
  }, delay);
}

function startPlayer(startPosition = -1) {
  const period = playback?.keyPeriodSeconds ?? stream.keyPeriodSeconds;
  const hlsConfig = {
    startPosition,
    // A short buffer: the player never holds more than about one key period ahead, so a
    // stopped payment shows within two.
    ...(period ? { maxBufferLength: Math.max(period, 1), maxMaxBufferLength: Math.max(2 * period, 2), backBufferLength: 30 } : {}),
    xhrSetup(xhr, url) {
      if (playback?.token && new URL(url, location.href).pathname.startsWith("/api/keys/")) {
        xhr.setRequestHeader("Authorization", `Bearer ${playback.token}`);
      }
    },
  };
  watch.state = "playing";
  watch.hls = play(video, stream.masterPlaylist, {
    hlsConfig,
    onEvent(kind, detail) {
      // Key failures are handled below, with the server's own words.
      if (kind === "fatal" && !/^key/i.test(detail.details || "") && watch.state === "playing") {
        stop(`Playback stopped: ${detail.details}`);
      }
    },
  });
  const Hls = globalThis.Hls;
  if (!watch.hls || !Hls) return;
  watch.hls.on(Hls.Events.ERROR, (_event, data) => {
    if (data.details !== Hls.ErrorDetails.KEY_LOAD_ERROR && data.details !== Hls.ErrorDetails.KEY_LOAD_TIMEOUT) return;
    const { code, message } = keyError(data);
    onKeyRefused(code, message);
  });
  video.muted = video.muted || !navigator.userActivation?.hasBeenActive;
  video.play().catch(() => say("Press play to start."));
}

// Local ticking between reads of the chain: the balance falls at flowRate every second.
function tick() {
  if (!figures) return;
  const { decimals, symbol } = config.token;
  const elapsed = BigInt(Math.max(0, Date.now() - figures.at));
  let remaining = figures.active ? figures.remaining - (figures.flowRate * elapsed) / 1000n : figures.remaining;
  if (remaining < 0n) remaining = 0n;
  $("remaining").textContent = `${tokens(remaining, decimals)} ${symbol}`;
  const left = figures.active && figures.flowRate > 0n ? Number(remaining / figures.flowRate) : 0;
  $("time-left").textContent = figures.active ? duration(left) : "stopped";
}

async function refreshFigures() {
  if (!watch.paymentId) return;
  try {
    const { data } = await api(`/api/payments/streams/${encodeURIComponent(watch.paymentId)}`);
    const { decimals } = config.token;
    figures = {
      remaining: units(data.remainingBalance, decimals),
      flowRate: units(data.flowRate, decimals),
      at: Date.now(),
      active: data.active,
      sender: data.sender,
    };
    tick();
    if (!data.active && watch.state === "playing") await renew(); // the server says why, in its words
  } catch (error) {
    say(`Could not read the payment stream: ${error.message}`, "error");
  }
}

// A payment stream runs: the viewer's own (wallet) or the treasury's for them (`credit`). Its
// figures show in the box of the way it is paid; a credit playback has no top-up or cancel of
// the viewer's (its Stop settles it), and is not remembered for this browser (it ends when the
// page does).
function showRunning(paymentId, credit = false) {
  watch.paymentId = paymentId;
  if (!credit) localStorage.setItem(paymentKey(), paymentId);
  $("stream-id").textContent = `#${paymentId}`;
  $("open").hidden = true;
  if (credit) $("credit-running").insertBefore($("running"), $("credit-stop"));
  else $("wallet-pay").append($("running"));
  $("wallet-controls").hidden = credit;
  $("wallet-pay").hidden = credit;
  $("credit").hidden = !credit;
  $("credit-start").hidden = credit;
  $("credit-running").hidden = !credit;
  $("running").hidden = false;
  refreshFigures();
}

function showOpen() {
  $("running").hidden = true;
  $("open").hidden = false;
  $("wallet-pay").hidden = false;
  $("credit").hidden = false;
  $("credit-start").hidden = false;
  $("credit-running").hidden = true;
  if (!creditReady) setUpCredit();
  updateDeposit();
}

function priceUnits() {
  return units(stream.pricePerSecond, config.token.decimals);
}

function updateDeposit() {
  const minutes = Number($("open").elements.minutes.value);
  if (!Number.isInteger(minutes) || minutes < 1) {
    $("deposit-text").textContent = "";
    return;
  }
  const { decimals, symbol } = config.token;
  $("deposit-text").textContent = `Deposit: ${tokens(priceUnits() * BigInt(minutes * 60), decimals)} ${symbol}`;
}

// The wallet to pay with: on the right chain, and linked to this account (else the server would
// refuse the payment stream it opens, and the deposit would be spent for nothing).
async function payingWallet(mustBe = null) {
  const wallet = await connect({ expectedChainId: config.chainId, allowDemo: config.development });
  if (mustBe && wallet.address.toLowerCase() !== mustBe.toLowerCase()) {
    throw new WalletError("wrong-wallet", `Use the wallet that opened this payment stream: ${mustBe}.`);
  }
  const { data: me } = await api("/api/auth/me", { token: loginToken });
  if (!(me.wallets || []).some((linked) => linked.address.toLowerCase() === wallet.address.toLowerCase())) {
    throw new WalletError("not-linked", `Wallet ${wallet.address} is not linked to your account: link it on your account page first.`);
  }
  return wallet;
}

function walletFailure(error) {
  alarm(reason(error));
  if (error.kind === "wrong-chain") {
    offerSwitch($("switch-chain"), config.chainId, (failed) => (failed ? alarm(reason(failed)) : say("Network switched: try again.", "ok")));
  }
}

$("open").addEventListener("input", updateDeposit);
$("open").addEventListener("submit", async (event) => {
  event.preventDefault();
  alertBox.hidden = true;
  const button = event.target.querySelector("button");
  button.disabled = true;
  try {
    if (!stream.creator?.wallet) {
      throw new WalletError("no-creator-wallet", "The creator has not linked a wallet yet, so this stream cannot be paid for.");
    }
    const minutes = Number(event.target.elements.minutes.value);
    const { signer } = await payingWallet();
    const id = await openStream(signer, stream.creator.wallet, priceUnits(), priceUnits() * BigInt(minutes * 60), say);
    say(`Payment stream #${id} is open. Starting playback…`, "ok");
    playback = await requestPlayback(id);
    showRunning(id);
    scheduleRenewal(playback.expiresIn);
    startPlayer();
  } catch (error) {
    walletFailure(error);
  } finally {
    button.disabled = false;
  }
});

$("top-up").addEventListener("submit", async (event) => {
  event.preventDefault();
  alertBox.hidden = true;
  const button = event.target.querySelector("button");
  button.disabled = true;
  try {
    const minutes = Number(event.target.elements.minutes.value);
    const { signer } = await payingWallet(figures?.sender);
    await topUp(signer, watch.paymentId, priceUnits() * BigInt(minutes * 60), say);
    await refreshFigures();
    setTimeout(refreshFigures, AFTER_ACTION_MS); // in case the first read met the node a block behind
    say(`Topped up payment stream #${watch.paymentId} by ${minutes} minutes.`, "ok");
  } catch (error) {
    walletFailure(error);
  } finally {
    button.disabled = false;
  }
});

$("stop").addEventListener("click", async () => {
  alertBox.hidden = true;
  try {
    const { signer } = await payingWallet(figures?.sender);
    say("Confirm the cancellation in your wallet…");
    await cancelStream(signer, watch.paymentId);
    const id = watch.paymentId;
    localStorage.removeItem(paymentKey());
    await refreshFigures();
    stop(`You stopped paying: payment stream #${id} is cancelled and the rest of your deposit is back in your wallet.`);
    showOpen();
  } catch (error) {
    walletFailure(error);
  }
});

// -- card credit ----------------------------------------------------------------------------

function creditSymbol() {
  return config?.token.symbol ?? "tokens";
}

// How much credit the viewer has, in the credit box (and a way to buy more).
async function showCreditBalance() {
  const line = $("credit-available");
  const buy = document.createElement("a");
  buy.href = "/credit/";
  try {
    const { data } = await api("/api/billing/balance", { token: loginToken });
    const has = units(data.available, data.token.decimals) > 0n;
    buy.textContent = has ? "Buy more" : "Buy credit";
    line.replaceChildren(
      has ? `You have ${data.available} ${data.token.symbol} of card credit. ` : "You have no card credit yet. ",
      buy,
      has ? "" : " with a card, then come back.",
    );
    return data;
  } catch (error) {
    buy.textContent = "Your credit";
    line.replaceChildren(`Card credit is unavailable right now (${error.message}). `, buy);
    return null;
  }
}

// Without a linked wallet, card credit is the way to pay: first, and the button stands out.
let creditReady = false;
async function setUpCredit() {
  creditReady = true;
  let wallets = null;
  try {
    wallets = (await api("/api/auth/me", { token: loginToken })).data.wallets || [];
  } catch {
    // not known: the wallet box stays first; the credit box works the same
  }
  if (wallets?.length === 0) {
    $("wallet-pay").before($("credit"));
    $("credit").classList.add("preferred");
    $("credit-start").classList.add("primary");
    $("wallet-heading").textContent = "Or pay from a wallet";
  } else {
    $("wallet-pay").after($("credit"));
    $("credit").querySelector("h3").textContent = "Or pay with card credit";
  }
  await showCreditBalance();
}

// A 402 saying there is not enough credit links to where more is bought.
function creditRefused(error) {
  if (error.status === 402 && /credit/i.test(error.message) && !/dispute/i.test(error.message)) {
    const link = document.createElement("a");
    link.href = "/credit/";
    link.textContent = "Buy card credit";
    alertBox.replaceChildren(`${error.message.replace(/\.$/, "")}. `, link);
    alertBox.dataset.kind = "error";
    alertBox.hidden = false;
  } else {
    alarm(error.message);
  }
}

// Starting over on a player that was stopped: from where the picture stopped.
function freshPlayer() {
  const position = watch.state === "stopped" ? (watch.stoppedAt ?? -1) : -1;
  if (watch.hls) {
    watch.hls.destroy();
    watch.hls = null;
  }
  startPlayer(position);
}

$("credit-start").addEventListener("click", async () => {
  const button = $("credit-start");
  alertBox.hidden = true;
  $("credit-result").hidden = true;
  button.disabled = true;
  say("Starting playback on your card credit…");
  try {
    const { data } = await api(`/api/streams/${encodeURIComponent(mediaId)}/playback`, {
      method: "POST",
      token: loginToken,
      body: { credit: true },
    });
    playback = data;
    watch.credit = data.creditPlayback;
    $("credit-held").textContent = `Paying from card credit: ${data.creditPlayback.held} ${creditSymbol()} held`;
    showRunning(String(data.payment.id), true);
    showCreditBalance(); // what is left beside the hold
    say(`Playing on your card credit: you are charged only for what you watch.`, "ok");
    scheduleRenewal(playback.expiresIn);
    freshPlayer();
  } catch (error) {
    status.hidden = true;
    creditRefused(error);
  } finally {
    button.disabled = false;
  }
});

// Stop: the picture stops now, then the platform settles the playback (what streamed is
// charged, the rest of the hold comes back) and the page says both.
$("credit-stop").addEventListener("click", async () => {
  const credit = watch.credit;
  if (!credit) return;
  const button = $("credit-stop");
  button.disabled = true;
  alertBox.hidden = true;
  clearTimeout(renewTimer);
  video.pause();
  watch.hls?.stopLoad();
  watch.state = "stopped";
  watch.stoppedAt = video.currentTime;
  say("Stopping: settling what you watched…");
  try {
    const { data } = await api(`/api/billing/playbacks/${encodeURIComponent(credit.id)}/stop`, { method: "POST", token: loginToken });
    watch.credit = null;
    status.hidden = true;
    $("credit-held").textContent = "";
    const balance = await showCreditBalance();
    const symbol = creditSymbol();
    const left = balance ? `; ${balance.available} ${symbol} of credit left` : "";
    show($("credit-result"), `Charged ${data.charged} ${symbol} for what you watched${left}.`, "ok");
    showOpen();
  } catch (error) {
    status.hidden = true;
    alarm(`Could not stop paying: ${error.message}. Try again.`);
  } finally {
    button.disabled = false;
  }
});

// Leaving the page ends a credit playback too (the platform would settle it once it goes idle
// anyway, a few key periods later): a request that outlives the page. Should the browser bring
// the page back from its back-forward cache, it starts afresh: that playback is over.
let leftCredit = false;
addEventListener("pagehide", () => {
  if (!watch.credit || !loginToken) return;
  fetch(`/api/billing/playbacks/${encodeURIComponent(watch.credit.id)}/stop`, {
    method: "POST",
    keepalive: true,
    headers: { Authorization: `Bearer ${loginToken}` },
  }).catch(() => {});
  leftCredit = true;
});
addEventListener("pageshow", (event) => {
  if (event.persisted && leftCredit) location.reload();
});

// The viewer's payment stream for this creator: the one this browser opened, else an active
// one of theirs to the creator's wallet at the price or more.
async function knownPayment() {
  const saved = localStorage.getItem(paymentKey());
  if (saved) return saved;
  try {
    const { data } = await api("/api/payments/mine", { token: loginToken });
    const creator = stream.creator?.wallet?.toLowerCase();
    const found = data.sent.find(
      (payment) =>
        payment.active && payment.recipient.toLowerCase() === creator && units(payment.flowRate, config.token.decimals) >= priceUnits(),
    );
    return found ? found.id : null;
  } catch {
    return null;
  }
}

async function main() {
  if (!mediaId) {
    alarm("No stream chosen: open this page from the list of streams.");
    return;
  }
  try {
    ({ data: stream } = await api(`/api/streams/${encodeURIComponent(mediaId)}`));
  } catch (error) {
    alarm(error.status === 404 ? "This stream does not exist (or was removed)." : error.message);
    return;
  }
  document.title = `${stream.title} · tidecast`;
  $("title").textContent = stream.title;
  $("description").textContent = stream.description || "";
  if (stream.status !== "ready") {
    $("byline").textContent = `by ${creatorName(stream)}`;
    alarm(stream.status === "failed" ? "This stream failed to process." : "This stream is still processing: come back in a moment.");
    return;
  }
  if (!stream.encrypted) {
    $("byline").textContent = describeStream(stream);
    startPlayer(); // published before gating: it plays free, no token needed
    return;
  }
  try {
    config = await paymentsConfig();
  } catch (error) {
    alarm(`Payments are unavailable: ${error.message}`);
    return;
  }
  $("byline").textContent = describeStream(stream, config.token.symbol);
  if (!loginToken) {
    watch.state = "signed-out";
    alarm("Sign in to watch: open your account page, sign in, then come back.");
    return;
  }
  $("price").textContent = `${stream.pricePerSecond} ${config.token.symbol} a second`;
  const paymentId = await knownPayment();
  try {
    playback = await requestPlayback(paymentId);
  } catch (error) {
    if (error.status !== 402) {
      alarm(error.message);
      return;
    }
    if (paymentId) localStorage.removeItem(paymentKey());
    watch.state = "payment-required";
    $("payment").hidden = false;
    await Promise.all([setUpDemoChooser($("demo"), $("demo-account")), setUpCredit()]);
    showOpen();
    if (/^Link a wallet first/.test(error.message)) {
      // No wallet yet is not a fault: card credit or a wallet, both below.
      say("This stream is paid per second: pay with card credit, or link a wallet and pay from it, below.");
    } else {
      alarm(`Payment required: ${error.message}`);
    }
    return;
  }
  if (!playback.free) {
    $("payment").hidden = false;
    await setUpDemoChooser($("demo"), $("demo-account"));
    showRunning(String(playback.payment?.id ?? paymentId));
  } else {
    say(playback.reason === "owner" ? "Your own stream: it plays free for you." : "This stream is free to watch.");
  }
  scheduleRenewal(playback.expiresIn);
  startPlayer();
}

// The balance ticks down locally (tick); the chain is read again every 30 s, when the page comes
// back into view, and after the viewer's own top-up or cancel. A cancel from elsewhere stops the
// picture through the keys within two key periods whatever this poll does. Reading every 5 s was
// most of a viewer's chain reads, and the chain node the first part to saturate (docs/scale.md).
const FIGURES_EVERY_MS = 30_000;
const AFTER_ACTION_MS = 3_000;
setInterval(tick, 250);
setInterval(() => {
  if (!document.hidden) refreshFigures();
}, FIGURES_EVERY_MS);
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) refreshFigures();
});
await main();
if (watch.state === "loading") watch.state = "idle";
