// A Sesam-style HTTP transform: POST /transform/<flow> with a JSON array of {_id, customerp, chargebee, base}
// (and optionally links) answers a JSON array of the same length: {_id, ok: true, plan} or
// {_id, ok: false, error}. Plan options come from the server's defaults and `?options=<json>`.
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
 * One array element as a plan input, or the error its slot answers with.
 * @param {unknown} e @param {number} i
 * @returns {{ ok: true, _id: string, input: any } | { ok: false, _id: string | null, error: Record<string, unknown> }}
 */
export function readEntity(e, i) {
  const err = (/** @type {string} */ code, /** @type {string} */ path, /** @type {string} */ message, _id = /** @type {string | null} */ (null)) =>
    ({ ok: /** @type {const} */ (false), _id, error: { name: "SyncError", code, message, path: `/${i}${path}` } });
  if (e === null || typeof e !== "object" || Array.isArray(e)) {
    return err("invalid_type", "", `entity ${i}: expected an object {_id, customerp, chargebee, base}, got ${Array.isArray(e) ? "an array" : e === null ? "null" : typeof e}`);
  }
  const o = /** @type {Record<string, unknown>} */ (e);
  const rawId = o._id;
  const _id = typeof rawId === "string" ? rawId : typeof rawId === "number" && Number.isSafeInteger(rawId) ? String(rawId) : null;
  if (rawId === undefined) return err("missing_field", "/_id", `entity ${i}: _id is missing`);
  if (_id === null || _id === "") return err("invalid_type", "/_id", `entity ${i}: _id must be a non-empty string`);
  const unknown = Object.keys(o).filter((k) => !ENTITY_KEYS.has(k));
  if (unknown.length) {
    return err("invalid_type", `/${unknown[0]}`, `entity ${_id}: unknown key ${JSON.stringify(unknown[0])}; an entity has _id, customerp, chargebee, base and optionally links`, _id);
  }
  if (!("customerp" in o) || !("chargebee" in o)) {
    return err("invalid_type", "", `entity ${_id}: expected {_id, customerp, chargebee, base}; ${"customerp" in o ? "chargebee" : "customerp"} is missing (give null for a record that does not exist)`, _id);
  }
  const bad = nonFinite(o);
  if (bad !== null) return err("invalid_value", bad, `entity ${_id}: ${bad.slice(1)} is a number JSON cannot represent (out of range)`, _id);
  const input = { customerp: o.customerp ?? null, chargebee: o.chargebee ?? null, base: o.base ?? null };
  if (o.links !== undefined) Object.assign(input, { links: o.links });
  return { ok: true, _id, input };
}

/** Constant-time comparison of a presented secret with the expected one. @param {string} given @param {string} expected */
export function sameSecret(given, expected) {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * @typedef {{ options?: import("customerp-chargebee").Options, token?: string | null, limits?: Partial<typeof TRANSFORM_LIMITS>,
 *   pool: Piscina }} HandlerConfig
 */

/**
 * @param {HandlerConfig} cfg
 * @returns {(req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>}
 */
export function transformHandler(cfg) {
  const limits = { ...TRANSFORM_LIMITS, ...cfg.limits };
  const defaults = cfg.options ?? {};
  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (cfg.token) {
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
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
    const read = entities.map(readEntity);
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
      if (!r.ok) return { _id: r._id, ok: false, error: r.error };
      const p = results[k++];
      return p.ok ? { _id: r._id, ok: true, plan: p.plan } : { _id: r._id, ok: false, error: p.error };
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
 *   noAuth?: boolean, limits?: Partial<typeof TRANSFORM_LIMITS>, workers?: number }} [o]
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
  const handler = transformHandler({ options: o.options, token: o.token ?? null, limits, pool });
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
