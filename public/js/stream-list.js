// A grid of ready streams from GET /api/streams, page by page ("Load more" follows nextCursor),
// shared by the browse page and the channel pages. A newer load wins over an older one still
// in flight (typing fast, or back and forward through the history).
import { api } from "/js/api.js";
import { setStatus, streamCard } from "/js/ui.js";

/** The sorts GET /api/streams knows; the first is its default. */
export const SORTS = ["newest", "oldest", "title", "price", "duration"];

/**
 * The token's symbol for prices ("TIDE"), from GET /api/payments/config.
 * @returns {Promise<string>}
 */
export async function tokenSymbol() {
  try {
    const { data } = await api("/api/payments/config");
    return data.token.symbol || "TIDE";
  } catch {
    return "TIDE";
  }
}

/**
 * @typedef {object} ListParts
 * @property {HTMLUListElement} list the `ul.stream-grid`
 * @property {HTMLElement} status a role=status line: how many videos, or what is missing
 * @property {HTMLElement} alert a role=alert box for failures
 * @property {HTMLButtonElement} more the "Load more" button
 * @property {HTMLElement} empty the `.empty` block shown when nothing matches
 * @property {(count: number, more: boolean) => string} summary the status line for `count` videos
 * @property {() => void} showEmpty fills the `.empty` block; the status line says its first sentence
 * @property {() => string} emptyText the sentence for the status line when nothing matches
 * @property {{heading?: string, showCreator?: boolean, showDescription?: boolean}} [card]
 */

/**
 * A stream list bound to the page's elements; `load(query)` replaces the grid with the first
 * page of `query`'s results.
 * @param {ListParts} parts
 * @returns {{load: (query: URLSearchParams) => Promise<void>}}
 */
export function streamList(parts) {
  const { list, status, alert, more, empty } = parts;
  const symbol = tokenSymbol();
  let generation = 0;
  /** @type {string | null} */
  let cursor = null;
  /** @type {URLSearchParams} */
  let current = new URLSearchParams();

  /**
   * @param {boolean} fresh
   */
  async function fetchPage(fresh) {
    const mine = ++generation;
    const query = new URLSearchParams(current);
    query.set("status", "ready");
    query.set("limit", "24");
    if (!fresh && cursor) query.set("cursor", cursor);
    more.disabled = true;
    more.setAttribute("aria-busy", "true");
    if (fresh) list.setAttribute("aria-busy", "true");
    setStatus(alert, "");
    try {
      const [{ data }, sym] = await Promise.all([api(`/api/streams?${query}`), symbol]);
      if (mine !== generation) return;
      const ready = data.items.filter((/** @type {{status?: string}} */ stream) => !stream.status || stream.status === "ready");
      const cards = ready.map((/** @type {import("/js/ui.js").StreamSummary} */ stream) => streamCard(stream, sym, parts.card));
      if (fresh) list.replaceChildren(...cards);
      else list.append(...cards);
      cursor = data.nextCursor || null;
      const count = list.children.length;
      more.hidden = !cursor;
      list.hidden = count === 0;
      empty.hidden = count !== 0;
      if (count === 0) {
        parts.showEmpty();
        status.textContent = parts.emptyText();
        status.classList.add("visually-hidden");
      } else {
        status.textContent = parts.summary(count, Boolean(cursor));
        status.classList.remove("visually-hidden");
      }
    } catch (error) {
      if (mine !== generation) return;
      status.textContent = "";
      setStatus(alert, `The videos could not be loaded (${/** @type {Error} */ (error).message}). Try again in a moment.`, "error");
      throw error;
    } finally {
      if (mine === generation) {
        more.disabled = false;
        more.removeAttribute("aria-busy");
        list.removeAttribute("aria-busy");
      }
    }
  }

  more.addEventListener("click", () => {
    fetchPage(false).catch(() => {});
  });

  return {
    load(query) {
      current = query;
      cursor = null;
      return fetchPage(true);
    },
  };
}
