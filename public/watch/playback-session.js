// Playback tokens: asked for (POST /api/streams/<id>/playback, naming the payment stream or
// card credit), sent with each key request, and renewed at half their life. The page asks only
// when it expects a yes (an encrypted, priced stream needs a payment stream first), so a
// refusal here means the payment stopped covering now: `onRefused` hears it once, and renewal
// ends.
import { api } from "/js/api.js";

/**
 * @typedef {object} Grant
 * @property {string} token
 * @property {number} expiresIn seconds
 * @property {number | null} keyPeriodSeconds
 * @property {boolean} free
 * @property {string | null} reason
 * @property {{id: string, sender: string, flowRate: string, remainingBalance: string, active: boolean} | null} payment
 * @property {{id: string, held: string} | null} [creditPlayback]
 */

/**
 * @typedef {Error & {status?: number}} ApiError
 */

export class PlaybackSession {
  /**
   * @param {{mediaId: string, loginToken: string | null, onRefused: (error: ApiError) => void}} options
   */
  constructor({ mediaId, loginToken, onRefused }) {
    this.mediaId = mediaId;
    this.loginToken = loginToken;
    this.onRefused = onRefused;
    /** @type {Grant | null} */
    this.grant = null;
    /** @type {{paymentStreamId?: string, credit?: boolean} | null} */
    this.body = null;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.active = false;
  }

  /**
   * Asks for a token (and keeps renewing it): `{paymentStreamId}`, `{credit: true}` or `{}`
   * (free: the owner, or a price of 0).
   * @param {{paymentStreamId?: string, credit?: boolean}} body
   * @returns {Promise<Grant>}
   */
  async start(body) {
    this.stop();
    const { data } = await api(`/api/streams/${encodeURIComponent(this.mediaId)}/playback`, {
      method: "POST",
      token: this.loginToken,
      body,
    });
    this.grant = data;
    // A card-credit playback is renewed on the payment stream the treasury opened for it.
    this.body = body.credit && data.payment ? { paymentStreamId: String(data.payment.id) } : body;
    this.active = true;
    this.schedule();
    return data;
  }

  /** @private */
  schedule() {
    clearTimeout(this.timer);
    if (!this.active || !this.grant) return;
    this.timer = setTimeout(() => this.renew(), Math.max(1, this.grant.expiresIn / 2) * 1000);
  }

  /**
   * A fresh token before the old one expires. False when it was refused (and `onRefused`
   * was told) or the session is stopped.
   * @returns {Promise<boolean>}
   */
  async renew() {
    if (!this.active || !this.body) return false;
    try {
      const { data } = await api(`/api/streams/${encodeURIComponent(this.mediaId)}/playback`, {
        method: "POST",
        token: this.loginToken,
        body: this.body,
      });
      if (!this.active) return false;
      this.grant = data;
      this.schedule();
      return true;
    } catch (error) {
      const failure = /** @type {ApiError} */ (error);
      if (!this.active) return false;
      if (failure.status === 402 || failure.status === 401 || failure.status === 403) {
        this.stop();
        this.onRefused(failure);
      } else {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.renew(), 2000); // the network, a restart: again shortly
      }
      return false;
    }
  }

  /**
   * Stops renewing (a stop, the end of the video, leaving the page).
   * @returns {void}
   */
  stop() {
    this.active = false;
    clearTimeout(this.timer);
  }

  /**
   * hls.js's `xhrSetup` for key requests: the token goes to the site's keys endpoint only.
   * @param {XMLHttpRequest} xhr
   * @param {string} url
   * @returns {void}
   */
  authorize(xhr, url) {
    if (this.grant?.token && new URL(url, location.href).pathname.startsWith("/api/keys/")) {
      xhr.setRequestHeader("Authorization", `Bearer ${this.grant.token}`);
    }
  }
}
