// What the local stand-ins do to traffic, so that a host meets what a real API does to it: a delay per
// request (a fixed part and a uniform random part, waited on a timer: other requests are served in the
// meantime, so requests in flight overlap), a request-rate limit over a window, a limit on requests in
// flight at once, and counts of what was answered for a benchmark to read.

/**
 * @typedef {object} LatencyOptions
 * @property {number} [fixedMs] added to every answer
 * @property {number} [jitterMs] plus a uniform random delay in [0, jitterMs)
 */

/**
 * @typedef {object} RateLimitOptions
 * @property {number} limit requests a window
 * @property {number} windowMs
 * @property {boolean} [sliding] count the requests accepted in the last windowMs (what Chargebee documents:
 *   "requests in the past 60 seconds"); default false: a fixed window from its first request, every request
 *   counted (the emulator's first model, which its tests keep)
 */

/**
 * @typedef {object} ConcurrencyOptions
 * @property {number} [limit] requests in flight at once
 * @property {number} [get] of them GETs
 * @property {number} [post] of them POSTs
 */

/** @param {LatencyOptions | null | undefined} o @returns {() => number} the delay of the next answer, ms */
export function latency(o) {
  const fixed = Math.max(0, Number(o?.fixedMs ?? 0));
  const jitter = Math.max(0, Number(o?.jitterMs ?? 0));
  if (!(fixed > 0 || jitter > 0)) return () => 0;
  return () => fixed + (jitter > 0 ? Math.random() * jitter : 0);
}

/** @param {number} ms */
export const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A request-rate limit. `take(t)` answers 0 when a request at time t (ms) may pass, else the seconds to wait
 * (Retry-After).
 */
export class RateLimiter {
  /** @param {RateLimitOptions} o */
  constructor(o) {
    this.limit = o.limit;
    this.windowMs = o.windowMs;
    this.sliding = Boolean(o.sliding);
    this.window = { start: 0, count: 0 };
    /** @type {number[]} times of the requests accepted in the sliding window, oldest first from `head` */
    this.times = [];
    this.head = 0;
  }

  /** A new limit; what was counted is forgotten. @param {RateLimitOptions} o */
  set(o) {
    this.limit = o.limit;
    this.windowMs = o.windowMs;
    this.sliding = Boolean(o.sliding);
    this.window = { start: 0, count: 0 };
    this.times = [];
    this.head = 0;
  }

  /** @param {number} t @returns {number} */
  take(t) {
    if (!this.sliding) {
      if (t - this.window.start >= this.windowMs) this.window = { start: t, count: 0 };
      this.window.count += 1;
      if (this.window.count <= this.limit) return 0;
      return Math.max(1, Math.ceil((this.window.start + this.windowMs - t) / 1000));
    }
    const times = this.times;
    while (this.head < times.length && times[this.head] <= t - this.windowMs) this.head++;
    if (this.head > 1024 && this.head * 2 > times.length) {
      times.splice(0, this.head);
      this.head = 0;
    }
    if (times.length - this.head < this.limit) {
      times.push(t);
      return 0;
    }
    return Math.max(1, Math.ceil((times[this.head] + this.windowMs - t) / 1000));
  }
}

/** Requests in flight at once, in all and per method; over a limit a request is refused. */
export class InFlight {
  /** @param {ConcurrencyOptions | number | null | undefined} o */
  constructor(o) {
    this.limit = Infinity;
    /** @type {Record<string, number>} */
    this.perMethod = { GET: Infinity, POST: Infinity };
    this.set(o);
    this.now = { all: 0, GET: 0, POST: 0 };
  }

  /** @param {ConcurrencyOptions | number | null | undefined} o */
  set(o) {
    const c = typeof o === "number" ? { limit: o } : o ?? {};
    this.limit = c.limit ?? Infinity;
    this.perMethod = { GET: c.get ?? Infinity, POST: c.post ?? Infinity };
  }

  /** Takes a slot for a request, or answers false when the limits are reached. @param {string} method */
  enter(method) {
    const m = method === "GET" ? "GET" : "POST";
    if (this.now.all >= this.limit || this.now[m] >= this.perMethod[m]) return false;
    this.now.all++;
    this.now[m]++;
    return true;
  }

  /** @param {string} method */
  leave(method) {
    const m = method === "GET" ? "GET" : "POST";
    this.now.all--;
    this.now[m]--;
  }
}

/**
 * Counts of a server's answers since it started or was reset: per status, reads and writes accepted,
 * requests refused by a limit, requests a second (for the peak over any window), the first and last write.
 */
export class TrafficStats {
  constructor() {
    this.since = 0;
    this.requests = 0;
    this.reads = 0;
    this.writes = 0;
    /** @type {Record<string, number>} */
    this.statuses = {};
    this.rateLimited = 0;
    this.concurrencyLimited = 0;
    this.maxInFlight = 0;
    /** @type {number | null} */
    this.firstWriteAt = null;
    /** @type {number | null} */
    this.lastWriteAt = null;
    /** @type {number[]} requests accepted (not refused by a limit) in each second since `since` */
    this.perSecond = [];
    this.reset();
  }

  reset() {
    this.since = Date.now();
    this.requests = 0;
    this.reads = 0;
    this.writes = 0;
    /** @type {Record<string, number>} */
    this.statuses = {};
    this.rateLimited = 0;
    this.concurrencyLimited = 0;
    this.maxInFlight = 0;
    this.firstWriteAt = null;
    this.lastWriteAt = null;
    this.perSecond = [];
  }

  /**
   * One answered request. @param {string} method @param {number} status
   * @param {"rate" | "concurrency" | null} refused which limit refused it @param {number} arrived ms
   */
  record(method, status, refused, arrived) {
    this.requests++;
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    if (refused === "rate") this.rateLimited++;
    else if (refused === "concurrency") this.concurrencyLimited++;
    if (refused) return;
    const s = Math.max(0, Math.floor((arrived - this.since) / 1000));
    while (this.perSecond.length <= s) this.perSecond.push(0);
    this.perSecond[s]++;
    if (method === "GET") this.reads++;
    else {
      this.writes++;
      this.firstWriteAt ??= arrived;
      this.lastWriteAt = arrived;
    }
  }

  /** The most requests accepted in any `seconds` consecutive seconds. @param {number} [seconds] */
  peak(seconds = 60) {
    let sum = 0;
    let best = 0;
    const a = this.perSecond;
    for (let i = 0; i < a.length; i++) {
      sum += a[i] - (i >= seconds ? a[i - seconds] : 0);
      if (sum > best) best = sum;
    }
    return best;
  }

  /** A request was let in with `n` in flight (itself included). @param {number} n */
  inFlight(n) {
    if (n > this.maxInFlight) this.maxInFlight = n;
  }

  /** A plain snapshot (JSON). */
  snapshot() {
    return {
      since: this.since, requests: this.requests, reads: this.reads, writes: this.writes, statuses: { ...this.statuses },
      rateLimited: this.rateLimited, concurrencyLimited: this.concurrencyLimited, maxInFlight: this.maxInFlight,
      firstWriteAt: this.firstWriteAt, lastWriteAt: this.lastWriteAt, peakPerMinute: this.peak(60), peakPerSecond: this.peak(1),
    };
  }
}
/** @typedef {ReturnType<TrafficStats["snapshot"]>} TrafficSnapshot */
