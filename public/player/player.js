// The HLS player: hls.js (vendored in /vendor/hls.js/, pinned in package.json) on browsers with
// Media Source Extensions, the browser's own HLS where there is none (Safari on iOS).
// The watch page and the standalone player page both play through `play`, with the controls of
// ./controls.js over the <video>.

/**
 * A rendition's name: the master playlist's NAME if any, else its directory, which tidecast
 * names after the quality ("720p/playlist.m3u8"), else its height.
 * @param {{name?: string, url?: string | string[], height?: number}} level an hls.js level
 * @returns {string}
 */
export function levelName(level) {
  if (level.name) return level.name;
  const url = Array.isArray(level.url) ? level.url[0] : level.url;
  const parts = url ? new URL(url, location.href).pathname.split("/") : [];
  return parts.length >= 2 && parts.at(-2) ? decodeURIComponent(parts.at(-2)) : `${level.height}p`;
}

/**
 * Which rendition is showing, said in words ("720p, 1280×720, 2.5 Mb/s").
 * @param {{name?: string, url?: string | string[], width?: number, height?: number, bitrate?: number} | null | undefined} level
 * @returns {string}
 */
export function describeLevel(level) {
  if (!level) return "";
  const parts = [levelName(level)];
  if (level.width && level.height) parts.push(`${level.width}×${level.height}`);
  if (level.bitrate) parts.push(`${(level.bitrate / 1e6).toFixed(level.bitrate < 1e6 ? 2 : 1)} Mb/s`);
  return parts.join(", ");
}

/**
 * A playlist URL from the page's query, resolved against the page; only one on this site
 * (/streams/<name>/master.m3u8, /ipfs/<cid>/master.m3u8), so a crafted link cannot make the
 * page fetch, and show as tidecast's, a stream from elsewhere.
 * @param {string} search the page's query string
 * @param {string} base the page's URL
 * @returns {string | null} the playlist's URL, or null when none is named
 */
export function sourceFrom(search, base) {
  const src = new URLSearchParams(search).get("src");
  if (!src) return null;
  let url;
  try {
    url = new URL(src, base);
  } catch {
    throw new Error("src is not a URL or path");
  }
  if (url.origin !== new URL(base).origin) throw new Error("src: the playlist must be on this site");
  return url.href;
}

// Where a key is fetched from. Key URIs in tidecast's playlists are root-relative
// (/api/keys/<stream>/<period>): the site's keys endpoint. A playlist played from /ipfs/ is
// fetched from the CID's own origin (the gateway moves /ipfs/ there, so nothing on IPFS runs as
// the site), where that path means nothing and where a viewer's token must never go: key
// requests go to the page's own origin instead.
/**
 * @param {string} url a key's (or any request's) URL
 * @param {string} base the page's URL
 * @returns {string} where to fetch it
 */
export function keyUrl(url, base) {
  const target = new URL(url, base);
  const site = new URL(base);
  if (target.origin !== site.origin && target.pathname.startsWith("/api/keys/")) {
    return new URL(target.pathname + target.search, site).href;
  }
  return target.href;
}

/**
 * Plays `src` in `video`. `onEvent(kind, detail)` hears "levels", "level", "error" and
 * "fatal". `startQuality` names the rendition to begin with (then adaptive takes over); an
 * unknown name leaves the choice to hls.js.
 * @param {HTMLVideoElement} video
 * @param {string} src the master playlist's URL
 * @param {{onEvent?: (kind: string, detail: any) => void, startQuality?: string | null, hlsConfig?: Record<string, any>}} [options]
 * @returns {any} the hls.js instance, or null where the browser plays HLS itself (or cannot)
 */
export function play(video, src, { onEvent = () => {}, startQuality = null, hlsConfig = {} } = {}) {
  const Hls = globalThis.Hls;
  if (Hls && Hls.isSupported()) {
    const setup = hlsConfig.xhrSetup;
    const hls = new Hls({
      ...hlsConfig,
      // hls.js calls this before it opens the request, and opens it itself if this did not.
      xhrSetup(xhr, url) {
        const target = keyUrl(url, location.href);
        if (target !== url || !xhr.readyState) xhr.open("GET", target, true);
        return setup?.(xhr, target);
      },
    });
    hls.on(Hls.Events.MANIFEST_PARSED, (_event, data) => {
      onEvent("levels", data.levels);
      if (startQuality) {
        const index = data.levels.findIndex((level) => levelName(level) === startQuality);
        if (index >= 0) hls.startLevel = index;
      }
    });
    hls.on(Hls.Events.LEVEL_SWITCHED, (_event, data) => onEvent("level", { index: data.level, level: hls.levels[data.level] }));
    let recoveredMedia = false;
    hls.on(Hls.Events.ERROR, (_event, data) => {
      const detail = { type: data.type, details: data.details };
      // hls.js retries failed loads itself (its load policies) before it calls one fatal, so
      // a fatal network error is final. A decode error is worth one recovery (hls.js's own
      // recoverMediaError); a second, or anything else fatal, ends playback and is shown.
      if (data.fatal && data.type === Hls.ErrorTypes.MEDIA_ERROR && !recoveredMedia) {
        recoveredMedia = true;
        hls.recoverMediaError();
        onEvent("error", { ...detail, recovering: true });
      } else if (data.fatal) {
        hls.destroy();
        onEvent("fatal", detail);
      } else {
        onEvent("error", detail);
      }
    });
    hls.loadSource(src);
    hls.attachMedia(video);
    return hls;
  }
  if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = src;
    return null;
  }
  onEvent("fatal", { type: "unsupported", details: "this browser cannot play HLS" });
  return null;
}

/**
 * Ties a player's controls to an hls.js instance: the quality menu lists its levels and picks
 * one (-1 is Auto), and the rendition playing is said.
 * @param {import("./controls.js").PlayerControls} controls
 * @param {() => any} current the hls.js instance playing now (it changes on a restart)
 * @returns {(kind: string, detail: any) => void} an `onEvent` for `play`
 */
export function qualityEvents(controls, current) {
  controls.onQuality((index) => {
    const hls = current();
    // -1 is hls.js's "automatic"; a number pins that rendition from the next segment on.
    if (hls) hls.nextLevel = index;
  });
  return (kind, detail) => {
    if (kind === "levels") controls.setLevels(detail, describeLevel);
    else if (kind === "level") controls.showLevel(detail.index, describeLevel(detail.level));
  };
}
