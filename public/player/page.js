// The standalone player page: /player/?src=<a playlist on this site>[&quality=<rendition>],
// the same player (./player.js and ./controls.js) the watch page uses, with nothing to pay.
import { mountControls } from "/player/controls.js";
import { play, qualityEvents, sourceFrom } from "/player/player.js";

const status = /** @type {HTMLElement} */ (document.getElementById("status"));
const video = /** @type {HTMLVideoElement} */ (document.getElementById("video"));
const root = /** @type {HTMLElement} */ (document.getElementById("player"));
const controls = mountControls(root, video, { nowPlaying: document.getElementById("now-playing") });

/**
 * @param {string} text
 * @param {"info" | "error"} [kind]
 */
function say(text, kind = "info") {
  status.textContent = text;
  status.dataset.kind = kind;
  status.setAttribute("role", kind === "error" ? "alert" : "status");
  status.hidden = false;
}

/** @type {{ hls: any }} */
const player = { hls: null };
const onQuality = qualityEvents(controls, () => player.hls);

let src = null;
try {
  src = sourceFrom(location.search, location.href);
} catch (error) {
  say(/** @type {Error} */ (error).message, "error");
}
if (src) {
  const params = new URLSearchParams(location.search);
  controls.setEnabled(true);
  player.hls = play(video, src, {
    startQuality: params.get("quality"),
    onEvent(kind, detail) {
      onQuality(kind, detail);
      if (kind === "fatal") {
        controls.quality.disabled = true;
        controls.setEnabled(false);
        say(`Playback stopped: ${detail.details}`, "error");
      }
    },
  });
} else if (status.hidden) {
  say("No stream chosen: open this page with ?src=/streams/<name>/master.m3u8");
}
