// "Your videos": the creator's streams in a table (poster, title, status, duration, price,
// date), the price set in place, title/description/price/thumbnail edited in a dialog
// (PATCH /api/streams/{id}), and delete behind a confirmation dialog (DELETE).
import { api } from "/js/api.js";
import { formatDate, formatDuration, parseDecimal } from "/js/format.js";
import { el, setStatus } from "/js/ui.js";
import { fieldOf } from "/studio/context.js";

/** @typedef {import("/studio/context.js").Stream} Stream */
/** @typedef {import("/studio/context.js").StudioContext} StudioContext */

/**
 * A processing stream's percent, the same figure everywhere it is shown (table and queue).
 * @param {{progress?: number | null}} stream
 * @returns {number}
 */
export function percentOf(stream) {
  return Math.min(100, Math.max(0, Math.floor(stream.progress ?? 0)));
}

/**
 * The status badge of a stream.
 * @param {Stream} stream
 * @returns {HTMLElement}
 */
function statusBadge(stream) {
  if (stream.status === "processing") {
    return el("span", { class: "badge", "data-kind": "info" }, `Processing ${percentOf(stream)} %`);
  }
  if (stream.status === "failed") {
    return el("span", { class: "badge", "data-kind": "error", title: stream.error || "" }, "Failed");
  }
  return el("span", { class: "badge", "data-kind": "ok" }, "Published");
}

/** What a price must look like before it is sent (the server says the same, in its words). */
const PRICE = /^\d+(\.\d+)?$/;
const PRICE_HELP = "Write the price as a decimal number, such as 0.002 (0 makes the video free).";

/** @param {Stream} stream */
function poster(stream) {
  return stream.thumbnail
    ? el("img", { class: "thumb", src: stream.thumbnail, alt: "", loading: "lazy", decoding: "async" })
    : el("span", { class: "thumb thumb-blank", "aria-hidden": "true" });
}

/**
 * Shows (or clears) an error beside a field, and marks the field invalid for assistive tech.
 * @param {HTMLInputElement | HTMLTextAreaElement} input
 * @param {HTMLElement} message
 * @param {string} text "" to clear
 */
function fieldError(input, message, text) {
  message.textContent = text;
  message.hidden = !text;
  if (text) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

/**
 * The list of the creator's videos, with its editing and delete dialogs.
 * @param {StudioContext} ctx
 * @returns {{refresh: () => Promise<Stream[]>, update: (stream: Stream) => void}}
 */
export function videoList(ctx) {
  const body = /** @type {HTMLTableSectionElement} */ (document.getElementById("streams"));
  const wrap = /** @type {HTMLElement} */ (document.getElementById("videos-wrap"));
  const empty = /** @type {HTMLElement} */ (document.getElementById("videos-empty"));
  const count = /** @type {HTMLElement} */ (document.getElementById("videos-count"));
  const editDialog = /** @type {HTMLDialogElement} */ (document.getElementById("edit-dialog"));
  const deleteDialog = /** @type {HTMLDialogElement} */ (document.getElementById("delete-dialog"));
  /** @type {Map<string, Stream>} */
  const known = new Map();
  /** @type {HTMLElement | null} what to focus when a dialog closes */
  let returnFocus = null;
  /** @type {Stream | null} */
  let deleting = null;

  /** @param {Stream} stream */
  function priceForm(stream) {
    const errorId = `price-error-${stream.id}`;
    const input = /** @type {HTMLInputElement} */ (
      el("input", {
        name: "price",
        class: "input price-input",
        inputmode: "decimal",
        autocomplete: "off",
        required: true,
        "aria-label": `Price of “${stream.title}” in ${ctx.symbol} per second`,
        "aria-describedby": errorId,
        dataset: { stream: stream.id },
      })
    );
    input.defaultValue = stream.pricePerSecond ?? ""; // what is saved; `value` is what is typed
    const message = el("p", { id: errorId, class: "field-error", hidden: true });
    const save = el("button", { class: "btn btn-secondary btn-sm", "aria-label": `Set price of “${stream.title}”` }, "Set price");
    const form = el(
      "form",
      { class: "price-form" },
      el("div", { class: "price-row" }, input, el("span", { class: "suffix", "aria-hidden": "true" }, `${ctx.symbol}/s`), save),
      message,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      ctx.quiet();
      fieldError(input, message, "");
      if (!PRICE.test(input.value.trim())) {
        fieldError(input, message, PRICE_HELP);
        input.focus();
        return;
      }
      try {
        const { data } = await api(`/api/streams/${encodeURIComponent(stream.id)}`, {
          method: "PATCH",
          token: ctx.token,
          body: { pricePerSecond: input.value.trim() },
        });
        input.defaultValue = input.value = data.pricePerSecond;
        known.set(data.id, { ...stream, ...data });
        const free = parseDecimal(data.pricePerSecond)?.units === 0n ? " (free to watch)" : "";
        ctx.say(`“${data.title}” now costs ${data.pricePerSecond} ${ctx.symbol} a second${free}.`, "ok");
      } catch (error) {
        if (error.status === 400) fieldError(input, message, error.message);
        else ctx.fail(error);
      }
    });
    return form;
  }

  /** @param {Stream} stream */
  function row(stream) {
    const title =
      stream.playable
        ? el("a", { href: `/watch/?id=${encodeURIComponent(stream.id)}`, class: "video-title" }, stream.title)
        : el("span", { class: "video-title" }, stream.title);
    const edit = el("button", { type: "button", class: "btn btn-ghost btn-sm", "aria-label": `Edit “${stream.title}”` }, "Edit");
    edit.addEventListener("click", () => openEditor(stream, edit));
    const remove = el("button", { type: "button", class: "btn btn-ghost btn-sm danger-text", "aria-label": `Delete “${stream.title}”` }, "Delete");
    remove.addEventListener("click", () => openDelete(stream, remove));
    return el(
      "tr",
      { dataset: { id: stream.id } },
      el("td", { class: "poster-cell" }, poster(stream)),
      el(
        "td",
        { class: "title-cell", "data-label": "Title" },
        title,
        stream.description ? el("span", { class: "video-description" }, stream.description) : null,
        stream.status === "failed" && stream.error ? el("span", { class: "video-error" }, stream.error) : null,
      ),
      el("td", { class: "status-cell", "data-label": "Status" }, statusBadge(stream)),
      el("td", { class: "num", "data-label": "Duration" }, formatDuration(stream.duration) || "–"),
      el("td", { class: "price-cell", "data-label": "Price per second" }, priceForm(stream)),
      el("td", { class: "nowrap", "data-label": "Uploaded" }, el("time", { datetime: stream.createdAt }, formatDate(stream.createdAt))),
      el("td", { class: "actions-cell" }, el("div", { class: "cluster row-actions" }, edit, remove)),
    );
  }

  /** @param {Stream[]} streams */
  function render(streams) {
    // A price being typed survives the list being drawn again (a stream became ready meanwhile).
    const typing = new Map(
      [.../** @type {NodeListOf<HTMLInputElement>} */ (body.querySelectorAll("input[data-stream]"))]
        .filter((input) => input.value !== input.defaultValue)
        .map((input) => [input.dataset.stream, input.value]),
    );
    const active = /** @type {HTMLElement | null} */ (document.activeElement);
    const focused = body.contains(active) ? active?.dataset?.stream : undefined;
    body.replaceChildren(...streams.map(row));
    for (const input of /** @type {NodeListOf<HTMLInputElement>} */ (body.querySelectorAll("input[data-stream]"))) {
      if (typing.has(input.dataset.stream)) input.value = typing.get(input.dataset.stream);
      if (input.dataset.stream === focused) input.focus();
    }
    wrap.hidden = streams.length === 0;
    empty.hidden = streams.length > 0;
    const processing = streams.filter((stream) => stream.status === "processing").length;
    count.textContent =
      streams.length === 0
        ? ""
        : `${streams.length} ${streams.length === 1 ? "video" : "videos"}${processing ? `, ${processing} processing` : ""}`;
  }

  /** @returns {Promise<Stream[]>} */
  async function refresh() {
    /** @type {Stream[]} */
    const streams = [];
    let cursor = null;
    do {
      const query = new URLSearchParams({ owner: "me", limit: "100" });
      if (cursor) query.set("cursor", cursor);
      const { data } = await api(`/api/streams?${query}`, { token: ctx.token });
      streams.push(...data.items);
      cursor = data.nextCursor;
    } while (cursor);
    known.clear();
    for (const stream of streams) known.set(stream.id, stream);
    render(streams);
    return streams;
  }

  /**
   * A stream read again (the queue's poll): its status cell follows without redrawing the rest.
   * @param {Stream} stream
   */
  function update(stream) {
    const existing = body.querySelector(`tr[data-id="${CSS.escape(stream.id)}"]`);
    if (!existing) return;
    const before = known.get(stream.id);
    known.set(stream.id, { ...before, ...stream });
    existing.querySelector(".status-cell")?.replaceChildren(statusBadge(stream));
  }

  // -- editing ---------------------------------------------------------------------------------

  /**
   * @param {Stream} stream
   * @param {HTMLElement} opener
   */
  function openEditor(stream, opener) {
    const current = known.get(stream.id) ?? stream;
    returnFocus = opener;
    const alertBox = el("p", { class: "alert", "data-kind": "error", role: "alert", hidden: true });
    const title = /** @type {HTMLInputElement} */ (
      el("input", { id: "edit-title", name: "title", maxlength: "300", required: true, "aria-describedby": "edit-title-error" })
    );
    title.value = current.title;
    const description = /** @type {HTMLTextAreaElement} */ (
      el("textarea", { id: "edit-description", name: "description", maxlength: "5000", rows: "4", "aria-describedby": "edit-description-error" })
    );
    description.value = current.description ?? "";
    const price = /** @type {HTMLInputElement} */ (
      el("input", {
        id: "edit-price",
        name: "pricePerSecond",
        inputmode: "decimal",
        autocomplete: "off",
        required: true,
        "aria-describedby": "edit-price-hint edit-price-error",
      })
    );
    price.value = current.pricePerSecond ?? "0";
    const errors = {
      title: el("p", { id: "edit-title-error", class: "field-error", hidden: true }),
      description: el("p", { id: "edit-description-error", class: "field-error", hidden: true }),
      pricePerSecond: el("p", { id: "edit-price-error", class: "field-error", hidden: true }),
      thumbnail: el("p", { id: "edit-thumbnail-error", class: "field-error", hidden: true }),
    };
    const inputs = { title, description, pricePerSecond: price };

    const choices = Array.isArray(current.thumbnailChoices) ? current.thumbnailChoices.filter((url) => typeof url === "string") : [];
    let thumbnail;
    if (choices.length > 0) {
      thumbnail = el(
        "fieldset",
        { class: "field thumb-picker", "aria-describedby": "edit-thumbnail-error" },
        el("legend", null, "Thumbnail"),
        el(
          "div",
          { class: "thumb-choices" },
          choices.map((url, index) =>
            el(
              "label",
              { class: "thumb-choice" },
              el("input", { type: "radio", name: "thumbnail", value: url, checked: url === current.thumbnail || (!current.thumbnail && index === 0) }),
              el("img", { src: url, alt: `Frame ${index + 1}`, loading: "lazy" }),
            ),
          ),
        ),
        errors.thumbnail,
      );
    } else {
      thumbnail = el(
        "div",
        { class: "field" },
        el("span", { class: "label" }, "Thumbnail"),
        current.thumbnail ? el("img", { class: "thumb-current", src: current.thumbnail, alt: "The video's current poster" }) : el("span", { class: "thumb thumb-blank thumb-current", "aria-hidden": "true" }),
        el("p", { class: "hint" }, current.thumbnail ? "Taken from the video when it was processed." : "The poster appears once the video is processed."),
      );
    }

    const save = el("button", { class: "btn btn-primary" }, "Save changes");
    const cancel = el("button", { type: "button", class: "btn btn-secondary" }, "Cancel");
    cancel.addEventListener("click", () => editDialog.close());
    const form = /** @type {HTMLFormElement} */ (
      el(
        "form",
        { class: "form form-wide", novalidate: true },
        el("h2", { id: "edit-heading" }, "Edit video"),
        alertBox,
        el("div", { class: "field" }, el("label", { for: "edit-title" }, "Title"), title, errors.title),
        el("div", { class: "field" }, el("label", { for: "edit-description" }, "Description"), description, errors.description),
        el(
          "div",
          { class: "field" },
          el("label", { for: "edit-price" }, "Price per second"),
          el("div", { class: "input-suffix" }, price, el("span", { class: "suffix", "aria-hidden": "true" }, ctx.symbol)),
          el("p", { id: "edit-price-hint", class: "hint" }, `In ${ctx.symbol}, a decimal number such as 0.002: viewers pay it for each second they watch. 0 makes the video free.`),
          errors.pricePerSecond,
        ),
        thumbnail,
        el("div", { class: "form-actions" }, save, cancel),
      )
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      setStatus(alertBox, "");
      for (const [name, input] of Object.entries(inputs)) fieldError(input, errors[name], "");
      /** @type {Record<string, string>} */
      const changes = {};
      if (title.value.trim() !== current.title) changes.title = title.value.trim();
      if (description.value !== (current.description ?? "")) changes.description = description.value;
      if (price.value.trim() !== (current.pricePerSecond ?? "")) changes.pricePerSecond = price.value.trim();
      const picked = /** @type {HTMLInputElement | null} */ (form.querySelector("input[name=thumbnail]:checked"));
      if (picked && picked.value !== current.thumbnail) changes.thumbnail = picked.value;
      if (!changes.title && changes.title !== undefined) {
        fieldError(title, errors.title, "A video needs a title.");
        title.focus();
        return;
      }
      if (changes.pricePerSecond !== undefined && !PRICE.test(changes.pricePerSecond)) {
        fieldError(price, errors.pricePerSecond, PRICE_HELP);
        price.focus();
        return;
      }
      if (Object.keys(changes).length === 0) {
        editDialog.close();
        return;
      }
      save.setAttribute("aria-busy", "true");
      save.toggleAttribute("disabled", true);
      try {
        const { data } = await api(`/api/streams/${encodeURIComponent(current.id)}`, { method: "PATCH", token: ctx.token, body: changes });
        editDialog.close();
        ctx.say(`Saved your changes to “${data.title}”.`, "ok");
        await refresh();
      } catch (error) {
        const field = fieldOf(error);
        if (error.status === 400 && field && field in errors) {
          const input = inputs[field] ?? /** @type {HTMLInputElement | null} */ (form.querySelector("input[name=thumbnail]"));
          if (input && field in inputs) fieldError(input, errors[field], error.message);
          else setStatus(errors[field], error.message, "error");
          input?.focus();
        } else {
          setStatus(alertBox, error.message || String(error), "error");
        }
      } finally {
        save.removeAttribute("aria-busy");
        save.toggleAttribute("disabled", false);
      }
    });
    editDialog.replaceChildren(form);
    editDialog.showModal();
    title.focus();
  }

  editDialog.addEventListener("close", () => {
    editDialog.replaceChildren(); // its "Title" field exists only while it is open
    if (returnFocus?.isConnected) returnFocus.focus();
  });

  // -- delete ----------------------------------------------------------------------------------

  const deleteText = /** @type {HTMLElement} */ (document.getElementById("delete-text"));
  const deleteAlert = /** @type {HTMLElement} */ (document.getElementById("delete-alert"));
  const deleteConfirm = /** @type {HTMLButtonElement} */ (document.getElementById("delete-confirm"));
  const deleteForm = /** @type {HTMLFormElement} */ (document.getElementById("delete"));

  /**
   * @param {Stream} stream
   * @param {HTMLElement} opener
   */
  function openDelete(stream, opener) {
    deleting = stream;
    returnFocus = opener;
    setStatus(deleteAlert, "");
    deleteText.textContent = `“${stream.title}” and its files are removed, and nobody can watch it any more. What viewers have already paid stays yours. This cannot be undone.`;
    deleteConfirm.disabled = false;
    deleteDialog.showModal();
  }

  document.getElementById("delete-cancel")?.addEventListener("click", () => deleteDialog.close());
  deleteForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!deleting) return;
    const stream = deleting;
    deleteConfirm.disabled = true;
    try {
      await api(`/api/streams/${encodeURIComponent(stream.id)}`, { method: "DELETE", token: ctx.token });
      deleting = null;
      returnFocus = document.getElementById("videos-heading");
      deleteDialog.close();
      ctx.say(`Deleted “${stream.title}”.`, "ok");
      await refresh();
    } catch (error) {
      setStatus(deleteAlert, error.message || String(error), "error");
      deleteConfirm.disabled = false;
    }
  });
  deleteDialog.addEventListener("close", () => {
    deleting = null;
    if (returnFocus?.isConnected) returnFocus.focus();
  });

  return { refresh, update };
}

