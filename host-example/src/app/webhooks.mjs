// Near-real-time sync: an HTTP receiver for Chargebee's webhooks and Customerp's change notifications.
//   POST /webhooks/chargebee  Basic auth (user name and password set in Chargebee's webhook settings),
//                             compared in constant time; the body is one event.
//   POST /webhooks/customerp  {type, id, change, cursor}, signed: Customerp-Signature = sha256=HMAC-SHA256(
//                             secret, `${Customerp-Timestamp}.${body}`), the timestamp within 5 minutes.
// Both answer 200 as soon as the request is checked (Chargebee gives up on a slow endpoint and retries),
// refuse bodies over BODY_LIMIT with 413, and drop an event id they have seen. The records an event
// names are queued; a burst is coalesced for `coalesceMs` and synced by id through `Sync.syncTouched`,
// flows in dependency order, with the plans, store and log of a polling run. Events may come twice or
// out of order (chargebee.com/docs/2.0/webhook_settings.html): the record is read again by id, so the
// newest state is what gets planned. A reconciling `Sync.run` every `reconcileMs` (default 10 minutes)
// catches whatever a lost notification missed. The plugin's own writes come back as events too; they
// are read, planned against their stored base and plan nothing.
import http from "node:http";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { close } from "../lib/http.mjs";
import { acquireLock } from "./lock.mjs";
import { addSecret } from "./redact.mjs";
import { UsageError } from "./errors.mjs";
import { events as hostEvents } from "./events.mjs";

/** @typedef {Record<string, any>} Json */
/** @typedef {Record<string, { customerp: Set<string>, chargebee: Set<string> }>} Queue */

export const BODY_LIMIT = 1024 * 1024; // 1 MiB: a Chargebee event carries one resource (an invoice with its lines at most)
export const TOLERANCE_SEC = 300; // a Customerp notification signed more than 5 minutes away from now is stale
export const RECONCILE_MS = 10 * 60_000;
const SEEN_IDS = 10_000; // event ids remembered for dedupe

/** The Chargebee resource reader of an event, and the record id it touches. @param {Json} event */
export function chargebeeRecordOf(event) {
  const c = event?.content ?? {};
  if (c.business_entity?.id) return { resource: "business_entity", id: String(c.business_entity.id) };
  if (c.item_price?.item_id) return { resource: "item", id: String(c.item_price.item_id) }; // a price brings its item
  if (c.item?.id) return { resource: "item", id: String(c.item.id) };
  if (c.order?.id) return { resource: "order", id: String(c.order.id) };
  if (c.customer?.id) return { resource: "customer", id: String(c.customer.id) };
  return null; // invoices, item families, …: nothing a flow syncs
}

/** Whether two strings are equal, in constant time: their SHA-256 digests are compared, so lengths may differ. @param {string} a @param {string} b */
function sameSecret(a, b) {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}

/**
 * Reads a body up to `limit` bytes; null when it is longer (the rest is drained, not kept).
 * @param {http.IncomingMessage} req @param {number} limit @returns {Promise<string | null>}
 */
function readLimited(req, limit) {
  return new Promise((resolve, reject) => {
    if (Number(req.headers["content-length"] ?? 0) > limit) {
      req.resume();
      return resolve(null);
    }
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on("end", () => resolve(size > limit ? null : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/**
 * @typedef {object} ReceiverOptions
 * @property {import("./loop.mjs").Sync} sync
 * @property {{ username: string, password: string }} [chargebee] Basic auth of Chargebee's webhooks; without it the route is off
 * @property {{ secret: string }} [customerp] the subscription's secret; without it the route is off
 * @property {number} [port] 0 = any free port on 127.0.0.1
 * @property {string} [host] default 127.0.0.1
 * @property {number} [coalesceMs] default 250
 * @property {number} [reconcileMs] default 10 minutes; 0 = no reconciling poll
 * @property {number} [bodyLimit] default BODY_LIMIT
 * @property {() => number} [now] clock in ms, for the timestamp check
 * @property {(line: string) => void} [out]
 * @property {(e: unknown) => void} [onFailed] a batch or a reconciling poll failed (after it is reported)
 * @property {(touched: Record<string, { customerp: string[], chargebee: string[] }>) => Promise<void>} [deliver] instead of syncing
 *   a batch here, hand it on (the workers' receiver queues it for a worker)
 * @property {import("./events.mjs").HostEvents} [events] where events are counted (default: the process's)
 */

export class WebhookReceiver {
  /** @param {ReceiverOptions} o */
  constructor(o) {
    this.sync = o.sync;
    this.o = o;
    this.coalesceMs = o.coalesceMs ?? 250;
    this.bodyLimit = o.bodyLimit ?? BODY_LIMIT;
    this.now = o.now ?? Date.now;
    this.out = o.out ?? (() => {});
    this.expectedAuth = o.chargebee ? "Basic " + Buffer.from(`${o.chargebee.username}:${o.chargebee.password}`).toString("base64") : null;
    /** @type {Queue} */
    this.queue = {};
    /** @type {NodeJS.Timeout | null} */
    this.timer = null;
    /** @type {Map<string, true>} */
    this.seen = new Map();
    /** @type {Promise<unknown>} one sync at a time: batches and reconciling polls */
    this.chain = Promise.resolve();
    this.pendingBatches = 0;
    /** @type {NodeJS.Timeout | null} */
    this.reconciler = null;
    this.stats = {
      received: { chargebee: 0, customerp: 0 }, duplicates: 0, ignored: 0,
      refused: { auth: 0, signature: 0, stale: 0, tooLarge: 0, bad: 0 },
      batches: 0, reconciles: 0, errors: 0, writes: 0,
    };
    this.events = o.events ?? hostEvents;
    /** Whether the last event given to #first was a duplicate (for the count of webhook events). */
    this.lastDuplicate = false;
    this.server = http.createServer((req, res) => void this.#handle(req, res, null));
  }

  /** Starts listening (and the reconciling poll). @returns {Promise<{ url: string, port: number }>} */
  async start() {
    const { port } = await new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.o.port ?? 0, this.o.host ?? "127.0.0.1", () => resolve(/** @type {any} */ (this.server.address())));
    });
    const every = this.o.reconcileMs ?? RECONCILE_MS;
    if (every > 0) {
      this.reconciler = setInterval(() => void this.poll().catch((e) => {
        this.stats.errors++;
        this.out(`  reconciling poll failed (${e instanceof Error ? e.message : String(e)}); the next one tries again`);
        this.o.onFailed?.(e);
      }), every);
      this.reconciler.unref();
    }
    this.url = `http://${this.o.host ?? "127.0.0.1"}:${port}`;
    return { url: this.url, port };
  }

  /** Records queued for the next batch. */
  queued() {
    return Object.values(this.queue).reduce((n, q) => n + q.customerp.size + q.chargebee.size, 0);
  }

  /** A full polling run, in turn with the batches. */
  poll() {
    return this.#exclusive(async () => {
      this.stats.reconciles++;
      return this.#counted(await this.sync.run());
    });
  }

  /** Resolves when nothing is queued and no sync runs. */
  async idle() {
    for (;;) {
      if (!this.timer && this.pendingBatches === 0) {
        await this.chain;
        if (!this.timer && this.pendingBatches === 0) return;
      } else await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.reconciler) clearInterval(this.reconciler);
    await close(this.server);
    await this.chain;
  }

  /**
   * Answers one request as this receiver's own server does, for a server in front of several receivers
   * (one per tenant) that routed it here. @param {http.IncomingMessage} req @param {http.ServerResponse} res @param {string} path
   */
  handle(req, res, path) {
    return this.#handle(req, res, path);
  }

  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res @param {string | null} routed the path, when another server routed it */
  async #handle(req, res, routed) {
    const count = (/** @type {import("./events.mjs").WebhookEvent["outcome"]} */ outcome) => {
      if (source) this.events.webhook({ source, outcome, tenant: this.sync.store.tenant });
    };
    const answer = (/** @type {number} */ status, /** @type {Json} */ body) => {
      const text = JSON.stringify(body);
      if (status === 401 && source === "chargebee") res.setHeader("www-authenticate", 'Basic realm="webhooks"');
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    };
    const path = routed ?? new URL(req.url ?? "/", "http://localhost").pathname;
    /** @type {"chargebee" | "customerp" | null} */
    const source = path === "/webhooks/chargebee" && this.expectedAuth ? "chargebee" : path === "/webhooks/customerp" && this.o.customerp ? "customerp" : null;
    if (!source) return void (req.resume(), answer(404, { error: "not_found" }));
    if (req.method !== "POST") return void (req.resume(), answer(405, { error: "method_not_allowed" }));
    try {
      if (source === "chargebee" && !sameSecret(String(req.headers.authorization ?? ""), /** @type {string} */ (this.expectedAuth))) {
        req.resume();
        this.stats.refused.auth++;
        count("refused");
        return answer(401, { error: "unauthorized" });
      }
      const body = await readLimited(req, this.bodyLimit);
      if (body === null) {
        this.stats.refused.tooLarge++;
        count("refused");
        res.setHeader("connection", "close");
        return answer(413, { error: "body_too_large", limit: this.bodyLimit });
      }
      if (source === "customerp") {
        const refusal = this.#checkSignature(req, body);
        if (refusal) {
          count("refused");
          return answer(refusal === "stale" ? 400 : 401, { error: refusal });
        }
      }
      let msg;
      try {
        msg = JSON.parse(body);
      } catch {
        msg = null;
      }
      const touched = msg && typeof msg === "object" ? (source === "chargebee" ? await this.#fromChargebee(msg) : this.#fromCustomerp(msg)) : undefined;
      if (touched === undefined) {
        this.stats.refused.bad++;
        count("refused");
        return answer(400, { error: "bad_request" });
      }
      this.stats.received[source]++;
      answer(200, { ok: true });
      count(touched ? "accepted" : this.lastDuplicate ? "duplicate" : "ignored");
      this.lastDuplicate = false;
      if (touched) this.#enqueue(touched);
    } catch {
      this.stats.errors++;
      count("error");
      if (!res.headersSent) answer(500, { error: "internal_error" });
    }
  }

  /** @param {http.IncomingMessage} req @param {string} body @returns {"stale" | "bad_signature" | null} */
  #checkSignature(req, body) {
    const ts = String(req.headers["customerp-timestamp"] ?? "");
    const sig = String(req.headers["customerp-signature"] ?? "");
    const secret = /** @type {{ secret: string }} */ (this.o.customerp).secret;
    const want = `sha256=${createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex")}`;
    if (!/^\d{1,12}$/.test(ts) || !sameSecret(sig, want)) {
      this.stats.refused.signature++;
      return "bad_signature";
    }
    if (Math.abs(this.now() / 1000 - Number(ts)) > TOLERANCE_SEC) {
      this.stats.refused.stale++;
      return "stale";
    }
    return null;
  }

  /** @param {string} id whether this is the first time */
  #first(id) {
    if (this.seen.has(id)) {
      this.stats.duplicates++;
      this.lastDuplicate = true;
      return false;
    }
    this.seen.set(id, true);
    if (this.seen.size > SEEN_IDS) this.seen.delete(/** @type {string} */ (this.seen.keys().next().value));
    return true;
  }

  /** The records a Chargebee event touches: {flow, side, id}[], null for none, undefined when not an event. @param {Json} event */
  async #fromChargebee(event) {
    if (typeof event.id !== "string" || typeof event.event_type !== "string" || typeof event.content !== "object") return undefined;
    if (!this.#first(`cb:${event.id}`)) return null;
    const rec = chargebeeRecordOf(event);
    if (!rec) return (this.stats.ignored++, null);
    if (rec.resource === "business_entity") {
      // business entities have no API: the event is the record (as in a polling run's reading of GET /events)
      const be = { ...event.content.business_entity };
      if (event.event_type === "business_entity_deleted") be.deleted = true;
      await this.sync.store.saveBusinessEntity(be);
    }
    const flows = this.sync.flows.filter((f) => f.chargebee === rec.resource).map((f) => f.id);
    const linked = (await this.sync.store.flowsLinkingChargebee(rec.id)).filter((fl) => flows.includes(/** @type {any} */ (fl)));
    return (linked.length ? linked : flows).map((flow) => ({ flow, side: /** @type {const} */ ("chargebee"), id: rec.id }));
  }

  /** @param {Json} n {type, id, change, cursor} */
  #fromCustomerp(n) {
    if (typeof n.type !== "string" || (typeof n.id !== "string" && typeof n.id !== "number")) return undefined;
    if (!this.#first(`cp:${n.type}:${n.id}:${n.cursor ?? ""}`)) return null;
    const flows = this.sync.flows.filter((f) => f.customerp === n.type);
    if (flows.length === 0) return (this.stats.ignored++, null);
    return flows.map((f) => ({ flow: f.id, side: /** @type {const} */ ("customerp"), id: String(n.id) }));
  }

  /** @param {{ flow: string, side: "customerp" | "chargebee", id: string }[]} touched */
  #enqueue(touched) {
    for (const t of touched) (this.queue[t.flow] ??= { customerp: new Set(), chargebee: new Set() })[t.side].add(t.id);
    if (!this.timer) this.timer = setTimeout(() => this.#flush(), this.coalesceMs);
  }

  #flush() {
    this.timer = null;
    const batch = this.queue;
    this.queue = {};
    const touched = Object.fromEntries(Object.entries(batch).map(([flow, s]) => [flow, { customerp: [...s.customerp], chargebee: [...s.chargebee] }]));
    if (Object.keys(touched).length === 0) return;
    this.pendingBatches++;
    if (this.o.deliver) {
      this.stats.batches++;
      const done = this.o.deliver(touched).catch((e) => {
        this.stats.errors++;
        this.out(`  webhooks: could not be queued (${e instanceof Error ? e.message : String(e)}); the next poll catches up`);
      }).finally(() => this.pendingBatches--);
      this.chain = this.chain.then(() => done);
      return;
    }
    void this.#exclusive(async () => {
      try {
        this.stats.batches++;
        const summary = this.#counted(await this.sync.syncTouched(touched));
        const n = Object.values(touched).reduce((k, t) => k + t.customerp.length + t.chargebee.length, 0);
        const w = summary.requests.customerp.writes + summary.requests.chargebee.writes;
        this.out(`  webhooks: ${n} record(s) in ${Object.keys(touched).join(", ")} → ${w} write(s)`);
      } catch (e) {
        // the records stay behind their cursors: the reconciling poll reads them again
        this.stats.errors++;
        this.out(`  webhooks: sync failed (${e instanceof Error ? e.message : String(e)}); the next poll catches up`);
        this.o.onFailed?.(e);
      } finally {
        this.pendingBatches--;
      }
    });
  }

  /** @template {{ requests: { customerp: { writes: number }, chargebee: { writes: number } } }} S @param {S} s @returns {S} */
  #counted(s) {
    this.stats.writes += s.requests.customerp.writes + s.requests.chargebee.writes;
    return s;
  }

  /** @template T @param {() => Promise<T>} fn @returns {Promise<T>} */
  #exclusive(fn) {
    // One sync at a time in this process, and none while another process (a CLI command) holds the store.
    const locked = async () => {
      const release = await acquireLock(this.sync.store, { waitSeconds: 60 });
      try {
        return await fn();
      } finally {
        await release();
      }
    };
    const next = this.chain.then(locked, locked);
    this.chain = next.catch(() => {});
    return next;
  }
}

/**
 * Subscribes `url` to a Customerp server's change notifications (POST /api/webhooks).
 * @param {{ customerpUrl: string, token: string, url: string, secret: string }} o
 */
export async function subscribeCustomerp(o) {
  const res = await fetch(`${o.customerpUrl.replace(/\/+$/, "")}/api/webhooks`, {
    method: "POST", headers: { authorization: `Bearer ${o.token}`, "content-type": "application/json" },
    body: JSON.stringify({ url: o.url, secret: o.secret }),
  });
  if (!res.ok) throw new Error(`Customerp POST /api/webhooks failed: ${res.status}`);
  return /** @type {{ id: string, url: string }} */ (await res.json());
}

/**
 * The receiver's secrets from the environment: CHARGEBEE_WEBHOOK_USER and CHARGEBEE_WEBHOOK_PASSWORD (as
 * set in Chargebee's webhook settings), CUSTOMERP_WEBHOOK_SECRET. Never printed.
 * @param {NodeJS.ProcessEnv} [env]
 */
export function webhookSecretsFromEnv(env = process.env) {
  const chargebee = env.CHARGEBEE_WEBHOOK_USER && env.CHARGEBEE_WEBHOOK_PASSWORD
    ? { username: env.CHARGEBEE_WEBHOOK_USER, password: env.CHARGEBEE_WEBHOOK_PASSWORD } : undefined;
  const customerp = env.CUSTOMERP_WEBHOOK_SECRET ? { secret: env.CUSTOMERP_WEBHOOK_SECRET } : undefined;
  addSecret(env.CHARGEBEE_WEBHOOK_PASSWORD);
  addSecret(env.CUSTOMERP_WEBHOOK_SECRET);
  if (!chargebee && !customerp) {
    throw new UsageError("--webhooks needs CHARGEBEE_WEBHOOK_USER and CHARGEBEE_WEBHOOK_PASSWORD, or CUSTOMERP_WEBHOOK_SECRET (or both)");
  }
  return { chargebee, customerp };
}
