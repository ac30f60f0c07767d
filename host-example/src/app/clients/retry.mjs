// fetch with bounded retries, for reads (and writes made outside the write path): 429 waits for
// Retry-After, 5xx and network errors back off exponentially. The write path never retries here: it
// checks its target again after any wait (pair.mjs, write-scope.mjs).
// A refused connection or an unknown host fails at once: retrying within a run will not bring the
// server up, and the operator should hear about it in seconds, not after eight back-offs.
import { UnreachableError, isRefusal, networkCause, printableUrl } from "../errors.mjs";

/**
 * @typedef {object} RetryOptions
 * @property {number} [maxAttempts] attempts in all, default 8
 * @property {number} [baseDelayMs] first backoff, default 500 ms (doubles per attempt, with jitter)
 * @property {number} [maxDelayMs] cap of one wait, default 60 s
 * @property {number} [timeoutMs] per attempt, default 80 s (Chargebee's SDK default)
 * @property {(ms: number) => Promise<void>} [sleep]
 * @property {(info: { attempt: number, status?: number, delayMs: number, retryAfterMs?: number | null }) => void} [onRetry]
 * @property {(attempt: number) => Promise<void>} [beforeAttempt] awaited before each attempt (the rate bucket)
 * @property {string} [system] the system's name in errors ("Chargebee", "Customerp")
 * @property {boolean} [idempotent] false for a request that must not run twice (a POST without an
 *   idempotency key): then only 429, which Chargebee answers before doing anything, is retried
 */

/** @param {string | null} v @returns {number | null} */
export function retryAfterMs(v) {
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

/**
 * @param {string} url
 * @param {RequestInit} init
 * @param {RetryOptions} [o]
 * @returns {Promise<Response>} the last response (also when it is still a 429/5xx after the last attempt)
 */
export async function fetchWithRetry(url, init, o = {}) {
  const maxAttempts = o.maxAttempts ?? 8;
  const base = o.baseDelayMs ?? 500;
  const cap = o.maxDelayMs ?? 60_000;
  const sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  for (let attempt = 1; ; attempt++) {
    /** @type {Response | undefined} */
    let res;
    await o.beforeAttempt?.(attempt);
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(o.timeoutMs ?? 80_000) });
    } catch (e) {
      if (attempt >= maxAttempts || o.idempotent === false || isRefusal(e)) {
        const tries = attempt > 1 ? ` (after ${attempt} attempts)` : "";
        throw new UnreachableError(o.system ?? "the server", printableUrl(url), `${networkCause(e)}${tries}`);
      }
    }
    if (res && (!RETRY_STATUSES.has(res.status) || (o.idempotent === false && res.status !== 429))) return res;
    if (res && attempt >= maxAttempts) return res;
    const backoff = Math.min(cap, base * 2 ** (attempt - 1)) * (0.75 + Math.random() / 2);
    const after = res?.status === 429 ? retryAfterMs(res.headers.get("retry-after")) : null;
    const delayMs = Math.min(cap, after ?? backoff);
    await res?.body?.cancel();
    o.onRetry?.({ attempt, status: res?.status, delayMs, retryAfterMs: after });
    await sleep(delayMs);
  }
}
