// Connectors that each break one rule of the Customerp REST contract (docs/customerp-rest.md), for the tests of
// `check-connector`: the project's own Customerp server behind a small proxy that breaks it in one way. The
// proxy forwards every request and answer unchanged except where its one fault says otherwise.
import http from "node:http";
import { startCustomerpServer } from "../src/local/customerp-server.mjs";
import { seedCustomerp } from "../src/local/demo-data.mjs";
import { close, listen, readBody, sendJson } from "../src/lib/http.mjs";

/**
 * The faults, each with the rule it breaks and the checks that must catch it (and only those).
 * @type {Record<string, { breaks: string, catches: string[] }>}
 */
export const FAULTS = {
  "skipping-cursor": {
    breaks: "the change feed: the cursor of a page that has more points one change too far, so the next page skips a record",
    catches: ["customers", "contacts", "employees", "products", "quotes", "orders"].map((t) => `feed.paging.${t}`),
  },
  "no-etag": {
    breaks: "ETags: no answer carries an ETag (so the host could never send If-Match)",
    catches: [
      ...["customers", "contacts", "employees", "products", "quotes", "orders"].map((t) => `read.by-id.${t}`),
      "write.create", "write.patch", "write.delete", "write.read-deleted",
    ],
  },
  "create-not-idempotent": {
    breaks: "creating: the Idempotency-Key is ignored, so every POST makes a new record",
    catches: ["write.create-replay", "write.create-conflict"],
  },
  "hard-delete": {
    breaks: "deleting: DELETE removes the record for real (204, then 404, and gone from the feed and ids=)",
    catches: ["write.delete", "write.read-deleted"],
  },
  "if-match-ignored": {
    breaks: "ETags and If-Match: PATCH and DELETE apply whatever If-Match says",
    catches: ["write.patch-stale", "write.delete-stale"],
  },
};

/** @typedef {keyof typeof FAULTS} Fault */

/**
 * The local Customerp server (demo data) behind a proxy with one fault.
 * @param {string} fault one of FAULTS' keys
 * @param {{ token: string }} o
 */
export async function startBrokenConnector(fault, o) {
  if (!(fault in FAULTS)) throw new Error(`unknown fault ${fault}; faults: ${Object.keys(FAULTS).join(", ")}`);
  const upstream = await startCustomerpServer({ token: o.token, seed: seedCustomerp });
  /** @type {Set<string>} `type/id` of records the hard-deleting connector removed */
  const gone = new Set();

  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
  async function handle(req, res) {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://localhost");
    const body = await readBody(req);
    /** @type {Record<string, string>} */
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string" && !["host", "connection", "content-length", "transfer-encoding"].includes(k)) headers[k] = v;
    }
    if (fault === "create-not-idempotent" && method === "POST") delete headers["idempotency-key"];
    if (fault === "if-match-ignored") delete headers["if-match"];
    const m = /^\/api\/([a-z_]+)(?:\/([^/]+))?$/.exec(url.pathname);
    const one = m && m[2] !== undefined ? `${m[1]}/${decodeURIComponent(m[2])}` : null;
    if (fault === "hard-delete" && one && gone.has(one)) {
      return sendJson(res, 404, { error: { code: "not_found", message: `${one} does not exist` } });
    }
    const up = await fetch(`${upstream.url}${url.pathname}${url.search}`, { method, headers, body: body === "" ? undefined : body });
    const text = await up.text();
    /** @type {Record<string, string>} */
    const out = {};
    for (const h of ["etag", "idempotent-replayed", "retry-after"]) {
      const v = up.headers.get(h);
      if (v !== null) out[h] = v;
    }
    if (fault === "no-etag") delete out.etag;
    if (fault === "hard-delete" && method === "DELETE" && one && up.ok) {
      gone.add(one);
      res.writeHead(204);
      return res.end();
    }
    let answer = JSON.parse(text);
    if (m && m[2] === undefined && method === "GET" && Array.isArray(answer?.data)) {
      if (fault === "skipping-cursor" && answer.has_more) answer = { ...answer, cursor: String(Number(answer.cursor) + 1) };
      if (fault === "hard-delete") answer = { ...answer, data: answer.data.filter((/** @type {any} */ r) => !gone.has(`${m[1]}/${r.id}`)) };
    }
    sendJson(res, up.status, answer, out);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: "internal_error", message: String(e?.message ?? e) } });
    });
  });
  const { origin } = await listen(server, 0);
  return {
    url: origin,
    upstream,
    async close() {
      await close(server);
      await upstream.close();
    },
  };
}
