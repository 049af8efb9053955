// The API's JSON conventions for the pages: POST/GET JSON, and one error shape to show.
// Login tokens live in sessionStorage: they end with the tab, and no cookie means no CSRF.
// The replies' types are the API's own (public/js/types/, generated from openapi.json).
export const tokenKey = "tidecast.token";

/** A reply of the API that was not a success: the API's own words, and the HTTP status. */
export class ApiError extends Error {
  /**
   * @param {string} message what the API said (its `error`), for people
   * @param {number} status the HTTP status
   * @param {string | null} [code] the API's code for it (BAD_REQUEST, PAYMENT_REQUIRED…)
   */
  constructor(message, status, code = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/**
 * Calls the API: JSON in and out, the login token as a Bearer. Resolves to the reply's envelope
 * (`{ success: true, data }`); rejects with an ApiError (its `status`, the API's words).
 * @template [T=any] what `data` is (a type from /js/types/index)
 * @param {string} path e.g. "/api/streams?sort=newest"
 * @param {{ method?: string, body?: unknown, token?: string | null }} [options]
 * @returns {Promise<import("/js/types/index").Envelope<T>>}
 */
export async function api(path, { method = "GET", body = undefined, token = null } = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const reply = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let payload;
  try {
    payload = await reply.json();
  } catch {
    payload = { success: false, error: `HTTP ${reply.status}` };
  }
  if (!reply.ok || payload?.success === false) {
    const wait = reply.headers.get("Retry-After");
    const error = new ApiError(payload?.error || `HTTP ${reply.status}`, reply.status, payload?.code ?? null);
    if (wait) error.message += ` (retry in ${wait} s)`;
    throw error;
  }
  return payload;
}

/**
 * Shows a message in an element (an `.alert`): its text, its kind, unhidden.
 * @param {HTMLElement} element
 * @param {string} text
 * @param {"info" | "ok" | "warn" | "error"} [kind]
 */
export function show(element, text, kind = "info") {
  element.textContent = text;
  element.dataset.kind = kind;
  element.hidden = false;
}

/**
 * A form's fields as an object of strings (files are left as File objects).
 * @param {HTMLFormElement} form
 * @returns {Record<string, FormDataEntryValue>}
 */
export function formData(form) {
  return Object.fromEntries(new FormData(form).entries());
}
