// The player's controls, built over a <video> without the browser's own (`controls` stays off):
// play/pause, a seek bar with the time, quality (hls.js's levels and Auto), volume and mute,
// full screen and keyboard shortcuts. The watch page and the standalone player page use it the
// same way. Every button has an accessible name that says what it does now ("Play" or
// "Pause"); focus shows (site.css); nothing here holds state outside the object it returns.
//
// Shortcuts (on the whole page, never while typing in a field or with a modifier held):
// space / k play-pause, ←/→ 5 s, j/l 10 s, ↑/↓ volume, m mute, f full screen.
//
// `lock()` ends playback for good until `unlock()`: the play control and the shortcuts are off,
// and a `play()` from anywhere (a script, a media key) is paused again at once.

const SVG = "http://www.w3.org/2000/svg";
/** Icon paths on a 24-unit square. */
const ICONS = {
  play: "M8 5v14l11-7z",
  pause: "M6 5h4v14H6zm8 0h4v14h-4z",
  volume: "M3 9v6h4l5 5V4L7 9H3zm13.5 3A4.5 4.5 0 0 0 14 8v8a4.5 4.5 0 0 0 2.5-4z",
  muted: "M3 9v6h4l5 5V4L7 9H3zm13.6 3 2.7-2.7-1.4-1.4-2.7 2.7-2.7-2.7-1.4 1.4 2.7 2.7-2.7 2.7 1.4 1.4 2.7-2.7 2.7 2.7 1.4-1.4z",
  fullscreen: "M5 5h5v2H7v3H5zm9 0h5v5h-2V7h-3zM5 14h2v3h3v2H5zm12 3h-3v2h5v-5h-2z",
  exitFullscreen: "M8 5h2v5H5V8h3zm6 0h2v3h3v2h-5zM5 14h5v5H8v-3H5zm9 0h5v2h-3v3h-2z",
};

/**
 * "1:23", "1:02:03": a media time in words a clock shows.
 * @param {number} seconds
 * @returns {string}
 */
export function clock(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "0:00";
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/**
 * @param {keyof typeof ICONS} name
 * @returns {SVGSVGElement}
 */
function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

/**
 * @param {string} label
 * @param {keyof typeof ICONS} iconName
 * @returns {HTMLButtonElement}
 */
function iconButton(label, iconName) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "player-button";
  button.setAttribute("aria-label", label);
  button.title = label;
  button.append(icon(iconName));
  return button;
}

/**
 * @param {HTMLButtonElement} button
 * @param {string} label
 * @param {keyof typeof ICONS} iconName
 */
function relabel(button, label, iconName) {
  if (button.getAttribute("aria-label") === label) return;
  button.setAttribute("aria-label", label);
  button.title = label;
  button.replaceChildren(icon(iconName));
}

/**
 * Whether a key press belongs to a field (typing) rather than to the player.
 * @param {EventTarget | null} target
 * @returns {boolean}
 */
function typing(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  return ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

/**
 * @typedef {object} Level
 * @property {string} [name]
 * @property {number} [height]
 * @property {number} [width]
 * @property {number} [bitrate]
 */

/**
 * @typedef {object} PlayerControls
 * @property {(levels: Level[], describe: (level: Level) => string) => void} setLevels lists the
 *   renditions in the quality menu (after Auto)
 * @property {(index: number, text: string) => void} showLevel says which rendition plays now
 * @property {(onPick: (index: number) => void) => void} onQuality called with -1 (Auto) or a level
 * @property {(seconds: number | null) => void} setDuration the video's length, before the media knows it
 * @property {(enabled: boolean) => void} setEnabled whether there is anything to play yet
 * @property {() => void} lock ends playback until unlock (after a stop)
 * @property {() => void} unlock playback may start again
 * @property {() => boolean} locked
 * @property {() => void} resetQuality empties the quality menu (a new source)
 * @property {HTMLSelectElement} quality the quality menu
 */

/**
 * Builds the controls into `root` (the element holding `video`, which goes full screen) and
 * wires them and the keyboard shortcuts to `video`.
 * @param {HTMLElement} root the player's box
 * @param {HTMLVideoElement} video
 * @param {{ nowPlaying?: HTMLElement | null }} [options] where to say the rendition in words
 * @returns {PlayerControls}
 */
export function mountControls(root, video, { nowPlaying = null } = {}) {
  video.controls = false;
  root.classList.add("player");
  const bar = document.createElement("div");
  bar.className = "player-controls";
  bar.setAttribute("role", "group");
  bar.setAttribute("aria-label", "Player controls");

  const play = iconButton("Play", "play");
  const seek = document.createElement("input");
  seek.type = "range";
  seek.className = "player-seek";
  seek.min = "0";
  seek.max = "0";
  seek.step = "0.1";
  seek.value = "0";
  seek.setAttribute("aria-label", "Seek");
  const time = document.createElement("span");
  time.className = "player-time";
  time.setAttribute("aria-hidden", "true"); // the seek bar's aria-valuetext says the same
  const mute = iconButton("Mute", "volume");
  const volume = document.createElement("input");
  volume.type = "range";
  volume.className = "player-volume";
  volume.min = "0";
  volume.max = "1";
  volume.step = "0.05";
  volume.setAttribute("aria-label", "Volume");
  const qualityLabel = document.createElement("label");
  qualityLabel.className = "visually-hidden";
  qualityLabel.htmlFor = "quality";
  qualityLabel.textContent = "Quality";
  const quality = document.createElement("select");
  quality.id = "quality";
  quality.className = "player-quality";
  quality.disabled = true;
  quality.add(new Option("Auto", "-1"));
  const full = iconButton("Full screen", "fullscreen");
  full.hidden = !document.fullscreenEnabled;
  const spacer = document.createElement("span");
  spacer.className = "player-spacer";
  bar.append(play, seek, time, mute, volume, spacer, qualityLabel, quality, full);
  root.append(bar);

  const state = { enabled: false, locked: false, dragging: false, duration: /** @type {number | null} */ (null) };
  /** @type {(index: number) => void} */
  let pick = () => {};

  // The longer of what the media says and what the stream says: a stream still processing
  // (a growing playlist) is as long as its source, not as what is published so far.
  const length = () => Math.max(Number.isFinite(video.duration) && video.duration > 0 ? video.duration : 0, state.duration ?? 0);

  function renderTime() {
    const total = length();
    seek.max = String(total || 0);
    if (!state.dragging) seek.value = String(Math.min(video.currentTime, total || video.currentTime));
    const now = state.dragging ? Number(seek.value) : video.currentTime;
    time.textContent = `${clock(now)} / ${clock(total)}`;
    seek.setAttribute("aria-valuetext", `${clock(now)} of ${clock(total)}`);
  }

  function renderPlay() {
    const playing = !video.paused && !video.ended;
    relabel(play, playing ? "Pause" : "Play", playing ? "pause" : "play");
    play.disabled = !state.enabled || state.locked;
    seek.disabled = !state.enabled || state.locked;
    root.dataset.playing = String(playing);
    root.dataset.locked = String(state.locked);
  }

  function renderVolume() {
    const silent = video.muted || video.volume === 0;
    relabel(mute, silent ? "Unmute" : "Mute", silent ? "muted" : "volume");
    volume.value = String(video.muted ? 0 : video.volume);
    volume.setAttribute("aria-valuetext", `${Math.round((video.muted ? 0 : video.volume) * 100)} %`);
  }

  function renderFullscreen() {
    const on = document.fullscreenElement === root;
    relabel(full, on ? "Exit full screen" : "Full screen", on ? "exitFullscreen" : "fullscreen");
  }

  function toggle() {
    if (!state.enabled || state.locked) return;
    if (video.paused || video.ended) video.play().catch(() => {});
    else video.pause();
  }

  /** @param {number} delta */
  function skip(delta) {
    if (!state.enabled || state.locked) return;
    const total = length();
    video.currentTime = Math.max(0, Math.min(total || Infinity, video.currentTime + delta));
    renderTime();
  }

  /** @param {number} delta */
  function nudgeVolume(delta) {
    video.muted = false;
    video.volume = Math.max(0, Math.min(1, Math.round((video.volume + delta) * 20) / 20));
  }

  function toggleFullscreen() {
    if (!document.fullscreenEnabled) return;
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else root.requestFullscreen().catch(() => {});
  }

  play.addEventListener("click", toggle);
  video.addEventListener("click", toggle);
  video.addEventListener("dblclick", toggleFullscreen);
  seek.addEventListener("input", () => {
    state.dragging = true;
    renderTime();
  });
  seek.addEventListener("change", () => {
    state.dragging = false;
    if (state.enabled && !state.locked) video.currentTime = Number(seek.value);
    renderTime();
  });
  mute.addEventListener("click", () => {
    video.muted = !video.muted;
    if (!video.muted && video.volume === 0) video.volume = 0.5;
  });
  volume.addEventListener("input", () => {
    video.volume = Number(volume.value);
    video.muted = video.volume === 0;
  });
  quality.addEventListener("change", () => pick(Number(quality.value)));
  full.addEventListener("click", toggleFullscreen);
  document.addEventListener("fullscreenchange", renderFullscreen);
  for (const event of ["play", "pause", "ended", "playing"]) video.addEventListener(event, renderPlay);
  for (const event of ["timeupdate", "durationchange", "loadedmetadata", "seeked"]) video.addEventListener(event, renderTime);
  video.addEventListener("volumechange", renderVolume);
  // After a stop nothing plays: whoever calls play(), the picture stays paused.
  video.addEventListener("play", () => {
    if (state.locked) video.pause();
  });

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    const onButton = event.target instanceof HTMLButtonElement || event.target instanceof HTMLAnchorElement;
    /** @type {Record<string, () => void>} */
    const actions = {
      " ": toggle,
      k: toggle,
      ArrowLeft: () => skip(-5),
      ArrowRight: () => skip(5),
      j: () => skip(-10),
      l: () => skip(10),
      ArrowUp: () => nudgeVolume(0.05),
      ArrowDown: () => nudgeVolume(-0.05),
      m: () => {
        video.muted = !video.muted;
      },
      f: toggleFullscreen,
    };
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const action = actions[key];
    if (!action) return;
    if (key === " " && onButton) return; // space presses the focused button, as it should
    event.preventDefault();
    action();
  });

  renderTime();
  renderPlay();
  renderVolume();
  renderFullscreen();

  return {
    quality,
    setLevels(levels, describe) {
      while (quality.options.length > 1) quality.remove(1);
      for (const [index, level] of levels.entries()) quality.add(new Option(describe(level), String(index)));
      quality.disabled = false;
    },
    showLevel(index, text) {
      if (nowPlaying) nowPlaying.textContent = `Playing ${text}`;
      const auto = quality.options[0];
      const name = quality.options[index + 1]?.textContent?.split(",")[0];
      auto.textContent = name ? `Auto (${name})` : "Auto";
    },
    onQuality(onPick) {
      pick = onPick;
    },
    setDuration(seconds) {
      state.duration = seconds;
      renderTime();
    },
    setEnabled(enabled) {
      state.enabled = enabled;
      renderPlay();
    },
    lock() {
      state.locked = true;
      video.pause();
      renderPlay();
    },
    unlock() {
      state.locked = false;
      renderPlay();
    },
    locked: () => state.locked,
    resetQuality() {
      while (quality.options.length > 1) quality.remove(1);
      quality.options[0].textContent = "Auto";
      quality.value = "-1";
      quality.disabled = true;
    },
  };
}
