// Where the viewer stopped, to start there next time: signed in, on the account (GET/PUT
// /api/streams/<id>/position, any device); signed out, in this browser's localStorage. Saved
// every 10 s while playing, and on pause, on a stop and when the page goes away (a keepalive
// request that outlives it).
import { api } from "/js/api.js";

const EVERY_MS = 10_000;
/** Closer than this to either end, there is nothing to resume. */
const EDGE_SECONDS = 5;

/**
 * @typedef {object} Place
 * @property {string} mediaId
 * @property {string | null} loginToken
 */

/** @param {string} mediaId */
const localKey = (mediaId) => `tidecast.position.${mediaId}`;

/**
 * Where the viewer stopped last time, or null (never, or too near either end to offer).
 * @param {Place} place
 * @param {number | null} length the video's duration
 * @returns {Promise<number | null>}
 */
export async function loadPosition({ mediaId, loginToken }, length) {
  /** @type {number | null} */
  let seconds;
  if (loginToken) {
    try {
      const { data } = await api(`/api/streams/${encodeURIComponent(mediaId)}/position`, { token: loginToken });
      seconds = data.seconds;
    } catch {
      seconds = null; // not known: start from the beginning
    }
  } else {
    const saved = Number(localStorage.getItem(localKey(mediaId)));
    seconds = Number.isFinite(saved) && saved > 0 ? saved : null;
  }
  if (typeof seconds !== "number" || seconds < EDGE_SECONDS) return null;
  if (typeof length === "number" && seconds > length - EDGE_SECONDS) return null;
  return seconds;
}

/**
 * @typedef {object} PositionSaver
 * @property {(options?: {keepalive?: boolean}) => void} save now
 * @property {() => void} pause stops saving (a stop: the last position is saved first)
 * @property {() => void} resume saves again
 */

/**
 * Saves `video.currentTime` as it plays.
 * @param {Place} place
 * @param {HTMLVideoElement} video
 * @returns {PositionSaver}
 */
export function savePositions({ mediaId, loginToken }, video) {
  const state = { last: -1, on: true };

  /** @param {{keepalive?: boolean}} [options] */
  function save({ keepalive = false } = {}) {
    const seconds = Math.floor(video.currentTime * 10) / 10;
    if (!(seconds > 0) || Math.abs(seconds - state.last) < 0.5) return;
    state.last = seconds;
    if (!loginToken) {
      localStorage.setItem(localKey(mediaId), String(seconds));
      return;
    }
    fetch(`/api/streams/${encodeURIComponent(mediaId)}/position`, {
      method: "PUT",
      keepalive,
      headers: { Authorization: `Bearer ${loginToken}`, "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ seconds }),
    }).catch(() => {});
  }

  setInterval(() => {
    if (state.on && !video.paused) save();
  }, EVERY_MS);
  video.addEventListener("pause", () => {
    if (state.on) save();
  });
  addEventListener("pagehide", () => {
    if (state.on) save({ keepalive: true });
  });

  return {
    save,
    pause() {
      save();
      state.on = false;
    },
    resume() {
      state.on = true;
    },
  };
}
