// The link from the "forgot password" email (?token=…): choose a new password.
import { api, formData } from "/js/api.js";
import { setStatus } from "/js/ui.js";

const status = /** @type {HTMLElement} */ (document.getElementById("status"));
const form = /** @type {HTMLFormElement} */ (document.getElementById("reset"));
const token = new URLSearchParams(location.search).get("token");
// Drop the token from the address bar and history once read.
history.replaceState(null, "", location.pathname);

if (!token) {
  form.hidden = true;
  status.setAttribute("role", "alert");
  setStatus(status, "This link has no token. Ask for a new one on your account page.", "error");
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const { password, repeat } = formData(form);
  if (password !== repeat) {
    setStatus(status, "The two passwords differ.", "error");
    return;
  }
  const button = /** @type {HTMLButtonElement} */ (form.querySelector("button"));
  button.disabled = true;
  try {
    await api("/api/auth/reset-password", { method: "POST", body: { token, password } });
    form.hidden = true;
    setStatus(status, "Your password is changed, and every other session is signed out. Sign in with the new one.", "ok");
  } catch (error) {
    setStatus(status, /** @type {Error} */ (error).message, "error");
  } finally {
    button.disabled = false;
  }
});
