// The host's endpoints for Sesam (docs/sesam.md), over the replica in the store:
//   POST /receivers/customerp-<type>/entities          JSON push protocol (hub/json-push.rst): Sesam's
//        `json` sink sends the ERP's records; full and incremental syncs, 409 on a broken sequence
//   GET  /datasets/customerp-<type>-changes/entities   JSON pull protocol (hub/json-pull.rst): Sesam's
//        `json` source reads the changes the sync wants made in the ERP, `since` and `limit`
// for <type> in customers, contacts, employees, products, quotes, orders.
//
// Every request needs `Authorization: Bearer <SESAM_TOKEN>` (the scheme in any case: Sesam's URL system
// sends "bearer" with `authentication: "jwt"`). Like the transform endpoint it listens on 127.0.0.1
// unless told otherwise, takes only application/json bodies (a page cannot post to it without a CORS
// preflight, which it never grants) and refuses other origins.
import http from "node:http";
import { close, listen, readBody, sendJson } from "../lib/http.mjs";
import { jsonErrorPosition, sameSecret } from "../app/transform.mjs";
import { redact } from "../app/redact.mjs";
import { Replica } from "./replica.mjs";
import { EntityError, readPushed } from "./entities.mjs";
import { ParameterError, pullParams, pushParams } from "./protocol.mjs";
import { SESAM_TYPES, isCustomerpType } from "./typed.mjs";

export const SESAM_LIMITS = Object.freeze({
  /** bytes of a pushed body (a json sink's batch: 100 entities by default) */
  body: 16 * 1024 * 1024,
  /** entities of one push */
  batch: 10_000,
});

const TYPES = Object.keys(SESAM_TYPES).join("|");
const RECEIVER = new RegExp(`^/receivers/customerp-(${TYPES})/entities$`);
const DATASET = new RegExp(`^/datasets/customerp-(${TYPES})-changes/entities$`);

/** @param {string} code @param {string} message @param {Record<string, unknown>} [more] */
const fail = (code, message, more = {}) => ({ error: { code, message: redact(message), ...more } });

/**
 * @typedef {object} SesamServerOptions
 * @property {import("../app/store/store.mjs").Store} store
 * @property {string} token SESAM_TOKEN
 * @property {number} [port] 0: any free port
 * @property {string} [host] default 127.0.0.1
 * @property {string} [namespace] SESAM_NAMESPACE
 * @property {Partial<typeof SESAM_LIMITS>} [limits]
 * @property {(line: string) => void} [out] one line per request taken
 */

/** @param {SesamServerOptions} o @returns {(req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>} */
export function sesamHandler(o) {
  if (!o.token) throw new Error("the Sesam endpoints need a token (SESAM_TOKEN)");
  const limits = { ...SESAM_LIMITS, ...o.limits };
  const replica = new Replica(o.store, { namespace: o.namespace });
  const namespace = replica.namespace;
  const out = o.out ?? (() => {});
  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const m = /^bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
    if (!m || !sameSecret(m[1].trim(), o.token)) {
      return sendJson(res, 401, fail("unauthorized", "send the Sesam token as Authorization: Bearer <SESAM_TOKEN>"), { "www-authenticate": "Bearer" });
    }
    if (req.method === "OPTIONS") return sendJson(res, 403, fail("cross_origin", "cross-origin requests are not served"));
    if (req.headers.origin !== undefined && req.headers.origin !== `http://${req.headers.host}`) {
      return sendJson(res, 403, fail("cross_origin", `requests from ${req.headers.origin} are not served`));
    }
    const receiver = RECEIVER.exec(url.pathname);
    const dataset = DATASET.exec(url.pathname);
    if (!receiver && !dataset) {
      return sendJson(res, 404, fail("not_found", `no such endpoint; POST /receivers/customerp-<type>/entities or GET /datasets/customerp-<type>-changes/entities, <type> one of ${Object.keys(SESAM_TYPES).join(", ")}`));
    }
    if (dataset) {
      if (req.method !== "GET") return sendJson(res, 405, fail("method_not_allowed", "GET this dataset (JSON pull protocol)"), { allow: "GET" });
      const type = dataset[1];
      let p;
      try {
        p = pullParams(url.searchParams);
      } catch (e) {
        if (e instanceof ParameterError) return sendJson(res, 400, fail("invalid_parameter", e.message, { parameter: e.parameter }));
        throw e;
      }
      const { entities, maxUpdated } = await replica.pull(type, p.since, p.limit);
      out(`  pull customerp-${type}-changes since ${p.since}${p.limit === null ? "" : ` limit ${p.limit}`}: ${entities.length} entit${entities.length === 1 ? "y" : "ies"}`);
      return sendJson(res, 200, entities, { "x-dataset-max-updated": JSON.stringify(maxUpdated), "x-dataset-populated": "true" });
    }
    if (req.method !== "POST") return sendJson(res, 405, fail("method_not_allowed", "POST a JSON array of entities (JSON push protocol)"), { allow: "POST" });
    const type = /** @type {RegExpExecArray} */ (receiver)[1];
    if (!isCustomerpType(type)) return sendJson(res, 404, fail("not_found", `unknown type ${type}`));
    const media = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    const charset = /charset=([^;]+)/i.exec(req.headers["content-type"] ?? "")?.[1]?.trim().toLowerCase();
    if (media !== "application/json" || (charset !== undefined && charset !== "utf-8")) {
      return sendJson(res, 415, fail("unsupported_media_type", "the body must be application/json (UTF-8)"));
    }
    let p;
    try {
      p = pushParams(url.searchParams);
    } catch (e) {
      if (e instanceof ParameterError) return sendJson(res, 400, fail("invalid_parameter", e.message, { parameter: e.parameter }));
      throw e;
    }
    if (Number(req.headers["content-length"] ?? "0") > limits.body) {
      return sendJson(res, 413, fail("body_too_large", `the body is over the limit of ${limits.body} bytes`, { limit: limits.body }), { connection: "close" });
    }
    let text;
    try {
      text = await readBody(req, limits.body, { fatalUtf8: true });
    } catch (e) {
      const err = /** @type {any} */ (e);
      if (err?.status === 413) return sendJson(res, 413, fail("body_too_large", `the body is over the limit of ${limits.body} bytes`, { limit: limits.body }), { connection: "close" });
      return sendJson(res, 400, fail("invalid_utf8", String(err?.message ?? e), { position: err?.position }));
    }
    let body;
    try {
      body = JSON.parse(text);
    } catch (e) {
      const pos = jsonErrorPosition(text, e);
      return sendJson(res, 400, fail("invalid_json", `the body is not JSON: ${pos.message} (line ${pos.line}, column ${pos.column})`, { line: pos.line, column: pos.column }));
    }
    // The protocol sends an array; Sesam's own receivers take a single entity too.
    const list = Array.isArray(body) ? body : [body];
    if (list.length > limits.batch) return sendJson(res, 413, fail("batch_too_large", `${list.length} entities; at most ${limits.batch} per request`, { limit: limits.batch }));
    let entities;
    try {
      entities = list.map((e, i) => readPushed(e, i, { type, namespace }));
    } catch (e) {
      if (e instanceof EntityError) return sendJson(res, 400, fail("invalid_entity", e.message, { index: e.index, _id: e.entityId }));
      throw e;
    }
    const r = await replica.push(type, entities, p);
    if ("conflict" in r) {
      out(`  push customerp-${type}: 409 ${r.conflict}`);
      return sendJson(res, 409, fail("conflict", r.conflict));
    }
    const what = r.mode === "full" ? `full sync ${JSON.stringify(p.sequenceId)} request ${JSON.stringify(p.requestId)}${p.isFirst ? " (first)" : ""}${p.isLast ? " (last)" : ""}` : "incremental";
    const parts = /** @type {[number, string][]} */ ([[r.created, "new"], [r.updated, "changed"], [r.linked, "made by the sync, now with their ERP ids"], [r.unchanged, "unchanged"], [r.deleted, "deleted (not in the full sync)"]]);
    out(`  push customerp-${type}: ${what}: ${r.received} received${parts.filter(([n]) => n > 0).map(([n, w], i) => `${i ? "," : ":"} ${n} ${w}`).join("")}`);
    return sendJson(res, 200, r);
  };
}

/** @param {SesamServerOptions} o */
export async function startSesamServer(o) {
  const handler = sesamHandler(o);
  const server = http.createServer((req, res) =>
    void handler(req, res).catch((e) => {
      if (!res.headersSent) sendJson(res, 500, fail("internal", e instanceof Error ? e.message : String(e)));
      else res.destroy();
    }));
  server.requestTimeout = 120_000;
  const { origin, port } = await listen(server, o.port ?? 0, o.host ?? "127.0.0.1");
  return { url: origin, port, close: () => close(server) };
}
