// A small tus 1.0 client for /api/uploads (core + creation): what the studio needs and no more.
// The upload's URL and the file's identity (name, size, last modified) are kept in
// localStorage, so after a reload the page shows how far the upload got (HEAD) and, given the
// same file again, sends only the rest. XMLHttpRequest, not fetch: only it reports upload
// progress within a chunk.
export const CHUNK_BYTES = 4 * 1024 * 1024; // the server's CHUNK_BYTES: fits a Lambda body
const storeKey = "tidecast.upload";
const TUS = { "Tus-Resumable": "1.0.0" };

export class UploadError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function savedUpload() {
  try {
    return JSON.parse(localStorage.getItem(storeKey));
  } catch {
    return null;
  }
}

export function forgetUpload() {
  localStorage.removeItem(storeKey);
}

export function sameFile(saved, file) {
  return saved && saved.name === file.name && saved.size === file.size && saved.lastModified === file.lastModified;
}

function b64(text) {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

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

// The largest upload the server takes (Tus-Max-Size), or null if it does not say.
export async function maxSize() {
  const reply = await fetch("/api/uploads", { method: "OPTIONS" });
  const value = reply.headers.get("Tus-Max-Size");
  return value ? Number(value) : null;
}

// Creates the upload; returns the saved record.
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
  const saved = {
    url: new URL(reply.headers.get("Location"), location.href).pathname,
    name: file.name,
    size: file.size,
    lastModified: file.lastModified,
    title: title || file.name,
  };
  localStorage.setItem(storeKey, JSON.stringify(saved));
  return saved;
}

// How far the server has it: { offset, length, streamId }.
export async function status(saved, token) {
  const reply = await fetch(saved.url, { method: "HEAD", headers: { ...TUS, Authorization: `Bearer ${token}` } });
  if (!reply.ok) throw new UploadError(reply.status, reply.status === 404 ? "The server no longer has this upload: start again." : `HTTP ${reply.status}`);
  return {
    offset: Number(reply.headers.get("Upload-Offset")),
    length: Number(reply.headers.get("Upload-Length")),
    streamId: reply.headers.get("Tidecast-Stream-Id"),
  };
}

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

// Sends the file from the server's offset on; `onProgress(bytesDone, total)`. Returns the
// stream id the completed upload became.
export async function send(saved, file, token, onProgress = () => {}) {
  let { offset, streamId } = await status(saved, token);
  onProgress(offset, file.size);
  while (offset < file.size) {
    const chunk = file.slice(offset, offset + CHUNK_BYTES);
    ({ offset, streamId } = await patch(saved.url, token, offset, chunk, (done) => onProgress(done, file.size)));
    onProgress(offset, file.size);
  }
  forgetUpload();
  return streamId;
}

export function mb(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
