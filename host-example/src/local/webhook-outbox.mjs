// Outgoing webhooks of the local stand-ins (the Chargebee emulator and the Customerp server): each
// message is POSTed as JSON; a non-2xx answer, a refused connection or a timeout is retried after the
// next delay of the schedule, and given up after the last. Timers are unref'd and cancelled on close.

/**
 * @typedef {object} OutboxOptions
 * @property {number[]} [retryDelaysMs] waits before the 2nd, 3rd, … attempt (default: Chargebee's schedule)
 * @property {number} [timeoutMs] per attempt, default 10 s
 */

/**
 * @typedef {object} Message
 * @property {string} url
 * @property {string} body JSON text
 * @property {Record<string, string> | (() => Record<string, string>)} [headers] a function is called per attempt (fresh timestamps and signatures)
 * @property {(r: { ok: boolean, attempt: number, status?: number, final: boolean }) => void} [onAttempt]
 */

/** Chargebee's retry schedule: 2 min, 6 min, 30 min, 1 h, 5 h, 1 day, 2 days after each failure
 * (support.chargebee.com/support/solutions/articles/257941, "Automatic Retries"). */
export const CHARGEBEE_RETRY_DELAYS_MS = [2, 6, 30, 60, 300, 1440, 2880].map((m) => m * 60_000);

export class Outbox {
  /** @param {OutboxOptions} [o] */
  constructor(o = {}) {
    this.retryDelaysMs = o.retryDelaysMs ?? CHARGEBEE_RETRY_DELAYS_MS;
    this.timeoutMs = o.timeoutMs ?? 10_000;
    /** @type {Set<NodeJS.Timeout>} */
    this.timers = new Set();
    this.inFlight = 0;
    this.closed = false;
    this.stats = { attempts: 0, delivered: 0, retried: 0, failed: 0 };
    /** @type {(() => void)[]} */
    this.idleWaiters = [];
  }

  /** Sends `m` after `delayMs` (0: at once). @param {Message} m @param {number} [delayMs] */
  push(m, delayMs = 0) {
    this.#schedule(m, 1, delayMs);
  }

  /** @param {Message} m @param {number} attempt @param {number} delayMs */
  #schedule(m, attempt, delayMs) {
    if (this.closed) return;
    this.inFlight++;
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.#attempt(m, attempt).finally(() => {
        this.inFlight--;
        if (this.inFlight === 0) this.idleWaiters.splice(0).forEach((w) => w());
      });
    }, delayMs);
    t.unref();
    this.timers.add(t);
  }

  /** @param {Message} m @param {number} attempt */
  async #attempt(m, attempt) {
    if (this.closed) return;
    this.stats.attempts++;
    /** @type {number | undefined} */
    let status;
    try {
      const headers = typeof m.headers === "function" ? m.headers() : m.headers ?? {};
      const res = await fetch(m.url, {
        method: "POST", body: m.body, signal: AbortSignal.timeout(this.timeoutMs),
        headers: { "content-type": "application/json", ...headers },
      });
      status = res.status;
      await res.body?.cancel();
    } catch {
      status = undefined; // refused, reset or timed out
    }
    const ok = status !== undefined && status >= 200 && status < 300;
    const delay = this.retryDelaysMs[attempt - 1];
    const final = ok || delay === undefined;
    m.onAttempt?.({ ok, attempt, status, final });
    if (ok) this.stats.delivered++;
    else if (final) this.stats.failed++;
    else {
      this.stats.retried++;
      this.#schedule(m, attempt + 1, delay);
    }
  }

  /** Resolves when nothing is waiting or being sent (retries included). */
  idle() {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(() => r(undefined)));
  }

  close() {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.inFlight = 0;
    this.idleWaiters.splice(0).forEach((w) => w());
  }
}
