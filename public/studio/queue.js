// The upload queue: files picked or dropped go up one at a time (tus, resumable: /js/tus.js),
// and each, once sent, is followed while the pipeline processes it, so the next upload does
// not wait for the previous video's processing. Each item shows one percent (bar and text
// agree) and a steady time left (/studio/eta.js) for its current phase.
import { api } from "/js/api.js";
import * as tus from "/js/tus.js";
import { el } from "/js/ui.js";
import { EtaEstimator, etaText } from "/studio/eta.js";
import { percentOf } from "/studio/videos.js";

/** @typedef {import("/studio/context.js").Stream} Stream */
/** @typedef {import("/studio/context.js").StudioContext} StudioContext */

const POLL_MS = 1000;

/**
 * @typedef {object} Item
 * @property {string} key
 * @property {string} title
 * @property {File | null} file
 * @property {tus.SavedUpload | null} saved
 * @property {string | null} streamId
 * @property {"waiting" | "uploading" | "stopped" | "processing" | "ready" | "failed"} state
 * @property {EtaEstimator | null} eta
 * @property {HTMLLIElement} node
 * @property {HTMLProgressElement} bar
 * @property {HTMLElement} text
 * @property {HTMLElement} badge
 * @property {HTMLElement} actions
 */

const BADGES = {
  waiting: ["Waiting", "info"],
  uploading: ["Uploading", "info"],
  stopped: ["Stopped", "warn"],
  processing: ["Processing", "info"],
  ready: ["Ready", "ok"],
  failed: ["Failed", "error"],
};

/** @param {string} name */
function titleFrom(name) {
  return name.replace(/\.[A-Za-z0-9]{1,5}$/, "") || name;
}

/** @returns {number} seconds on a monotonic clock */
function now() {
  return performance.now() / 1000;
}

/**
 * The queue.
 * @param {StudioContext} ctx
 * @param {{onChange: (stream: Stream) => void, onSent: () => Promise<unknown>, onDone: (stream: Stream) => Promise<unknown>}} hooks
 *   onChange: a processing stream was read again; onSent: an upload became a stream;
 *   onDone: a stream finished processing (ready or failed)
 * @returns {{add: (files: File[], title: string) => void, follow: (stream: Stream) => void, restore: () => Promise<void>}}
 */
export function uploadQueue(ctx, hooks) {
  const list = /** @type {HTMLOListElement} */ (document.getElementById("queue"));
  const announce = /** @type {HTMLElement} */ (document.getElementById("processing-text"));
  const resume = /** @type {HTMLElement} */ (document.getElementById("resume"));
  /** @type {Item[]} */
  const items = [];
  let uploading = false;
  let counter = 0;

  /**
   * @param {string} title
   * @param {File | null} file
   * @param {string | null} [about] what file it is ("clip.mp4 · 6.8 MB")
   * @returns {Item}
   */
  function makeItem(title, file, about = file ? `${file.name} · ${tus.mb(file.size)}` : null) {
    const key = `q${++counter}`;
    const heading = el("span", { class: "queue-title", id: `${key}-title` }, title);
    const badge = el("span", { class: "badge" });
    const bar = /** @type {HTMLProgressElement} */ (el("progress", { max: "100", value: "0", "aria-labelledby": `${key}-title`, "aria-describedby": `${key}-text` }));
    const text = el("p", { class: "queue-text", id: `${key}-text` });
    const actions = el("div", { class: "queue-actions" });
    const node = /** @type {HTMLLIElement} */ (
      el(
        "li",
        { class: "queue-item" },
        el("div", { class: "queue-head" }, heading, about ? el("span", { class: "muted small" }, about) : null, badge),
        bar,
        el("div", { class: "queue-foot" }, text, actions),
      )
    );
    /** @type {Item} */
    const item = { key, title, file, saved: null, streamId: null, state: "waiting", eta: null, node, bar, text, badge, actions };
    items.push(item);
    list.append(node);
    setState(item, "waiting");
    return item;
  }

  /**
   * @param {Item} item
   * @param {Item["state"]} state
   */
  function setState(item, state) {
    item.state = state;
    item.node.dataset.state = state;
    const [label, kind] = BADGES[state];
    item.badge.textContent = label;
    item.badge.dataset.kind = kind;
    item.actions.replaceChildren();
    if (state === "ready" || state === "failed" || state === "stopped") {
      const dismiss = el("button", { type: "button", class: "btn btn-ghost btn-sm", "aria-label": `Dismiss “${item.title}”` }, state === "stopped" ? "Forget" : "Dismiss");
      dismiss.addEventListener("click", () => removeItem(item));
      item.actions.append(dismiss);
    }
  }

  /** @param {Item} item */
  function removeItem(item) {
    if (item.state === "stopped" && item.saved) {
      tus.forgetUpload(item.saved);
      // Tell the server too (tus termination); it forgets unfinished uploads on its own anyway.
      fetch(item.saved.url, { method: "DELETE", headers: { "Tus-Resumable": "1.0.0", Authorization: `Bearer ${ctx.token}` } }).catch(() => {});
    }
    items.splice(items.indexOf(item), 1);
    item.node.remove();
    showResumeNotice();
  }

  /**
   * @param {Item} item
   * @param {number} percent
   * @param {string} text
   */
  function show(item, percent, text) {
    item.bar.value = percent;
    item.text.textContent = text;
  }

  /**
   * @param {Item} item
   * @param {number} done bytes sent
   * @param {number} total bytes
   */
  function showUpload(item, done, total) {
    const percent = total ? Math.floor((done / total) * 100) : 0;
    item.eta ??= new EtaEstimator(total);
    const left = item.eta.update(done, now());
    show(item, percent, `Uploading: ${percent} % (${tus.mb(done)} of ${tus.mb(total)}), ${etaText(left)}`);
  }

  function showResumeNotice() {
    const stopped = items.filter((item) => item.state === "stopped" && item.saved);
    if (stopped.length === 0) {
      resume.hidden = true;
      return;
    }
    const names = stopped.map((item) => `${item.saved?.name} (at ${item.bar.value} %)`).join(", ");
    resume.textContent =
      stopped.length === 1
        ? `An upload of ${names.replace(/ \(at (\d+) %\)$/, "")} stopped at ${stopped[0].bar.value} %. Choose the same file to resume it, or another to start afresh.`
        : `Uploads that stopped: ${names}. Choose the same files to resume them.`;
    resume.hidden = false;
  }

  /**
   * Picked or dropped files: each joins the queue (a file whose upload stopped resumes it).
   * @param {File[]} files
   * @param {string} title the title for a single file ("" for its name)
   */
  function add(files, title) {
    for (const file of files) {
      const named = files.length === 1 && title ? title : titleFrom(file.name);
      let item = items.find((candidate) => candidate.state === "stopped" && candidate.saved && tus.sameFile(candidate.saved, file));
      if (item) {
        item.file = file;
        setState(item, "waiting");
      } else {
        item = makeItem(named, file);
      }
      item.text.textContent = "Waiting for the upload before it to finish.";
    }
    showResumeNotice();
    pump();
  }

  async function pump() {
    if (uploading) return;
    const next = items.slice().find((item) => item.state === "waiting");
    if (!next) return;
    uploading = true;
    try {
      await upload(next);
    } finally {
      uploading = false;
    }
    pump();
  }

  /** @param {Item} item */
  async function upload(item) {
    const file = /** @type {File} */ (item.file);
    setState(item, "uploading");
    item.eta = null;
    try {
      let saved = item.saved && tus.sameFile(item.saved, file) ? item.saved : tus.savedFor(file);
      if (saved) ctx.say(`Resuming the upload of ${file.name}.`);
      else saved = await tus.create(file, item.title, ctx.token);
      item.saved = saved;
      const streamId = await tus.send(saved, file, ctx.token, (done, total) => showUpload(item, done, total));
      item.saved = null;
      ctx.say(`Uploaded ${file.name}; processing it now.`, "ok");
      if (!streamId) throw new Error(`The server did not say which video ${file.name} became: reload the page to see it.`);
      item.streamId = streamId;
      setState(item, "processing");
      item.eta = null;
      show(item, 0, "Processing: 0 %, estimating time left");
      await hooks.onSent();
      followItem(item);
    } catch (error) {
      const status = error instanceof tus.UploadError ? error.status : error.status;
      if (status === 0 || status === 409) {
        // The connection dropped: the server keeps what it has; the same file resumes it.
        setState(item, "stopped");
        item.text.textContent = `Stopped at ${item.bar.value} %: ${error.message}`;
        showResumeNotice();
      } else {
        // A refused file is gone on the server: do not offer to resume it.
        if (item.saved) tus.forgetUpload(item.saved);
        item.saved = null;
        setState(item, "failed");
        item.text.textContent = error.message || String(error);
      }
      ctx.fail(new Error(`${item.title}: ${error.message || error}`));
    }
  }

  /** @param {Item} item */
  async function followItem(item) {
    const id = /** @type {string} */ (item.streamId);
    item.eta = new EtaEstimator(100);
    for (;;) {
      /** @type {Stream} */
      let stream;
      try {
        ({ data: stream } = await api(`/api/streams/${encodeURIComponent(id)}`, { token: ctx.token }));
      } catch (error) {
        if (error.status === 404) {
          setState(item, "failed");
          item.text.textContent = "This video was deleted.";
          return;
        }
        item.text.textContent = `Could not read its progress (${error.message}); trying again.`;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS * 3));
        continue;
      }
      if (stream.status === "ready") {
        // The list first: "ready" is said once its row (and its price field) is there to use.
        await hooks.onDone(stream);
        setState(item, "ready");
        show(item, 100, "");
        item.text.append("Published. ", el("a", { href: `/watch/?id=${encodeURIComponent(id)}` }, "Watch it"), " or set its price below.");
        announce.textContent = `“${stream.title}” is ready.`;
        ctx.say(`“${stream.title}” is published: set its price below.`, "ok");
        return;
      }
      if (stream.status === "failed") {
        await hooks.onDone(stream);
        setState(item, "failed");
        item.text.textContent = `Processing failed: ${stream.error || "unknown reason"}`;
        announce.textContent = `Processing “${stream.title}” failed.`;
        ctx.fail(new Error(`Processing “${stream.title}” failed: ${stream.error || "unknown reason"}`));
        return;
      }
      const percent = percentOf(stream);
      const left = item.eta.update(stream.progress ?? 0, now());
      show(item, percent, `Processing: ${percent} %, ${etaText(left)}`);
      if (stream.playable) {
        // Watchable while the rest is made (its first seconds are published).
        item.text.append(" · ", el("a", { href: `/watch/?id=${encodeURIComponent(id)}` }, "Watch it now"));
      }
      hooks.onChange(stream);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /**
   * A stream already processing when the page loaded (another tab, a reload): followed here.
   * @param {Stream} stream
   */
  function follow(stream) {
    if (items.some((item) => item.streamId === stream.id)) return;
    const item = makeItem(stream.title, null);
    item.streamId = stream.id;
    setState(item, "processing");
    show(item, percentOf(stream), `Processing: ${percentOf(stream)} %, estimating time left`);
    followItem(item);
  }

  /** Uploads that stopped before a reload: shown with how far they got, ready to resume. */
  async function restore() {
    for (const saved of tus.savedUploads()) {
      const item = makeItem(saved.title || titleFrom(saved.name), null, `${saved.name} · ${tus.mb(saved.size)}`);
      item.saved = saved;
      setState(item, "stopped");
      try {
        const { offset, length } = await tus.status(saved, ctx.token);
        const percent = length ? Math.floor((offset / length) * 100) : 0;
        show(item, percent, `Stopped at ${percent} % (${tus.mb(offset)} of ${tus.mb(length)}). Choose ${saved.name} again to resume.`);
      } catch (error) {
        tus.forgetUpload(saved);
        removeItem(item);
        ctx.fail(error);
      }
    }
    showResumeNotice();
  }

  return { add, follow, restore };
}
