// Every page's frame: the header (brand, navigation, the account's state) and the footer,
// filled into the page's empty <header class="site-header"> and <footer class="site-footer">.
// The signed-in account comes from GET /api/auth/me with the login token in sessionStorage;
// when the API is down or the token is stale, the header offers "Sign in" and nothing throws.
import { api, tokenKey } from "/js/api.js";

/**
 * The signed-in account, as GET /api/auth/me answers it.
 * @typedef {{id: string, username: string, email: string, emailVerified: boolean,
 *   createdAt: string, wallets: Array<{address: string}>}} Me
 */

/** @type {Array<{href: string, label: string, pages: string[]}>} */
const NAV = [
  { href: "/", label: "Browse", pages: ["browse"] },
  { href: "/studio/", label: "Studio", pages: ["studio"] },
  { href: "/account/", label: "Account", pages: ["account"] },
  { href: "/credit/", label: "Credit", pages: ["credit"] },
];

const MARK = `<svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
  <rect width="32" height="32" rx="8" fill="var(--accent)"/>
  <path d="M12.5 6.5v10l8.5-5z" fill="var(--on-accent)"/>
  <path d="M4.5 23c2.9 0 2.9-2.6 5.75-2.6S13.1 23 16 23s2.9-2.6 5.75-2.6S24.6 23 27.5 23"
    fill="none" stroke="var(--on-accent)" stroke-width="2.6" stroke-linecap="round"/></svg>`;

/** @type {Set<(user: Me | null) => void>} */
const listeners = new Set();
/** @type {Promise<Me | null>} */
let current = fetchMe();

/** @returns {string | null} the login token, if any (null too when storage is blocked) */
function storedToken() {
  try {
    return sessionStorage.getItem(tokenKey);
  } catch {
    return null;
  }
}

/** @returns {Promise<Me | null>} */
async function fetchMe() {
  const token = storedToken();
  if (!token) return null;
  try {
    const { data } = await api("/api/auth/me", { token });
    return data;
  } catch (error) {
    // A stale login (401) is forgotten; anything else (the API down) just shows "Sign in".
    if (/** @type {{status?: number}} */ (error).status === 401) sessionStorage.removeItem(tokenKey);
    return null;
  }
}

/**
 * The signed-in account (or null when signed out, or when the API cannot say).
 * @returns {Promise<Me | null>}
 */
export function currentUser() {
  return current;
}

/**
 * Calls `callback` with the account once it is known, and again whenever it changes
 * (after `refreshAuth()`).
 * @param {(user: Me | null) => void} callback
 * @returns {() => void} a function that stops the calls
 */
export function onAuthChange(callback) {
  listeners.add(callback);
  current.then((user) => {
    if (listeners.has(callback)) callback(user);
  });
  return () => listeners.delete(callback);
}

/**
 * Reads the login token again (call it after signing in or out without a reload): updates the
 * header and tells every `onAuthChange` listener.
 * @returns {Promise<Me | null>}
 */
export function refreshAuth() {
  current = fetchMe();
  current.then((user) => {
    renderAccount(user);
    for (const listener of listeners) listener(user);
  });
  return current;
}

/**
 * Forgets the login token and reloads the page, signed out.
 * @returns {void}
 */
export function signOut() {
  try {
    sessionStorage.removeItem(tokenKey);
  } finally {
    location.reload();
  }
}

/**
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {...(Node | string)} children
 * @returns {HTMLElement}
 */
function make(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** @param {Me | null} user */
function renderAccount(user) {
  const slot = document.querySelector(".site-header .account-state");
  if (!slot) return;
  if (!user) {
    slot.replaceChildren(make("a", { class: "btn btn-primary btn-sm", href: "/account/" }, "Sign in"));
    return;
  }
  const avatar = make("span", { class: "avatar", "aria-hidden": "true" }, user.username.slice(0, 1));
  const name = make("a", { class: "account-name", href: "/account/", title: `Signed in as ${user.username}` }, avatar, user.username);
  const out = make("button", { class: "btn btn-ghost btn-sm", type: "button" }, "Sign out");
  out.addEventListener("click", signOut);
  slot.replaceChildren(name, out);
}

function renderHeader() {
  const header = document.querySelector("header.site-header");
  if (!header) return;
  const page = document.body.dataset.page || "";
  const brand = make("a", { class: "brand", href: "/" });
  brand.innerHTML = MARK;
  brand.append(make("span", {}, "tidecast"));
  const items = NAV.map(({ href, label, pages }) => {
    const link = make("a", { href }, label);
    if (pages.includes(page)) link.setAttribute("aria-current", "page");
    return make("li", {}, link);
  });
  const nav = make("nav", { class: "site-nav", "aria-label": "Site" }, make("ul", {}, ...items));
  const account = make("div", { class: "account-state" });
  header.replaceChildren(make("div", { class: "site-header-inner" }, brand, nav, account));
  if (!storedToken()) renderAccount(null); // no wait for the API: nobody is signed in
  current.then(renderAccount);
}

function renderFooter() {
  const footer = document.querySelector("footer.site-footer");
  if (!footer) return;
  const about = make("p", {}, "tidecast: pay per second for what you watch, stop any time.");
  const links = make(
    "ul",
    {},
    make("li", {}, make("a", { href: "/" }, "Browse videos")),
    make("li", {}, make("a", { href: "/credit/" }, "Card credit")),
    make("li", {}, make("a", { href: "/docs/api/" }, "API reference")),
  );
  footer.replaceChildren(make("div", { class: "site-footer-inner" }, about, links));
}

renderHeader();
renderFooter();
