// How the pages write numbers, times and money. Token amounts are decimal strings from the API
// and stay strings: rounding and arithmetic go through BigInt, never through a float.

/**
 * A duration as a clock: 30 → "0:30", 3723 → "1:02:03". Empty for an unknown duration.
 * @param {number | null | undefined} seconds
 * @returns {string}
 */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/**
 * A duration in words for sentences: 30 → "30 s", 95 → "1 min 35 s", 3723 → "1 h 2 min".
 * @param {number | null | undefined} seconds
 * @returns {string}
 */
export function formatDurationWords(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h) return m ? `${h} h ${m} min` : `${h} h`;
  if (m) return rest ? `${m} min ${rest} s` : `${m} min`;
  return `${rest} s`;
}

/** @type {Array<[Intl.RelativeTimeFormatUnit, number]>} */
const UNITS = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/**
 * A moment relative to now, in the browser's language: "3 days ago", "yesterday", "just now".
 * @param {string | number | Date} when an ISO 8601 string, a timestamp or a Date
 * @param {number} [now] the reference time (ms since the epoch), for tests
 * @returns {string}
 */
export function formatRelative(when, now = Date.now()) {
  const time = new Date(when).getTime();
  if (Number.isNaN(time)) return "";
  const seconds = (time - now) / 1000;
  const words = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return words.format(Math.trunc(seconds / size), unit);
  }
  return seconds > 0 ? words.format(1, "minute") : "just now";
}

/**
 * A date in the browser's language: "Mar 3, 2025".
 * @param {string | number | Date} when
 * @returns {string}
 */
export function formatDate(when) {
  const date = new Date(when);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium" }).format(date);
}

/**
 * A date and time in the browser's language: "Mar 3, 2025, 2:05 PM".
 * @param {string | number | Date} when
 * @returns {string}
 */
export function formatDateTime(when) {
  const date = new Date(when);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(date);
}

/**
 * A month and year: "March 2025" (a channel's "joined" date).
 * @param {string | number | Date} when
 * @returns {string}
 */
export function formatMonth(when) {
  const date = new Date(when);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric" }).format(date);
}

/**
 * Parses a decimal string ("12.5", "-0.001") into digits and a scale (12.5 → 125n, 1).
 * @param {string | number | bigint} value
 * @returns {{units: bigint, scale: number} | null} null when it is not a decimal number
 */
export function parseDecimal(value) {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(String(value).trim());
  if (!match || (!match[2] && !match[3])) return null;
  const frac = match[3] || "";
  const units = BigInt(`${match[2] || "0"}${frac}`);
  return { units: match[1] === "-" ? -units : units, scale: frac.length };
}

/**
 * Writes `units` scaled by 10^-scale as a decimal string, without trailing zeros past `minDecimals`.
 * @param {bigint} units
 * @param {number} scale
 * @param {number} [minDecimals]
 * @returns {string}
 */
export function decimalString(units, scale, minDecimals = 0) {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  let frac = digits.slice(digits.length - scale).replace(/0+$/, "");
  if (frac.length < minDecimals) frac = frac.padEnd(minDecimals, "0");
  return `${negative && /[1-9]/.test(digits) ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}

/**
 * Multiplies two decimals exactly: multiplyDecimal("0.01", "30") → "0.3".
 * @param {string | number | bigint} a
 * @param {string | number | bigint} b
 * @returns {string | null} null when either is not a decimal number
 */
export function multiplyDecimal(a, b) {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  if (!x || !y) return null;
  return decimalString(x.units * y.units, x.scale + y.scale);
}

/** @param {string} whole */
function grouped(whole) {
  const separator = new Intl.NumberFormat().formatToParts(1000).find((part) => part.type === "group")?.value ?? ",";
  return whole.replace(/\B(?=(\d{3})+(?!\d))/g, separator);
}

/**
 * A token amount for people: at most `decimals` decimals (rounded half up; a small amount keeps
 * its first two significant digits instead of showing 0), at least `minDecimals`, with the
 * browser's digit grouping: formatAmount("1234.5678", {decimals: 2}) → "1,234.57",
 * formatAmount("0.3", {minDecimals: 2}) → "0.30", formatAmount("0.0000042") → "0.0000042".
 * @param {string | number | bigint} value a decimal string (numbers are for whole amounts)
 * @param {{decimals?: number, minDecimals?: number, group?: boolean}} [options]
 * @returns {string}
 */
export function formatAmount(value, { decimals = 6, minDecimals = 0, group = true } = {}) {
  const parsed = parseDecimal(value);
  if (!parsed) return String(value);
  const { units, scale } = parsed;
  const magnitude = units < 0n ? -units : units;
  let places = Math.min(decimals, scale);
  if (magnitude !== 0n && scale > decimals) {
    // Where the first significant digit is: keep it and the next one when `decimals` would hide it.
    const digits = magnitude.toString();
    const firstPlace = scale - digits.length + 1; // 1 = tenths
    if (firstPlace > decimals) places = Math.min(scale, firstPlace + 1);
  }
  let rounded = magnitude;
  if (scale > places) {
    const divisor = 10n ** BigInt(scale - places);
    rounded = magnitude / divisor;
    if ((magnitude % divisor) * 2n >= divisor) rounded += 1n;
  }
  const text = decimalString(units < 0n ? -rounded : rounded, places, Math.max(0, minDecimals));
  if (!group) return text;
  const [whole, frac] = text.replace(/^-/, "").split(".");
  const point = new Intl.NumberFormat().formatToParts(1.5).find((part) => part.type === "decimal")?.value ?? ".";
  return `${text.startsWith("-") ? "-" : ""}${grouped(whole)}${frac ? `${point}${frac}` : ""}`;
}

/**
 * A token amount with its symbol: "0.30 TIDE".
 * @param {string | number | bigint} value
 * @param {string} symbol
 * @param {{decimals?: number, minDecimals?: number}} [options]
 * @returns {string}
 */
export function formatTokens(value, symbol, options = {}) {
  return `${formatAmount(value, options)} ${symbol}`;
}
