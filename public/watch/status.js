// The watch page's one status area: what is happening now, in a single place that replaces
// itself. Calm states (starting, playing, stopped) are a status (role=status); a fault the
// viewer must act on is an alert (role=alert). Showing one hides the other, so a stale "Payment
// stream is open" never sits above an error.
import { setStatus } from "/js/ui.js";

/**
 * @typedef {object} StatusArea
 * @property {(text: string, kind?: "info" | "ok" | "warn") => void} say a calm state
 * @property {(...parts: Array<string | Node>) => void} alarm a fault, optionally with a link
 * @property {() => void} clear
 */

/**
 * @param {HTMLElement} status the role=status element
 * @param {HTMLElement} alert the role=alert element
 * @returns {StatusArea}
 */
export function createStatus(status, alert) {
  return {
    say(text, kind = "info") {
      setStatus(alert, "", "error");
      setStatus(status, text, kind);
    },
    alarm(...parts) {
      setStatus(status, "", "info");
      alert.replaceChildren(...parts);
      alert.dataset.kind = "error";
      alert.hidden = parts.length === 0;
    },
    clear() {
      setStatus(status, "", "info");
      setStatus(alert, "", "error");
    },
  };
}
