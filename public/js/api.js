// The API's JSON conventions for the pages: POST/GET JSON, and one error shape to show.
// Login tokens live in sessionStorage: they end with the tab, and no cookie means no CSRF.
export const tokenKey = "tidecast.token";

export async function api(path, { method = "GET", body, token } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const reply = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let payload = {};
  try {
    payload = await reply.json();
  } catch {
    payload = { success: false, error: `HTTP ${reply.status}` };
  }
  if (!reply.ok || payload.success === false) {
    const wait = reply.headers.get("Retry-After");
    const error = new Error(payload.error || `HTTP ${reply.status}`);
    error.status = reply.status;
    if (wait) error.message += ` (retry in ${wait} s)`;
    throw error;
  }
  return payload;
}

export function show(element, text, kind = "info") {
  element.textContent = text;
  element.dataset.kind = kind;
  element.hidden = false;
}

export function formData(form) {
  return Object.fromEntries(new FormData(form).entries());
}
