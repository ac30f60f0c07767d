// A local HTTP server that speaks Chargebee's API v2 (Product Catalog 2.0) for what the host uses:
// Basic auth with the API key, form bodies with brackets, list envelopes with next_offset, Chargebee's
// error JSON, 429 + Retry-After over a configurable rate limit and (off by default) over a limit of
// requests in flight, a configurable delay per request, idempotency-key replay, an event for every write
// (events.mjs) and webhooks that deliver them (webhooks.mjs).
import http from "node:http";
import { close, listen, readBody } from "../../lib/http.mjs";
import { InFlight, RateLimiter, TrafficStats, delay, latency } from "../traffic.mjs";
import { chargebeeJson } from "./json.mjs";
import { eventForWrite, listEvents, recordEvent } from "./events.mjs";
import { SiteWebhooks } from "./webhooks.mjs";
import { OrderGeneration } from "./order-generation.mjs";
import { parseForm } from "./form.mjs";
import { Site } from "./site.mjs";
import * as catalog from "./catalog.mjs";
import * as billing from "./billing.mjs";
import {
  ApiError, authFailed, idempotencyMismatch, internalError, methodNotSupported, notFound, rateLimited,
  temporaryError, wrongValue,
} from "./errors.mjs";

/** @typedef {Record<string, any>} Json */
/** @typedef {(site: Site, ids: string[], params: any) => Json} Handler */

const BE_REFUSED =
  "Business entities cannot be created, read or changed through the API; they are managed in Chargebee's settings " +
  "and reach integrations through business_entity_* events (GET /events)";

/** @type {[string, RegExp, Handler][]} */
const ROUTES = [
  ["GET", /^\/customers$/, (s, _, q) => s.list("customer", q, { sortable: ["created_at", "updated_at"], includeDeleted: true })],
  ["POST", /^\/customers$/, (s, _, p) => s.createCustomer(p)],
  ["GET", /^\/customers\/([^/]+)$/, (s, [id]) => ({ customer: s.find("customer", id) })],
  ["POST", /^\/customers\/([^/]+)$/, (s, [id], p) => s.updateCustomer(id, p)],
  ["POST", /^\/customers\/([^/]+)\/update_billing_info$/, (s, [id], p) => s.updateBillingInfo(id, p)],
  ["POST", /^\/customers\/([^/]+)\/delete$/, (s, [id], p) => s.deleteCustomer(id, p)],
  // Product Catalog version and domain; clients call it first (chargebee-node api_endpoints.ts
  // `configuration: list GET /configurations`, types/resources/Configuration.d.ts)
  // `chargebee_response_schema_type` is one of plans_addons, items, compat (chargebee-node types/core.d.ts): a
  // Product Catalog 1.0 site answers in plans and addons.
  ["GET", /^\/configurations$/, (s) => ({ configurations: [{ domain: s.name, product_catalog_version: s.productCatalogVersion,
    chargebee_response_schema_type: s.productCatalogVersion === "v1" ? "plans_addons" : "items" }] })],
  // chargebee-node api_endpoints.ts `currency: list GET /currencies /list`, types/resources/Currency.d.ts
  ["GET", /^\/currencies\/list$/, (s, _, q) => s.listCurrencies(q)],
  ["GET", /^\/events$/, (s, _, q) => listEvents(s, q)],
  ["GET", /^\/events\/([^/]+)$/, (s, [id]) => ({ event: s.find("event", id) })],
  ["GET", /^\/item_families$/, (s, _, q) => s.list("item_family", q, { sortable: ["name", "id", "updated_at"] })],
  ["POST", /^\/item_families$/, (s, _, p) => catalog.createItemFamily(s, p)],
  ["GET", /^\/item_families\/([^/]+)$/, (s, [id]) => ({ item_family: s.find("item_family", id) })],
  ["GET", /^\/items$/, (s, _, q) => s.list("item", q, { sortable: ["name", "id", "updated_at"], hideDeletedStatus: true })],
  ["POST", /^\/items$/, (s, _, p) => catalog.createItem(s, p)],
  ["GET", /^\/items\/([^/]+)$/, (s, [id]) => ({ item: s.find("item", id) })],
  ["POST", /^\/items\/([^/]+)$/, (s, [id], p) => catalog.updateItem(s, id, p)],
  ["POST", /^\/items\/([^/]+)\/delete$/, (s, [id]) => catalog.deleteItem(s, id)],
  ["GET", /^\/item_prices$/, (s, _, q) => s.list("item_price", q, { sortable: ["name", "id", "updated_at"], hideDeletedStatus: true })],
  ["POST", /^\/item_prices$/, (s, _, p) => catalog.createItemPrice(s, p)],
  ["GET", /^\/item_prices\/([^/]+)$/, (s, [id]) => ({ item_price: s.find("item_price", id) })],
  ["POST", /^\/item_prices\/([^/]+)$/, (s, [id], p) => catalog.updateItemPrice(s, id, p)],
  ["POST", /^\/item_prices\/([^/]+)\/delete$/, (s, [id]) => catalog.deleteItemPrice(s, id)],
  ["POST", /^\/invoices\/create_for_charge_items_and_charges$/, (s, _, p) => billing.createInvoiceForChargeItems(s, p)],
  // sort_by: date, updated_at; include_deleted (chargebee-node src/schema/invoice.schema.ts ListInvoiceBodySchema)
  ["GET", /^\/invoices$/, (s, _, q) => s.list("invoice", q, { sortable: ["date", "updated_at"], defaultSort: "date", includeDeleted: true })],
  ["GET", /^\/invoices\/([^/]+)$/, (s, [id]) => ({ invoice: s.find("invoice", id) })],
  ["GET", /^\/orders$/, (s, _, q) => s.list("order", q, { sortable: ["created_at", "updated_at"], includeDeleted: true })],
  ["POST", /^\/orders$/, (s, _, p) => billing.createOrder(s, p)],
  ["GET", /^\/orders\/([^/]+)$/, (s, [id]) => ({ order: s.find("order", id) })],
  ["POST", /^\/orders\/([^/]+)$/, (s, [id], p) => billing.updateOrder(s, id, p)],
  ["POST", /^\/orders\/([^/]+)\/cancel$/, (s, [id], p) => billing.cancelOrder(s, id, p)],
  ["POST", /^\/orders\/([^/]+)\/reopen$/, (s, [id], p) => billing.reopenOrder(s, id, p)],
];

/** @param {string} method @param {string} path */
function route(method, path) {
  if (path.startsWith("/business_entities")) throw notFound(undefined, BE_REFUSED);
  const hits = ROUTES.map(([m, re, h]) => ({ m, h, match: re.exec(path) })).filter((r) => r.match);
  if (hits.length === 0) throw notFound();
  const hit = hits.find((r) => r.m === method);
  if (!hit) throw methodNotSupported(method);
  return { handler: hit.h, ids: /** @type {RegExpExecArray} */ (hit.match).slice(1).map(decodeURIComponent) };
}

/**
 * @typedef {object} EmulatorOptions
 * @property {string} apiKey the only API key the site accepts
 * @property {number} [port] 0 (default) = any free port on 127.0.0.1
 * @property {() => number} [now] the site's clock in ms
 * @property {string} [baseCurrency] default "USD"
 * @property {import("../traffic.mjs").RateLimitOptions} [rateLimit] default 1000 a minute in a fixed window
 *   (Chargebee's Performance plan; test sites and the Starter plan allow 150, Enterprise 3,500); `sliding: true`
 *   counts the requests of the last windowMs, as Chargebee documents
 * @property {import("../traffic.mjs").LatencyOptions} [latency] each answer comes fixedMs plus a uniform random
 *   share of jitterMs after its request (a timer: requests in flight overlap); none by default
 * @property {import("../traffic.mjs").ConcurrencyOptions | number} [concurrency] requests in flight at once, in all
 *   and per method; one more is answered 429 at once, as Chargebee does (its test sites: 100, of which 50 GETs
 *   and 50 POSTs; live sites: 150, of which 50 GETs and 100 POSTs). Off by default
 * @property {(site: Site) => void} [seed] fills the site before it serves
 * @property {string} [name] the site's name (`domain` of GET /configurations), default "emulated-test"
 * @property {Record<string, number>} [exchangeRates] value of a unit of each currency (site.mjs)
 * @property {Partial<Record<"customer" | "item" | "item_price", string[]>>} [customFields] the site's custom fields per resource
 * @property {import("../webhook-outbox.mjs").OutboxOptions} [webhooks] retry delays and timeout of webhook delivery
 * @property {{ delayMs?: number, unpaidStatuses?: string[] }} [orders] the site generates orders for paid invoices
 *   with shippable items (order-generation.mjs); off by default
 * @property {"v1" | "v2"} [productCatalogVersion] what GET /configurations says, default "v2"
 * @property {import("./site.mjs").SiteCurrencies} [currencies] multi-currency and the currencies enabled (default: on, every
 *   currency of the exchange-rate table)
 */

/** @param {EmulatorOptions} opts */
export async function startChargebeeEmulator(opts) {
  const site = new Site({ now: opts.now, baseCurrency: opts.baseCurrency, name: opts.name, exchangeRates: opts.exchangeRates, customFields: opts.customFields,
    productCatalogVersion: opts.productCatalogVersion, currencies: opts.currencies });
  const webhooks = new SiteWebhooks(site, opts.webhooks);
  const orders = new OrderGeneration(site);
  orders.configure(opts.orders ?? null);
  opts.seed?.(site);
  const now = site.now;
  const rate = new RateLimiter(opts.rateLimit ?? { limit: 1000, windowMs: 60_000 });
  let nextDelay = latency(opts.latency);
  const inFlight = new InFlight(opts.concurrency);
  const stats = new TrafficStats();
  /** @type {number[]} statuses to fail the next requests with */
  const faults = [];
  /** @type {Map<string, { fingerprint: string, status: number, body: Json, expires: number }>} */
  const idempotency = new Map();
  /** @type {{ method: string, path: string, status: number, replayed: boolean }[]} */
  const requests = [];
  const expectedAuth = "Basic " + Buffer.from(`${opts.apiKey}:`).toString("base64");

  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
  async function handle(req, res) {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname.replace(/^\/api\/v2(?=\/)/, "");
    /** @type {Record<string, string>} */
    const headers = {};
    let status = 200;
    /** @type {Json} */
    let body;
    let replayed = false;
    const method = req.method ?? "GET";
    const arrived = Date.now();
    const wait = nextDelay();
    /** @type {"rate" | "concurrency" | null} */
    let refused = null;
    let entered = false;
    try {
      if (path === url.pathname) throw notFound();
      // over the limit of requests in flight: refused at once, without taking from the rate; over the rate:
      // refused, and not in flight meanwhile
      if (!inFlight.enter(method)) {
        refused = "concurrency";
        headers["retry-after"] = "1";
      } else {
        const retryAfter = rate.take(now());
        if (retryAfter) {
          inFlight.leave(method);
          refused = "rate";
          headers["retry-after"] = String(retryAfter);
        } else {
          entered = true;
          stats.inFlight(inFlight.now.all);
        }
      }
      // the round trip: an answer, a 429 too, comes after the delay; other requests go on meanwhile
      if (wait > 0) await delay(wait);
      if (refused) throw rateLimited();
      const fault = faults.shift();
      if (fault) throw fault >= 500 ? temporaryError(fault) : new ApiError(fault, "injected", "injected fault");
      if (req.headers.authorization !== expectedAuth) throw authFailed();
      const { handler, ids } = route(req.method ?? "GET", path);
      if (req.method !== "POST") {
        body = handler(site, ids, url.searchParams);
      } else {
        const raw = await readBody(req);
        const { params, badKey } = parseForm(raw);
        if (badKey) throw wrongValue(badKey, "malformed parameter name");
        const key = /** @type {string | undefined} */ (req.headers["chargebee-idempotency-key"]);
        if (key !== undefined && key.length > 100) throw wrongValue("chargebee-idempotency-key", "cannot be more than 100 characters");
        const fingerprint = `${path}\n${raw}`;
        const seen = key ? idempotency.get(key) : undefined;
        if (seen && seen.expires > now()) {
          if (seen.fingerprint !== fingerprint) throw idempotencyMismatch();
          replayed = true;
          headers["chargebee-idempotency-replayed"] = "true";
          status = seen.status;
          body = seen.body;
        } else {
          body = handler(site, ids, params);
          if (key) idempotency.set(key, { fingerprint, status, body: structuredClone(body), expires: now() + 30 * 60_000 });
          const event = eventForWrite(path, body);
          if (event) {
            const webhooksOn = String(req.headers["chargebee-event-webhook"] ?? "").toLowerCase() !== "all-disabled";
            recordEvent(site, event.type, event.content, { source: "api", webhooks: webhooksOn });
            if (event.type === "invoice_generated") orders.invoiceGenerated(body.invoice);
          }
        }
      }
    } catch (e) {
      const err = e instanceof ApiError ? e : internalError();
      if (!(e instanceof ApiError)) console.error("chargebee emulator:", e);
      status = err.status;
      body = err.body();
    }
    if (entered) inFlight.leave(method);
    requests.push({ method, path, status, replayed });
    stats.record(method, status, refused, arrived);
    const text = chargebeeJson(body);
    res.writeHead(status, { "content-type": "application/json;charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  const server = http.createServer((req, res) => void handle(req, res));
  const { origin, port } = await listen(server, opts.port ?? 0);
  return {
    site,
    port,
    /** Base URL for the host, e.g. http://127.0.0.1:PORT */
    url: origin,
    requests,
    /** @param {import("../traffic.mjs").RateLimitOptions} limit */
    setRateLimit(limit) {
      rate.set(limit);
    },
    /** @param {import("../traffic.mjs").LatencyOptions | null} o */
    setLatency(o) {
      nextDelay = latency(o);
    },
    /** @param {import("../traffic.mjs").ConcurrencyOptions | number | null} o */
    setConcurrency(o) {
      inFlight.set(o);
    },
    /**
     * What the site answered since it started or `resetStats()`: requests, reads and writes let in, answers per
     * status, 429s for the rate (`rateLimited`) and for requests in flight (`concurrencyLimited`), the most in
     * flight at once, the first and last write (ms), the peak a minute and a second.
     */
    get stats() {
      return stats.snapshot();
    },
    resetStats() {
      stats.reset();
    },
    /** Forgets every idempotency key, as Chargebee does after its 30-minute window. */
    expireIdempotencyKeys() {
      idempotency.clear();
    },
    /** The next requests fail with these statuses (e.g. 503), one each. @param {...number} statuses */
    failNext(...statuses) {
      faults.push(...statuses);
    },
    /** The site's webhooks: addEndpoint (the settings), setDisorder (test switch), idle, outbox stats. */
    webhooks,
    /** Orders the site makes itself: configure({delayMs, unpaidStatuses}) or configure(null), idle. */
    orders,
    async close() {
      orders.close();
      webhooks.close();
      await close(server);
    },
  };
}

/** @typedef {Awaited<ReturnType<typeof startChargebeeEmulator>>} ChargebeeEmulator */
