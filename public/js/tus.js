// A small tus 1.0 client for /api/uploads (core + creation): what the studio needs and no more.
// Each upload's URL and its file's identity (name, size, last modified) are kept in
// localStorage, several at once (the studio's queue), so after a reload the page shows how far
// each got (HEAD) and, given the same file again, sends only the rest. XMLHttpRequest, not
// fetch: only it reports upload progress within a chunk.

/** The server's CHUNK_BYTES: a chunk fits a Lambda body. */
export const CHUNK_BYTES = 4 * 1024 * 1024;
const storeKey = "tidecast.uploads";
const oldStoreKey = "tidecast.upload"; // one upload, before the queue
const TUS = { "Tus-Resumable": "1.0.0" };

/**
 * An upload the server has created, as this browser remembers it.
 * @typedef {object} SavedUpload
 * @property {string} url the upload's path (`/api/uploads/<id>`)
 * @property {string} name the file's name
 * @property {number} size the file's size in bytes
 * @property {number} lastModified the file's last modification (ms since the epoch)
 * @property {string} title the video's title
 */

/** An upload that failed: `status` is the HTTP status (0 when the connection dropped). */
export class UploadError extends Error {
  /**
   * @param {number} status the HTTP status, 0 for a dropped connection
   * @param {string} message what to tell the user
   */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** @param {unknown} record @returns {record is SavedUpload} */
function isSaved(record) {
  const r = /** @type {Record<string, unknown>} */ (record);
  return !!r && typeof r.url === "string" && typeof r.name === "string" && typeof r.size === "number";
}

/**
 * The unfinished uploads this browser remembers, oldest first.
 * @returns {SavedUpload[]}
 */
export function savedUploads() {
  /** @type {unknown[]} */
  let list = [];
  try {
    const stored = JSON.parse(localStorage.getItem(storeKey) ?? "[]");
    if (Array.isArray(stored)) list = stored;
    const old = JSON.parse(localStorage.getItem(oldStoreKey) ?? "null");
    if (old) list.push(old);
  } catch {
    list = [];
  }
  return list.filter(isSaved);
}

/** @param {SavedUpload[]} list */
function store(list) {
  localStorage.setItem(storeKey, JSON.stringify(list));
  localStorage.removeItem(oldStoreKey);
}

/**
 * Forgets one upload (finished, refused, or gone from the server).
 * @param {SavedUpload} saved
 * @returns {void}
 */
export function forgetUpload(saved) {
  store(savedUploads().filter((other) => other.url !== saved.url));
}

/**
 * Whether `file` is the file `saved` was made from (name, size, last modified).
 * @param {SavedUpload | null | undefined} saved
 * @param {File} file
 * @returns {boolean}
 */
export function sameFile(saved, file) {
  return !!saved && saved.name === file.name && saved.size === file.size && saved.lastModified === file.lastModified;
}

/**
 * The remembered upload of this very file, if any.
 * @param {File} file
 * @returns {SavedUpload | null}
 */
export function savedFor(file) {
  return savedUploads().find((saved) => sameFile(saved, file)) ?? null;
}

/** @param {string} text @returns {string} */
function b64(text) {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

/** @param {Response} reply @returns {Promise<UploadError>} */
async function errorOf(reply) {
  let message = `HTTP ${reply.status}`;
  try {
    message = (await reply.json()).error || message;
  } catch {
    // a body that is not the API's JSON: keep the status
  }
  if (reply.status === 413) message = `Upload too large: ${message}`;
  return new UploadError(reply.status, message);
}

/**
 * The largest upload the server takes (Tus-Max-Size), or null if it does not say.
 * @returns {Promise<number | null>}
 */
export async function maxSize() {
  const reply = await fetch("/api/uploads", { method: "OPTIONS" });
  const value = reply.headers.get("Tus-Max-Size");
  return value ? Number(value) : null;
}

/**
 * Creates the upload on the server and remembers it; refuses a file above the server's limit
 * before sending anything.
 * @param {File} file
 * @param {string} title the video's title ("" for the file's name)
 * @param {string} token the login token
 * @returns {Promise<SavedUpload>}
 */
export async function create(file, title, token) {
  const limit = await maxSize().catch(() => null);
  if (limit !== null && file.size > limit) {
    throw new UploadError(413, `Upload too large: ${file.name} is ${mb(file.size)}, the limit is ${mb(limit)}.`);
  }
  const metadata = [
    `filename ${b64(file.name)}`,
    `filetype ${b64(file.type || "video/mp4")}`,
    `title ${b64(title || file.name)}`,
  ].join(",");
  const reply = await fetch("/api/uploads", {
    method: "POST",
    headers: { ...TUS, Authorization: `Bearer ${token}`, "Upload-Length": String(file.size), "Upload-Metadata": metadata },
  });
  if (reply.status !== 201) throw await errorOf(reply);
  /** @type {SavedUpload} */
  const saved = {
    url: new URL(reply.headers.get("Location") ?? "", location.href).pathname,
    name: file.name,
    size: file.size,
    lastModified: file.lastModified,
    title: title || file.name,
  };
  store([...savedUploads().filter((other) => !sameFile(other, file)), saved]);
  return saved;
}

/**
 * How far the server has an upload.
 * @param {SavedUpload} saved
 * @param {string} token the login token
 * @returns {Promise<{offset: number, length: number, streamId: string | null}>}
 */
export async function status(saved, token) {
  const reply = await fetch(saved.url, { method: "HEAD", headers: { ...TUS, Authorization: `Bearer ${token}` } });
  if (!reply.ok) throw new UploadError(reply.status, reply.status === 404 ? "The server no longer has this upload: start again." : `HTTP ${reply.status}`);
  return {
    offset: Number(reply.headers.get("Upload-Offset")),
    length: Number(reply.headers.get("Upload-Length")),
    streamId: reply.headers.get("Tidecast-Stream-Id"),
  };
}

/**
 * @param {string} url @param {string} token @param {number} offset @param {Blob} blob
 * @param {(done: number) => void} onProgress
 * @returns {Promise<{offset: number, streamId: string | null}>}
 */
function patch(url, token, offset, blob, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PATCH", url);
    xhr.setRequestHeader("Tus-Resumable", "1.0.0");
    xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Upload-Offset", String(offset));
    xhr.setRequestHeader("Content-Type", "application/offset+octet-stream");
    xhr.upload.onprogress = (event) => onProgress(offset + event.loaded);
    xhr.onload = () => {
      if (xhr.status === 204) {
        resolve({ offset: Number(xhr.getResponseHeader("Upload-Offset")), streamId: xhr.getResponseHeader("Tidecast-Stream-Id") });
        return;
      }
      let message = `HTTP ${xhr.status}`;
      try {
        message = JSON.parse(xhr.responseText).error || message;
      } catch {
        // keep the status
      }
      reject(new UploadError(xhr.status, xhr.status === 413 ? `Upload too large: ${message}` : message));
    };
    xhr.onerror = () => reject(new UploadError(0, "The connection dropped: choose the same file again to resume."));
    xhr.send(blob);
  });
}

/**
 * Sends the file from the server's offset on, then forgets the finished upload.
 * @param {SavedUpload} saved
 * @param {File} file
 * @param {string} token the login token
 * @param {(bytesDone: number, total: number) => void} [onProgress]
 * @returns {Promise<string | null>} the id of the stream the completed upload became
 */
export async function send(saved, file, token, onProgress = () => {}) {
  let { offset, streamId } = await status(saved, token);
  onProgress(offset, file.size);
  while (offset < file.size) {
    const chunk = file.slice(offset, offset + CHUNK_BYTES);
    ({ offset, streamId } = await patch(saved.url, token, offset, chunk, (done) => onProgress(done, file.size)));
    onProgress(offset, file.size);
  }
  forgetUpload(saved);
  return streamId;
}

/**
 * A byte count in MB with one decimal ("6.8 MB").
 * @param {number} bytes
 * @returns {string}
 */
export function mb(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
