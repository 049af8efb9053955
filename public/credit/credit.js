// Card credit: what the signed-in viewer has (GET /api/billing/balance), buying more with a card
// (POST /api/billing/checkout, then Stripe's hosted page, which sends the browser back here
// with ?checkout=success&session=<id> or ?checkout=cancelled), and the ledger's rows
// (GET /api/billing/history). Credit lands when Stripe's webhook does, a moment after the
// viewer is back: the page waits for the purchase's own row (its ref is the session's id).
//
// Amounts stay decimal strings end to end; the "$5.00 → 500 TIDE" preview multiplies them as
// integers (bigint), rounded down to the token's decimals as the server does.
import { api, show, tokenKey } from "/js/api.js";

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const form = /** @type {HTMLFormElement} */ ($("buy"));
const amountInput = /** @type {HTMLInputElement} */ ($("amount"));
const buyButton = /** @type {HTMLButtonElement} */ ($("buy-button"));
const token = sessionStorage.getItem(tokenKey);
const status = $("status");
const alertBox = $("alert");
const params = new URLSearchParams(location.search);
const ARRIVAL_POLL_MS = 1000;
const ARRIVAL_WAIT_MS = 60_000;

let offer = null; // GET /api/billing/config's data
let nextBefore = null;

function fail(error) {
  show(alertBox, error.message || String(error), "error");
}

// -- decimal strings ------------------------------------------------------------------------

function decimal(text) {
  const [whole, frac = ""] = String(text).trim().replace(/^\+/, "").split(".");
  return { digits: BigInt(`${whole || "0"}${frac}`), scale: frac.length };
}

function formatUnits(units, decimals) {
  const negative = units < 0n;
  const text = (negative ? -units : units).toString().padStart(decimals + 1, "0");
  const whole = text.slice(0, text.length - decimals);
  const frac = text.slice(text.length - decimals).replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}

// `amount` (currency units) times `rate` (tokens a unit), rounded down to `decimals` places.
function creditFor(amount, rate, decimals) {
  const a = decimal(amount);
  const r = decimal(rate);
  const product = a.digits * r.digits;
  const scale = a.scale + r.scale;
  const units = scale > decimals ? product / 10n ** BigInt(scale - decimals) : product * 10n ** BigInt(decimals - scale);
  return formatUnits(units, decimals);
}

// "12345.5" as "12,345.5" (the browser's grouping), without going through a float.
function grouped(text) {
  const value = String(text);
  const sign = value.startsWith("-") ? "-" : "";
  const [whole, frac] = value.replace(/^[-+]/, "").split(".");
  const separator = new Intl.NumberFormat().formatToParts(1000).find((part) => part.type === "group")?.value ?? ",";
  const point = new Intl.NumberFormat().formatToParts(1.5).find((part) => part.type === "decimal")?.value ?? ".";
  return `${sign}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, separator)}${frac ? `${point}${frac}` : ""}`;
}

function tokens(amount, symbol) {
  return `${grouped(amount)} ${symbol}`;
}

// A signed amount as the history shows it: "+500 TIDE", "−7.2 TIDE" (a true minus sign).
function signed(amount, symbol) {
  const negative = String(amount).startsWith("-");
  return `${negative ? "−" : "+"}${tokens(String(amount).replace(/^-/, ""), symbol)}`;
}

function money(amount) {
  // Intl formats the decimal string itself (no float on the way); "$5.00", "€5.00", "¥500".
  return new Intl.NumberFormat(undefined, { style: "currency", currency: offer.currency.toUpperCase() }).format(amount);
}

function currencyPlaces() {
  return new Intl.NumberFormat("en", { style: "currency", currency: offer.currency.toUpperCase() }).resolvedOptions().maximumFractionDigits;
}

function preview(amount) {
  return `${money(amount)} → ${tokens(creditFor(amount, offer.rate, offer.token.decimals), offer.token.symbol)}`;
}

// -- balance and history --------------------------------------------------------------------

async function refreshBalance() {
  const { data } = await api("/api/billing/balance", { token });
  const { symbol } = data.token;
  $("available").textContent = tokens(data.available, symbol);
  $("held").textContent = tokens(data.held, symbol);
  $("disputed").textContent = tokens(data.disputed, symbol);
  $("dispute-note").hidden = !data.disputeOpen;
  return data;
}

// The ledger writes each move of credit between the viewer's balances (available, held,
// disputed) as its own row: a playback is a hold (two rows), a charge and a release (two rows).
// The table says what happened once per event, with what it did to the viewer's credit:
// rows of one playback (its ref) are one line, the rest one line per kind and ref.
const PLAYBACK = new Set(["hold", "settlement", "release"]);

function units(text, decimals) {
  const { digits, scale } = decimal(String(text).replace(/^-/, ""));
  const value = scale > decimals ? digits / 10n ** BigInt(scale - decimals) : digits * 10n ** BigInt(decimals - scale);
  return String(text).startsWith("-") ? -value : value;
}

// Ledger rows (newest first) as events: {key, kind, createdAt, moves: {account: bigint}}.
function events(entries, decimals, into = new Map()) {
  for (const entry of entries) {
    const key = PLAYBACK.has(entry.kind) ? `playback:${entry.ref}` : `${entry.kind}:${entry.ref}`;
    let event = into.get(key);
    if (!event) {
      event = { key, kind: PLAYBACK.has(entry.kind) ? "playback" : entry.kind, createdAt: entry.createdAt, kinds: new Set(), moves: {} };
      into.set(key, event);
    }
    event.kinds.add(entry.kind);
    event.moves[entry.account] = (event.moves[entry.account] ?? 0n) + units(entry.amount, decimals);
  }
  return into;
}

function describe(event, decimals, symbol) {
  const amount = (value) => tokens(formatUnits(value < 0n ? -value : value, decimals), symbol);
  const available = event.moves.available ?? 0n;
  const total = Object.values(event.moves).reduce((sum, value) => sum + value, 0n);
  // What it did to the credit the viewer can spend; else (a lost dispute) to their credit at all.
  const change = available !== 0n ? available : total;
  let words;
  switch (event.kind) {
    case "playback":
      if (event.kinds.has("settlement") || event.kinds.has("release")) {
        words = total === 0n ? "Watched on card credit: nothing streamed, nothing charged" : "Watched on card credit: paid to the creator for what you watched";
      } else {
        words = `Watching on card credit now: ${amount(-available)} held until you stop`;
      }
      break;
    case "purchase":
      words = "Bought with a card";
      break;
    case "refund":
      words = "Card payment refunded: its credit taken back";
      break;
    case "dispute":
      words = "A card payment is disputed: its credit held back until the dispute closes";
      break;
    case "reinstate":
      words = "Dispute closed in your favour: the held-back credit is yours again";
      break;
    case "write_off":
      words = "Dispute lost: the held-back credit removed";
      break;
    default:
      words = event.kind.replace(/_/g, " ");
  }
  return { words, change };
}

// "Mar 1, 12:09 PM"; the year only when it is not this one.
const whenThisYear = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
const whenEarlier = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function when(iso) {
  const date = new Date(iso);
  return (date.getFullYear() === new Date().getFullYear() ? whenThisYear : whenEarlier).format(date);
}

function historyRow(event, decimals, symbol) {
  const { words, change } = describe(event, decimals, symbol);
  const row = document.createElement("tr");
  const date = document.createElement("td");
  date.className = "when";
  const time = document.createElement("time");
  time.dateTime = event.createdAt;
  time.textContent = when(event.createdAt);
  date.append(time);
  const what = document.createElement("td");
  what.textContent = words;
  const amount = document.createElement("td");
  amount.className = "amount";
  amount.dataset.sign = change > 0n ? "+" : change < 0n ? "-" : "0";
  // The figure never breaks; on a narrow screen the symbol may go under it.
  const figure = document.createElement("span");
  figure.className = "figure";
  figure.textContent = change === 0n ? "0" : signed(formatUnits(change, decimals), symbol).replace(/ \S+$/, "");
  amount.append(figure, ` ${symbol}`);
  row.append(date, what, amount);
  return row;
}

let shown = new Map(); // the events on the page: older pages add to them

async function loadHistory({ more = false } = {}) {
  const query = new URLSearchParams({ limit: "50" });
  if (more && nextBefore) query.set("before", String(nextBefore));
  const { data } = await api(`/api/billing/history?${query}`, { token });
  const { decimals, symbol } = data.token;
  if (!more) shown = new Map();
  events(data.entries, decimals, shown);
  $("history").replaceChildren(...[...shown.values()].map((event) => historyRow(event, decimals, symbol)));
  nextBefore = data.nextBefore;
  $("more").hidden = !nextBefore;
  const empty = shown.size === 0;
  $("no-history").hidden = !empty;
  $("history-table").hidden = empty;
  $("history-wrap").hidden = empty;
  return data.entries;
}

// -- buying ---------------------------------------------------------------------------------

function chosenAmount() {
  if (offer.amounts) return /** @type {RadioNodeList | undefined} */ (form.elements.namedItem("amount"))?.value || null;
  const value = amountInput.value.trim();
  return value && amountInput.checkValidity() ? value : null;
}

function updateSummary() {
  const amount = chosenAmount();
  $("buy-summary").textContent = amount
    ? `You pay ${money(amount)} and get ${tokens(creditFor(amount, offer.rate, offer.token.decimals), offer.token.symbol)} of credit.`
    : offer.amounts
      ? "Choose an amount."
      : `Choose an amount from ${money(offer.minimum)} to ${money(offer.maximum)}.`;
  buyButton.disabled = !amount;
}

function setUpOffer() {
  const { symbol } = offer.token;
  $("rate").textContent = `${money("1")} buys ${tokens(creditFor("1", offer.rate, offer.token.decimals), symbol)}.`;
  if (offer.amounts) {
    const choices = $("choices");
    offer.amounts.forEach((amount, index) => {
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "amount";
      input.value = amount;
      input.checked = index === 0;
      label.append(input, preview(amount));
      choices.append(label);
    });
    choices.hidden = false;
  } else {
    const input = amountInput;
    const places = currencyPlaces();
    input.min = offer.minimum;
    input.max = offer.maximum;
    input.step = places ? `0.${"0".repeat(places - 1)}1` : "1";
    input.required = true;
    input.value = offer.minimum;
    $("range-label").textContent = `Amount, in ${offer.currency.toUpperCase()} (${money(offer.minimum)} to ${money(offer.maximum)})`;
    $("range").hidden = false;
  }
  $("buy").addEventListener("input", updateSummary);
  updateSummary();
}

$("buy").addEventListener("submit", async (event) => {
  event.preventDefault();
  alertBox.hidden = true;
  const amount = chosenAmount();
  if (!amount) return;
  const button = buyButton;
  button.disabled = true;
  say(`Starting a card payment of ${money(amount)}…`);
  try {
    const { data } = await api("/api/billing/checkout", { method: "POST", token, body: { amount } });
    say(`Taking you to the card payment page for ${money(data.amount)}…`);
    location.assign(data.url); // Stripe's hosted page; it sends the browser back here
  } catch (error) {
    status.hidden = true;
    fail(error);
    button.disabled = false;
  }
});

$("more").addEventListener("click", () => loadHistory({ more: true }).catch(fail));

/**
 * @param {string} text
 * @param {"info" | "ok" | "warn" | "error"} [kind]
 */
function say(text, kind = "info") {
  show(status, text, kind);
}

// -- back from the payment page ---------------------------------------------------------------

function forgetReturn() {
  history.replaceState(null, "", location.pathname);
}

// Stripe's webhook brings the credit a moment after the browser is back: wait for the
// purchase's own row, then show it and the new balance.
async function awaitPurchase(session) {
  say("Payment received: adding your credit…");
  const deadline = Date.now() + ARRIVAL_WAIT_MS;
  for (;;) {
    const entries = await loadHistory();
    const bought = entries.find((entry) => entry.kind === "purchase" && entry.ref === session);
    if (bought) {
      const balance = await refreshBalance();
      say(`Payment complete: ${tokens(bought.amount, balance.token.symbol)} of credit added. You have ${tokens(balance.available, balance.token.symbol)} to watch with.`, "ok");
      forgetReturn();
      return;
    }
    if (Date.now() > deadline) {
      say("Your payment is still being confirmed: the credit shows here as soon as it is. Reload this page in a minute.");
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, ARRIVAL_POLL_MS));
  }
}

async function main() {
  const checkout = params.get("checkout");
  const session = params.get("session");
  if (!token) {
    $("signed-out").hidden = false;
    if (checkout === "success") say("Your card payment went through. Sign in to see your credit.", "ok");
    return;
  }
  $("credit").hidden = false;
  try {
    ({ data: offer } = await api("/api/billing/config"));
    setUpOffer();
  } catch (error) {
    fail(new Error(`Buying credit is unavailable: ${error.message}`));
  }
  try {
    await Promise.all([refreshBalance(), loadHistory()]);
  } catch (error) {
    if (error.status === 401) {
      sessionStorage.removeItem(tokenKey);
      $("credit").hidden = true;
      $("signed-out").hidden = false;
    }
    fail(error);
    return;
  } finally {
    $("credit").removeAttribute("aria-busy");
  }
  if (checkout === "cancelled") {
    say("Payment cancelled: nothing was charged.");
    forgetReturn();
  } else if (checkout === "success" && session) {
    await awaitPurchase(session).catch(fail);
  }
}

await main();
