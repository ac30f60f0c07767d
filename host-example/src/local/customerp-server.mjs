// A Customerp (custom ERP) REST server: the contract a Customerp connector serves (see README.md).
// Records live in memory; every change gets a new sequence number, which is both the change cursor
// and the record's ETag.
import http from "node:http";
import { close, listen, readBody, sendJson } from "../lib/http.mjs";

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

class HttpError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The ERP's data: one table per record type. */
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
    this.table(type).set(id, row);
    return row;
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
    return this.put(type, { id, ...fields, deleted: fields.deleted ?? false, created: at, updated: at });
  }

  /** @param {string} type @param {string} id @param {Rec} changes @param {string | undefined} ifMatch */
  update(type, id, changes, ifMatch) {
    const row = this.get(type, id);
    checkMatch(row, ifMatch);
    const { id: _i, created: _c, updated: _u, ...fields } = changes;
    return this.put(type, { ...row.record, ...fields, updated: this.stampNow() });
  }

  /** Soft delete: the record stays as a tombstone. @param {string} type @param {string} id @param {string | undefined} ifMatch */
  remove(type, id, ifMatch) {
    const row = this.get(type, id);
    checkMatch(row, ifMatch);
    return this.put(type, { ...row.record, deleted: true, updated: this.stampNow() });
  }

  /** Records changed after `since`, in change order. @param {string} type @param {number} since @param {number} limit */
  changes(type, since, limit) {
    const rows = [...this.table(type).values()].filter((r) => r.seq > since).sort((a, b) => a.seq - b.seq);
    const page = rows.slice(0, limit);
    return {
      data: page.map((r) => r.record),
      cursor: String(page.length ? page[page.length - 1].seq : since),
      has_more: rows.length > limit,
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
 * @param {{ token: string, port?: number, now?: () => number, timeZone?: string, seed?: (db: CustomerpDb) => void }} opts
 */
export async function startCustomerpServer(opts) {
  const db = new CustomerpDb(opts);
  opts.seed?.(db);
  /** @type {Map<string, { fingerprint: string, status: number, body: Rec, etag: string }>} */
  const idempotency = new Map();
  /** @type {{ method: string, path: string, status: number }[]} */
  const requests = [];

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
    try {
      if (req.headers.authorization !== `Bearer ${opts.token}`) throw new HttpError(401, "unauthorized", "missing or wrong bearer token");
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
    requests.push({ method, path: url.pathname, status });
    sendJson(res, status, body, headers);
  }

  const server = http.createServer((req, res) => void handle(req, res));
  const { origin, port } = await listen(server, opts.port ?? 0);
  return { db, port, url: origin, requests, close: () => close(server) };
}

/** @typedef {Awaited<ReturnType<typeof startCustomerpServer>>} CustomerpServer */
