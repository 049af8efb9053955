// Small DOM helpers the pages share: build elements, show a status line, draw a stream's card.
import { formatAmount, formatDate, formatDuration, formatRelative, multiplyDecimal, parseDecimal } from "/js/format.js";

/**
 * A stream as GET /api/streams lists it (the fields the cards use).
 * @typedef {{id: string, title: string, description?: string, status?: string,
 *   duration: number | null, thumbnail: string | null, encrypted?: boolean,
 *   pricePerSecond?: string | null, priceTotal?: string | null, createdAt?: string,
 *   creator?: {username: string | null, wallet: string | null} | null}} StreamSummary
 */

/** @typedef {Node | string | number | null | undefined | false} Child */

/**
 * Creates an element: el("a", {href: "/", class: "btn"}, "Home"). Attributes: `class`,
 * `dataset` (an object), `on<event>` functions become listeners, `true` sets a boolean
 * attribute, `false`/null/undefined leave it out, anything else is set as text.
 * @param {string} tag
 * @param {Record<string, any> | null} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function el(tag, attrs = null, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class" || name === "className") node.className = String(value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "number" ? String(child) : child);
  }
  return node;
}

/**
 * Shows `text` in a status or alert element (`data-kind` picks its colour), or hides the
 * element when `text` is empty.
 * @param {HTMLElement} element
 * @param {string} text
 * @param {"info" | "ok" | "warn" | "error"} [kind]
 * @returns {void}
 */
export function setStatus(element, text, kind = "info") {
  element.textContent = text || "";
  element.dataset.kind = kind;
  element.hidden = !text;
}

/**
 * The creator's name as the cards show it: the username, or a shortened wallet address.
 * @param {StreamSummary} stream
 * @returns {string}
 */
export function creatorLabel(stream) {
  const creator = stream.creator || { username: null, wallet: null };
  if (creator.username) return creator.username;
  if (creator.wallet) return `${creator.wallet.slice(0, 6)}…${creator.wallet.slice(-4)}`;
  return "unknown creator";
}

/**
 * Whether watching costs nothing (not encrypted, or priced at zero).
 * @param {StreamSummary} stream
 * @returns {boolean}
 */
export function isFree(stream) {
  const price = stream.pricePerSecond === null || stream.pricePerSecond === undefined ? null : parseDecimal(stream.pricePerSecond);
  return !stream.encrypted || !price || price.units === 0n;
}

/**
 * The price of a stream in words: `rate` "0.01 TIDE/s" and `total` "0.30 TIDE for the whole
 * video" (empty while the duration is unknown); both "Free" for a free stream.
 * @param {StreamSummary} stream
 * @param {string} symbol the token's symbol ("TIDE")
 * @returns {{free: boolean, rate: string, total: string}}
 */
export function priceWords(stream, symbol) {
  if (isFree(stream)) return { free: true, rate: "Free", total: "" };
  const price = String(stream.pricePerSecond);
  let whole = stream.priceTotal ?? null;
  if (whole === null && typeof stream.duration === "number") whole = multiplyDecimal(price, String(Math.ceil(stream.duration)));
  return {
    free: false,
    rate: `${formatAmount(price, { decimals: 6 })} ${symbol}/s`,
    total: whole === null ? "" : `${formatAmount(whole, { decimals: 4, minDecimals: 2 })} ${symbol} for the whole video`,
  };
}

const PLAY_ICON = "M8 5.5v13l11-6.5z";

/**
 * A stream's card for a `ul.stream-grid`: the poster (its thumbnail) with the duration over it,
 * the title linking to the watch page, the creator linking to their channel, the date, and the
 * price per second and for the whole video.
 * @param {StreamSummary} stream
 * @param {string} symbol the token's symbol ("TIDE")
 * @param {{heading?: string, showCreator?: boolean, showDescription?: boolean, now?: number}} [options]
 *   heading: the title's element ("h2"; "h3" under a section's h2)
 * @returns {HTMLLIElement}
 */
export function streamCard(stream, symbol, { heading = "h2", showCreator = true, showDescription = false, now = Date.now() } = {}) {
  const href = `/watch/?id=${encodeURIComponent(stream.id)}`;
  const duration = formatDuration(stream.duration);

  let picture;
  if (stream.thumbnail) {
    picture = el("img", { src: stream.thumbnail, alt: "", loading: "lazy", decoding: "async" });
  } else {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", PLAY_ICON);
    path.setAttribute("fill", "currentColor");
    svg.append(path);
    picture = el("span", { class: "poster-blank" }, svg);
  }
  const poster = el(
    "div",
    { class: "poster" },
    picture,
    duration ? el("span", { class: "duration" }, el("span", { class: "visually-hidden" }, "Duration "), duration) : null,
  );

  const title = el(heading, { class: "stream-card-title" }, el("a", { href }, stream.title || "Untitled video"));

  const meta = el("p", { class: "stream-card-meta" });
  if (showCreator) {
    const name = creatorLabel(stream);
    const username = stream.creator?.username;
    meta.append(username ? el("a", { href: `/channel/?name=${encodeURIComponent(username)}` }, name) : el("span", null, name));
  }
  if (stream.createdAt) {
    if (meta.childNodes.length) meta.append(el("span", { class: "sep", "aria-hidden": "true" }, "·"));
    meta.append(el("time", { datetime: stream.createdAt, title: formatDate(stream.createdAt) }, formatRelative(stream.createdAt, now)));
  }

  const { free, rate, total } = priceWords(stream, symbol);
  const price = el(
    "p",
    { class: "stream-card-price" },
    el("span", { class: "price-rate" }, rate),
    total ? [el("span", { class: "sep", "aria-hidden": "true" }, " · "), el("span", { class: "price-total" }, total)] : null,
  );
  if (free) price.firstElementChild?.classList.add("price-free");

  const description =
    showDescription && stream.description ? el("p", { class: "stream-card-description" }, stream.description) : null;

  return /** @type {HTMLLIElement} */ (
    el(
      "li",
      { class: "stream-card", dataset: { id: stream.id } },
      poster,
      el("div", { class: "stream-card-body" }, title, meta.childNodes.length ? meta : null, price, description),
    )
  );
}
