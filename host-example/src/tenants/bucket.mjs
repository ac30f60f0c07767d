// The rate bucket of a Chargebee site shared by every process that writes to it: the bucket of
// clients/rate.mjs, kept in a row of PostgreSQL's `rate_buckets` and changed under that row's lock,
// by the database's clock (workers on several machines never disagree about the time). Any number
// of workers, for any number of tenants of that site, stay within the site's limit together.
import { sql } from "kysely";
import { MOST_AT_ONCE } from "../app/clients/rate.mjs";

/** @typedef {import("../app/clients/rate.mjs").Bucket} Bucket */

const NOW = sql`(extract(epoch FROM clock_timestamp()) * 1000)::bigint`;

export class SharedBucket {
  /**
   * @param {{ store: import("../app/store/store.mjs").Store, name: string, perMinute: number, sleep?: (ms: number) => Promise<void> }} o
   *   name: the site (its API URL); perMinute: its limit
   */
  constructor(o) {
    if (!(o.perMinute > 0)) throw new Error(`a rate limit must be a number of requests a minute > 0, not ${o.perMinute}`);
    this.k = o.store.k;
    this.name = o.name;
    this.perMinute = o.perMinute;
    this.capacity = Math.max(MOST_AT_ONCE, Math.floor(o.perMinute / 60));
    // The rate less the bucket's size and a spare 2% a minute (as clients/rate.mjs): no window of
    // 60 s holds more than the limit, even as requests reach the site a varying moment later.
    this.full = Math.max(1, this.perMinute - this.capacity - Math.max(1, Math.ceil(this.perMinute * 0.02)));
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.counts = { taken: 0, waitedMs: 0, rateLimited: 0 };
    /** @type {Promise<void> | null} */
    this.ready = null;
  }

  async #init() {
    this.ready ??= (async () => {
      await sql`INSERT INTO rate_buckets (name, tokens, updated_ms, per_minute, limit_per_minute, limited_ms, paused_until)
        VALUES (${this.name}, ${this.capacity}, ${NOW}, ${this.full}, ${this.full}, 0, 0) ON CONFLICT (name) DO NOTHING`.execute(this.k);
      // The limit as this process knows it (a changed limit is taken by the next process that starts).
      await sql`UPDATE rate_buckets SET limit_per_minute = ${this.full}, per_minute = LEAST(per_minute, ${this.full}) WHERE name = ${this.name}`.execute(this.k);
    })();
    return this.ready;
  }

  /** Waits for `n` tokens. @param {number} [n] */
  async take(n = 1) {
    const started = Date.now();
    // More than the bucket holds are taken a bucket at a time: it never lends (clients/rate.mjs).
    let left = n;
    while (left > 0) {
      const want = Math.min(left, this.capacity);
      const wait = await this.#takeOnce(want);
      if (wait === 0) left -= want;
      else await this.sleep(Math.max(5, Math.min(wait, 2000)));
    }
    this.counts.taken += n;
    this.counts.waitedMs += Date.now() - started;
  }

  /**
   * One attempt, in a transaction that locks the bucket's row: the refill, the recovery and the take,
   * by the database's clock. @param {number} n @returns {Promise<number>} 0 when taken, else ms to wait
   */
  async #takeOnce(n) {
    await this.#init();
    const cap = this.capacity;
    return this.k.transaction().execute(async (k) => {
      const r = await sql`SELECT tokens, updated_ms, per_minute, limit_per_minute, limited_ms, paused_until, ${NOW} AS now
        FROM rate_buckets WHERE name = ${this.name} FOR UPDATE`.execute(k);
      const b = /** @type {any} */ (r.rows[0]);
      const now = Number(b.now);
      let rate = Number(b.per_minute);
      let limitedMs = Number(b.limited_ms);
      const limit = Number(b.limit_per_minute);
      if (rate < limit && now - limitedMs > Math.max(10_000, (cap / rate) * 60_000)) {
        rate = Math.min(limit, rate + limit / 10);
        limitedMs = now;
      }
      const tokens = Math.min(cap, Number(b.tokens) + Math.max(0, now - Number(b.updated_ms)) * (rate / 60_000));
      const paused = Number(b.paused_until) - now;
      const took = paused <= 0 && tokens >= n;
      await sql`UPDATE rate_buckets SET tokens = ${took ? tokens - n : tokens}, updated_ms = ${now}, per_minute = ${rate}, limited_ms = ${limitedMs}
        WHERE name = ${this.name}`.execute(k);
      if (took) return 0;
      return paused > 0 ? paused : Math.ceil(((n - tokens) / rate) * 60_000);
    });
  }

  /** Takes `n` tokens only if they are there now (the write path: never a wait between a check and its write). */
  tryTake(/** @type {number} */ n = 1) {
    // The database answers asynchronously: a write inside a check-and-write has its tokens already (paid before
    // its check); one more beyond them is refused here, and the write path pays for it and checks again.
    void n;
    return false;
  }

  /** @param {number} [n] */
  refund(n = 1) {
    if (n <= 0) return;
    this.counts.taken -= n;
    void sql`UPDATE rate_buckets SET tokens = LEAST(${this.capacity}, tokens + ${n}) WHERE name = ${this.name}`.execute(this.k).catch(() => {});
  }

  /** Chargebee answered 429: every process slows down, and none sends before Retry-After. @param {number | null} retryAfterMs */
  limited(retryAfterMs) {
    this.counts.rateLimited++;
    void sql`UPDATE rate_buckets SET per_minute = GREATEST(limit_per_minute / 20, per_minute / 2), limited_ms = ${NOW}, tokens = LEAST(tokens, 0),
      paused_until = GREATEST(paused_until, ${NOW} + ${retryAfterMs ?? 1000}) WHERE name = ${this.name}`.execute(this.k).catch(() => {});
  }

  ok() {}

  stats() {
    return { perMinute: this.perMinute, current: this.full, ...this.counts };
  }
}
