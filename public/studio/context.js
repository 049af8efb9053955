// What the studio's parts share: the login, the token's symbol, and the page's two message
// lines (a status that is polite, an alert that interrupts).
import { setStatus } from "/js/ui.js";

/**
 * A stream as the API returns it (GET /api/streams/{id}), with the thumbnail choices the
 * pipeline may offer.
 * @typedef {import("/js/types/api").components["schemas"]["Stream"] & {
 *   thumbnailChoices?: string[] | null, priceTotal?: string | null}} Stream
 */

/**
 * @typedef {object} StudioContext
 * @property {string} token the login token
 * @property {string} symbol the token's symbol ("TIDE")
 * @property {number} decimals the token's decimals
 * @property {(text: string, kind?: "info" | "ok" | "warn" | "error") => void} say a status line
 * @property {(error: unknown) => void} fail shows an error in the page's alert
 * @property {() => void} quiet hides the alert
 */

/**
 * The studio's shared context.
 * @param {string} token the login token
 * @param {{symbol: string, decimals: number}} tokenInfo the payment token
 * @returns {StudioContext}
 */
export function studioContext(token, tokenInfo) {
  const status = /** @type {HTMLElement} */ (document.getElementById("status"));
  const alertBox = /** @type {HTMLElement} */ (document.getElementById("alert"));
  return {
    token,
    symbol: tokenInfo.symbol,
    decimals: tokenInfo.decimals,
    say: (text, kind = "info") => setStatus(status, text, kind),
    fail: (error) => setStatus(alertBox, error instanceof Error ? error.message : String(error), "error"),
    quiet: () => setStatus(alertBox, ""),
  };
}

/**
 * The field an API 400 names ("Invalid 'title': must not be empty" → "title"), or null.
 * @param {unknown} error
 * @returns {string | null}
 */
export function fieldOf(error) {
  const message = error instanceof Error ? error.message : String(error);
  const found = /Invalid '([A-Za-z]+)'/.exec(message) ?? /^([a-z][A-Za-z]+) (?:must|has|is)\b/.exec(message);
  return found ? found[1] : null;
}
