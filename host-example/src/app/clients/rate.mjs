// Requests paced to a Chargebee site's rate limit: one token bucket per site, shared by every request
// the process sends to it (reads and writes alike; Chargebee counts both). The bucket refills at the
// site's limit a minute less its own size and a spare 2%, so no 60-second window, sliding or fixed,
// ever holds more than the limit, even with the network's jitter. A 429 halves the rate and pauses the bucket for the answer's Retry-After; each
// quiet stretch after that gives back a tenth of the limit, up to the configured one.
//
// Writes take their tokens before they check their target (pair.mjs): a write never waits in this
// queue between the check and the send.

/** @typedef {{ take(n?: number): Promise<void>, tryTake(n?: number): boolean, refund(n?: number): void, limited(retryAfterMs: number | null): void, ok(): void, stats(): BucketStats }} Bucket */
/**
 * @typedef {object} BucketStats
 * @property {number} perMinute the configured limit
 * @property {number} current the rate now, after 429s
 * @property {number} taken tokens handed out
 * @property {number} waitedMs time callers spent waiting for tokens, summed
 * @property {number} rateLimited 429s reported
 */

export const DEFAULT_RATE_LIMIT = 150; // requests a minute: what a Chargebee test site and the Starter plan allow
/** Tokens a write takes at once, at most, as a rule: its check and its requests (an order: its invoice, the order, a read or two). */
export const MOST_AT_ONCE = 6;

export class TokenBucket {
  /**
   * @param {{ perMinute: number, burst?: number, now?: () => number, sleep?: (ms: number) => Promise<void> }} o
   *   burst: tokens the bucket holds at most (default: one second of the limit, and at least what a write takes at once)
   */
  constructor(o) {
    if (!(o.perMinute > 0)) throw new Error(`a rate limit must be a number of requests a minute > 0, not ${o.perMinute}`);
    this.perMinute = o.perMinute;
    this.capacity = o.burst ?? Math.max(MOST_AT_ONCE, Math.floor(o.perMinute / 60));
    this.now = o.now ?? (() => performance.now());
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    // The rate in tokens a millisecond: the limit less the bucket's size, so any window of a minute
    // stays within it (a take sends its requests at once: the bucket holds enough for the largest, so a
    // take of n ≤ its size waits for all n), and less a spare 2% (at least one request): a request
    // reaches the site a moment after it takes its token, and that moment varies.
    this.spare = Math.max(1, Math.ceil(this.perMinute * 0.02));
    this.full = Math.max(1, this.perMinute - this.capacity - this.spare) / 60_000;
    this.rate = this.full;
    this.tokens = this.capacity;
    this.at = this.now();
    this.pausedUntil = 0;
    this.lastLimited = -Infinity;
    /** @type {Promise<void>} callers queue: first come, first served */
    this.queue = Promise.resolve();
    this.counts = { taken: 0, waitedMs: 0, rateLimited: 0 };
  }

  #refill() {
    const t = this.now();
    if (t > this.at) {
      this.tokens = Math.min(this.capacity, this.tokens + (t - this.at) * this.rate);
      this.at = t;
    }
    // A quiet stretch after a 429 (10 s, or the time to refill once) gives back a tenth of the limit.
    if (this.rate < this.full && t - this.lastLimited > Math.max(10_000, this.capacity / this.rate)) {
      this.rate = Math.min(this.full, this.rate + this.full / 10);
      this.lastLimited = t;
    }
    return t;
  }

  /**
   * Waits for `n` tokens, in turn with other callers. More than the bucket holds (a plan of more than
   * MOST_AT_ONCE requests, rare) are taken a bucket at a time and never lent: such a take may overrun
   * a minute by what it takes beyond the bucket's size, which the spare covers. @param {number} [n]
   */
  take(n = 1) {
    const turn = this.queue.then(async () => {
      const started = this.now();
      let left = n;
      while (left > 0) {
        const want = Math.min(left, this.capacity);
        const t = this.#refill();
        if (t >= this.pausedUntil && this.tokens >= want) {
          this.tokens -= want;
          left -= want;
          continue;
        }
        const forTokens = (want - this.tokens) / this.rate;
        await this.sleep(Math.max(1, Math.ceil(Math.max(this.pausedUntil - t, forTokens))));
      }
      this.counts.taken += n;
      this.counts.waitedMs += this.now() - started;
    });
    this.queue = turn.catch(() => {});
    return turn;
  }

  /** Takes `n` tokens if they are there now, without waiting. @param {number} [n] */
  tryTake(n = 1) {
    const t = this.#refill();
    if (t < this.pausedUntil || this.tokens < n) return false;
    this.tokens -= n;
    this.counts.taken += n;
    return true;
  }

  /** Gives back tokens taken and not used. @param {number} [n] */
  refund(n = 1) {
    this.#refill();
    this.tokens = Math.min(this.capacity, this.tokens + n);
    this.counts.taken -= n;
  }

  /** Chargebee answered 429: slow down, and send nothing until Retry-After has passed. @param {number | null} retryAfterMs */
  limited(retryAfterMs) {
    const t = this.#refill();
    this.counts.rateLimited++;
    this.rate = Math.max(this.full / 20, this.rate / 2);
    this.lastLimited = t;
    this.tokens = Math.min(this.tokens, 0);
    this.pausedUntil = Math.max(this.pausedUntil, t + (retryAfterMs ?? 1000));
  }

  ok() {}

  /** @returns {BucketStats} */
  stats() {
    return { perMinute: this.perMinute, current: Math.round(this.rate * 60_000), ...this.counts };
  }
}

/** A bucket that never waits: no limit configured (tests, and the local servers without one). @returns {Bucket} */
export function unlimited() {
  const counts = { taken: 0, waitedMs: 0, rateLimited: 0 };
  return {
    take: async (n = 1) => void (counts.taken += n),
    tryTake: (n = 1) => ((counts.taken += n), true),
    refund: (n = 1) => void (counts.taken -= n),
    limited: () => void counts.rateLimited++,
    ok: () => {},
    stats: () => ({ perMinute: Infinity, current: Infinity, ...counts }),
  };
}

/** Waits for a free slot of at most `limit` at once (the Customerp side's concurrency). */
export class Semaphore {
  /** @param {number} limit */
  constructor(limit) {
    this.limit = Math.max(1, limit);
    this.busy = 0;
    /** @type {(() => void)[]} */
    this.waiting = [];
  }

  /** @template T @param {() => Promise<T>} fn @returns {Promise<T>} */
  async run(fn) {
    if (this.busy >= this.limit) await new Promise((r) => this.waiting.push(() => r(undefined)));
    this.busy++;
    try {
      return await fn();
    } finally {
      this.busy--;
      this.waiting.shift()?.();
    }
  }
}
