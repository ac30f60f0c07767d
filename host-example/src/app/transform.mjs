// A Sesam-style HTTP transform: POST /transform/<flow> with a JSON array of {customerp, chargebee, base}
// (and optionally links and _id) answers a JSON array of the same length: {_id, ok: true, plan} or
// {_id, ok: false, error}. Plan options come from the server's defaults and `?options=<json>`.
import http from "node:http";
import { flows, planBatch } from "customerp-chargebee";
import { close, listen, readBody, sendJson } from "../lib/http.mjs";

/** @param {any} e */
const errorJson = (e) => ({ name: e?.name ?? "Error", code: e?.code, message: e?.message ?? String(e), flow: e?.flow, recordId: e?.recordId, path: e?.path });

/**
 * @param {import("customerp-chargebee").Options} [defaults]
 * @returns {(req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>}
 */
export function transformHandler(defaults = {}) {
  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "GET" && url.pathname === "/transform") return sendJson(res, 200, flows().map((f) => f.id));
    const m = /^\/transform\/([a-z_-]+)$/.exec(url.pathname);
    if (!m) return sendJson(res, 404, { error: { code: "not_found", message: "POST /transform/<flow>" } });
    if (req.method !== "POST") return sendJson(res, 405, { error: { code: "method_not_allowed", message: "POST a JSON array" } });
    let entities;
    let options = defaults;
    try {
      entities = JSON.parse(await readBody(req));
      if (url.searchParams.has("options")) options = { ...defaults, ...JSON.parse(url.searchParams.get("options") ?? "{}") };
    } catch {
      return sendJson(res, 400, { error: { code: "invalid_json", message: "the body (and ?options=) must be JSON" } });
    }
    if (!Array.isArray(entities)) return sendJson(res, 400, { error: { code: "invalid_request", message: "the body must be a JSON array of {customerp, chargebee, base}" } });
    try {
      const inputs = entities.map((e) => ({ customerp: e?.customerp ?? null, chargebee: e?.chargebee ?? null, base: e?.base ?? null, links: e?.links }));
      const results = planBatch(/** @type {any} */ (m[1]), inputs, options);
      const out = results.map((r, i) => {
        const _id = entities[i]?._id ?? String(i);
        return r.ok ? { _id, ok: true, plan: r.plan } : { _id, ok: false, error: errorJson(r.error) };
      });
      return sendJson(res, 200, out);
    } catch (e) {
      const status = /** @type {any} */ (e)?.code === "unknown_flow" ? 404 : 400;
      return sendJson(res, status, { error: errorJson(e) });
    }
  };
}

/** @param {{ port?: number, options?: import("customerp-chargebee").Options }} [o] */
export async function startTransformServer(o = {}) {
  const handler = transformHandler(o.options);
  const server = http.createServer((req, res) => void handler(req, res));
  const { origin, port } = await listen(server, o.port ?? 0);
  return { url: origin, port, close: () => close(server) };
}
