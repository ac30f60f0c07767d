// Client of the Customerp REST contract (README.md): change feed with a cursor, get, create, update,
// delete, with bearer auth, ETag preconditions and bounded retries.
import { fetchWithRetry, retryAfterMs } from "./retry.mjs";
import { Semaphore } from "./rate.mjs";
import { CHECK_BOUND_MS, currentScope } from "./write-scope.mjs";
import { events } from "../events.mjs";
import { requestUrl } from "./paths.mjs";
import { addSecret, redact } from "../redact.mjs";
import { RetryLater, UnreachableError, isRefusal, networkCause, printableUrl } from "../errors.mjs";
import { withoutCredentials } from "./chargebee.mjs";

/** @typedef {Record<string, any>} Rec */

export class CustomerpError extends Error {
  /** @param {string} method @param {string} path @param {number} status @param {Rec} body */
  constructor(method, path, status, body) {
    const code = body?.error?.code ?? "unknown_error";
    const hint = status === 401 ? " (check CUSTOMERP_TOKEN; the token itself is never printed)" : "";
    super(redact(`Customerp ${method} ${path} failed: ${status} ${code}: ${body?.error?.message ?? "no message"}${hint}`));
    this.name = "CustomerpError";
    this.status = status;
    this.code = code;
  }
}

export class CustomerpClient {
  /** @type {string} */
  #token;

  /**
   * @param {{ url: string, token: string, concurrency?: number, pageSize?: number, events?: import("../events.mjs").HostEvents, tenant?: string }
   *   & import("./retry.mjs").RetryOptions} o concurrency: requests in flight at once (default 8)
   */
  constructor(o) {
    if (!o.url) throw new Error("no Customerp URL: set CUSTOMERP_URL");
    // Credentials in the URL (`https://user:token@erp`) are taken out: fetch refuses them, and the URL is printed.
    try {
      const url = new URL(o.url);
      addSecret(decodeURIComponent(url.password));
      addSecret(decodeURIComponent(url.username));
    } catch {
      // not a URL: the first request says so
    }
    addSecret(o.token);
    this.baseUrl = withoutCredentials(o.url).replace(/\/+$/, "");
    this.#token = o.token;
    this.retry = { ...o, system: "Customerp", events: undefined };
    this.slots = new Semaphore(o.concurrency ?? 8);
    /** Records a change-feed page asks for (the contract allows 1–500). */
    this.pageSize = o.pageSize ?? 100;
    this.events = o.events ?? events;
    this.tenant = o.tenant ?? "";
    this.counters = { reads: 0, writes: 0, retries: 0 };
  }

  /**
   * One request, in one of the client's slots. Reads are retried after 429, 5xx and network errors. A
   * write inside a write scope (write-scope.mjs) is sent once: a 429, a 5xx or a lost answer throws
   * RetryLater, and the write path reads the record again before anything more is sent; a write without
   * an ETag to hold it to the version it was planned on is not sent later than CHECK_BOUND_MS after the
   * last answer about its pair.
   * @param {string} method @param {string} path
   * @param {{ body?: Rec, headers?: Record<string, string> }} [o]
   * @returns {Promise<{ status: number, body: any, etag: string | null }>}
   */
  async #call(method, path, o = {}) {
    const count = () => (method === "GET" ? this.counters.reads++ : this.counters.writes++);
    const q = path.indexOf("?");
    const url = requestUrl("Customerp", method, this.baseUrl, q < 0 ? path : path.slice(0, q), q < 0 ? "" : path.slice(q));
    /** @type {Record<string, string>} */
    const headers = { authorization: `Bearer ${this.#token}`, accept: "application/json", ...o.headers };
    if (o.body) headers["content-type"] = "application/json";
    const init = { method, headers, body: o.body && JSON.stringify(o.body) };
    const scope = currentScope();
    const guarded = method !== "GET" && scope !== undefined;
    const res = await this.slots.run(async () => {
      if (guarded) {
        const last = scope.heard.customerp;
        const gap = last === null ? 0 : performance.now() - last;
        if (!("if-match" in headers) && method !== "POST" && gap > CHECK_BOUND_MS) {
          throw new RetryLater("Customerp", { status: 0, reason: "stale", message: `Customerp ${method} ${path} not sent: ${Math.round(gap)} ms since its record was read, and no ETag holds it to that version` });
        }
        count();
        const started = performance.now();
        try {
          const r = await fetch(url, { ...init, signal: AbortSignal.timeout(this.retry.timeoutMs ?? 80_000) });
          this.#report(method, r.status, started);
          return r;
        } catch (e) {
          this.#report(method, 0, started);
          if (isRefusal(e)) throw new UnreachableError("Customerp", printableUrl(url), networkCause(e));
          throw new RetryLater("Customerp", { status: 0, reason: "network", maybeSent: true, message: `Customerp ${method} ${path}: ${networkCause(e)}` });
        }
      }
      count();
      let started = performance.now();
      const r = await fetchWithRetry(url, init, {
        ...this.retry,
        idempotent: method !== "POST" || "idempotency-key" in headers,
        beforeAttempt: async () => {
          started = performance.now();
        },
        onRetry: (info) => {
          this.#report(method, info.status ?? 0, started);
          count();
          this.counters.retries++;
          this.retry.onRetry?.(info);
        },
      }).catch((e) => {
        this.#report(method, 0, started);
        throw e;
      });
      this.#report(method, r.status, started);
      return r;
    });
    if (scope) scope.heard.customerp = performance.now();
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = { error: { code: "invalid_response", message: text.slice(0, 80) } };
    }
    if (!res.ok) {
      const error = Object.assign(new CustomerpError(method, path, res.status, body), { url: printableUrl(`${this.baseUrl}${path}`) });
      if (guarded && (res.status === 429 || res.status >= 500)) {
        throw new RetryLater("Customerp", { status: res.status, retryAfterMs: retryAfterMs(res.headers.get("retry-after")), reason: "answer", maybeSent: res.status >= 500, message: error.message, error });
      }
      throw error;
    }
    return { status: res.status, body, etag: res.headers.get("etag") };
  }

  /** @param {string} method @param {number} status @param {number} started */
  #report(method, status, started) {
    this.events.request({ system: "customerp", method, status, ms: performance.now() - started, tenant: this.tenant });
  }

  /**
   * Records of `type` changed after `cursor` (all when null), every page.
   * @param {string} type @param {string | null} cursor @param {number} [maxPages]
   * @returns {Promise<{ records: Rec[], cursor: string | null }>}
   */
  async changes(type, cursor, maxPages = 10_000) {
    /** @type {Rec[]} */
    const records = [];
    let last = cursor;
    for await (const page of this.changePages(type, cursor, maxPages)) {
      records.push(...page.records);
      last = page.cursor;
    }
    return { records, cursor: last ?? "0" };
  }

  /**
   * The change feed a page at a time, each page with the cursor after it.
   * @param {string} type @param {string | null} cursor @param {number} [maxPages]
   * @returns {AsyncGenerator<{ records: Rec[], cursor: string }>}
   */
  async *changePages(type, cursor, maxPages = 1_000_000) {
    let since = cursor ?? "0";
    for (let page = 0; page < maxPages; page++) {
      const { body } = await this.#call("GET", `/api/${type}?since=${encodeURIComponent(since)}&limit=${this.pageSize}`);
      since = body.cursor;
      yield { records: body.data, cursor: since };
      if (!body.has_more) return;
    }
    throw new Error(`Customerp ${type}: more than ${maxPages} pages`);
  }

  /** @param {string} type @param {string} id @returns {Promise<{ record: Rec, etag: string | null } | null>} */
  async get(type, id) {
    try {
      const { body, etag } = await this.#call("GET", `/api/${type}/${encodeURIComponent(id)}`);
      return { record: body, etag };
    } catch (e) {
      if (e instanceof CustomerpError && e.status === 404) return null;
      throw e;
    }
  }

  /** @param {string} type @param {string[]} ids @returns {Promise<Rec[]>} */
  async getMany(type, ids) {
    /** @type {Rec[]} */
    const out = [];
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100).map(encodeURIComponent).join(",");
      out.push(...(await this.#call("GET", `/api/${type}?ids=${chunk}`)).body.data);
    }
    return out;
  }

  /** @param {string} type @param {Rec} record @param {string} [idempotencyKey] @returns {Promise<Rec>} */
  async create(type, record, idempotencyKey) {
    const headers = idempotencyKey ? { "idempotency-key": idempotencyKey } : undefined;
    return (await this.#call("POST", `/api/${type}`, { body: record, headers })).body;
  }

  /** @param {string} type @param {string} id @param {Rec} changes @param {string | null} [etag] @returns {Promise<Rec>} */
  async update(type, id, changes, etag) {
    const headers = etag ? { "if-match": etag } : undefined;
    return (await this.#call("PATCH", `/api/${type}/${encodeURIComponent(id)}`, { body: changes, headers })).body;
  }

  /** @param {string} type @param {string} id @param {string | null} [etag] @returns {Promise<Rec>} */
  async remove(type, id, etag) {
    const headers = etag ? { "if-match": etag } : undefined;
    return (await this.#call("DELETE", `/api/${type}/${encodeURIComponent(id)}`, { headers })).body;
  }
}
