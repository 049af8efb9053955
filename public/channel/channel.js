// A creator's channel (?name=<username>): who they are (GET /api/creators/{username}) and their
// ready videos (GET /api/streams?creator=<username>), sorted as the viewer picks (?sort=, kept
// in the address like the browse page's).
import { api } from "/js/api.js";
import { formatMonth } from "/js/format.js";
import { SORTS, streamList } from "/js/stream-list.js";
import { setStatus } from "/js/ui.js";

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const main = $("main");
const select = /** @type {HTMLSelectElement} */ ($("sort"));
const params = new URLSearchParams(location.search);
const name = (params.get("name") || "").trim();

/** @returns {string} the sort the address asks for */
function sortFromAddress() {
  const sort = new URLSearchParams(location.search).get("sort") || SORTS[0];
  return SORTS.includes(sort) ? sort : SORTS[0];
}

/**
 * The page for an address that names no channel, or a channel nobody has.
 * @param {string} title
 */
function missing(title) {
  $("channel").hidden = true;
  $("videos").hidden = true;
  $("missing-title").textContent = title;
  $("missing").hidden = false;
  document.title = "No such channel · tidecast";
}

const grid = streamList({
  list: /** @type {HTMLUListElement} */ ($("streams")),
  status: $("status"),
  alert: $("alert"),
  more: /** @type {HTMLButtonElement} */ ($("more")),
  empty: $("empty"),
  card: { heading: "h3", showCreator: false, showDescription: true },
  summary: (count, more) => (more ? `Showing ${count} videos` : `${count} video${count === 1 ? "" : "s"}`),
  emptyText: () => `${name} has no videos yet.`,
  showEmpty: () => {
    $("empty-title").textContent = `${name} has no videos yet.`;
  },
});

function showVideos() {
  const sort = sortFromAddress();
  select.value = sort;
  const query = new URLSearchParams({ creator: name });
  if (sort !== SORTS[0]) query.set("sort", sort);
  return grid.load(query).catch(() => {});
}

async function main_() {
  if (!name) {
    missing("No channel chosen.");
    return;
  }
  $("name").textContent = name;
  $("avatar").textContent = name.slice(0, 1);
  document.title = `${name} · tidecast`;
  try {
    const { data } = await api(`/api/creators/${encodeURIComponent(name)}`);
    $("name").textContent = data.username;
    $("avatar").textContent = data.username.slice(0, 1);
    const joined = formatMonth(data.joinedAt);
    const count = Array.isArray(data.streams) ? data.streams.length : Number(data.streams) || 0;
    $("facts").textContent = [joined && `Joined ${joined}`, `${count} video${count === 1 ? "" : "s"}`].filter(Boolean).join(" · ");
  } catch (error) {
    if ([400, 404].includes(/** @type {{status?: number}} */ (error).status ?? 0)) {
      missing(`No creator named “${name}”.`);
      return;
    }
    // The header's facts are a nicety: without them the videos still show.
    $("facts").textContent = "";
  }
  $("videos").hidden = false;
  select.addEventListener("change", () => {
    const next = new URLSearchParams({ name });
    if (select.value !== SORTS[0]) next.set("sort", select.value);
    history.pushState(null, "", `/channel/?${next}`);
    showVideos();
  });
  addEventListener("popstate", showVideos);
  await showVideos();
}

main_()
  .catch((error) => setStatus($("alert"), `This channel could not be loaded (${error.message}).`, "error"))
  .finally(() => main.removeAttribute("aria-busy"));
