// A steady "time left" for a job whose progress arrives in readings (bytes sent, or the
// pipeline's percent). The API's own `etaSeconds` jumps (25 s at 2 %, then 89 s at 25 %): the
// rate here is an exponential moving average of the rates between successive readings,
// weighted by the time between them, and what is shown counts down between readings and only
// goes up when the estimate has grown well past it.

/** How many seconds of readings the average mostly remembers. */
const TAU_SECONDS = 6;
/** Readings closer together than this are merged into the next one. */
const MIN_GAP_SECONDS = 0.4;
/** Before this much time has passed with progress, the estimate is not worth showing. */
const WARMUP_SECONDS = 1.5;

export class EtaEstimator {
  /**
   * @param {number} total what the value reaches when the job is done (100, or the file's bytes)
   */
  constructor(total) {
    this.total = total;
    /** @type {number | null} units per second, smoothed */
    this.rate = null;
    /** @type {{value: number, at: number} | null} */
    this.last = null;
    /** @type {number | null} when progress was first seen moving (seconds) */
    this.movingSince = null;
    /** @type {{seconds: number, at: number} | null} the last estimate shown */
    this.shown = null;
  }

  /**
   * Takes a reading and returns the seconds left to show, or null while it cannot say yet.
   * @param {number} value how far the job is (the same units as `total`)
   * @param {number} at when, in seconds (any monotonic clock: performance.now() / 1000)
   * @returns {number | null}
   */
  update(value, at) {
    if (this.last === null || value < this.last.value) {
      this.last = { value, at };
      return this.current(at);
    }
    const dt = at - this.last.at;
    if (dt < MIN_GAP_SECONDS) return this.current(at);
    const instant = (value - this.last.value) / dt;
    if (this.rate === null) {
      if (instant > 0) {
        this.rate = instant;
        this.movingSince = this.last.at;
      }
    } else {
      const alpha = 1 - Math.exp(-dt / TAU_SECONDS);
      this.rate += alpha * (instant - this.rate);
    }
    this.last = { value, at };
    return this.current(at);
  }

  /**
   * The seconds left to show at time `at` (counting down since the last estimate), or null.
   * @param {number} at seconds, on the clock `update` uses
   * @returns {number | null}
   */
  current(at) {
    if (this.rate === null || this.rate <= 0 || this.last === null || this.movingSince === null) return null;
    if (at - this.movingSince < WARMUP_SECONDS) return null;
    const estimate = Math.max(0, (this.total - this.last.value) / this.rate - (at - this.last.at));
    if (this.shown !== null) {
      const countdown = Math.max(0, this.shown.seconds - (at - this.shown.at));
      // Down as fast as the estimate says; up only when it is well past the countdown.
      if (estimate <= countdown || estimate < countdown * 1.3 + 5) {
        const seconds = Math.min(estimate, countdown) || estimate;
        this.shown = { seconds, at };
        return seconds;
      }
    }
    this.shown = { seconds: estimate, at };
    return estimate;
  }
}

/**
 * Seconds left as people say it: "a few seconds left", "about 40 s left", "about 3 min left".
 * Rounded so a steady estimate reads steadily (5 s steps under a minute).
 * @param {number | null} seconds
 * @returns {string}
 */
export function etaText(seconds) {
  if (seconds === null || !Number.isFinite(seconds)) return "estimating time left";
  if (seconds < 8) return "a few seconds left";
  if (seconds < 60) return `about ${Math.max(10, Math.round(seconds / 5) * 5)} s left`;
  if (seconds < 90) return "about a minute left";
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min left`;
  const hours = Math.floor(seconds / 3600);
  return `about ${hours} h ${Math.round((seconds % 3600) / 60)} min left`;
}
