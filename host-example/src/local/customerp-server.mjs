// A Customerp (custom ERP) REST server: the contract a Customerp connector serves (see README.md).
// Records live in memory; every change gets a new sequence number, which is both the change cursor
// and the record's ETag. Webhook subscriptions (`POST /api/webhooks`) get every change POSTed to them,
// signed with their secret (see `signature`), and retried until they answer 2xx.
import http from "node:http";
import { createHmac, randomUUID } from "node:crypto";
import { close, listen, readBody, sendJson } from "../lib/http.mjs";
import { Outbox } from "./webhook-outbox.mjs";
import { InFlight, TrafficStats, delay, latency } from "./traffic.mjs";

export const RECORD_TYPES = ["customers", "contacts", "employees", "products", "quotes", "orders"];

/**
 * RFC 3339 with the zone's offset, e.g. 2026-03-01T10:15:00+01:00.
 * @param {number} ms @param {string} timeZone
 */
export function formatInstant(ms, timeZone) {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const local = new Intl.DateTimeFormat("sv-SE", {
    timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    hourCycle: "h23",
  }).format(d);
  const zone = new Intl.DateTimeFormat("en", { timeZone, timeZoneName: "longOffset" })
    .formatToParts(d).find((p) => p.type === "timeZoneName")?.value ?? "GMT";
  const offset = zone === "GMT" ? "+00:00" : zone.slice(3);
  return `${local.replace(" ", "T")}${offset}`;
}

/** @typedef {Record<string, any>} Rec */

/** Headers of a change notification: the Unix-seconds timestamp and the HMAC-SHA256 over it and the body. */
export const TIMESTAMP_HEADER = "customerp-timestamp";
export const SIGNATURE_HEADER = "customerp-signature";
/** Retries of a failed notification: 1 s, 5 s, 30 s, 2 min, 10 min, 1 h. */
const NOTIFY_RETRY_DELAYS_MS = [1, 5, 30, 120, 600, 3600].map((s) => s * 1000);

/**
 * `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`), as the Customerp-Signature header holds it.
 * @param {string} secret @param {string} timestamp @param {string} body
 */
export function signature(secret, timestamp, body) {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

class HttpError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * The ERP's data: one table per record type (id → row), and each table's rows in change order, so that a
 * page of the change feed costs O(log n + page): a binary search for the cursor, then a walk. A record
 * changed again is appended with its new sequence number; the row it replaces stays in the change order
 * as a stale slot (skipped by the walk) until the stale slots outnumber the live ones and are swept out.
 */
export class CustomerpDb {
  /** @param {{ now?: () => number, timeZone?: string }} [o] */
  constructor(o = {}) {
    this.now = o.now ?? Date.now;
    this.timeZone = o.timeZone ?? "Europe/Oslo";
    this.seq = 0;
    /** @type {Map<string, Map<string, { seq: number, record: Rec }>>} */
    this.tables = new Map(RECORD_TYPES.map((t) => [t, new Map()]));
    /** @type {Map<string, number>} */
    this.lastId = new Map(RECORD_TYPES.map((t) => [t, 0]));
    /** each table's rows by ascending seq, with stale slots @type {Map<string, { seq: number, record: Rec }[]>} */
    this.changeOrder = new Map(RECORD_TYPES.map((t) => [t, []]));
    /** @type {Map<string, number>} stale slots per table */
    this.stale = new Map(RECORD_TYPES.map((t) => [t, 0]));
    /** @type {((type: string, row: { seq: number, record: Rec }, change: "created" | "updated" | "deleted") => void) | undefined} */
    this.onChange = undefined;
  }

  /** @param {string} type */
  table(type) {
    const t = this.tables.get(type);
    if (!t) throw new HttpError(404, "not_found", `unknown record type ${type}; types: ${RECORD_TYPES.join(", ")}`);
    return t;
  }

  stampNow() {
    return formatInstant(this.now(), this.timeZone);
  }

  /** Stores a record as given (seed data keeps its id, created and updated). @param {string} type @param {Rec} rec */
  put(type, rec) {
    const id = String(rec.id);
    if (/^\d+$/.test(id)) this.lastId.set(type, Math.max(this.lastId.get(type) ?? 0, Number(id)));
    const row = { seq: ++this.seq, record: { ...rec, id } };
    const table = this.table(type);
    const replaced = table.has(id);
    table.set(id, row);
    const order = /** @type {{ seq: number, record: Rec }[]} */ (this.changeOrder.get(type));
    order.push(row);
    if (replaced) {
      const stale = (this.stale.get(type) ?? 0) + 1;
      this.stale.set(type, stale);
      if (stale > 1024 && stale > table.size) this.#sweep(type);
    }
    return row;
  }

  /** Drops the stale slots of a table's change order. @param {string} type */
  #sweep(type) {
    const table = this.table(type);
    const order = /** @type {{ seq: number, record: Rec }[]} */ (this.changeOrder.get(type));
    this.changeOrder.set(type, order.filter((r) => table.get(r.record.id) === r));
    this.stale.set(type, 0);
  }

  /** @param {string} type @param {string} id */
  get(type, id) {
    const row = this.table(type).get(id);
    if (!row) throw new HttpError(404, "not_found", `${type} ${id} does not exist`);
    return row;
  }

  /** @param {string} type @param {Rec} body */
  create(type, body) {
    const id = String((this.lastId.get(type) ?? 0) + 1);
    const at = this.stampNow();
    const { id: _i, created: _c, updated: _u, ...fields } = body;
    return this.#changed(type, this.put(type, { id, ...fields, deleted: fields.deleted ?? false, created: at, updated: at }), "created");
  }

  /** @param {string} type @param {{ seq: number, record: Rec }} row @param {"created" | "updated" | "deleted"} change */
  #changed(type, row, change) {
    this.onChange?.(type, row, change);
    return row;
  }

  /** @param {string} type @param {string} id @param {Rec} changes @param {string | undefined} ifMatch */
  update(type, id, changes, ifMatch) {
    const row = this.get(type, id);
    checkMatch(row, ifMatch);
    const { id: _i, created: _c, updated: _u, ...fields } = changes;
    return this.#changed(type, this.put(type, { ...row.record, ...fields, updated: this.stampNow() }), "updated");
  }

  /** Soft delete: the record stays as a tombstone. @param {string} type @param {string} id @param {string | undefined} ifMatch */
  remove(type, id, ifMatch) {
    const row = this.get(type, id);
    checkMatch(row, ifMatch);
    return this.#changed(type, this.put(type, { ...row.record, deleted: true, updated: this.stampNow() }), "deleted");
  }

  /** Records changed after `since`, in change order. @param {string} type @param {number} since @param {number} limit */
  changes(type, since, limit) {
    const table = this.table(type);
    const order = /** @type {{ seq: number, record: Rec }[]} */ (this.changeOrder.get(type));
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (order[mid].seq > since) hi = mid;
      else lo = mid + 1;
    }
    /** @type {{ seq: number, record: Rec }[]} */
    const page = [];
    let more = false;
    for (let i = lo; i < order.length; i++) {
      const row = order[i];
      if (table.get(row.record.id) !== row) continue; // changed again later: its newer slot comes further on
      if (page.length === limit) {
        more = true;
        break;
      }
      page.push(row);
    }
    return {
      data: page.map((r) => r.record),
      cursor: String(page.length ? page[page.length - 1].seq : since),
      has_more: more,
    };
  }
}

/** @param {{ seq: number }} row @param {string | undefined} ifMatch */
function checkMatch(row, ifMatch) {
  if (ifMatch !== undefined && ifMatch !== `"${row.seq}"`) {
    throw new HttpError(412, "precondition_failed", "the record changed since it was read (ETag mismatch)");
  }
}

/**
 * @param {{ token: string, port?: number, now?: () => number, timeZone?: string, seed?: (db: CustomerpDb) => void,
 *   webhooks?: import("./webhook-outbox.mjs").OutboxOptions, latency?: import("./traffic.mjs").LatencyOptions }} opts
 *   `latency`: each answer comes fixedMs plus a uniform random share of jitterMs after its request (a timer:
 *   requests in flight overlap); none by default
 */
export async function startCustomerpServer(opts) {
  const db = new CustomerpDb(opts);
  opts.seed?.(db);
  /** @type {Map<string, { id: string, url: string, secret: string }>} */
  const subscriptions = new Map();
  const outbox = new Outbox({ retryDelaysMs: NOTIFY_RETRY_DELAYS_MS, ...opts.webhooks });
  db.onChange = (type, row, change) => {
    const body = JSON.stringify({ type, id: row.record.id, change, cursor: String(row.seq) });
    for (const sub of subscriptions.values()) {
      outbox.push({
        url: sub.url, body,
        headers: () => {
          const ts = String(Math.floor(db.now() / 1000));
          return { [TIMESTAMP_HEADER]: ts, [SIGNATURE_HEADER]: signature(sub.secret, ts, body) };
        },
      });
    }
  };
  /** @type {Map<string, { fingerprint: string, status: number, body: Rec, etag: string }>} */
  const idempotency = new Map();
  /** @type {{ method: string, path: string, status: number }[]} */
  const requests = [];
  let nextDelay = latency(opts.latency);
  const inFlight = new InFlight(null);
  const stats = new TrafficStats();
  /** @param {string} method @param {string} path @param {number} status @param {number} arrived */
  const answered = (method, path, status, arrived) => {
    inFlight.leave(method);
    requests.push({ method, path, status });
    stats.record(method, status, null, arrived);
  };

  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
  async function handle(req, res) {
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = req.method ?? "GET";
    let status = 200;
    /** @type {any} */
    let body;
    /** @type {Record<string, string>} */
    const headers = {};
    const withRow = (/** @type {{ seq: number, record: Rec }} */ row) => {
      headers.etag = `"${row.seq}"`;
      return row.record;
    };
    const arrived = Date.now();
    inFlight.enter(method);
    stats.inFlight(inFlight.now.all);
    const wait = nextDelay();
    if (wait > 0) await delay(wait);
    try {
      if (req.headers.authorization !== `Bearer ${opts.token}`) throw new HttpError(401, "unauthorized", "missing or wrong bearer token");
      const hook = /^\/api\/webhooks(?:\/([^/]+))?$/.exec(url.pathname);
      if (hook) {
        ({ status, body } = await webhookRoute(method, hook[1], () => readBody(req)));
        answered(method, url.pathname, status, arrived);
        return void sendJson(res, status, body, headers);
      }
      const m = /^\/api\/([a-z_]+)(?:\/([^/]+))?$/.exec(url.pathname);
      if (!m) throw new HttpError(404, "not_found", `no route ${url.pathname}`);
      const [, type, rawId] = m;
      const id = rawId === undefined ? undefined : decodeURIComponent(rawId);
      db.table(type);
      const ifMatch = /** @type {string | undefined} */ (req.headers["if-match"]);
      const readJson = async () => {
        const text = await readBody(req);
        let v;
        try {
          v = JSON.parse(text);
        } catch {
          throw new HttpError(400, "invalid_request", "the body is not JSON");
        }
        if (typeof v !== "object" || v === null || Array.isArray(v)) throw new HttpError(400, "invalid_request", "the body must be a JSON object");
        return { v, text };
      };
      if (method === "GET" && id === undefined) {
        const ids = url.searchParams.get("ids");
        if (ids !== null) {
          const t = db.table(type);
          body = { data: ids.split(",").filter(Boolean).map((i) => t.get(i)?.record).filter(Boolean) };
        } else {
          const since = Number(url.searchParams.get("since") ?? "0");
          const limit = Number(url.searchParams.get("limit") ?? "100");
          if (!Number.isInteger(since) || since < 0) throw new HttpError(400, "invalid_request", "since must be a cursor this server returned");
          if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new HttpError(400, "invalid_request", "limit must be 1..500");
          body = db.changes(type, since, limit);
        }
      } else if (method === "GET") {
        body = withRow(db.get(type, /** @type {string} */ (id)));
      } else if (method === "POST" && id === undefined) {
        const { v, text } = await readJson();
        const key = /** @type {string | undefined} */ (req.headers["idempotency-key"]);
        const seen = key ? idempotency.get(`${type}\n${key}`) : undefined;
        if (seen) {
          if (seen.fingerprint !== text) throw new HttpError(422, "idempotency_conflict", "the Idempotency-Key was used with another body");
          headers["idempotent-replayed"] = "true";
          headers.etag = seen.etag;
          status = seen.status;
          body = seen.body;
        } else {
          status = 201;
          body = withRow(db.create(type, v));
          if (key) idempotency.set(`${type}\n${key}`, { fingerprint: text, status, body, etag: headers.etag });
        }
      } else if (method === "PATCH" && id !== undefined) {
        body = withRow(db.update(type, id, (await readJson()).v, ifMatch));
      } else if (method === "DELETE" && id !== undefined) {
        body = withRow(db.remove(type, id, ifMatch));
      } else {
        throw new HttpError(405, "method_not_allowed", `${method} is not supported on ${url.pathname}`);
      }
    } catch (e) {
      const err = e instanceof HttpError ? e : new HttpError(500, "internal_error", "internal error");
      if (!(e instanceof HttpError)) console.error("customerp server:", e);
      status = err.status;
      body = { error: { code: err.code, message: err.message } };
    }
    answered(method, url.pathname, status, arrived);
    sendJson(res, status, body, headers);
  }

  /**
   * Subscriptions: POST {url, secret} (201, the secret is not echoed), GET the list, DELETE one.
   * @param {string} method @param {string | undefined} id @param {() => Promise<string>} read
   * @returns {Promise<{ status: number, body: any }>}
   */
  async function webhookRoute(method, id, read) {
    if (method === "POST" && id === undefined) {
      let v;
      try {
        v = JSON.parse(await read());
      } catch {
        throw new HttpError(400, "invalid_request", "the body is not JSON");
      }
      if (typeof v?.url !== "string" || !/^https?:\/\//.test(v.url)) throw new HttpError(400, "invalid_request", "url must be an http(s) URL");
      if (typeof v.secret !== "string" || v.secret.length < 16) throw new HttpError(400, "invalid_request", "secret must be a string of at least 16 characters");
      const sub = { id: randomUUID(), url: v.url, secret: v.secret };
      subscriptions.set(sub.id, sub);
      return { status: 201, body: { id: sub.id, url: sub.url } };
    }
    if (method === "GET" && id === undefined) return { status: 200, body: { data: [...subscriptions.values()].map((s) => ({ id: s.id, url: s.url })) } };
    if (method === "DELETE" && id !== undefined) {
      if (!subscriptions.delete(id)) throw new HttpError(404, "not_found", `webhook ${id} does not exist`);
      return { status: 200, body: { id, deleted: true } };
    }
    throw new HttpError(405, "method_not_allowed", `${method} is not supported on webhooks`);
  }

  const server = http.createServer((req, res) => void handle(req, res));
  const { origin, port } = await listen(server, opts.port ?? 0);
  return {
    db, port, url: origin, requests,
    /** What the server answered since it started or `resetStats()` (traffic.mjs: requests, reads, writes, statuses, most in flight). */
    get stats() {
      return stats.snapshot();
    },
    resetStats() {
      stats.reset();
    },
    /** @param {import("./traffic.mjs").LatencyOptions | null} o */
    setLatency(o) {
      nextDelay = latency(o);
    },
    /** Outgoing change notifications: `idle()` waits for them, `stats` counts attempts. */
    notifications: outbox,
    async close() {
      outbox.close();
      await close(server);
    },
  };
}

/** @typedef {Awaited<ReturnType<typeof startCustomerpServer>>} CustomerpServer */
