// How the pages describe a stream (the API's stream JSON) in words. The shared formatting lives
// in /js/format.js and /js/ui.js; this module keeps the older names working for their importers.
import { formatAmount, formatDuration } from "/js/format.js";
import { creatorLabel, isFree } from "/js/ui.js";

export { formatDuration };

/**
 * The creator's name: the username, or a shortened wallet address.
 * @param {import("/js/ui.js").StreamSummary} stream
 * @returns {string}
 */
export function creatorName(stream) {
  return creatorLabel(stream);
}

/**
 * The price per second in words: "0.01 TIDE/s", or "free".
 * @param {import("/js/ui.js").StreamSummary} stream
 * @param {string} [symbol]
 * @returns {string}
 */
export function priceText(stream, symbol = "TIDE") {
  if (isFree(stream)) return "free";
  return `${formatAmount(String(stream.pricePerSecond))} ${symbol}/s`;
}

/**
 * One line about a stream: "by wanda · 0.01 TIDE/s · 0:30".
 * @param {import("/js/ui.js").StreamSummary} stream
 * @param {string} [symbol]
 * @returns {string}
 */
export function describeStream(stream, symbol) {
  return [`by ${creatorName(stream)}`, priceText(stream, symbol), formatDuration(stream.duration)].filter(Boolean).join(" · ");
}
