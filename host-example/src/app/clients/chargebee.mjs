// A small Chargebee API v2 client: Basic auth with the API key, form bodies from the plugin's
// encodeForm, the chargebee-idempotency-key header, list paging, and retries of 429/5xx.
import { encodeForm } from "customerp-chargebee";
import { fetchWithRetry } from "./retry.mjs";
import { requestUrl } from "./paths.mjs";
import { addSecret, redact, redactValue } from "../redact.mjs";
import { printableUrl } from "../errors.mjs";

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
   * @param {{ site: string, apiKey: string } & import("./retry.mjs").RetryOptions} o
   */
  constructor(o) {
    if (!o.apiKey) throw new Error("no Chargebee API key: set CHARGEBEE_API_KEY");
    this.baseUrl = chargebeeBaseUrl(o.site);
    addSecret(o.apiKey);
    this.#auth = "Basic " + Buffer.from(`${o.apiKey}:`).toString("base64");
    this.retry = { ...o, onRetry: undefined, system: "Chargebee" };
    this.onRetry = o.onRetry;
    /** Requests sent (each attempt counts), split into reads and writes, and retries after 429/5xx. */
    this.counters = { reads: 0, writes: 0, retries: 0, rateLimited: 0 };
  }

  /**
   * One request. GET params go in the query string, POST params in the form body.
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
    count();
    const res = await fetchWithRetry(url, { method, headers, body: method === "POST" ? form : undefined }, {
      ...this.retry,
      idempotent: method === "GET" || Boolean(o.idempotencyKey),
      onRetry: (info) => {
        count();
        this.counters.retries++;
        if (info.status === 429) this.counters.rateLimited++;
        this.onRetry?.(info);
      },
    });
    const text = await res.text();
    /** @type {Record<string, any>} */
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = { message: `not a JSON response (${text.slice(0, 80)})`, api_error_code: "invalid_response" };
    }
    if (!res.ok || body.api_error_code === "invalid_response") {
      throw Object.assign(new ChargebeeError(method, path, res.status, body), { url: printableUrl(`${this.baseUrl}${path}`) });
    }
    return { body, replayed: res.headers.get("chargebee-idempotency-replayed") === "true" };
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
    /** @type {string | undefined} */
    let offset;
    for (let page = 0; page < maxPages; page++) {
      const body = await this.get(path, { ...query, limit: 100, ...(offset ? { offset } : {}) });
      out.push(...body.list);
      offset = body.next_offset;
      if (!offset) return out;
    }
    throw new Error(`Chargebee ${path}: more than ${maxPages} pages`);
  }
}
