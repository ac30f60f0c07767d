// The Customerp REST contract (docs/customerp-rest.md) as checks against any connector: pure functions over
// fetch, no store and no sync. Each check has an id, the rule it enforces (a sentence and its section of the
// contract), a status (pass, fail, skip) and, on a failure, the request sent and what came back, with every
// registered secret redacted. Read-only by default; `write` adds a create, a replay, an edit, a stale edit and a
// delete of one record of one type, and cleans up what can be cleaned up (a soft delete leaves a tombstone).
import { isDeepStrictEqual } from "node:util";
import { randomBytes } from "node:crypto";
import { addSecret, redact, redactValue } from "./redact.mjs";
import { EXIT, UnreachableError, networkCause, printableUrl } from "./errors.mjs";

export const RECORD_TYPES = /** @type {const} */ (["customers", "contacts", "employees", "products", "quotes", "orders"]);
/** @typedef {typeof RECORD_TYPES[number]} RecordType */

/** The contract, by section: each check's rule links to one of them. */
export const CONTRACT = "docs/customerp-rest.md";

/**
 * The rules the checks enforce: a sentence and the anchor of its section in docs/customerp-rest.md.
 * @type {Record<string, { section: string, text: string }>}
 */
export const RULES = {
  auth: { section: "base-url-and-authentication", text: "a request without a token, or with a wrong one, is refused with 401 and the error shape" },
  paging: { section: "the-change-feed", text: "following the cursors page by page yields the records of one big page: none skipped, none repeated, same order" },
  cursor: { section: "the-change-feed", text: "reading again from the same cursor gives the same page" },
  limit: { section: "the-change-feed", text: "a limit outside 1..500 is refused with 400 and the error shape" },
  byId: { section: "one-representation", text: "GET by id answers with an ETag and the same representation of the record as the change feed" },
  ids: { section: "reading-by-ids", text: "ids= answers the same records as GET by id, unknown ids left out" },
  notFound: { section: "reading-one-record", text: "an id that never existed is 404 with the error shape" },
  create: { section: "creating", text: "a create answers the record with its id, created and updated, and an ETag; GET by id answers the same" },
  replay: { section: "creating", text: "the same Idempotency-Key and body again answers the first record (Idempotent-Replayed: true) and creates nothing" },
  conflict: { section: "creating", text: "the same Idempotency-Key with another body is refused with 422 and the error shape" },
  patch: { section: "updating", text: "PATCH with the current ETag applies, answers the record with a new ETag, and the change shows in the feed after the old cursor" },
  stalePatch: { section: "etags-and-if-match", text: "PATCH with a stale If-Match is refused with 412 and the error shape, and changes nothing" },
  staleDelete: { section: "etags-and-if-match", text: "DELETE with a stale If-Match is refused with 412 and the error shape, and deletes nothing" },
  delete: { section: "deleting", text: "DELETE is soft: it answers the record with deleted: true and an ETag, and the feed shows the tombstone" },
  readDeleted: { section: "deleting", text: "a deleted record is still read by id: 200, deleted: true, with an ETag" },
};

/** @typedef {{ method: string, url: string, headers: Record<string, string>, body?: unknown }} SentRequest */
/** @typedef {{ status: number, headers: Record<string, string>, body: unknown }} Answer */
/** @typedef {{ request: SentRequest, response: Answer }} Exchange */
/**
 * @typedef {object} CheckResult
 * @property {string} id
 * @property {"pass" | "fail" | "skip"} status
 * @property {{ text: string, doc: string }} rule
 * @property {string} message what was found (for a pass: what was verified)
 * @property {Exchange} [exchange] on a failure: the request that shows it and its answer
 */
/**
 * @typedef {object} CheckReport
 * @property {string} url the connector's base URL, without credentials
 * @property {"read-only" | "write"} mode
 * @property {RecordType[]} types
 * @property {RecordType | null} writeType
 * @property {CheckResult[]} checks
 * @property {{ passed: number, failed: number, skipped: number, failedIds: string[] }} summary
 * @property {{ id: string, outcome: string }[]} cleanup records the write checks made, and what became of them
 */

class CheckFailure extends Error {
  /** @param {string} message @param {Exchange} [exchange] */
  constructor(message, exchange) {
    super(message);
    this.exchange = exchange;
  }
}

class CheckSkipped extends Error {}

class NoAnswer extends Error {
  /** @param {string} message @param {SentRequest} request */
  constructor(message, request) {
    super(message);
    this.request = request;
  }
}

/** @param {boolean} ok @param {string} message @param {Exchange} [exchange] @returns {asserts ok} */
function expect(ok, message, exchange) {
  if (!ok) throw new CheckFailure(message, exchange);
}

const HEADERS_SHOWN = ["etag", "idempotent-replayed", "retry-after", "content-type", "location"];
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/i;
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/** `{error: {code, message}}` with a code and a message. @param {unknown} body */
export function isErrorShape(body) {
  const e = /** @type {any} */ (body)?.error;
  return Boolean(e) && typeof e === "object" && typeof e.code === "string" && e.code !== "" && typeof e.message === "string";
}

/** What differs between two records, briefly: `price: "19.90" vs 19.9`. @param {any} a @param {any} b */
export function describeDifference(a, b) {
  if (!a || !b || typeof a !== "object" || typeof b !== "object") return `${short(a)} vs ${short(b)}`;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !isDeepStrictEqual(a[k], b[k]));
  const shown = keys.slice(0, 4).map((k) => `${k}: ${k in a ? short(a[k]) : "(absent)"} vs ${k in b ? short(b[k]) : "(absent)"}`);
  return `${shown.join("; ")}${keys.length > 4 ? `; and ${keys.length - 4} more fields` : ""}`;
}

/** @param {unknown} v */
function short(v) {
  const s = JSON.stringify(v) ?? "undefined";
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

/** @param {unknown[]} records */
const idsOf = (records) => records.map((r) => String(/** @type {any} */ (r)?.id));

/** @param {string[]} ids */
function listIds(ids, max = 8) {
  return `${ids.slice(0, max).join(", ")}${ids.length > max ? `, … (${ids.length} in all)` : ""}`;
}

/**
 * The calls of one check run: the base URL, the token, fetch, and what the checks learned along the way.
 */
class Connector {
  /**
   * @param {{ url: string, token: string, fetch?: typeof fetch, timeoutMs?: number, maxRetryAfterMs?: number }} o
   */
  constructor(o) {
    this.base = o.url.replace(/\/+$/, "");
    this.token = o.token;
    this.fetch = o.fetch ?? fetch;
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.maxRetryAfterMs = o.maxRetryAfterMs ?? 60_000;
    this.answered = 0;
  }

  /**
   * One request; a 429 is waited out (Retry-After, a few times). The answer is parsed as JSON when it is.
   * @param {string} method @param {string} path
   * @param {{ body?: unknown, headers?: Record<string, string>, auth?: "token" | "none" | string }} [o]
   * @returns {Promise<Exchange>}
   */
  async send(method, path, o = {}) {
    const url = `${this.base}${path}`;
    const auth = o.auth ?? "token";
    /** @type {Record<string, string>} */
    const headers = { accept: "application/json" };
    if (auth !== "none") headers.authorization = `Bearer ${auth === "token" ? this.token : auth}`;
    Object.assign(headers, o.headers);
    if (o.body !== undefined) headers["content-type"] = "application/json";
    /** @type {SentRequest} */
    const request = {
      method, url: printableUrl(url).replace(/\/$/, "") + new URL(url).search,
      headers: { ...headers, ...(headers.authorization ? { authorization: auth === "token" ? "Bearer [redacted]" : `Bearer ${auth}` } : {}) },
      ...(o.body !== undefined ? { body: o.body } : {}),
    };
    for (let attempt = 1; ; attempt++) {
      let res;
      try {
        res = await this.fetch(url, {
          method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body), signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (e) {
        throw new NoAnswer(networkCause(e), request);
      }
      this.answered++;
      const text = await res.text();
      if (res.status === 429 && attempt < 5) {
        const after = Number(res.headers.get("retry-after"));
        await sleep(Math.min(this.maxRetryAfterMs, Number.isFinite(after) && after >= 0 ? after * 1000 : 1000 * attempt));
        continue;
      }
      /** @type {Record<string, string>} */
      const shown = {};
      for (const h of HEADERS_SHOWN) {
        const v = res.headers.get(h);
        if (v !== null) shown[h] = v;
      }
      let body;
      try {
        body = text === "" ? null : JSON.parse(text);
      } catch {
        body = text.length > 400 ? `${text.slice(0, 400)}…` : text;
      }
      return { request, response: { status: res.status, headers: shown, body } };
    }
  }

  /** @param {string} type @param {string} since @param {number} limit */
  async page(type, since, limit) {
    const x = await this.send("GET", `/api/${type}?since=${encodeURIComponent(since)}&limit=${limit}`);
    const b = /** @type {any} */ (x.response.body);
    expect(x.response.status === 200, `the change feed answered ${x.response.status}, not 200`, x);
    expect(b && Array.isArray(b.data) && typeof b.cursor === "string" && typeof b.has_more === "boolean",
      "the change feed's answer is not {data: [...], cursor: \"…\", has_more: true|false}", x);
    return { x, data: /** @type {any[]} */ (b.data), cursor: /** @type {string} */ (b.cursor), hasMore: /** @type {boolean} */ (b.has_more) };
  }

  /**
   * Pages of `limit` from `since` until has_more is false or `max` records are read (`keep: false`: the records
   * are counted, not kept, to find the end of a long feed).
   * @param {string} type @param {string} since @param {number} limit @param {number} max @param {boolean} [keep]
   */
  async walk(type, since, limit, max, keep = true) {
    /** @type {any[]} */
    const records = [];
    /** @type {Exchange[]} */
    const pages = [];
    /** @type {number[]} */
    const pageOf = [];
    let cursor = since;
    for (let n = 0; ; n++) {
      const p = await this.page(type, cursor, limit);
      if (keep) {
        pages.push(p.x);
        for (const r of p.data) {
          records.push(r);
          pageOf.push(pages.length - 1);
        }
      } else {
        pages[0] = p.x;
      }
      expect(!(p.hasMore && p.data.length === 0 && p.cursor === cursor), `has_more is true but the page is empty and the cursor ${JSON.stringify(cursor)} does not move`, p.x);
      cursor = p.cursor;
      if (!p.hasMore) return { records, pages, pageOf, cursor, complete: true };
      if (records.length >= max) return { records, pages, pageOf, cursor, complete: false };
      expect(n < 100_000, `the feed of ${type} still has more after 100,000 pages`, p.x);
    }
  }
}

/**
 * Runs the checks against the connector at `url` (its base URL, as CUSTOMERP_URL: the paths start with /api).
 * @param {{ url: string, token: string, write?: boolean, writeType?: RecordType, types?: readonly RecordType[],
 *   sample?: number, fetch?: typeof fetch, timeoutMs?: number, maxRetryAfterMs?: number }} o
 *   `sample`: at most this many records per type are paged one by one (default 100)
 * @returns {Promise<CheckReport>}
 */
export async function runConnectorChecks(o) {
  addSecret(o.token);
  const cp = new Connector(o);
  const types = [...(o.types ?? RECORD_TYPES)];
  const writeType = o.writeType ?? "contacts";
  const probeType = o.write ? writeType : types.includes("contacts") ? "contacts" : types[0];
  const sample = o.sample ?? 100;
  /** @type {CheckResult[]} */
  const checks = [];
  /** @type {{ id: string, outcome: string }[]} */
  const cleanup = [];

  /**
   * @param {string} id @param {keyof typeof RULES} rule
   * @param {() => Promise<string>} fn resolves with what was verified; throws CheckFailure or CheckSkipped
   */
  const check = async (id, rule, fn) => {
    const r = RULES[rule];
    /** @type {CheckResult} */
    const result = { id, status: "pass", rule: { text: r.text, doc: `${CONTRACT}#${r.section}` }, message: "" };
    try {
      result.message = await fn();
    } catch (e) {
      if (e instanceof CheckSkipped) {
        result.status = "skip";
        result.message = e.message;
      } else if (e instanceof CheckFailure) {
        result.status = "fail";
        result.message = e.message;
        if (e.exchange) result.exchange = e.exchange;
      } else if (e instanceof NoAnswer) {
        if (cp.answered === 0) throw new UnreachableError("Customerp", printableUrl(cp.base), e.message);
        result.status = "fail";
        result.message = `no answer: ${e.message}`;
        result.exchange = { request: e.request, response: { status: 0, headers: {}, body: null } };
      } else {
        result.status = "fail";
        result.message = `the check itself failed: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    checks.push(redactValue(result));
    return result.status;
  };

  // The token first: a connector that refuses it would fail every check below for that one reason.
  let probe;
  try {
    probe = await cp.send("GET", `/api/${probeType}?since=0&limit=1`);
  } catch (e) {
    throw e instanceof NoAnswer ? new UnreachableError("Customerp", printableUrl(cp.base), e.message) : e;
  }
  if (probe.response.status === 401 || probe.response.status === 403) {
    const code = /** @type {any} */ (probe.response.body)?.error?.code ?? "no error code";
    throw Object.assign(new Error(redact(`Customerp refused the token at ${printableUrl(cp.base)}: GET /api/${probeType} answered ${probe.response.status} ${code} (check the token's variable; the token itself is never printed)`)),
      { exitCode: EXIT.unreachable });
  }

  // ---- authentication -------------------------------------------------------------------------
  const authCheck = (/** @type {string} */ id, /** @type {string} */ auth, /** @type {string} */ what) =>
    check(id, "auth", async () => {
      const x = await cp.send("GET", `/api/${probeType}?since=0&limit=1`, { auth });
      expect(x.response.status === 401, `${what}: answered ${x.response.status}, not 401`, x);
      expect(isErrorShape(x.response.body), `${what}: 401, but the body is not {"error": {"code", "message"}}`, x);
      return `${what}: 401 ${/** @type {any} */ (x.response.body).error.code}`;
    });
  await authCheck("auth.no-token", "none", "no Authorization header");
  await authCheck("auth.wrong-token", `check-connector-wrong-${randomBytes(4).toString("hex")}`, "a wrong token");

  // ---- per record type: the feed, reads by id ---------------------------------------------------
  for (const type of types) {
    /** @type {any[] | null} the first records of the feed, as one big page gives them */
    let sampleRecords = null;
    await check(`feed.paging.${type}`, "paging", async () => {
      let last = "";
      for (let attempt = 1; attempt <= 2; attempt++) {
        const big = await cp.walk(type, "0", 500, sample);
        const small = await cp.walk(type, "0", 1, sample);
        sampleRecords = big.records;
        // How far the two readings can be compared: all of both when both reached has_more: false, else up to
        // where the one that stopped early (at `sample` records, or at one page of 500) stopped.
        const [S, B] = [small.records.length, big.records.length];
        const n = small.complete ? (big.complete ? Math.max(S, B) : B) : big.complete ? S : Math.min(S, B);
        const want = idsOf(big.records.slice(0, n));
        const got = idsOf(small.records.slice(0, n));
        if (isDeepStrictEqual(want, got)) {
          const differs = small.records.slice(0, n).findIndex((r, i) => !isDeepStrictEqual(r, big.records[i]));
          if (differs < 0) {
            return `${n} records by pages of 1 (${small.pages.length} requests${small.complete ? ", to has_more: false" : `, the first ${n}`}), the same as pages of 500`;
          }
          last = `record ${want[differs]} reads differently by pages of 1 and of 500: ${describeDifference(small.records[differs], big.records[differs])}`;
          if (attempt === 2) throw new CheckFailure(last, small.pages[small.pageOf[differs]]);
          continue;
        }
        const skipped = want.filter((id) => !got.includes(id));
        const seen = new Set();
        const repeated = got.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
        const extra = got.filter((id) => !want.includes(id));
        const at = got.findIndex((id, i) => id !== want[i]);
        const parts = [];
        if (skipped.length) parts.push(`skipped ${skipped.length} (${listIds(skipped)})`);
        if (repeated.length) parts.push(`repeated ${repeated.length} (${listIds([...new Set(repeated)])})`);
        if (extra.length) parts.push(`gave ${extra.length} more (${listIds([...new Set(extra)])})`);
        if (!parts.length) parts.push(`gave them in another order (first difference at position ${at + 1}: ${got[at]} where one page has ${want[at]})`);
        // The page shown: the last one before the readings part (its cursor led to the wrong next page).
        const split = at < 0 ? got.length : at;
        const shown = split === 0 ? 0 : small.pageOf[split - 1] ?? small.pages.length - 1;
        last = `following the cursors with limit=1 ${parts.join(" and ")} of the ${want.length} records one page of 500 holds; the page shown is the last before they part`;
        if (attempt === 2) throw new CheckFailure(last, small.pages[shown]);
      }
      throw new CheckFailure(last);
    });

    await check(`feed.cursor.${type}`, "cursor", async () => {
      const first = await cp.page(type, "0", 1);
      const a = await cp.page(type, first.cursor, 2);
      const b = await cp.page(type, first.cursor, 2);
      const same = isDeepStrictEqual(a.data, b.data) && a.cursor === b.cursor && a.hasMore === b.hasMore;
      expect(same, `two reads from cursor ${JSON.stringify(first.cursor)} differ: first [${idsOf(a.data).join(", ")}] cursor ${JSON.stringify(a.cursor)} has_more ${a.hasMore}, then [${idsOf(b.data).join(", ")}] cursor ${JSON.stringify(b.cursor)} has_more ${b.hasMore}`, b.x);
      return `from cursor ${JSON.stringify(first.cursor)} twice: [${idsOf(a.data).join(", ")}], cursor ${JSON.stringify(a.cursor)}, has_more ${a.hasMore}`;
    });

    /** Up to five records of the feed, a tombstone among them when there is one. */
    const picks = async () => {
      const records = sampleRecords ?? (await cp.walk(type, "0", 500, sample)).records;
      sampleRecords = records;
      if (records.length === 0) throw new CheckSkipped(`the feed holds no ${type} to read`);
      const chosen = records.slice(0, 5);
      const tomb = records.find((r) => r?.deleted === true);
      if (tomb && !chosen.includes(tomb)) chosen[chosen.length - 1] = tomb;
      return chosen;
    };

    await check(`read.by-id.${type}`, "byId", async () => {
      const chosen = await picks();
      for (const rec of chosen) {
        const x = await cp.send("GET", `/api/${type}/${encodeURIComponent(String(rec.id))}`);
        expect(x.response.status === 200, `GET ${type} ${rec.id} answered ${x.response.status}, not 200`, x);
        expect(Boolean(x.response.headers.etag), `GET ${type} ${rec.id} answered without an ETag: the host could not send If-Match, and its writes would overwrite edits made meanwhile`, x);
        expect(isDeepStrictEqual(x.response.body, rec), `GET ${type} ${rec.id} differs from the record in the feed: ${describeDifference(x.response.body, rec)}`, x);
      }
      return `${chosen.length} records (${idsOf(chosen).join(", ")}): 200 with an ETag, the same as in the feed`;
    });

    await check(`read.ids.${type}`, "ids", async () => {
      const chosen = await picks();
      const unknown = `check-connector-no-such-id-${randomBytes(4).toString("hex")}`;
      const wanted = idsOf(chosen);
      const x = await cp.send("GET", `/api/${type}?ids=${[...wanted, unknown].map(encodeURIComponent).join(",")}`);
      const data = /** @type {any} */ (x.response.body)?.data;
      expect(x.response.status === 200 && Array.isArray(data), `ids= answered ${x.response.status}${Array.isArray(data) ? "" : " without a data array"}`, x);
      const got = idsOf(data);
      expect(!got.includes(unknown), `ids= answered a record for the unknown id ${unknown}`, x);
      const missing = wanted.filter((id) => !got.includes(id));
      const extra = got.filter((id) => !wanted.includes(id));
      expect(missing.length === 0 && extra.length === 0 && got.length === wanted.length,
        `ids= for [${wanted.join(", ")}] answered [${got.join(", ")}]${missing.length ? `: missing ${missing.join(", ")}` : ""}${extra.length ? `: not asked for ${extra.join(", ")}` : ""}`, x);
      for (const rec of data) {
        const one = await cp.send("GET", `/api/${type}/${encodeURIComponent(String(rec.id))}`);
        expect(isDeepStrictEqual(one.response.body, rec), `record ${rec.id} from ids= differs from GET by id: ${describeDifference(rec, one.response.body)}`, x);
      }
      return `${wanted.length} ids and an unknown one: the ${wanted.length} records, each as GET by id answers it`;
    });
  }

  await check("read.unknown-id", "notFound", async () => {
    const id = `check-connector-no-such-id-${randomBytes(4).toString("hex")}`;
    const x = await cp.send("GET", `/api/${probeType}/${id}`);
    expect(x.response.status === 404, `GET of an id that never existed answered ${x.response.status}, not 404`, x);
    expect(isErrorShape(x.response.body), `404, but the body is not {"error": {"code", "message"}}`, x);
    return `GET ${probeType}/${id}: 404 ${/** @type {any} */ (x.response.body).error.code}`;
  });

  await check("feed.limit-bounds", "limit", async () => {
    for (const limit of [0, 501]) {
      const x = await cp.send("GET", `/api/${probeType}?since=0&limit=${limit}`);
      expect(x.response.status === 400, `limit=${limit} answered ${x.response.status}, not 400`, x);
      expect(isErrorShape(x.response.body), `limit=${limit}: 400, but the body is not {"error": {"code", "message"}}`, x);
    }
    return "limit=0 and limit=501: 400 with the error shape";
  });

  if (o.write) await writeChecks(cp, writeType, check, cleanup);

  const count = (/** @type {CheckResult["status"]} */ s) => checks.filter((c) => c.status === s).length;
  return {
    url: printableUrl(cp.base).replace(/\/$/, ""),
    mode: o.write ? "write" : "read-only",
    types,
    writeType: o.write ? writeType : null,
    checks,
    summary: { passed: count("pass"), failed: count("fail"), skipped: count("skip"), failedIds: checks.filter((c) => c.status === "fail").map((c) => c.id) },
    cleanup: redactValue(cleanup),
  };
}

/**
 * A new record of each type, made so that no sync copies it while it exists: inactive, or a draft.
 * @type {Record<RecordType, (stamp: string, variant: string) => Record<string, unknown>>}
 */
const NEW_RECORD = {
  customers: (s, v) => ({ name: `Connector check ${s} ${v}`, is_active: false }),
  contacts: (s, v) => ({ first_name: "Connector", last_name: `Check ${s} ${v}`, email: `connector-check-${s}@example.invalid`, is_active: false }),
  employees: (s, v) => ({ employee_number: `CHECK-${s}`, first_name: "Connector", last_name: `Check ${s} ${v}`, email: `connector-check-${s}@example.invalid`, is_active: false }),
  products: (s, v) => ({ sku: `CONNECTOR-CHECK-${s}`, name: `Connector check ${s} ${v}`, kind: "service", price: "1.00", currency: "EUR", is_active: false }),
  quotes: (s, v) => ({ number: `CHECK-${s}`, status: "draft", currency: "EUR", note: `connector check ${v}`, lines: [] }),
  orders: (s, v) => ({ number: `CHECK-${s}`, status: "draft", currency: "EUR", note: `connector check ${v}`, lines: [] }),
};
/** The field each type's edit changes. @type {Record<RecordType, string>} */
const EDIT_FIELD = { customers: "name", contacts: "last_name", employees: "last_name", products: "name", quotes: "note", orders: "note" };

/**
 * The write checks on one record type, in order: create, replay, conflict, patch, stale patch, stale delete,
 * delete, read of the deleted record; then the clean-up.
 * @param {Connector} cp @param {RecordType} type
 * @param {(id: string, rule: keyof typeof RULES, fn: () => Promise<string>) => Promise<string>} check
 * @param {{ id: string, outcome: string }[]} cleanup
 */
async function writeChecks(cp, type, check, cleanup) {
  const stamp = `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;
  const key = `check-connector-${stamp}`;
  const first = NEW_RECORD[type](stamp, "created");
  const other = NEW_RECORD[type](stamp, "another body");
  const field = EDIT_FIELD[type];
  const path = (/** @type {string} */ id) => `/api/${type}/${encodeURIComponent(id)}`;
  /** @type {string[]} records the checks made */
  const made = [];
  /** @type {Set<string>} made and since deleted by a check */
  const deleted = new Set();
  /** @type {{ id: string | null, body: any, etag: string | null, staleEtag: string | null, edited: string | null, cursor: string | null }} */
  const st = { id: null, body: null, etag: null, staleEtag: null, edited: null, cursor: null };
  const needRecord = () => {
    if (st.id === null) throw new CheckSkipped("no record was created (write.create failed)");
    return st.id;
  };
  /** The end of the feed from `since` (the cursor after its last page), and the records on the way when `keep`. */
  const feedFrom = async (/** @type {string} */ since, keep = true) => cp.walk(type, since, 500, Number.MAX_SAFE_INTEGER, keep);

  await check("write.create", "create", async () => {
    const x = await cp.send("POST", `/api/${type}`, { body: first, headers: { "idempotency-key": key } });
    const b = /** @type {any} */ (x.response.body);
    expect(x.response.status >= 200 && x.response.status < 300, `POST answered ${x.response.status}, not 201`, x);
    expect(b && typeof b === "object" && (typeof b.id === "string" || typeof b.id === "number") && String(b.id) !== "", "the create's answer holds no record with an id", x);
    st.id = String(b.id);
    made.push(st.id);
    st.body = b;
    expect(typeof b.created === "string" && RFC3339.test(b.created) && typeof b.updated === "string" && RFC3339.test(b.updated),
      `the record's created and updated must be RFC 3339 date-times with an offset, not ${short(b.created)} and ${short(b.updated)}`, x);
    expect(Boolean(x.response.headers.etag), "the create's answer has no ETag", x);
    st.etag = x.response.headers.etag;
    const g = await cp.send("GET", path(st.id));
    expect(g.response.status === 200, `GET of the new record answered ${g.response.status}`, g);
    expect(isDeepStrictEqual(g.response.body, b), `GET of the new record differs from the create's answer: ${describeDifference(g.response.body, b)}`, g);
    expect(g.response.headers.etag === st.etag, `GET answers the ETag ${short(g.response.headers.etag ?? null)}, the create ${short(st.etag)}, for the same record`, g);
    return `${type} ${st.id} created (${x.response.status}) with an ETag; GET by id answers the same record and ETag`;
  });

  await check("write.create-replay", "replay", async () => {
    const id = needRecord();
    const x = await cp.send("POST", `/api/${type}`, { body: first, headers: { "idempotency-key": key } });
    const b = /** @type {any} */ (x.response.body);
    const gotId = b && typeof b === "object" && b.id !== undefined ? String(b.id) : null;
    if (gotId !== null && gotId !== id && !made.includes(gotId)) made.push(gotId);
    expect(x.response.status >= 200 && x.response.status < 300, `the repeated create answered ${x.response.status}`, x);
    expect(gotId === id, `the repeated create made another record (${gotId}) instead of answering ${id}: a retried create would make a twin`, x);
    expect(x.response.headers["idempotent-replayed"]?.toLowerCase() === "true", "the repeated create's answer has no Idempotent-Replayed: true", x);
    expect(isDeepStrictEqual(b, st.body), `the replayed answer differs from the first: ${describeDifference(b, st.body)}`, x);
    return `the same key and body: ${type} ${id} again, Idempotent-Replayed: true`;
  });

  await check("write.create-conflict", "conflict", async () => {
    needRecord();
    const x = await cp.send("POST", `/api/${type}`, { body: other, headers: { "idempotency-key": key } });
    const b = /** @type {any} */ (x.response.body);
    if (x.response.status >= 200 && x.response.status < 300 && b?.id !== undefined && !made.includes(String(b.id))) made.push(String(b.id));
    expect(x.response.status === 422, `the same key with another body answered ${x.response.status}, not 422${x.response.status < 300 ? ` (it created ${type} ${b?.id})` : ""}`, x);
    expect(isErrorShape(b), `422, but the body is not {"error": {"code", "message"}}`, x);
    return `the same key, another body: 422 ${b.error.code}`;
  });

  await check("write.patch", "patch", async () => {
    const id = needRecord();
    const before = await feedFrom("0", false);
    const g = await cp.send("GET", path(id));
    const e1 = g.response.headers.etag;
    expect(g.response.status === 200, `GET ${type} ${id} answered ${g.response.status}`, g);
    expect(Boolean(e1), `GET ${type} ${id} answered without an ETag: there is nothing to send as If-Match`, g);
    const value = String(NEW_RECORD[type](stamp, "edited")[field]);
    const x = await cp.send("PATCH", path(id), { body: { [field]: value }, headers: { "if-match": e1 } });
    const b = /** @type {any} */ (x.response.body);
    expect(x.response.status >= 200 && x.response.status < 300, `PATCH with the current ETag answered ${x.response.status}`, x);
    st.staleEtag = e1;
    st.edited = value;
    expect(b?.[field] === value, `PATCH answered ${field} ${short(b?.[field])}, not the new ${short(value)}`, x);
    const e2 = x.response.headers.etag;
    expect(Boolean(e2), "PATCH answered without an ETag", x);
    expect(e2 !== e1, `PATCH changed the record but not its ETag (${e1})`, x);
    const again = await cp.send("GET", path(id));
    expect(isDeepStrictEqual(again.response.body, b), `GET after PATCH differs from the PATCH's answer: ${describeDifference(again.response.body, b)}`, again);
    expect(again.response.headers.etag === e2, `GET after PATCH answers the ETag ${short(again.response.headers.etag ?? null)}, the PATCH ${short(e2)}`, again);
    const after = await feedFrom(before.cursor);
    st.cursor = after.cursor;
    const inFeed = after.records.filter((r) => String(r?.id) === id);
    expect(inFeed.length === 1, `the feed after the old cursor ${JSON.stringify(before.cursor)} holds ${type} ${id} ${inFeed.length} times, not once`, after.pages[after.pages.length - 1]);
    expect(isDeepStrictEqual(inFeed[0], b), `the feed shows ${type} ${id} unlike the PATCH's answer: ${describeDifference(inFeed[0], b)}`, after.pages[after.pages.length - 1]);
    return `PATCH ${field} with If-Match ${e1}: 200, ETag ${e2}; the feed after cursor ${JSON.stringify(before.cursor)} shows the change`;
  });

  await check("write.patch-stale", "stalePatch", async () => {
    const id = needRecord();
    if (!st.staleEtag) throw new CheckSkipped("needs the ETag of a read and an edit after it (write.patch)");
    const x = await cp.send("PATCH", path(id), { body: { [field]: NEW_RECORD[type](stamp, "stale")[field] }, headers: { "if-match": st.staleEtag } });
    const now = await cp.send("GET", path(id));
    const cur = /** @type {any} */ (now.response.body);
    expect(x.response.status === 412, `PATCH with the stale ETag ${st.staleEtag} answered ${x.response.status}, not 412${x.response.status < 300 ? `: it overwrote the edit (${field} is now ${short(cur?.[field])})` : ""}`, x);
    expect(isErrorShape(x.response.body), `412, but the body is not {"error": {"code", "message"}}`, x);
    expect(cur?.[field] === st.edited, `after the refused PATCH, ${field} is ${short(cur?.[field])}, not ${short(st.edited)}`, now);
    return `PATCH with the stale ETag ${st.staleEtag}: 412 ${/** @type {any} */ (x.response.body).error.code}, the record unchanged`;
  });

  await check("write.delete-stale", "staleDelete", async () => {
    const id = needRecord();
    if (!st.staleEtag) throw new CheckSkipped("needs the ETag of a read and an edit after it (write.patch)");
    const x = await cp.send("DELETE", path(id), { headers: { "if-match": st.staleEtag } });
    const now = await cp.send("GET", path(id));
    const gone = now.response.status === 404 || /** @type {any} */ (now.response.body)?.deleted === true;
    if (gone) deleted.add(id);
    expect(x.response.status === 412, `DELETE with the stale ETag ${st.staleEtag} answered ${x.response.status}, not 412${gone ? ": the record was deleted" : ""}`, x);
    expect(isErrorShape(x.response.body), `412, but the body is not {"error": {"code", "message"}}`, x);
    expect(!gone, "after the refused DELETE the record is deleted all the same", now);
    return `DELETE with the stale ETag ${st.staleEtag}: 412, the record not deleted`;
  });

  await check("write.delete", "delete", async () => {
    const id = needRecord();
    const cursor = st.cursor ?? (await feedFrom("0", false)).cursor;
    const g = await cp.send("GET", path(id));
    const etag = g.response.headers.etag;
    const x = await cp.send("DELETE", path(id), etag ? { headers: { "if-match": etag } } : {});
    const b = /** @type {any} */ (x.response.body);
    expect(x.response.status >= 200 && x.response.status < 300, `DELETE${etag ? " with the current ETag" : ""} answered ${x.response.status}`, x);
    deleted.add(id);
    expect(b && typeof b === "object" && String(b.id) === id, `DELETE answered ${x.response.status} without the record: the answer must be the record with deleted: true`, x);
    expect(b.deleted === true, `DELETE answered the record with deleted: ${short(b.deleted)}, not true`, x);
    expect(Boolean(x.response.headers.etag), "DELETE answered without an ETag", x);
    const after = await feedFrom(cursor);
    const tomb = after.records.filter((r) => String(r?.id) === id);
    const last = after.pages[after.pages.length - 1];
    expect(tomb.length === 1, `the feed after cursor ${JSON.stringify(cursor)} holds ${type} ${id} ${tomb.length} times after the delete, not once as a tombstone${tomb.length === 0 ? " (a hard delete: the delete never reaches the other side)" : ""}`, last);
    expect(tomb[0].deleted === true, `the feed shows ${type} ${id} with deleted: ${short(tomb[0].deleted)} after the delete`, last);
    expect(isDeepStrictEqual(tomb[0], b), `the feed shows the tombstone unlike the DELETE's answer: ${describeDifference(tomb[0], b)}`, last);
    return `DELETE${etag ? ` with If-Match ${etag}` : " (no ETag to send)"}: ${x.response.status}, deleted: true; the feed shows the tombstone`;
  });

  await check("write.read-deleted", "readDeleted", async () => {
    const id = needRecord();
    if (!deleted.has(id)) throw new CheckSkipped("the record was not deleted (write.delete)");
    const g = await cp.send("GET", path(id));
    expect(g.response.status === 200, `GET of the deleted ${type} ${id} answered ${g.response.status}, not 200 with the tombstone`, g);
    expect(/** @type {any} */ (g.response.body)?.deleted === true, `GET of the deleted record answers deleted: ${short(/** @type {any} */ (g.response.body)?.deleted)}`, g);
    expect(Boolean(g.response.headers.etag), "GET of the deleted record answered without an ETag", g);
    return `GET ${type} ${id}: 200, deleted: true, with an ETag`;
  });

  // Clean-up: every record the checks made is deleted; a soft delete leaves its tombstone, which is the
  // contract (the feed must keep showing deletes), so that is what stays.
  for (const id of made) {
    let outcome;
    try {
      if (!deleted.has(id)) {
        const x = await cp.send("DELETE", path(id));
        if (x.response.status >= 300) {
          cleanup.push({ id: `${type} ${id}`, outcome: `could not be deleted (DELETE answered ${x.response.status}): it stays, inactive` });
          continue;
        }
      }
      const g = await cp.send("GET", path(id));
      outcome = g.response.status === 404
        ? "deleted; nothing stays (the connector removed it for real)"
        : /** @type {any} */ (g.response.body)?.deleted === true
          ? "deleted; its tombstone stays (deleted: true, in the feed), as the contract wants"
          : `still there after DELETE (GET answers ${g.response.status})`;
    } catch (e) {
      outcome = `clean-up failed: ${e instanceof Error ? e.message : String(e)}`;
    }
    cleanup.push({ id: `${type} ${id}`, outcome: `${id === st.id ? "made by write.create" : "made by a repeated create"}: ${outcome}` });
  }
}

/**
 * The report as text: a line per check, and for a failure the rule, the request sent and what came back.
 * @param {CheckReport} r @param {{ tokenEnv?: string }} [o]
 * @returns {string[]}
 */
export function formatCheckReport(r, o = {}) {
  const lines = [];
  lines.push(`Customerp connector ${r.url}  (token from ${o.tokenEnv ?? "CUSTOMERP_TOKEN"}: set, not shown)  ${r.mode === "write" ? `read-only checks, then writes on ${r.writeType}` : "read-only"}`);
  const width = Math.max(...r.checks.map((c) => c.id.length));
  for (const c of r.checks) {
    lines.push(`  ${c.status === "fail" ? "FAIL" : c.status}  ${c.id.padEnd(width)}  ${c.message}`);
    if (c.status !== "fail") continue;
    lines.push(`        rule     ${c.rule.text} (${c.rule.doc})`);
    if (c.exchange) {
      const q = c.exchange.request;
      lines.push(`        request  ${q.method} ${q.url}`);
      for (const [k, v] of Object.entries(q.headers)) if (k !== "accept") lines.push(`                 ${k}: ${v}`);
      if (q.body !== undefined) lines.push(`                 ${clip(JSON.stringify(q.body))}`);
      const a = c.exchange.response;
      lines.push(`        answer   ${a.status === 0 ? "(none)" : a.status}${Object.entries(a.headers).filter(([k]) => k !== "content-type").map(([k, v]) => `  ${k}: ${v}`).join("")}`);
      if (a.body !== null && a.body !== undefined) lines.push(`                 ${clip(typeof a.body === "string" ? a.body : JSON.stringify(a.body))}`);
    }
  }
  if (r.cleanup.length) {
    lines.push("  clean-up:");
    for (const c of r.cleanup) lines.push(`    ${c.id}: ${c.outcome}`);
  }
  const s = r.summary;
  lines.push(`${r.checks.length} checks: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`);
  if (s.failed) lines.push(`failed: ${s.failedIds.join(", ")}`);
  return lines.map((l) => redact(l));
}

/** @param {string} s */
function clip(s, max = 600) {
  return s.length > max ? `${s.slice(0, max)}… (${s.length} characters)` : s;
}
