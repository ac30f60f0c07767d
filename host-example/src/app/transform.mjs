// A Sesam-style HTTP transform: POST /transform/<flow> with a JSON array of {_id, customerp, chargebee, base}
// (and optionally links) answers a JSON array of the same length: {_id, ok: true, plan} or
// {_id, ok: false, error}. Plan options come from the server's defaults and `?options=<json>`.
//
// It takes entities as a Sesam pipe sends them (hub/documentation/service-configuration/pipes/
// configuration-transforms-http.rst, entity-data-model.rst): reserved fields (`_updated`, `_ts`,
// `_hash`, `_previous`, `$ids`, `$origin`, …) are kept and returned on the answer's entity; keys may be
// namespaced (`contact-plan:customerp`, and the records' own keys); typed strings are read (`~t`
// instants and dates, `~f` decimals, `~:` references, whose namespace SESAM_NAMESPACE names); an
// entity with `_deleted: true` is a deleted Customerp record (or, without one, a deleted Chargebee
// record) and is planned as a delete. An entity in Sesam's conventions is answered in them: the
// Customerp values of its plan (`plan.customerp.changes`, `expect`) typed as they came. A bad entity
// is an error in its own answer, never a non-2xx for the batch.
//
// The endpoint is safe to leave running: it wants a Bearer token (unless started with `noAuth` on
// loopback), takes application/json only (a page cannot POST to it blind: that needs a CORS preflight,
// which it never grants), answers 413 over its body and batch limits, and plans in worker threads so one
// large request never stalls the others.
import http from "node:http";
import { createHash, timingSafeEqual } from "node:crypto";
import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { flows } from "customerp-chargebee";
import { close, listen, readBody, sendJson } from "../lib/http.mjs";
import { customerpSchema, decodeValue, encodeValue, identifierNamespaces } from "../sesam/typed.mjs";
import { DEFAULT_NAMESPACE } from "../sesam/entities.mjs";

/** @type {Readonly<{ body: number, batch: number, output: number, queue: number }>} */
export const TRANSFORM_LIMITS = Object.freeze({
  /** bytes of a request body */
  body: 1024 * 1024,
  /** entities of one request */
  batch: 1000,
  /** bytes of an answer; past it the request is refused rather than answered with hundreds of MB */
  output: 32 * 1024 * 1024,
  /** requests waiting for a worker; past it 503 */
  queue: 64,
});

const ENTITY_KEYS = new Set(["_id", "customerp", "chargebee", "base", "links"]);

/** A JSON error answer. @param {string} code @param {string} message @param {Record<string, unknown>} [more] */
const fail = (code, message, more = {}) => ({ error: { code, message, ...more } });

/**
 * Where JSON.parse stopped, as line and column (1-based), from the position V8 puts in its message.
 * @param {string} text @param {unknown} e
 */
export function jsonErrorPosition(text, e) {
  const message = e instanceof Error ? e.message : String(e);
  const m = /position (\d+)/.exec(message);
  const position = m ? Number(m[1]) : text.length;
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  const column = position - before.lastIndexOf("\n");
  return { position, line, column, message: message.replace(/\s*\(line \d+ column \d+\)$/, "") };
}

/**
 * The first number JSON.parse turned into ±Infinity (`1e309`): JSON has no such value, and passing it on
 * would silently become `null`. Returns its JSON Pointer, or null.
 * @param {unknown} v @param {string} at
 * @returns {string | null}
 */
function nonFinite(v, at = "") {
  if (typeof v === "number") return Number.isFinite(v) ? null : at;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = nonFinite(v[i], `${at}/${i}`);
      if (p !== null) return p;
    }
  } else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      const p = nonFinite(x, `${at}/${k.replaceAll("~", "~0").replaceAll("/", "~1")}`);
      if (p !== null) return p;
    }
  }
  return null;
}

/**
 * A record's root keys without their namespace (`customerp-contact:first_name` → `first_name`): no
 * Customerp or Chargebee field has a colon in its name. Returns null when two keys become one.
 * @param {Record<string, unknown>} r @returns {Record<string, unknown> | null}
 */
function localKeys(r) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [k, v] of Object.entries(r)) {
    const local = /^[^:]+:(.+)$/.exec(k)?.[1] ?? k;
    if (Object.hasOwn(out, local)) return null;
    out[local] = v;
  }
  return out;
}

/**
 * One array element as a plan input, or the error its slot answers with. `reserved` are the entity's
 * reserved (`_…`) and special (`$…`) fields but `_id`, returned on its answer; `sesam` says whether it
 * speaks Sesam's conventions (reserved fields, namespaced keys or typed strings), and `tags` how its
 * Customerp values were typed.
 * @param {unknown} e @param {number} i @param {{ namespace?: string }} [o] namespace: SESAM_NAMESPACE
 * @returns {{ ok: true, _id: string, input: any, reserved: Record<string, unknown>, sesam: boolean, tags: Record<string, string> }
 *   | { ok: false, _id: string | null, error: Record<string, unknown>, reserved: Record<string, unknown> }}
 */
export function readEntity(e, i, o = {}) {
  /** @type {Record<string, unknown>} */
  let reserved = {};
  const err = (/** @type {string} */ code, /** @type {string} */ path, /** @type {string} */ message, _id = /** @type {string | null} */ (null)) =>
    ({ ok: /** @type {const} */ (false), _id, error: { name: "SyncError", code, message, path: `/${i}${path}` }, reserved });
  if (e === null || typeof e !== "object" || Array.isArray(e)) {
    return err("invalid_type", "", `entity ${i}: expected an object {_id, customerp, chargebee, base}, got ${Array.isArray(e) ? "an array" : e === null ? "null" : typeof e}`);
  }
  const o0 = /** @type {Record<string, unknown>} */ (e);
  reserved = Object.fromEntries(Object.entries(o0).filter(([k]) => (k.startsWith("_") || k.startsWith("$")) && k !== "_id"));
  const rawId = o0._id;
  const _id = typeof rawId === "string" ? rawId : typeof rawId === "number" && Number.isSafeInteger(rawId) ? String(rawId) : null;
  if (rawId === undefined) return err("missing_field", "/_id", `entity ${i}: _id is missing`);
  if (_id === null || _id === "") return err("invalid_type", "/_id", `entity ${i}: _id must be a non-empty string`);
  /** @type {Record<string, unknown>} */
  const fields = {};
  let namespaced = false;
  for (const [k, v] of Object.entries(o0)) {
    if (k.startsWith("_") || k.startsWith("$")) continue;
    const local = ENTITY_KEYS.has(k) ? k : /^[^:]+:(.+)$/.exec(k)?.[1];
    if (local === undefined || !ENTITY_KEYS.has(local) || local === "_id") {
      return err("invalid_type", `/${k}`, `entity ${_id}: unknown key ${JSON.stringify(k)}; an entity has _id, customerp, chargebee, base and optionally links`, _id);
    }
    if (Object.hasOwn(fields, local)) return err("invalid_type", `/${k}`, `entity ${_id}: ${JSON.stringify(k)} is ${local} a second time`, _id);
    namespaced ||= local !== k;
    fields[local] = v;
  }
  const deleted = o0._deleted === true;
  if (!deleted && (!("customerp" in fields) || !("chargebee" in fields))) {
    return err("invalid_type", "", `entity ${_id}: expected {_id, customerp, chargebee, base}; ${"customerp" in fields ? "chargebee" : "customerp"} is missing (give null for a record that does not exist)`, _id);
  }
  const bad = nonFinite(o0);
  if (bad !== null) return err("invalid_value", bad, `entity ${_id}: ${bad.slice(1)} is a number JSON cannot represent (out of range)`, _id);
  /** @type {Record<string, string>} */
  const tags = {};
  /** @type {Record<string, string>} */
  const other = {};
  const ids = identifierNamespaces(o.namespace ?? DEFAULT_NAMESPACE);
  /** @param {"customerp" | "chargebee"} side @param {Record<string, string>} into */
  const record = (side, into) => {
    const r = fields[side];
    if (r === null || r === undefined || typeof r !== "object" || Array.isArray(r)) return r ?? null;
    const local = localKeys(/** @type {Record<string, unknown>} */ (r));
    if (local === null) return undefined;
    namespaced ||= Object.keys(local).some((k) => !Object.hasOwn(r, k));
    return decodeValue(local, { side, identifierNamespaces: ids }, into);
  };
  let customerp = record("customerp", tags);
  let chargebee = record("chargebee", other);
  if (customerp === undefined || chargebee === undefined) {
    return err("invalid_type", `/${customerp === undefined ? "customerp" : "chargebee"}`, `entity ${_id}: two keys of the record are one once their namespaces are taken off`, _id);
  }
  if (deleted) {
    // A deleted entity is a deleted record: the Customerp one it carries, else the Chargebee one.
    if (customerp && typeof customerp === "object") customerp = { ...customerp, deleted: true };
    else if (chargebee && typeof chargebee === "object") chargebee = { ...chargebee, deleted: true };
    else return err("missing_field", "/customerp", `entity ${_id}: _deleted is true, but the entity carries no record to delete: give customerp (its id at least) or chargebee`, _id);
  }
  const typed = [...Object.values(tags), ...Object.values(other)].some((p) => p !== "");
  const input = { customerp, chargebee, base: fields.base ?? null };
  if (fields.links !== undefined) Object.assign(input, { links: fields.links });
  return { ok: true, _id, input, reserved, sesam: Object.keys(reserved).length > 0 || namespaced || typed, tags };
}

/**
 * The Customerp values of a plan typed for Sesam (`changes` and `expect`): as they came in, else by
 * Customerp's field types. @param {any} plan @param {Record<string, string>} tags @param {string} namespace
 */
export function sesamPlan(plan, tags, namespace) {
  const cp = plan?.customerp;
  if (!cp || typeof cp !== "object") return plan;
  const schema = customerpSchema(namespace);
  const typed = { ...cp };
  if (cp.changes) typed.changes = encodeValue(cp.changes, tags, schema);
  if (cp.expect) typed.expect = encodeValue(cp.expect, tags, schema);
  return { ...plan, customerp: typed };
}

/** Constant-time comparison of a presented secret with the expected one. @param {string} given @param {string} expected */
export function sameSecret(given, expected) {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * @typedef {{ options?: import("customerp-chargebee").Options, token?: string | null, limits?: Partial<typeof TRANSFORM_LIMITS>,
 *   pool: Piscina, namespace?: string }} HandlerConfig namespace: SESAM_NAMESPACE (default: the environment's, else customerp-{type}:)
 */

/**
 * @param {HandlerConfig} cfg
 * @returns {(req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>}
 */
export function transformHandler(cfg) {
  const limits = { ...TRANSFORM_LIMITS, ...cfg.limits };
  const defaults = cfg.options ?? {};
  const namespace = cfg.namespace ?? process.env.SESAM_NAMESPACE ?? DEFAULT_NAMESPACE;
  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (cfg.token) {
      // The scheme in any case (RFC 9110): Sesam's URL system sends "bearer".
      const m = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "");
      if (!m || !sameSecret(m[1], cfg.token)) {
        return sendJson(res, 401, fail("unauthorized", "send the transform token as Authorization: Bearer <TRANSFORM_TOKEN>"), { "www-authenticate": "Bearer" });
      }
    }
    if (req.method === "OPTIONS") {
      // No CORS: a page on another origin never gets a preflight through.
      return sendJson(res, 403, fail("cross_origin", "cross-origin requests are not served"));
    }
    if (req.headers.origin !== undefined && req.headers.origin !== `http://${req.headers.host}`) {
      return sendJson(res, 403, fail("cross_origin", `requests from ${req.headers.origin} are not served`));
    }
    if (req.method === "GET" && url.pathname === "/transform") return sendJson(res, 200, flows().map((f) => f.id));
    const m = /^\/transform\/([a-z_-]+)$/.exec(url.pathname);
    if (!m) return sendJson(res, 404, fail("not_found", "POST /transform/<flow>"));
    const known = flows().map((f) => f.id);
    if (!known.includes(/** @type {any} */ (m[1]))) {
      return sendJson(res, 404, fail("unknown_flow", `unknown flow ${JSON.stringify(m[1])}; the flows are ${known.join(", ")}`));
    }
    if (req.method !== "POST") return sendJson(res, 405, fail("method_not_allowed", "POST a JSON array"), { allow: "POST" });
    const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    const charset = /charset=([^;]+)/i.exec(req.headers["content-type"] ?? "")?.[1]?.trim().toLowerCase();
    if (type !== "application/json" || (charset !== undefined && charset !== "utf-8")) {
      return sendJson(res, 415, fail("unsupported_media_type", "the body must be application/json (UTF-8)"));
    }
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > limits.body) {
      return sendJson(res, 413, fail("body_too_large", `the body is ${declared} bytes; the limit is ${limits.body}`, { limit: limits.body }), { connection: "close" });
    }
    let text;
    try {
      text = await readBody(req, limits.body, { fatalUtf8: true });
    } catch (e) {
      const status = /** @type {any} */ (e)?.status ?? 400;
      if (status === 413) {
        return sendJson(res, 413, fail("body_too_large", `the body is over the limit of ${limits.body} bytes`, { limit: limits.body }), { connection: "close" });
      }
      return sendJson(res, 400, fail("invalid_utf8", /** @type {Error} */ (e).message, { position: /** @type {any} */ (e).position }));
    }
    let options = defaults;
    if (url.searchParams.has("options")) {
      const raw = url.searchParams.get("options") ?? "";
      try {
        options = { ...defaults, ...JSON.parse(raw) };
      } catch (e) {
        const p = jsonErrorPosition(raw, e);
        return sendJson(res, 400, fail("invalid_json", `?options= is not JSON: ${p.message} (line ${p.line}, column ${p.column})`, { line: p.line, column: p.column, where: "options" }));
      }
    }
    let entities;
    try {
      entities = JSON.parse(text);
    } catch (e) {
      const p = jsonErrorPosition(text, e);
      return sendJson(res, 400, fail("invalid_json", `the body is not JSON: ${p.message} (line ${p.line}, column ${p.column})`, { line: p.line, column: p.column }));
    }
    if (!Array.isArray(entities)) {
      return sendJson(res, 400, fail("invalid_request", "the body must be a JSON array of {_id, customerp, chargebee, base}"));
    }
    if (entities.length > limits.batch) {
      return sendJson(res, 413, fail("batch_too_large", `${entities.length} entities; at most ${limits.batch} per request`, { limit: limits.batch }));
    }
    const read = entities.map((e, i) => readEntity(e, i, { namespace }));
    /** @type {Array<{ ok: true, _id: string, input: any }>} */
    const good = /** @type {any} */ (read.filter((r) => r.ok));
    /** @type {{ results?: any[], error?: any }} */
    let planned;
    try {
      planned = good.length ? await cfg.pool.run({ flow: m[1], inputs: good.map((g) => g.input), options }) : { results: [] };
    } catch (e) {
      if (/queue is full/i.test(String(/** @type {any} */ (e)?.message))) {
        return sendJson(res, 503, fail("busy", "too many transform requests at once; retry shortly"), { "retry-after": "1" });
      }
      throw e;
    }
    if (planned.error) {
      const status = planned.error.code === "unknown_flow" ? 404 : 400;
      return sendJson(res, status, { error: planned.error });
    }
    const results = planned.results ?? [];
    let k = 0;
    const out = read.map((r) => {
      if (!r.ok) return { _id: r._id, ...r.reserved, ok: false, error: r.error };
      const p = results[k++];
      if (!p.ok) return { _id: r._id, ...r.reserved, ok: false, error: p.error };
      return { _id: r._id, ...r.reserved, ok: true, plan: r.sesam ? sesamPlan(p.plan, r.tags, namespace) : p.plan };
    });
    const body = JSON.stringify(out);
    if (Buffer.byteLength(body) > limits.output) {
      return sendJson(res, 413, fail("output_too_large", `the plans for these ${entities.length} entities exceed ${limits.output} bytes; send fewer per request`, { limit: limits.output }));
    }
    res.writeHead(200, { "content-type": "application/json;charset=utf-8", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };
}

/**
 * @param {{ port?: number, host?: string, options?: import("customerp-chargebee").Options, token?: string | null,
 *   noAuth?: boolean, limits?: Partial<typeof TRANSFORM_LIMITS>, workers?: number, namespace?: string }} [o]
 */
export async function startTransformServer(o = {}) {
  const host = o.host ?? "127.0.0.1";
  if (!o.token && !o.noAuth) throw new Error("the transform endpoint needs a token (TRANSFORM_TOKEN) unless started with --no-auth");
  if (!o.token && !isLoopback(host)) throw new Error(`--no-auth is for loopback only; ${host} is not a loopback address`);
  const limits = { ...TRANSFORM_LIMITS, ...o.limits };
  const pool = new Piscina({
    filename: new URL("./transform-worker.mjs", import.meta.url).href,
    maxThreads: o.workers ?? Math.max(1, availableParallelism() - 1),
    maxQueue: limits.queue,
  });
  const handler = transformHandler({ options: o.options, token: o.token ?? null, limits, pool, namespace: o.namespace });
  const server = http.createServer((req, res) =>
    void handler(req, res).catch((e) => {
      if (!res.headersSent) sendJson(res, 500, fail("internal", e instanceof Error ? e.message : String(e)));
      else res.destroy();
    }));
  server.requestTimeout = 60_000;
  const { origin, port } = await listen(server, o.port ?? 0, host);
  return {
    url: origin,
    port,
    close: async () => {
      await close(server);
      await pool.destroy();
    },
  };
}

/** @param {string} host */
export const isLoopback = (host) => host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
