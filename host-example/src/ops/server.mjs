// The operations endpoint: one HTTP server for Prometheus and for whatever checks the host's health.
//   GET /metrics  the registry in Prometheus' text format
//   GET /healthz  the process is alive (never needs a token)
//   GET /readyz   the sync works (src/ops/health.mjs): 200, or 503 naming each failed check and why
// On 127.0.0.1 by default, where it answers only a Host of its own (421 otherwise, against DNS
// rebinding). Beyond loopback it refuses to start without METRICS_TOKEN; with a token, /metrics and
// /readyz want `Authorization: Bearer <token>`. Every answer passes through the redactor.
import { createServer } from "node:http";
import { UsageError } from "../app/errors.mjs";
import { addSecret, redact, redactValue } from "../app/redact.mjs";
import { sameSecret } from "../console/auth.mjs";

export const DEFAULT_PORT = 9484;
/** How long close() waits for answers under way before it cuts their connections. */
export const CLOSE_TIMEOUT_MS = 5_000;
const LOOPBACK = ["127.0.0.1", "localhost", "::1"];
const HEADERS = { "cache-control": "no-store", "x-content-type-options": "nosniff" };

/** Whether an address is this machine only. @param {string} host */
export const isLoopback = (host) => LOOPBACK.includes(host) || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "[::1]";

/**
 * @typedef {object} OpsServerOptions
 * @property {import("prom-client").Registry} [registry] served at /metrics (404 without one)
 * @property {{ live(): unknown, ready(): Promise<{ ok: boolean }> }} [health] served at /healthz and /readyz
 *   (without one, /healthz still answers and /readyz is 404)
 * @property {number} [port] default 9484; 0 picks a free one
 * @property {string} [host] default 127.0.0.1
 * @property {string | null} [token] METRICS_TOKEN (at least 16 characters); required beyond loopback
 * @property {number} [closeTimeoutMs] default 5 s
 */

/**
 * Starts the server. Refuses (UsageError) a host beyond loopback without a token, and a short token.
 * @param {OpsServerOptions} o
 * @returns {Promise<{ url: string, port: number, host: string, close(): Promise<void> }>}
 */
export async function startOpsServer(o) {
  const host = o.host ?? "127.0.0.1";
  const token = o.token || null;
  if (token !== null && token.length < 16) throw new UsageError("METRICS_TOKEN must be at least 16 characters");
  if (token === null && !isLoopback(host)) {
    throw new UsageError(`--metrics-host ${host} listens beyond this machine: set METRICS_TOKEN (at least 16 characters), which /metrics and /readyz then require`);
  }
  addSecret(token);
  const loopback = isLoopback(host);
  /** @type {Set<string>} */
  let hosts = new Set();

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", `internal error: ${e instanceof Error ? e.message : e}\n`);
      else res.destroy();
    });
  });

  /** @param {import("node:http").IncomingMessage} req @param {import("node:http").ServerResponse} res */
  async function handle(req, res) {
    req.resume();
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (loopback && !hosts.has(String(req.headers.host ?? "").toLowerCase())) {
      return json(res, 421, { error: "misdirected_request", message: "this server answers only its own loopback address" });
    }
    const route = ROUTES[path];
    if (!route) return json(res, 404, { error: "not_found", paths: Object.keys(ROUTES) });
    if (req.method !== "GET" && req.method !== "HEAD") return json(res, 405, { error: "method_not_allowed" }, { allow: "GET, HEAD" });
    if (route.auth && token !== null && !bearerMatches(req.headers.authorization, token)) {
      return json(res, 401, { error: "unauthorized", message: "send Authorization: Bearer <METRICS_TOKEN>" }, { "www-authenticate": 'Bearer realm="customerp-chargebee"' });
    }
    await route.serve(res, req.method === "HEAD");
  }

  /** @type {Record<string, { auth: boolean, serve(res: import("node:http").ServerResponse, head: boolean): Promise<void> | void }>} */
  const ROUTES = {
    "/healthz": { auth: false, serve: (res, head) => json(res, 200, o.health ? o.health.live() : { ok: true }, {}, head) },
    "/readyz": {
      auth: true,
      async serve(res, head) {
        if (!o.health) return json(res, 404, { error: "not_found", message: "no readiness checks configured" }, {}, head);
        const r = await o.health.ready();
        json(res, r.ok ? 200 : 503, r, {}, head);
      },
    },
    "/metrics": {
      auth: true,
      async serve(res, head) {
        if (!o.registry) return json(res, 404, { error: "not_found", message: "no metrics configured" }, {}, head);
        send(res, 200, o.registry.contentType, redact(await o.registry.metrics()), {}, head);
      },
    },
  };

  await new Promise((resolve, reject) => {
    server.once("error", (e) => reject(/** @type {any} */ (e).code === "EADDRINUSE"
      ? new UsageError(`the metrics port ${o.port ?? DEFAULT_PORT} is in use on ${host}: pick another (--metrics P)`) : e));
    server.listen(o.port ?? DEFAULT_PORT, host, () => resolve(undefined));
  });
  const port = /** @type {import("node:net").AddressInfo} */ (server.address()).port;
  hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host.includes(":") ? `[${host}]` : host}:${port}`]);
  const shown = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  let closing = /** @type {Promise<void> | null} */ (null);
  return {
    url: `http://${shown}:${port}`,
    port,
    host,
    /** Stops listening, lets answers under way finish (up to closeTimeoutMs), then cuts what is left. */
    close() {
      closing ??= new Promise((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), o.closeTimeoutMs ?? CLOSE_TIMEOUT_MS);
        cut.unref();
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/** @param {string | undefined} header @param {string} token */
function bearerMatches(header, token) {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m !== null && sameSecret(m[1], token);
}

/**
 * @param {import("node:http").ServerResponse} res @param {number} status @param {unknown} body
 * @param {Record<string, string>} [headers] @param {boolean} [head]
 */
function json(res, status, body, headers = {}, head = false) {
  send(res, status, "application/json; charset=utf-8", `${JSON.stringify(redactValue(body))}\n`, headers, head);
}

/**
 * @param {import("node:http").ServerResponse} res @param {number} status @param {string} type @param {string} text
 * @param {Record<string, string>} [headers] @param {boolean} [head]
 */
function send(res, status, type, text, headers = {}, head = false) {
  res.writeHead(status, { ...HEADERS, "content-type": type, "content-length": Buffer.byteLength(text), ...headers });
  res.end(head ? undefined : text);
}
