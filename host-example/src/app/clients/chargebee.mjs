// A small Chargebee API v2 client: Basic auth with the API key, form bodies from the plugin's
// encodeForm, the chargebee-idempotency-key header, list paging, and retries of 429/5xx.
import { encodeForm } from "customerp-chargebee";
import { fetchWithRetry, retryAfterMs } from "./retry.mjs";
import { unlimited } from "./rate.mjs";
import { CHECK_BOUND_MS, currentScope } from "./write-scope.mjs";
import { events } from "../events.mjs";
import { requestUrl } from "./paths.mjs";
import { addSecret, redact, redactValue } from "../redact.mjs";
import { RetryLater, UnreachableError, isRefusal, networkCause, printableUrl } from "../errors.mjs";

/** A Chargebee error response, with Chargebee's `api_error_code`. */
export class ChargebeeError extends Error {
  /**
   * @param {string} method @param {string} path @param {number} status @param {Record<string, any>} body
   */
  constructor(method, path, status, body) {
    const code = body.api_error_code ?? "unknown_error";
    const hint = status === 401 ? " (check CHARGEBEE_API_KEY; the key itself is never printed)" : "";
    super(redact(`Chargebee ${method} ${path} failed: ${status} ${code}${body.param ? ` [${body.param}]` : ""}: ${body.message ?? "no message"}${hint}`));
    this.name = "ChargebeeError";
    this.status = status;
    this.apiErrorCode = code;
    this.type = body.type;
    this.param = body.param;
    this.body = redactValue(body);
  }
}

/**
 * The API base URL from a site name (`acme-test` → https://acme-test.chargebee.com/api/v2) or a full URL.
 * @param {string} siteOrUrl
 */
export function chargebeeBaseUrl(siteOrUrl) {
  const v = siteOrUrl.trim().replace(/\/+$/, "");
  if (/^https?:\/\//.test(v)) {
    const u = withoutCredentials(v); // the API key goes in its own header, never in the URL
    return u.endsWith("/api/v2") ? u : `${u}/api/v2`;
  }
  if (!/^[A-Za-z0-9-]+$/.test(v)) throw new Error(`CHARGEBEE_SITE must be a site name (e.g. acme-test) or a URL, got ${JSON.stringify(v)}`);
  return `https://${v}.chargebee.com/api/v2`;
}

/** @param {string} url */
export function withoutCredentials(url) {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/+$/, "");
  } catch {
    return url;
  }
}

export class ChargebeeClient {
  /** @type {string} */
  #auth;

  /**
   * @param {{ site: string, apiKey: string, bucket?: import("./rate.mjs").Bucket, events?: import("../events.mjs").HostEvents,
   *   tenant?: string } & import("./retry.mjs").RetryOptions} o
   *   bucket: the site's rate bucket (default: none, no pacing); events: where requests are reported
   */
  constructor(o) {
    if (!o.apiKey) throw new Error("no Chargebee API key: set CHARGEBEE_API_KEY");
    this.baseUrl = chargebeeBaseUrl(o.site);
    addSecret(o.apiKey);
    this.#auth = "Basic " + Buffer.from(`${o.apiKey}:`).toString("base64");
    this.retry = { ...o, onRetry: undefined, system: "Chargebee", bucket: undefined, events: undefined };
    this.onRetry = o.onRetry;
    this.bucket = o.bucket ?? unlimited();
    this.events = o.events ?? events;
    this.tenant = o.tenant ?? "";
    /** Requests sent (each attempt counts), split into reads and writes, and retries after 429/5xx. */
    this.counters = { reads: 0, writes: 0, retries: 0, rateLimited: 0 };
  }

  /**
   * One request. GET params go in the query string, POST params in the form body. A read waits for the
   * site's rate bucket and is retried after 429, 5xx and network errors. A write inside a write scope
   * (the write path, write-scope.mjs) is sent once, on a token its pair paid for before its check, and
   * anything that would make it wait or send it again throws RetryLater instead; a write outside a
   * scope (a person's edit in a test or the demo) is retried like a read.
   * @param {"GET" | "POST"} method
   * @param {string} path below /api/v2, e.g. "/customers"
   * @param {Record<string, unknown>} [params] the SDK input shape (nested objects, arrays of objects)
   * @param {{ idempotencyKey?: string }} [o]
   * @returns {Promise<{ body: Record<string, any>, replayed: boolean }>}
   */
  async send(method, path, params = {}, o = {}) {
    const form = encodeForm(params);
    const query = method === "GET" && form ? `?${form}` : "";
    /** @type {Record<string, string>} */
    const headers = { authorization: this.#auth, accept: "application/json" };
    if (method === "POST") headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
    if (o.idempotencyKey) headers["chargebee-idempotency-key"] = o.idempotencyKey;
    const count = () => (method === "GET" ? this.counters.reads++ : this.counters.writes++);
    const url = requestUrl("Chargebee", method, this.baseUrl, path, query);
    const init = { method, headers, body: method === "POST" ? form : undefined };
    const scope = currentScope();
    /** @type {Response} */
    let res;
    if (method === "POST" && scope) {
      res = await this.#sendOnce(scope, url, init, path, count);
    } else {
      if (scope && scope.tokens > 0) scope.tokens--;
      else await this.bucket.take();
      count();
      let started = performance.now();
      res = await fetchWithRetry(url, init, {
        ...this.retry,
        idempotent: method === "GET" || Boolean(o.idempotencyKey),
        beforeAttempt: async (attempt) => {
          if (attempt > 1) await this.bucket.take();
          started = performance.now();
        },
        onRetry: (info) => {
          this.#report(method, info.status ?? 0, started);
          count();
          this.counters.retries++;
          if (info.status === 429) this.#limited(info.retryAfterMs ?? null);
          this.onRetry?.(info);
        },
      }).catch((e) => {
        this.#report(method, 0, started);
        throw e;
      });
      this.#report(method, res.status, started);
      if (scope) scope.heard.chargebee = performance.now();
    }
    const text = await res.text();
    /** @type {Record<string, any>} */
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = { message: `not a JSON response (${text.slice(0, 80)})`, api_error_code: "invalid_response" };
    }
    if (!res.ok || body.api_error_code === "invalid_response") {
      const error = Object.assign(new ChargebeeError(method, path, res.status, body), { url: printableUrl(`${this.baseUrl}${path}`) });
      if (method === "POST" && scope && (res.status === 429 || res.status >= 500)) {
        throw new RetryLater("Chargebee", { status: res.status, retryAfterMs: retryAfterMs(res.headers.get("retry-after")), reason: "answer", maybeSent: res.status >= 500, message: error.message, error });
      }
      throw error;
    }
    return { body, replayed: res.headers.get("chargebee-idempotency-replayed") === "true" };
  }

  /**
   * A write of the write path: on a prepaid token (or one free now), within CHECK_BOUND_MS of the last
   * answer about its pair, sent once.
   * @param {import("./write-scope.mjs").WriteScope} scope @param {string} url @param {RequestInit} init @param {string} path @param {() => void} count
   */
  async #sendOnce(scope, url, init, path, count) {
    const last = scope.heard.chargebee;
    const gap = last === null ? 0 : performance.now() - last;
    if (gap > CHECK_BOUND_MS) {
      throw new RetryLater("Chargebee", { status: 0, reason: "stale", message: `Chargebee POST ${path} not sent: ${Math.round(gap)} ms since its pair was checked (more than ${CHECK_BOUND_MS} ms)` });
    }
    if (scope.tokens > 0) scope.tokens--;
    else if (!this.bucket.tryTake()) {
      throw new RetryLater("Chargebee", { status: 0, reason: "rate", message: `Chargebee POST ${path} not sent: no request left in the site's rate bucket without waiting` });
    }
    scope.gaps.push(gap);
    count();
    const started = performance.now();
    let res;
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(this.retry.timeoutMs ?? 80_000) });
    } catch (e) {
      this.#report("POST", 0, started);
      if (isRefusal(e)) throw new UnreachableError("Chargebee", printableUrl(url), networkCause(e));
      // A timeout or a reset: the request may have reached Chargebee. Its pair is checked again before anything is sent.
      throw new RetryLater("Chargebee", { status: 0, reason: "network", maybeSent: true, message: `Chargebee POST ${path}: ${networkCause(e)}` });
    }
    this.#report("POST", res.status, started);
    scope.heard.chargebee = performance.now();
    if (res.status === 429) this.#limited(retryAfterMs(res.headers.get("retry-after")));
    return res;
  }

  /** @param {number | null} retryAfter */
  #limited(retryAfter) {
    this.counters.rateLimited++;
    this.bucket.limited(retryAfter);
    this.events.rateLimited({ system: "chargebee", tenant: this.tenant, retryAfterMs: retryAfter });
  }

  /** @param {string} method @param {number} status @param {number} started */
  #report(method, status, started) {
    this.events.request({ system: "chargebee", method, status, ms: performance.now() - started, tenant: this.tenant });
  }

  /** @param {string} path @param {Record<string, string | number | boolean>} [query] flat, e.g. {"updated_at[after]": 1700000000} */
  async get(path, query = {}) {
    return (await this.send("GET", path, query)).body;
  }

  /** The resource, or null when Chargebee answers 404. @param {string} path */
  async getOrNull(path) {
    try {
      return await this.get(path);
    } catch (e) {
      if (e instanceof ChargebeeError && e.status === 404) return null;
      throw e;
    }
  }

  /**
   * Every page of a list: limit=100, offset=next_offset until there is none.
   * @param {string} path
   * @param {Record<string, string | number | boolean>} [query]
   * @param {number} [maxPages] a bound on the loop
   * @returns {Promise<Record<string, any>[]>} the list entries ({customer: …} etc.)
   */
  async listAll(path, query = {}, maxPages = 10_000) {
    /** @type {Record<string, any>[]} */
    const out = [];
    for await (const page of this.listPages(path, query, maxPages)) out.push(...page);
    return out;
  }

  /**
   * A list a page (100 entries) at a time: limit=100, offset=next_offset until there is none.
   * @param {string} path @param {Record<string, string | number | boolean>} [query] @param {number} [maxPages] a bound on the loop
   * @returns {AsyncGenerator<Record<string, any>[]>}
   */
  async *listPages(path, query = {}, maxPages = 1_000_000) {
    /** @type {string | undefined} */
    let offset;
    for (let page = 0; page < maxPages; page++) {
      const body = await this.get(path, { ...query, limit: 100, ...(offset ? { offset } : {}) });
      yield body.list;
      offset = body.next_offset;
      if (!offset) return;
    }
    throw new Error(`Chargebee ${path}: more than ${maxPages} pages`);
  }
}
