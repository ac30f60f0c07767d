// The operator console: an HTTP server (127.0.0.1 by default) with the store's runs, its inbox,
// every pair's explanation and history, acting through src/app/actions — the same functions as bin/sync.mjs.
// On a store with tenants (src/tenants/) it serves them all: / is the overview of every tenant, /t/<id>/…
// that tenant's pages (the same pages, on its rows and with its own systems), and a selector on every page.
// Safe by default: a login token, an HttpOnly SameSite=Strict session, a CSRF token on every POST,
// no cross-origin request, a strict CSP (no inline script), every page and answer through the app's
// redactor, and every asset served from this folder and installed packages (no CDN).
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Sessions, sameOrigin, sameSecret } from "./auth.mjs";
import { errorPage, inboxPage, itemView, loginPage, overviewPage, explainPage, historyPage, runPage, tenantsPage } from "./pages.mjs";
import { listInbox, itemOf } from "../app/actions/inbox.mjs";
import { linkPair } from "../app/actions/link.mjs";
import { confirmItem, resolveItem } from "../app/actions/resolve.mjs";
import { retryRecord } from "../app/actions/retry.mjs";
import { explainPair } from "../app/actions/explain.mjs";
import { pairHistory } from "../app/actions/history.mjs";
import { Inbox } from "../app/inbox.mjs";
import { redact, redactValue } from "../app/redact.mjs";
import { UsageError } from "../app/errors.mjs";
import { tenantApp } from "../app/app.mjs";
import { withoutCredentials } from "../app/clients/chargebee.mjs";
import { ID, configOfTenant, listTenants } from "../tenants/tenants.mjs";
import { tenantOverview } from "../tenants/commands.mjs";

const require = createRequire(import.meta.url);
const uplot = (/** @type {string} */ f) => require.resolve(`uplot/dist/${f}`);
/** path → [file, content type] @type {Record<string, [URL | string, string]>} */
const ASSETS = {
  "/assets/console.js": [new URL("./assets/console.js", import.meta.url), "text/javascript; charset=utf-8"],
  "/assets/console.css": [new URL("./assets/console.css", import.meta.url), "text/css; charset=utf-8"],
  "/assets/uPlot.iife.min.js": [uplot("uPlot.iife.min.js"), "text/javascript; charset=utf-8"],
  "/assets/uPlot.min.css": [uplot("uPlot.min.css"), "text/css; charset=utf-8"],
};

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const HEADERS = {
  "content-security-policy": CSP, "x-content-type-options": "nosniff", "x-frame-options": "DENY",
  // same-origin (not no-referrer): a same-origin POST then carries its Origin, which the server checks
  "referrer-policy": "same-origin", "cross-origin-opener-policy": "same-origin", "cross-origin-resource-policy": "same-origin",
};
const BODY_LIMIT = 16 * 1024;
const LOOPBACK = ["127.0.0.1", "localhost", "::1"];

/**
 * @typedef {object} ConsoleOptions
 * @property {import("../app/app.mjs").App} [app] the store's one tenant (without `tenants`)
 * @property {{ store: import("../app/store/store.mjs").Store, env?: NodeJS.ProcessEnv }} [tenants] a store with
 *   tenants: every tenant's pages, each tenant's systems configured from its settings and `env` (its secrets)
 * @property {number} [port] default 8484; 0 picks a free one
 * @property {string} [host] default 127.0.0.1
 * @property {string | null} [token] the login token (CONSOLE_TOKEN); one is made when none is given
 * @property {number} [lockWaitSeconds] how long link and retry wait for a running sync's lock (default 60)
 */

/** @param {ConsoleOptions} o */
export async function startConsole(o) {
  const sessions = new Sessions({ token: o.token });
  const host = o.host ?? "127.0.0.1";
  if (!o.app && !o.tenants) throw new Error("startConsole needs an app or a store with tenants");
  const handler = new ConsoleHandler(o.app ?? null, sessions, o.lockWaitSeconds ?? 60, LOOPBACK.includes(host), o.tenants ?? null);
  const server = createServer((req, res) => {
    handler.handle(req, res).catch((e) => {
      if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", `internal error: ${e instanceof Error ? e.message : e}`);
      else res.destroy();
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 8484, host, () => resolve(undefined));
  });
  const port = /** @type {import("node:net").AddressInfo} */ (server.address()).port;
  const shown = host.includes(":") ? `[${host}]` : host;
  const url = `http://${shown}:${port}`;
  handler.origins = new Set([url, `http://localhost:${port}`, `http://127.0.0.1:${port}`]);
  return {
    url, port, token: sessions.token, generated: sessions.generated, sessions,
    loginUrl: `${url}/login?token=${encodeURIComponent(sessions.token)}`,
    /** @returns {Promise<void>} */
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/**
 * @param {import("node:http").ServerResponse} res @param {number} status @param {string} type @param {string | Buffer} body
 * @param {Record<string, string>} [extra]
 */
function send(res, status, type, body, extra = {}) {
  const data = typeof body === "string" ? Buffer.from(redact(body)) : body;
  res.writeHead(status, { ...HEADERS, "content-type": type, "content-length": String(data.length), "cache-control": "no-store", ...extra });
  res.end(data);
}
/** @param {import("node:http").ServerResponse} res @param {number} status @param {import("./html.mjs").Html} page @param {Record<string, string>} [extra] */
const sendHtml = (res, status, page, extra) => send(res, status, "text/html; charset=utf-8", page.text, extra);
/** @param {import("node:http").ServerResponse} res @param {number} status @param {unknown} value */
const sendJson = (res, status, value) => send(res, status, "application/json; charset=utf-8", JSON.stringify(redactValue(value)));
/** @param {import("node:http").ServerResponse} res @param {string} location @param {Record<string, string>} [extra] */
const redirect = (res, location, extra = {}) => {
  res.writeHead(303, { ...HEADERS, location, "cache-control": "no-store", "content-length": "0", ...extra });
  res.end();
};

/** The status an action's error answers with: a person's mistake 400, a locked store 409, a system 502. @param {unknown} e */
function statusOf(e) {
  const name = /** @type {any} */ (e)?.name;
  return e instanceof UsageError ? 400 : name === "LockedError" ? 409 : 502;
}

/** @param {import("node:http").IncomingMessage} req @returns {Promise<URLSearchParams>} */
async function formBody(req) {
  const type = String(req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  // Only the form encoding: a page elsewhere cannot send JSON here without a CORS preflight, which is never granted.
  if (type !== "application/x-www-form-urlencoded") throw Object.assign(new Error("a form body (application/x-www-form-urlencoded) is expected"), { status: 415 });
  /** @type {Buffer[]} */
  const chunks = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > BODY_LIMIT) throw Object.assign(new Error(`the body is over ${BODY_LIMIT} bytes`), { status: 413 });
    chunks.push(c);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/**
 * What a request is about: the app of its tenant (null: the tenants' own pages), the page's path within
 * that tenant, and where its links go.
 * @typedef {{ app: import("../app/app.mjs").App | null, path: string, base: string, where: import("./pages.mjs").Where, missing: string | null }} Context
 */

/** The pages a tenant selector may go to. */
const PAGES = ["/", "/inbox", "/explain", "/history"];

class ConsoleHandler {
  /**
   * @param {import("../app/app.mjs").App | null} app @param {Sessions} sessions @param {number} lockWait @param {boolean} loopback
   * @param {{ store: import("../app/store/store.mjs").Store, env?: NodeJS.ProcessEnv } | null} tenants
   */
  constructor(app, sessions, lockWait, loopback, tenants) {
    this.app = app;
    this.tenants = tenants;
    this.sessions = sessions;
    this.lockWait = lockWait;
    this.loopback = loopback;
    /** @type {Set<string>} the console's own origins, set once it listens */
    this.origins = new Set();
  }

  /** @param {import("node:http").IncomingMessage} req @param {import("node:http").ServerResponse} res */
  async handle(req, res) {
    const url = new URL(req.url ?? "/", "http://console.invalid");
    const path = url.pathname;
    // On loopback, a Host of another name is a DNS-rebinding page: refused. Elsewhere the Host is the console's name.
    const own = `http://${req.headers.host}`;
    if (this.loopback && !this.origins.has(own)) return send(res, 421, "text/plain; charset=utf-8", "unknown host");
    if ((req.headers.origin !== undefined && req.headers.origin !== own) || !sameOrigin(req, own)) {
      return send(res, 403, "text/plain; charset=utf-8", "cross-origin requests are refused");
    }
    const method = req.method ?? "GET";
    if (method === "GET" && path in ASSETS) {
      const [file, type] = ASSETS[path];
      return send(res, 200, type, readFileSync(file), { "cache-control": "private, max-age=3600" });
    }
    if (path === "/login" && method === "GET") return this.login(url, res);
    const session = this.sessions.of(req);
    const api = path.startsWith("/api/");
    const wantsJson = api || String(req.headers.accept ?? "").includes("application/json");
    if (!session) {
      if (wantsJson || method !== "GET") return sendJson(res, 401, { error: "log in first: open the login link the console printed" });
      return sendHtml(res, 401, loginPage());
    }
    if (method === "POST") {
      let form;
      try {
        form = await formBody(req);
      } catch (e) {
        return sendJson(res, /** @type {any} */ (e).status ?? 400, { error: e instanceof Error ? e.message : String(e) });
      }
      const presented = String(req.headers["x-csrf-token"] ?? form.get("csrf") ?? "");
      if (!presented || !sameSecret(presented, session.csrf)) return sendJson(res, 403, { error: "missing or wrong CSRF token" });
      if (path === "/logout") return this.post(path, form, req, res, session.csrf, wantsJson, null);
      const ctx = await this.contextOf(path);
      if (!ctx?.app) return sendJson(res, 404, { error: ctx ? `no action ${path}: choose a tenant first` : `no tenant at ${path} (see the overview of tenants)` });
      return this.post(ctx.path, form, req, res, session.csrf, wantsJson, ctx);
    }
    if (method !== "GET" && method !== "HEAD") return send(res, 405, "text/plain; charset=utf-8", "method not allowed", { allow: "GET, POST" });
    const ctx = await this.contextOf(path);
    if (!ctx) return wantsJson ? sendJson(res, 404, { error: `no tenant at ${path}` }) : sendHtml(res, 404, errorPage(404, `no tenant at ${path} (see the overview of tenants)`, session.csrf, { tenant: { current: null, ids: await this.tenantIds() } }));
    if (!ctx.app) return this.getTenants(ctx, url, res, session.csrf);
    return this.get(ctx.path, url, res, session.csrf, ctx);
  }

  /** Every tenant's id, or [] when the console serves the store's one tenant. */
  async tenantIds() {
    return this.tenants ? (await listTenants(this.tenants.store)).map((t) => t.id) : [];
  }

  /**
   * The context of a request's path: the one app; or, on a store with tenants, /t/<id>/… for a tenant's
   * pages and anything else for the tenants' own pages. Null: no such tenant.
   * @param {string} path @returns {Promise<Context | null>}
   */
  async contextOf(path) {
    if (!this.tenants) return { app: /** @type {import("../app/app.mjs").App} */ (this.app), path, base: "", where: {}, missing: null };
    const ids = await this.tenantIds();
    const m = /^\/t\/([^/]*)(\/.*)?$/.exec(path);
    if (!m) return { app: null, path, base: "", where: { tenant: { current: null, ids } }, missing: null };
    const id = m[1];
    if (!ID.test(id) || !ids.includes(id)) return null;
    const base = `/t/${id}`;
    const { store, env } = this.tenants;
    /** @type {import("../app/app.mjs").App} */
    let app;
    let missing = null;
    try {
      app = await tenantApp(store, id, { env, systems: true });
    } catch (e) {
      // This process lacks the tenant's secrets (or its settings do not make a configuration): its store's
      // pages still show; Explain, Link and Retry, which read its systems, say why they cannot.
      if (!(e instanceof UsageError)) throw e;
      app = await tenantApp(store, id, { env, systems: false });
      missing = `this console cannot reach tenant ${id}'s systems: ${e.message}`;
    }
    return { app, path: m[2] || "/", base, where: { base, tenant: { current: id, ids } }, missing };
  }

  /**
   * The tenants' own pages: the overview of every tenant (and its JSON), and the selector's answer.
   * @param {Context} ctx @param {URL} url @param {import("node:http").ServerResponse} res @param {string} csrf
   */
  async getTenants(ctx, url, res, csrf) {
    const store = /** @type {NonNullable<typeof this.tenants>} */ (this.tenants).store;
    if (ctx.path === "/tenant") {
      const id = url.searchParams.get("id") ?? "";
      const page = url.searchParams.get("page") ?? "/";
      if (id === "") return redirect(res, "/");
      if (!ID.test(id) || !ctx.where.tenant?.ids.includes(id)) return sendHtml(res, 404, errorPage(404, `no tenant ${JSON.stringify(id)}`, csrf, ctx.where));
      return redirect(res, `/t/${id}${PAGES.includes(page) ? page : "/"}`);
    }
    if (ctx.path === "/" || ctx.path === "/api/tenants") {
      const rows = (await tenantOverview(store)).map((t) => ({ ...t, chargebee: withoutCredentials(t.chargebee), customerp: t.customerp && withoutCredentials(t.customerp) }));
      // Every tenant's secrets this process can read are known to the redactor before any page is sent.
      for (const t of await listTenants(store)) {
        try {
          configOfTenant(t.id, t.spec, { env: this.tenants?.env, db: store.path });
        } catch {
          // not readable here: then not in this process either
        }
      }
      return ctx.path === "/api/tenants" ? sendJson(res, 200, rows) : sendHtml(res, 200, tenantsPage({ rows, csrf, ...ctx.where }));
    }
    return sendHtml(res, 404, errorPage(404, `no page ${ctx.path}: choose a tenant`, csrf, ctx.where));
  }

  /** @param {URL} url @param {import("node:http").ServerResponse} res */
  login(url, res) {
    const token = url.searchParams.get("token");
    if (token === null) return sendHtml(res, 200, loginPage());
    const s = this.sessions.login(token);
    if (!s) return sendHtml(res, 401, loginPage({ error: "That login token is not valid." }));
    return redirect(res, "/", { "set-cookie": this.sessions.cookie(s.id) });
  }

  /** @param {string} path @param {URL} url @param {import("node:http").ServerResponse} res @param {string} csrf @param {Context} ctx */
  async get(path, url, res, csrf, ctx) {
    const app = /** @type {import("../app/app.mjs").App} */ (ctx.app);
    const where = ctx.where;
    const q = Object.fromEntries(url.searchParams);
    try {
      if (path === "/") {
        return sendHtml(res, 200, overviewPage({ runs: await app.store.runs(8), chartRuns: await app.store.runs(100), counts: await new Inbox(app.store).counts(), csrf, ...where }));
      }
      if (path === "/inbox" || path === "/api/inbox") {
        const filter = { kind: q.kind || undefined, flow: q.flow || undefined, state: q.state && q.state !== "all" ? q.state : undefined, all: q.state === "all" };
        const items = await listInbox(app, filter);
        return path === "/api/inbox" ? sendJson(res, 200, items) : sendHtml(res, 200, inboxPage({ items, filter: { ...filter, state: q.state || undefined }, csrf, ...where }));
      }
      if (path === "/api/runs") return sendJson(res, 200, await app.store.runs(Number(q.limit) || 20));
      if (path === "/explain" || path === "/api/explain") {
        const query = explainQuery(q);
        if (!query.id) return path === "/api/explain" ? sendJson(res, 400, { error: "give flow, side and id" }) : sendHtml(res, 200, explainPage({ csrf, query, ...where }));
        try {
          if (ctx.missing) throw new UsageError(ctx.missing);
          const result = await explainPair(app, { flow: query.flow ?? "", record: `${query.side}:${query.id}` });
          return path === "/api/explain" ? sendJson(res, 200, result) : sendHtml(res, 200, explainPage({ csrf, query, result, ...where }));
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          return path === "/api/explain" ? sendJson(res, statusOf(e), { error: message }) : sendHtml(res, statusOf(e), explainPage({ csrf, query, error: message, ...where }));
        }
      }
      if (path === "/history" || path === "/api/history") {
        const query = explainQuery(q);
        if (!query.id) return path === "/api/history" ? sendJson(res, 400, { error: "give flow, side and id" }) : sendHtml(res, 200, historyPage({ csrf, query, ...where }));
        try {
          const result = await pairHistory(app, { flow: query.flow ?? "", record: `${query.side}:${query.id}` });
          return path === "/api/history" ? sendJson(res, 200, result) : sendHtml(res, 200, historyPage({ csrf, query, result, ...where }));
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          return path === "/api/history" ? sendJson(res, statusOf(e), { error: message }) : sendHtml(res, statusOf(e), historyPage({ csrf, query, error: message, ...where }));
        }
      }
      const run = /^\/runs\/(\d+)$/.exec(path);
      if (run) {
        const r = await app.store.run(Number(run[1]));
        if (!r) return sendHtml(res, 404, errorPage(404, `no run ${run[1]}`, csrf, where));
        return sendHtml(res, 200, runPage({ run: r, log: await app.store.logEntries({ run: r.id }), csrf, ...where }));
      }
      return sendHtml(res, 404, errorPage(404, `no page ${path}`, csrf, where));
    } catch (e) {
      return sendHtml(res, statusOf(e), errorPage(statusOf(e), e instanceof Error ? e.message : String(e), csrf, where));
    }
  }

  /**
   * A person's action: through src/app/actions, then the item(s) it changed, re-rendered.
   * @param {string} path @param {URLSearchParams} form @param {import("node:http").IncomingMessage} req
   * @param {import("node:http").ServerResponse} res @param {string} csrf @param {boolean} wantsJson @param {Context | null} ctx (null: /logout)
   */
  async post(path, form, req, res, csrf, wantsJson, ctx) {
    if (path === "/logout") {
      this.sessions.logout(req);
      return redirect(res, "/login", { "set-cookie": this.sessions.cookie("").replace(/Max-Age=\d+/, "Max-Age=0") });
    }
    const c = /** @type {Context} */ (ctx);
    const t0 = performance.now();
    try {
      const { message, items } = await this.act(path, form, c);
      const ms = Math.round(performance.now() - t0);
      if (!wantsJson) return redirect(res, `${c.base}/inbox${items[0] ? `#item-${items[0].id}` : ""}`);
      return sendJson(res, 200, { message, ms, items: items.map((i) => ({ id: i.id, state: i.state, html: itemView(i, csrf, c.base).text })) });
    } catch (e) {
      const status = /** @type {any} */ (e)?.status ?? statusOf(e);
      const message = e instanceof Error ? e.message : String(e);
      if (!wantsJson) return sendHtml(res, status, errorPage(status, message, csrf, c.where));
      return sendJson(res, status, { error: message });
    }
  }

  /** @param {string} path @param {URLSearchParams} form @param {Context} ctx @returns {Promise<{ message: string, items: import("../app/inbox.mjs").Item[] }>} */
  async act(path, form, ctx) {
    const app = /** @type {import("../app/app.mjs").App} */ (ctx.app);
    if (path === "/link") {
      if (ctx.missing) throw new UsageError(ctx.missing);
      const r = await linkPair(app, { flow: form.get("flow") ?? "", customerpId: form.get("customerpId") ?? "", chargebeeId: form.get("chargebeeId") ?? "", waitSeconds: this.lockWait });
      const ids = [...new Set([...(form.get("item") ? [Number(form.get("item"))] : []), ...r.resolved, ...r.held.map((h) => h.item)])];
      const held = r.held.map((h) => `still held: ${h.side} ${h.id} (item ${h.item}: link it, or dismiss that item to sync it on its own)`);
      return { message: [`linked in ${r.flow}: Customerp ${r.customerpId} ⇄ Chargebee ${r.chargebeeId}; the next run merges them`, ...held].join(". "), items: await Promise.all(ids.map((id) => itemOf(app, id))) };
    }
    const m = /^\/items\/(\d+)\/(keep-customerp|keep-chargebee|done|dismiss|confirm|retry)$/.exec(path);
    if (!m) throw Object.assign(new Error(`no action ${path}`), { status: 404 });
    const id = Number(m[1]);
    /** @type {import("../app/inbox.mjs").Item} */
    let item;
    switch (m[2]) {
      case "keep-customerp":
      case "keep-chargebee":
        item = await resolveItem(app, { id, keep: m[2].slice(5) });
        break;
      case "done":
        item = await resolveItem(app, { id, done: true });
        break;
      case "dismiss":
        item = await resolveItem(app, { id, dismiss: true });
        break;
      case "confirm":
        item = await confirmItem(app, { id });
        break;
      default: {
        if (ctx.missing) throw new UsageError(ctx.missing);
        const before = await itemOf(app, id);
        const side = before.customerpId && !before.customerpId.includes(",") ? "customerp" : "chargebee";
        const recordId = side === "customerp" ? before.customerpId : before.chargebeeId;
        if (!before.flow || !recordId || recordId.includes(",")) throw new UsageError(`item ${id} names no single record to retry`);
        const r = await retryRecord(app, { flow: before.flow, record: `${side}:${recordId}`, waitSeconds: this.lockWait });
        const st = /** @type {any} */ (r.summary.flows[r.flow]);
        const message = `retried ${r.flow} ${side}:${recordId}: ${r.found ? "" : "not found; "}created ${st.created.customerp}/${st.created.chargebee}, updated ${st.updated.customerp}/${st.updated.chargebee}, errors ${st.errors}; ${r.link ? `linked: Customerp ${r.link.customerp} ⇄ Chargebee ${r.link.chargebee}` : `not linked${r.held ? `: ${r.held}` : ""}`}`;
        return { message, items: [await itemOf(app, id)] };
      }
    }
    return { message: `item ${item.id}: ${item.state}${item.resolution ? ` (${item.resolution})` : ""}`, items: [item] };
  }
}

/** flow, side and id of the explain form (or `record=side:id`). @param {Record<string, string>} q */
function explainQuery(q) {
  const m = /^(customerp|chargebee):(.+)$/.exec(q.record ?? "");
  return { flow: q.flow || undefined, side: m ? m[1] : q.side === "chargebee" ? "chargebee" : "customerp", id: (m ? m[2] : q.id)?.trim() || undefined };
}

