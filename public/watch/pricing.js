// What watching costs, in words and in smallest units. Prices and amounts are decimal strings
// from the API and bigint smallest units on the chain: never a float on the money path.
import { formatAmount, formatDurationWords, multiplyDecimal, parseDecimal } from "/js/format.js";
import { tokens, units } from "/js/payments.js";

/**
 * @typedef {object} Token
 * @property {string} symbol "TIDE"
 * @property {number} decimals
 */

/**
 * The price a second in smallest units.
 * @param {{pricePerSecond: string}} stream
 * @param {Token} token
 * @returns {bigint}
 */
export function pricePerSecond(stream, token) {
  return units(stream.pricePerSecond, token.decimals);
}

/**
 * Whether the stream costs nothing to watch (unencrypted, or priced at zero).
 * @param {{encrypted: boolean, pricePerSecond?: string | null}} stream
 * @returns {boolean}
 */
export function isFreeStream(stream) {
  const price = stream.pricePerSecond ? parseDecimal(stream.pricePerSecond) : null;
  return !stream.encrypted || !price || price.units === 0n;
}

/**
 * "This 30 s video costs at most 0.06 TIDE; you pay per second watched." (the whole video at
 * its price: `priceTotal`, else the price times the duration rounded up).
 * @param {{pricePerSecond: string, priceTotal?: string | null, duration: number | null}} stream
 * @param {string} symbol
 * @returns {string}
 */
export function costSentence(stream, symbol) {
  const rate = `${formatAmount(stream.pricePerSecond)} ${symbol} a second`;
  const whole =
    stream.priceTotal ?? (typeof stream.duration === "number" ? multiplyDecimal(stream.pricePerSecond, String(Math.ceil(stream.duration))) : null);
  if (whole === null || typeof stream.duration !== "number") return `This video costs ${rate}; you pay per second watched.`;
  const length = formatDurationWords(Math.ceil(stream.duration));
  return `This ${length} video costs at most ${formatAmount(whole, { minDecimals: 2 })} ${symbol} (${rate}); you pay per second watched.`;
}

/**
 * Seconds a deposit covers beyond what is left of the video: the payment stream starts
 * flowing when its transaction is mined, a second or more before the first picture (the
 * playlist, the first key). Without them the deposit runs dry just before the end. Whatever
 * is not streamed comes back when the viewer stops.
 */
export const START_SLACK_SECONDS = 5;

/**
 * The seconds a deposit should cover: what is left of the video from `from`, plus the start's
 * slack (a key period when longer), rounded up to whole key periods.
 * @param {number | null} duration the video's length
 * @param {number} from where the viewer starts
 * @param {number | null} keyPeriod seconds a key period
 * @returns {number} whole seconds
 */
export function depositSeconds(duration, from, keyPeriod) {
  const period = keyPeriod && keyPeriod > 0 ? keyPeriod : 1;
  const slack = Math.max(START_SLACK_SECONDS, period);
  const left = Math.max(0, (duration ?? 600) - Math.max(0, from)) + slack;
  return Math.max(1, Math.ceil(Math.max(1, Math.ceil(left / period - 1e-9)) * period));
}

/**
 * `seconds` at the stream's price, in smallest units.
 * @param {bigint} price smallest units a second
 * @param {number} seconds whole seconds
 * @returns {bigint}
 */
export function costOf(price, seconds) {
  return price * BigInt(Math.max(0, Math.round(seconds)));
}

/**
 * An amount in smallest units for people: "0.12 TIDE".
 * @param {bigint} amount
 * @param {Token} token
 * @returns {string}
 */
export function money(amount, token) {
  return `${formatAmount(tokens(amount, token.decimals))} ${token.symbol}`;
}

/**
 * 0x1234…abcd: an address where one must appear, never as the main text.
 * @param {string} address
 * @returns {string}
 */
export function shortAddress(address) {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

/**
 * The server's reason in the page's words: the token by its symbol, addresses shortened.
 * @param {string} message
 * @param {string} symbol
 * @returns {string}
 */
export function inOurWords(message, symbol) {
  return message
    .replace(/\btokens\/s\b/g, `${symbol}/s`)
    .replace(/\btokens\b/g, symbol)
    .replace(/0x[0-9a-fA-F]{40}/g, (address) => shortAddress(address));
}
