// Client of the Customerp REST contract (README.md): change feed with a cursor, get, create, update,
// delete, with bearer auth, ETag preconditions and bounded retries.
import { fetchWithRetry } from "./retry.mjs";
import { requestUrl } from "./paths.mjs";
import { addSecret, redact } from "../redact.mjs";
import { printableUrl } from "../errors.mjs";
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

  /** @param {{ url: string, token: string } & import("./retry.mjs").RetryOptions} o */
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
    this.retry = { ...o, system: "Customerp" };
    this.counters = { reads: 0, writes: 0, retries: 0 };
  }

  /**
   * @param {string} method @param {string} path
   * @param {{ body?: Rec, headers?: Record<string, string> }} [o]
   * @returns {Promise<{ status: number, body: any, etag: string | null }>}
   */
  async #call(method, path, o = {}) {
    const count = () => (method === "GET" ? this.counters.reads++ : this.counters.writes++);
    const q = path.indexOf("?");
    const url = requestUrl("Customerp", method, this.baseUrl, q < 0 ? path : path.slice(0, q), q < 0 ? "" : path.slice(q));
    count();
    /** @type {Record<string, string>} */
    const headers = { authorization: `Bearer ${this.#token}`, accept: "application/json", ...o.headers };
    if (o.body) headers["content-type"] = "application/json";
    const res = await fetchWithRetry(url, { method, headers, body: o.body && JSON.stringify(o.body) }, {
      ...this.retry,
      idempotent: method !== "POST" || "idempotency-key" in headers,
      onRetry: (info) => {
        count();
        this.counters.retries++;
        this.retry.onRetry?.(info);
      },
    });
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = { error: { code: "invalid_response", message: text.slice(0, 80) } };
    }
    if (!res.ok) throw Object.assign(new CustomerpError(method, path, res.status, body), { url: printableUrl(`${this.baseUrl}${path}`) });
    return { status: res.status, body, etag: res.headers.get("etag") };
  }

  /**
   * Records of `type` changed after `cursor` (all when null), every page.
   * @param {string} type @param {string | null} cursor @param {number} [maxPages]
   * @returns {Promise<{ records: Rec[], cursor: string | null }>}
   */
  async changes(type, cursor, maxPages = 10_000) {
    /** @type {Rec[]} */
    const records = [];
    let since = cursor ?? "0";
    for (let page = 0; page < maxPages; page++) {
      const { body } = await this.#call("GET", `/api/${type}?since=${encodeURIComponent(since)}&limit=100`);
      records.push(...body.data);
      since = body.cursor;
      if (!body.has_more) return { records, cursor: since };
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
