// Browse: every ready video, searched (`q`) and sorted (`sort`) by GET /api/streams. The search
// and the sort live in the address (?q=&sort=), so a search can be shared, reloaded, and undone
// with the browser's back button.
import { SORTS, streamList } from "/js/stream-list.js";

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const form = /** @type {HTMLFormElement} */ ($("search"));
const input = /** @type {HTMLInputElement} */ ($("q"));
const select = /** @type {HTMLSelectElement} */ ($("sort"));

/** @returns {{q: string, sort: string}} what the address asks for */
function fromAddress() {
  const params = new URLSearchParams(location.search);
  const sort = params.get("sort") || SORTS[0];
  return { q: (params.get("q") || "").trim(), sort: SORTS.includes(sort) ? sort : SORTS[0] };
}

let state = fromAddress();

const grid = streamList({
  list: /** @type {HTMLUListElement} */ ($("streams")),
  status: $("status"),
  alert: $("alert"),
  more: /** @type {HTMLButtonElement} */ ($("more")),
  empty: $("empty"),
  card: { heading: "h2" },
  summary: (count, more) => {
    const videos = `${count} video${count === 1 ? "" : "s"}`;
    if (more) return state.q ? `Showing ${videos} matching “${state.q}”` : `Showing ${videos}`;
    if (state.q) return `${videos} ${count === 1 ? "matches" : "match"} “${state.q}”`;
    return `${videos} to watch`;
  },
  emptyText: () => (state.q ? `No videos match “${state.q}”.` : "No videos yet: upload one in the studio."),
  showEmpty: () => {
    const action = /** @type {HTMLAnchorElement} */ ($("empty-action"));
    if (state.q) {
      $("empty-title").textContent = `No videos match “${state.q}”.`;
      $("empty-hint").textContent = "Try other words, or look through everything.";
      action.textContent = "Show all videos";
      action.href = state.sort === SORTS[0] ? "/" : `/?sort=${encodeURIComponent(state.sort)}`;
    } else {
      $("empty-title").textContent = "No videos yet: upload one in the studio.";
      $("empty-hint").textContent = "Videos appear here as soon as they are ready to watch.";
      action.textContent = "Upload a video";
      action.href = "/studio/";
    }
  },
});

/** Puts the state into the form, the title and the grid. */
function show() {
  input.value = state.q;
  select.value = state.sort;
  document.title = state.q ? `“${state.q}” · tidecast` : "Browse videos · tidecast";
  const query = new URLSearchParams();
  if (state.q) query.set("q", state.q);
  if (state.sort !== SORTS[0]) query.set("sort", state.sort);
  grid.load(query).catch(() => {});
}

/** Records the form's search and sort in the address (a new history entry), then shows them. */
function search() {
  const next = { q: input.value.trim(), sort: SORTS.includes(select.value) ? select.value : SORTS[0] };
  if (next.q === state.q && next.sort === state.sort) return;
  state = next;
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  if (state.sort !== SORTS[0]) params.set("sort", state.sort);
  const address = params.size ? `/?${params}` : "/";
  history.pushState(null, "", address);
  show();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  search();
});
select.addEventListener("change", search);
// The search box's own clear button (×) empties it: show everything again.
input.addEventListener("search", () => {
  if (!input.value) search();
});
addEventListener("popstate", () => {
  state = fromAddress();
  show();
});

show();
