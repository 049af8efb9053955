// The creator studio: signed out, a call to sign in; signed in, the upload queue
// (/studio/queue.js), the creator's videos with editing and delete (/studio/videos.js), and
// earnings with "Withdraw all" (/studio/earnings.js).
import { tokenKey } from "/js/api.js";
import { currentUser } from "/js/layout.js";
import { paymentsConfig } from "/js/payments.js";
import { studioContext } from "/studio/context.js";
import { earnings } from "/studio/earnings.js";
import { uploadQueue } from "/studio/queue.js";
import { videoList } from "/studio/videos.js";

const studio = /** @type {HTMLElement} */ (document.getElementById("studio"));
const user = sessionStorage.getItem(tokenKey) ? await currentUser() : null;
const token = sessionStorage.getItem(tokenKey);

if (!user || !token) {
  /** @type {HTMLElement} */ (document.getElementById("signed-out")).hidden = false;
} else {
  const config = await paymentsConfig().catch(() => null);
  const ctx = studioContext(token, config?.token ?? { symbol: "TIDE", decimals: 18 });
  const videos = videoList(ctx);
  const money = earnings(ctx);
  const queue = uploadQueue(ctx, {
    onChange: (stream) => videos.update(stream),
    onSent: () => videos.refresh().catch(ctx.fail),
    onDone: () => Promise.all([videos.refresh(), money.refresh()]).catch(ctx.fail),
  });

  const form = /** @type {HTMLFormElement} */ (document.getElementById("upload"));
  const fileInput = /** @type {HTMLInputElement} */ (form.elements.namedItem("file"));
  const titleInput = /** @type {HTMLInputElement} */ (form.elements.namedItem("title"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ctx.quiet();
    const files = [...(fileInput.files ?? [])];
    if (files.length === 0) return;
    queue.add(files, titleInput.value.trim());
    form.reset(); // ready for the next files while these upload and process
  });

  // Files dropped anywhere on the upload panel join the queue.
  const drop = /** @type {HTMLElement} */ (document.getElementById("drop"));
  const panel = /** @type {HTMLElement} */ (drop.closest("section"));
  let depth = 0;
  panel.addEventListener("dragenter", (event) => {
    if (!event.dataTransfer?.types.includes("Files")) return;
    event.preventDefault();
    depth += 1;
    drop.classList.add("is-dragover");
  });
  panel.addEventListener("dragover", (event) => {
    if (event.dataTransfer?.types.includes("Files")) event.preventDefault();
  });
  panel.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) drop.classList.remove("is-dragover");
  });
  panel.addEventListener("drop", (event) => {
    event.preventDefault();
    depth = 0;
    drop.classList.remove("is-dragover");
    const files = [...(event.dataTransfer?.files ?? [])].filter((file) => !file.type || file.type.startsWith("video/"));
    if (files.length === 0) {
      ctx.fail(new Error("Only video files can be uploaded."));
      return;
    }
    ctx.quiet();
    queue.add(files, files.length === 1 ? titleInput.value.trim() : "");
    titleInput.value = "";
  });

  studio.hidden = false;
  try {
    const [streams] = await Promise.all([videos.refresh(), queue.restore()]);
    for (const stream of streams) if (stream.status === "processing") queue.follow(stream);
  } catch (error) {
    ctx.fail(error);
  }
  // Loaded: screen readers (and anyone waiting on the page) hear that the lists are complete.
  studio.removeAttribute("aria-busy");
  money.refresh();
}
