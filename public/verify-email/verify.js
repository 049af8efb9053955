// The link from the welcome email (?token=…): one click confirms the address. A click, not an
// automatic request: mail scanners open links, and must not use this one up.
import { api } from "/js/api.js";
import { setStatus } from "/js/ui.js";

const status = /** @type {HTMLElement} */ (document.getElementById("status"));
const button = /** @type {HTMLButtonElement} */ (document.getElementById("confirm"));
const intro = /** @type {HTMLElement} */ (document.getElementById("intro"));
const token = new URLSearchParams(location.search).get("token");
// Drop the token from the address bar and history once read.
history.replaceState(null, "", location.pathname);

if (!token) {
  button.hidden = true;
  intro.hidden = true;
  status.setAttribute("role", "alert");
  setStatus(status, "This link has no token. Open the link from the email again.", "error");
}

button.addEventListener("click", async () => {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    const { data } = await api("/api/auth/verify-email", { method: "POST", body: { token } });
    button.hidden = true;
    intro.hidden = true;
    setStatus(status, `Thank you, ${data.username}: your email address ${data.email} is verified.`, "ok");
  } catch (error) {
    button.disabled = false;
    setStatus(status, /** @type {Error} */ (error).message, "error");
  } finally {
    button.removeAttribute("aria-busy");
  }
});
