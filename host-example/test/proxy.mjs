// A programmable HTTP proxy on 127.0.0.1 for tests: every request goes to `decide`, which lets it
// through, answers it in the server's place (a 429, a 503), or lets the server do it and then answers
// something else (a 500 after the write).
import http from "node:http";
import { close, listen } from "../src/lib/http.mjs";

/**
 * @typedef {{ method: string, path: string, body: string, headers: http.IncomingHttpHeaders, at: number, answered?: number, status?: number }} Seen
 * @typedef {"pass" | { status: number, headers?: Record<string, string>, body?: unknown, afterServer?: boolean }} Decision
 *   afterServer: the request reaches the server first, and its answer is replaced; status 0: no answer (the connection drops)
 */

/** Chargebee's error body for a status (Customerp's `{error}` beside it, so one body fits both servers). @param {number} status */
export function errorBody(status) {
  const code = status === 429 ? "api_request_limit_exceeded" : status === 503 ? "site_not_ready" : "internal_error";
  return { message: `injected ${status}`, type: status === 429 ? "api_request_limit_exceeded" : "temporary", api_error_code: code, http_status_code: status,
    error: { code, message: `injected ${status}` } };
}

/**
 * Sends a request on to `target` as it came (method, path, headers, body), on connections of its own, and
 * gives back the whole answer; `close()` ends its connections.
 * @param {string} target the server's origin
 */
export function forwarder(target) {
  const agent = new http.Agent({ keepAlive: false });
  /** @param {http.IncomingMessage} req @param {Buffer} body @returns {Promise<{ status: number, headers: http.IncomingHttpHeaders, body: Buffer }>} */
  const forward = (req, body) =>
    new Promise((resolve, reject) => {
      const up = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers, agent }, (r) => {
        /** @type {Buffer[]} */
        const chunks = [];
        r.on("data", (c) => chunks.push(c));
        r.on("end", () => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(chunks) }));
        r.on("error", reject);
      });
      up.on("error", reject);
      up.end(body);
    });
  return Object.assign(forward, { close: () => agent.destroy() });
}

/**
 * @param {string} target the server's origin
 * @param {(s: Seen) => Decision | Promise<Decision>} decide
 */
export async function proxy(target, decide) {
  const forward = forwarder(target);
  /** @type {Seen[]} */
  const seen = [];
  /** @param {http.ServerResponse} res @param {number} status @param {http.IncomingHttpHeaders} headers @param {Buffer} body */
  const reply = (res, status, headers, body) => {
    if (res.destroyed || res.writableEnded) return;
    const { connection: _c, "keep-alive": _k, "transfer-encoding": _t, ...rest } = headers;
    res.writeHead(status, { ...rest, "content-length": body.length });
    res.end(body);
  };
  const server = http.createServer(async (req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    for await (const c of req) chunks.push(/** @type {Buffer} */ (c));
    const body = Buffer.concat(chunks);
    /** @type {Seen} */
    const s = { method: req.method ?? "GET", path: req.url ?? "/", body: body.toString("utf8"), headers: req.headers, at: Date.now() };
    seen.push(s);
    try {
      const d = await decide(s);
      if (d === "pass") {
        const r = await forward(req, body);
        s.answered = Date.now();
        s.status = r.status;
        return reply(res, r.status, r.headers, r.body);
      }
      s.status = d.status;
      if (d.afterServer) await forward(req, body);
      if (d.status === 0) return void req.socket.destroy(); // the answer is lost
      const text = Buffer.from(JSON.stringify(d.body ?? errorBody(d.status)));
      reply(res, d.status, { "content-type": "application/json", ...d.headers }, text);
    } catch {
      req.socket.destroy();
    }
  });
  const { origin } = await listen(server);
  return {
    url: origin,
    seen,
    async close() {
      forward.close();
      await close(server);
    },
  };
}
