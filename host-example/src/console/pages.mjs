// The console's pages, rendered on the server from what the actions return: Overview, Inbox, Explain,
// History, Run, and the login form. Every value goes through html`` (escaped); the one script is
// /assets/console.js (no inline script: the CSP forbids it).
import { html } from "./html.mjs";
import { KINDS } from "../app/inbox.mjs";
import { FLOWS } from "../app/flows.mjs";
import { idsIn } from "../app/inbox.mjs";

export const STATES = ["open", "decided", "resolved", "dismissed"];

/**
 * Where a page is: `base` is the path its links start with ("" for the store's one tenant, /t/<id> for a
 * tenant's pages), `tenant` the tenant shown and every tenant's id (for the selector), when the store has tenants.
 * @typedef {{ base?: string, tenant?: { current: string | null, ids: string[] } | null }} Where
 */

/**
 * @param {{ title: string, body: import("./html.mjs").Html, csrf?: string | null, current?: string, chart?: boolean } & Where} p
 */
export function layout(p) {
  const base = p.base ?? "";
  /** @type {[string, string][]} */
  const pages = [["/", "Overview"], ["/inbox", "Inbox"], ["/explain", "Explain"], ["/history", "History"]];
  const t = p.tenant;
  /** @type {[string, string, boolean][]} href, label, current */
  const nav = [
    ...(t ? /** @type {[string, string, boolean][]} */ ([["/", "Tenants", t.current === null]]) : []),
    ...(!t || t.current !== null ? pages.map(([href, label]) => /** @type {[string, string, boolean]} */ ([`${base}${href}`, label, p.current === href])) : []),
  ];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${p.csrf ? html`<meta name="csrf-token" content="${p.csrf}">` : ""}
<title>${p.title} · customerp-chargebee console</title>
<link rel="icon" href="data:,">
${p.chart ? html`<link rel="stylesheet" href="/assets/uPlot.min.css">` : ""}
<link rel="stylesheet" href="/assets/console.css">
${p.chart ? html`<script src="/assets/uPlot.iife.min.js" defer></script>` : ""}
<script src="/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<p class="brand">customerp-chargebee</p>
${p.csrf && t ? tenantSelector(t, p.current) : ""}
${p.csrf ? html`<nav aria-label="Pages"><ul>${nav.map(([href, label, here]) => html`<li><a href="${href}"${here ? html` aria-current="page"` : ""}>${label}</a></li>`)}</ul></nav>
<form method="post" action="/logout" class="logout"><input type="hidden" name="csrf" value="${p.csrf}"><button>Log out</button></form>` : ""}
</header>
<main id="main">
${p.body}
</main>
</body>
</html>
`;
}

/**
 * The tenant selector: a GET form to /tenant, which answers with the same page of the chosen tenant.
 * @param {{ current: string | null, ids: string[] }} t @param {string | undefined} current the page (/, /inbox…)
 */
function tenantSelector(t, current) {
  return html`<form method="get" action="/tenant" class="tenant" aria-label="Choose a tenant">
<label for="tenant-select">Tenant</label>
<select id="tenant-select" name="id">${t.current === null ? html`<option value="">all tenants</option>` : ""}${t.ids.map((id) => html`<option${id === t.current ? html` selected` : ""}>${id}</option>`)}</select>
<input type="hidden" name="page" value="${t.current === null ? "/" : current ?? "/"}">
<button>Show</button>
</form>`;
}

/** @param {{ error?: string }} [o] */
export function loginPage(o = {}) {
  return layout({
    title: "Log in",
    body: html`<h1>Log in</h1>
<p>The console prints a login link when it starts (or uses <code>CONSOLE_TOKEN</code>). Open that link, or paste its token here.</p>
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ""}
<form method="get" action="/login" class="login">
<label for="token">Login token</label>
<input id="token" name="token" type="password" autocomplete="off" required>
<button>Log in</button>
</form>`,
  });
}

/** @param {number} status @param {string} message @param {string | null} csrf @param {Where} [where] */
export function errorPage(status, message, csrf, where = {}) {
  return layout({ title: `Error ${status}`, csrf, ...where, body: html`<h1>Error ${status}</h1><p class="error" role="alert">${message}</p>` });
}

// ---- overview ---------------------------------------------------------------------------------

/** @param {any} st */
const both = (st) => `${st.customerp}/${st.chargebee}`;
/** @param {any} summary */
const live = (summary) => Object.entries(summary?.flows ?? {}).filter(([, s]) => !("skipped" in /** @type {any} */ (s)));
/** @param {any} summary @param {"conflicts" | "errors"} k */
const sum = (summary, k) => live(summary).reduce((n, [, s]) => n + /** @type {any} */ (s)[k], 0);
/** @param {any} summary */
const writesOf = (summary) => (summary ? summary.requests.customerp.writes + summary.requests.chargebee.writes : 0);
/** @param {{ started: string, finished: string | null }} r */
const duration = (r) => (r.finished ? `${((Date.parse(r.finished) - Date.parse(r.started)) / 1000).toFixed(2)} s` : "running (or stopped)");
/** @param {any} summary */
const requests = (summary) => {
  if (!summary) return "-";
  const { customerp: cp, chargebee: cb } = summary.requests;
  return `Customerp ${cp.reads} reads, ${cp.writes} writes · Chargebee ${cb.reads} reads, ${cb.writes} writes`;
};

/**
 * The chart's data, oldest first: run ids (the x axis), their start times, and writes, conflicts and errors.
 * @param {{ id: number, started: string, summary: any }[]} runs
 */
export function chartSeries(runs) {
  const rs = [...runs].reverse().filter((r) => r.summary);
  return { runs: rs.map((r) => r.id), started: rs.map((r) => r.started), writes: rs.map((r) => writesOf(r.summary)), conflicts: rs.map((r) => sum(r.summary, "conflicts")), errors: rs.map((r) => sum(r.summary, "errors")) };
}

/** @param {any} summary */
export function flowTable(summary) {
  return html`<div class="scroll"><table>
<thead><tr><th scope="col">flow</th><th scope="col">read CP/CB</th><th scope="col">created CP/CB</th><th scope="col">updated CP/CB</th><th scope="col">deleted CP/CB</th><th scope="col">conflicts</th><th scope="col">errors</th></tr></thead>
<tbody>${Object.entries(summary?.flows ?? {}).map(([flow, s]) => "skipped" in /** @type {any} */ (s)
    ? html`<tr><th scope="row">${flow}</th><td colspan="6">skipped</td></tr>`
    : html`<tr><th scope="row">${flow}</th><td>${both(s.read)}</td><td>${both(s.created)}</td><td>${both(s.updated)}</td><td>${both(s.deleted)}</td><td>${s.conflicts}</td><td${s.errors ? html` class="bad"` : ""}>${s.errors}</td></tr>`)}</tbody>
</table></div>`;
}

/**
 * @param {{ runs: { id: number, started: string, finished: string | null, summary: any }[], chartRuns: { id: number, started: string, summary: any }[], counts: Record<string, number>, csrf: string } & Where} o
 */
export function overviewPage(o) {
  const base = o.base ?? "";
  const tenant = o.tenant?.current ? ` --tenant ${o.tenant.current}` : "";
  const series = chartSeries(o.chartRuns);
  const open = KINDS.filter((k) => o.counts[k]);
  return layout({
    title: o.tenant?.current ? `Overview of ${o.tenant.current}` : "Overview", csrf: o.csrf, current: "/", chart: true, base: o.base, tenant: o.tenant,
    body: html`<h1>Overview${o.tenant?.current ? html` of tenant <span class="tenant-id">${o.tenant.current}</span>` : ""}</h1>
<section aria-labelledby="inbox-h">
<h2 id="inbox-h">Inbox: open items by kind</h2>
${open.length ? html`<ul class="counts">${open.map((k) => html`<li><a href="${base}/inbox?kind=${k}">${k}</a> <strong>${o.counts[k]}</strong></li>`)}</ul>` : html`<p>Nothing waits for a person.</p>`}
</section>
<section aria-labelledby="chart-h">
<h2 id="chart-h">Writes, conflicts and errors per run</h2>
<div id="chart" class="chart" role="img" aria-label="Chart of writes, conflicts and errors of the last ${series.runs.length} runs, oldest first; the same figures are in the runs below" data-series="${JSON.stringify(series)}"></div>
</section>
<section aria-labelledby="runs-h">
<h2 id="runs-h">Last runs</h2>
${o.runs.length ? o.runs.map((r) => html`<section class="run" aria-labelledby="run-${r.id}-h">
<h3 id="run-${r.id}-h"><a href="${base}/runs/${r.id}">Run ${r.id}</a></h3>
<p>started <time datetime="${r.started}">${r.started}</time> · ${duration(r)} · ${writesOf(r.summary)} writes, ${sum(r.summary, "conflicts")} conflicts, ${sum(r.summary, "errors")} errors</p>
<p>requests sent: ${requests(r.summary)}</p>
${r.summary ? flowTable(r.summary) : ""}
</section>`) : html`<p>No run yet: <code>node bin/sync.mjs run${tenant}</code>.</p>`}
</section>`,
  });
}

// ---- tenants ----------------------------------------------------------------------------------

/**
 * Every tenant at a glance (the data of `tenant list --json`): its systems, each flow's last run (when,
 * outcome, errors) and its open inbox items by kind, each linking to that tenant's pages.
 * @param {{ rows: Awaited<ReturnType<typeof import("../tenants/commands.mjs").tenantOverview>>, csrf: string } & Where} o
 */
export function tenantsPage(o) {
  const open = (/** @type {Record<string, number>} */ c) => Object.values(c).reduce((n, k) => n + k, 0);
  const flows = FLOWS.map((f) => f.id);
  const failing = o.rows.filter((t) => Object.values(t.flows).some((r) => (r.errors ?? 0) > 0 || (r.outcome !== null && r.outcome !== "ok" && r.outcome !== "running"))).length;
  return layout({
    title: "Tenants", csrf: o.csrf, current: "/", tenant: o.tenant,
    body: html`<h1>Tenants</h1>
<p>${o.rows.length} tenant${o.rows.length === 1 ? "" : "s"} · ${failing} with errors in a flow's last run · ${o.rows.reduce((n, t) => n + open(t.inbox), 0)} open inbox items in all.</p>
<div class="scroll"><table class="tenants">
<caption>Each tenant's flows: the last run's outcome, errors and end (UTC); and its open inbox items by kind</caption>
<thead><tr><th scope="col">tenant</th><th scope="col">systems</th>${flows.map((f) => html`<th scope="col">${f}</th>`)}<th scope="col">open items</th></tr></thead>
<tbody>${o.rows.map((t) => html`<tr id="tenant-${t.id}">
<th scope="row"><a href="/t/${t.id}/">${t.id}</a></th>
<td data-label="systems">Chargebee ${t.chargebee}<br>Customerp ${t.customerp ?? "-"}<br>every ${t.pollSeconds} s</td>
${flows.map((f) => {
    const r = t.flows[f];
    if (!r) return html`<td data-label="${f}" class="muted">not run yet</td>`;
    const bad = (r.errors ?? 0) > 0 || (r.outcome !== null && r.outcome !== "ok" && r.outcome !== "running");
    return html`<td data-label="${f}"${bad ? html` class="bad"` : ""}><a href="/t/${t.id}/runs/${r.run}">run ${r.run}</a> ${r.outcome ?? "?"}${r.errors ? ` · ${r.errors} errors` : ""}${r.at ? html`<br><time datetime="${r.at}">${r.at.slice(0, 19).replace("T", " ")}</time>` : ""}</td>`;
  })}
<td data-label="open items" class="open-items">${open(t.inbox) ? html`<ul class="counts">${KINDS.filter((k) => t.inbox[k]).map((k) => html`<li><a href="/t/${t.id}/inbox?kind=${k}">${k}</a> <strong>${t.inbox[k]}</strong></li>`)}</ul>` : "none"}</td>
</tr>`)}</tbody>
</table></div>`,
  });
}

// ---- inbox ------------------------------------------------------------------------------------

/** @param {import("../app/inbox.mjs").Item} i */
const runsOf = (i) => (i.firstRun === null ? "-" : i.firstRun === i.lastRun ? String(i.firstRun) : `${i.firstRun}–${i.lastRun}`);

/**
 * The actions that apply to an item, as the forms of its buttons.
 * @param {import("../app/inbox.mjs").Item} i
 * @returns {{ label: string, action: string, fields?: Record<string, string>, note?: string }[]}
 */
export function actionsOf(i) {
  /** @type {{ label: string, action: string, fields?: Record<string, string>, note?: string }[]} */
  const out = [];
  const live = i.state === "open" || i.state === "decided";
  const flow = i.flow ?? "";
  if (live && i.kind === "ambiguous" && i.flow) {
    for (const cp of idsIn(i.customerpId)) for (const cb of idsIn(i.chargebeeId)) {
      out.push({ label: "Link", action: "/link", fields: { flow, customerpId: cp, chargebeeId: cb, item: String(i.id) }, note: `Customerp ${cp} ⇄ Chargebee ${cb}` });
    }
  }
  if (live && i.kind === "conflict" && i.detail?.property !== "deleted") {
    out.push({ label: "Keep Customerp", action: `/items/${i.id}/keep-customerp` }, { label: "Keep Chargebee", action: `/items/${i.id}/keep-chargebee` });
  }
  if (live && (i.kind === "manual" || i.kind === "drift" || i.kind === "undo")) out.push({ label: "Mark done", action: `/items/${i.id}/done` });
  if (live && i.flow && (i.customerpId || i.chargebeeId) && (i.kind === "error" || i.kind === "waiting" || (i.kind === "conflict" && i.detail?.property === "deleted") || (i.kind === "ambiguous" && !(i.customerpId && i.chargebeeId)))) {
    out.push({ label: "Retry", action: `/items/${i.id}/retry` });
  }
  if (i.kind === "guard" && i.state === "open") out.push({ label: "Confirm", action: `/items/${i.id}/confirm` });
  if (live) out.push({ label: "Dismiss", action: `/items/${i.id}/dismiss` });
  return out;
}

/** The record an item's Explain opens: its Customerp record, else its Chargebee one. @param {import("../app/inbox.mjs").Item} i */
export function explainRef(i) {
  const cp = [...idsIn(i.customerpId)][0];
  const cb = [...idsIn(i.chargebeeId)][0];
  return i.flow && (cp || cb) ? { flow: i.flow, side: cp ? "customerp" : "chargebee", id: cp ?? cb } : null;
}

/** One inbox item with its buttons. @param {import("../app/inbox.mjs").Item} i @param {string} csrf @param {string} [base] */
export function itemView(i, csrf, base = "") {
  const ex = explainRef(i);
  return html`<article class="item kind-${i.kind} state-${i.state}" id="item-${i.id}" aria-labelledby="item-${i.id}-h">
<h3 id="item-${i.id}-h"><span class="kind">${i.kind}</span> <span class="flow">${i.flow ?? "(no flow)"}</span> <span class="id">item ${i.id}</span></h3>
<p class="state" tabindex="-1">state: <strong>${i.state}</strong>${i.resolution ? html` — ${i.resolution}` : ""}</p>
<dl class="ids"><div><dt>Customerp</dt><dd>${i.customerpId ?? "-"}</dd></div><div><dt>Chargebee</dt><dd>${i.chargebeeId ?? "-"}</dd></div><div><dt>runs</dt><dd>${runsOf(i)}</dd></div></dl>
<p class="message">${i.message}</p>
<div class="actions">
${actionsOf(i).map((a, n) => html`<form method="post" action="${base}${a.action}" data-item="${i.id}">
<input type="hidden" name="csrf" value="${csrf}">${Object.entries(a.fields ?? {}).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<button${a.note ? html` aria-describedby="item-${i.id}-a${n}"` : ""}>${a.label}</button>${a.note ? html` <span id="item-${i.id}-a${n}" class="note">${a.note}</span>` : ""}
</form>`)}
${ex ? html`<form method="get" action="${base}/explain"><input type="hidden" name="flow" value="${ex.flow}"><input type="hidden" name="side" value="${ex.side}"><input type="hidden" name="id" value="${ex.id}"><button>Explain</button></form>
<form method="get" action="${base}/history"><input type="hidden" name="flow" value="${ex.flow}"><input type="hidden" name="side" value="${ex.side}"><input type="hidden" name="id" value="${ex.id}"><button>History</button></form>` : ""}
</div>
</article>`;
}

/** @param {string} name @param {string} label @param {readonly string[]} values @param {string | undefined} chosen @param {string} any */
function select(name, label, values, chosen, any) {
  return html`<div class="field"><label for="f-${name}">${label}</label>
<select id="f-${name}" name="${name}"><option value="">${any}</option>${values.map((v) => html`<option${v === chosen ? html` selected` : ""}>${v}</option>`)}</select></div>`;
}

/**
 * @param {{ items: import("../app/inbox.mjs").Item[], filter: { kind?: string, flow?: string, state?: string }, csrf: string } & Where} o
 */
export function inboxPage(o) {
  const f = o.filter;
  const base = o.base ?? "";
  return layout({
    title: o.tenant?.current ? `Inbox of ${o.tenant.current}` : "Inbox", csrf: o.csrf, current: "/inbox", base: o.base, tenant: o.tenant,
    body: html`<h1>Inbox</h1>
<form method="get" action="${base}/inbox" class="filter" aria-label="Filter the inbox">
${select("kind", "Kind", KINDS, f.kind, "any kind")}
${select("flow", "Flow", FLOWS.map((x) => x.id), f.flow, "any flow")}
${select("state", "State", [...STATES, "all"], f.state, "open and decided")}
<button>Filter</button>
</form>
<p id="status" role="status" aria-live="polite"></p>
<h2>${o.items.length} item${o.items.length === 1 ? "" : "s"}</h2>
<div class="items" id="items">
${o.items.map((i) => itemView(i, o.csrf, base))}
</div>`,
  });
}

// ---- explain ----------------------------------------------------------------------------------

/** @param {unknown} v */
const cell = (v) => (v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v));
/** The decision's class, for its highlight. @param {string} d */
const decisionClass = (d) => (d.startsWith("conflict") || d.startsWith("kept") ? "conflict" : d.startsWith("copy") ? "copy" : d.startsWith("equal") ? "equal" : "other");

/**
 * @param {{ csrf: string, query: { flow?: string, side?: string, id?: string }, result?: any, error?: string } & Where} o
 */
export function explainPage(o) {
  const q = o.query;
  const e = o.result;
  const base = o.base ?? "";
  return layout({
    title: e ? `Explain ${e.flow} ${q.side}:${q.id}` : "Explain", csrf: o.csrf, current: "/explain", base: o.base, tenant: o.tenant,
    body: html`<h1>Explain a pair</h1>
<form method="get" action="${base}/explain" class="filter" aria-label="Explain a record">
${select("flow", "Flow", FLOWS.map((x) => x.id), q.flow, "choose a flow")}
<div class="field"><label for="f-side">Side</label><select id="f-side" name="side">${["customerp", "chargebee"].map((s) => html`<option value="${s}"${s === q.side ? html` selected` : ""}>${s === "customerp" ? "Customerp" : "Chargebee"}</option>`)}</select></div>
<div class="field"><label for="f-id">Record id</label><input id="f-id" name="id" value="${q.id ?? ""}" required></div>
<button>Explain</button>
</form>
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ""}
${e ? explainResult(e, base) : ""}`,
  });
}

/** @param {any} e @param {string} base */
function explainResult(e, base) {
  const status = e.linked ? `linked (${e.linkedBy}), ${e.base ? "with a last synced state" : "never synced: the next run merges them as at a first sync"}` : "not linked";
  const ref = e.link.customerp ? { side: "customerp", id: e.link.customerp } : { side: "chargebee", id: e.link.chargebee };
  return html`<section aria-labelledby="pair-h">
<h2 id="pair-h">${e.flow}: Customerp ${e.link.customerp ?? "(none)"} ⇄ Chargebee ${e.link.chargebee ?? "(none)"}</h2>
<p>${status} · <a href="${base}${historyHref(e.flow, ref.side, ref.id)}">History of this pair</a></p>
${e.held ? html`<p class="warn">held: ${e.held}: the run does not plan it until a person acts</p>` : ""}
${e.keep ? html`<p>linked by hand, keeping ${e.keep}'s values where they differ</p>` : ""}
${e.error ? html`<p class="error" role="alert">not planned: ${e.error.code ?? "error"}${e.error.path ? ` at ${e.error.path}` : ""}: ${e.error.message}</p>` : html`<div class="scroll"><table class="explain">
<caption>Property by property: both values (Chargebee's in Customerp's form), the last synced value, and the decision</caption>
<thead><tr><th scope="col">property</th><th scope="col">Customerp</th><th scope="col">Chargebee</th><th scope="col">last synced</th><th scope="col">decision</th></tr></thead>
<tbody>${e.rows.map((/** @type {any} */ r) => html`<tr class="decision-${decisionClass(r.decision)}"><th scope="row">${r.property}</th><td data-label="Customerp">${cell(r.customerp)}</td><td data-label="Chargebee">${cell(r.chargebee)}</td><td data-label="last synced">${cell(r.base?.customerp ?? null)}</td><td class="decision" data-label="decision">${decisionClass(r.decision) === "equal" ? r.decision : html`<mark>${r.decision}</mark>`}</td></tr>`)}</tbody>
</table></div>
${(e.warnings ?? []).map((/** @type {any} */ w) => html`<p class="warn">warning ${w.code}${w.property ? ` (${w.property})` : ""}: ${w.message}</p>`)}
${(e.waitingFor ?? []).map((/** @type {any} */ w) => html`<p class="warn">waiting for ${w.flow} ${w.customerpId} to be linked</p>`)}
${e.reason ? html`<p>reason: ${e.reason}</p>` : ""}
<h2>The requests the next run would send</h2>
${e.writes.length ? html`<ol class="writes">${e.writes.map((/** @type {any} */ p) => html`<li>
<p><strong>${p.side} ${p.action}</strong> ${p.side === "chargebee" ? `Chargebee ${p.chargebeeId ?? "(new)"}` : `Customerp ${p.customerpId ?? "(new)"}`} — <code>${p.method ? `${p.method} ${p.path}` : p.followUp ? "follow-up plan" : "by hand"}</code></p>
${p.changes.length ? html`<ul>${p.changes.map((/** @type {any} */ c) => html`<li><code>${c.property}</code>: ${cell(c.from) || "(empty)"} → ${cell(c.to) || "(empty)"}</li>`)}</ul>` : ""}
${p.reason ? html`<p>reason: ${p.reason}</p>` : ""}
</li>`)}</ol>` : html`<p>Nothing: the next run sends no request for this pair.</p>`}`}
${e.items?.length ? html`<h2>Inbox items of this record</h2><ul>${e.items.map((/** @type {any} */ i) => html`<li><a href="${base}/inbox?flow=${i.flow}&amp;state=all#item-${i.id}">item ${i.id}</a>: ${i.kind}, ${i.state} — ${i.message}</li>`)}</ul>` : ""}
</section>`;
}

// ---- history ----------------------------------------------------------------------------------

/** The History page of a record. @param {string} flow @param {string} side @param {string} id */
export const historyHref = (flow, side, id) => `/history?${new URLSearchParams({ flow, side, id })}`;

/**
 * A pair's history: every write the journal holds for it and its run log entries, newest first.
 * @param {{ csrf: string, query: { flow?: string, side?: string, id?: string },
 *   result?: Awaited<ReturnType<typeof import("../app/actions/history.mjs").pairHistory>>, error?: string } & Where} o
 */
export function historyPage(o) {
  const q = o.query;
  const h = o.result;
  const base = o.base ?? "";
  return layout({
    title: h ? `History ${h.flow} ${q.side}:${q.id}` : "History", csrf: o.csrf, current: "/history", base: o.base, tenant: o.tenant,
    body: html`<h1>History of a pair</h1>
<form method="get" action="${base}/history" class="filter" aria-label="The history of a record">
${select("flow", "Flow", FLOWS.map((x) => x.id), q.flow, "choose a flow")}
<div class="field"><label for="f-side">Side</label><select id="f-side" name="side">${["customerp", "chargebee"].map((x) => html`<option value="${x}"${x === q.side ? html` selected` : ""}>${x === "customerp" ? "Customerp" : "Chargebee"}</option>`)}</select></div>
<div class="field"><label for="f-id">Record id</label><input id="f-id" name="id" value="${q.id ?? ""}" required></div>
<button>Show history</button>
</form>
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ""}
${h ? historyResult(h, base) : ""}`,
  });
}

/** @param {NonNullable<Parameters<typeof historyPage>[0]["result"]>} h @param {string} base */
function historyResult(h, base) {
  const names = (/** @type {string[]} */ ids) => (ids.length ? ids.join(", ") : "-");
  const writes = h.entries.filter((e) => e.source === "write").length;
  const ref = h.link ? { side: "customerp", id: h.link.customerp } : h.record;
  /** @param {import("../app/actions/history.mjs").HistoryEntry} e @param {string} r */
  const why = (e, r) => (e.undoOf === null ? r : r === "undo" ? `undo of run ${e.undoOf}` : `${r} (undo of run ${e.undoOf})`);
  /** @param {import("../app/actions/history.mjs").HistoryEntry} e */
  const rows = (e) => {
    const head = html`<td data-label="at"><time datetime="${e.at}">${e.at.slice(0, 19).replace("T", " ")}</time></td><td data-label="run">${e.run === null ? "-" : html`<a href="${base}/runs/${e.run}">${e.run}</a>`}</td><td data-label="entry">${e.what}</td><td data-label="side">${e.side ?? ""}</td><td data-label="outcome"${e.outcome && e.outcome !== "ok" ? html` class="bad"` : ""}>${e.outcome ?? ""}</td>`;
    const blank = html`<td></td><td></td><td></td><td></td><td></td>`;
    if (e.source === "log") return html`<tr class="log-${e.what}">${head}<td data-label="property">${e.property ?? ""}</td><td colspan="3" data-label="message">${e.message}</td></tr>`;
    if (e.outcome !== "ok" || e.changes.length === 0) {
      return html`<tr class="write">${head}<td></td><td colspan="3" data-label="request"><code>${e.method ?? ""} ${e.path ?? ""}</code>${e.outcome !== "ok" && e.message ? html`: ${e.message}` : ""}</td></tr>`;
    }
    return e.changes.map((c, i) => html`<tr class="write${i ? " more" : ""}">${i === 0 ? head : blank}<td data-label="property">${c.property}${c.line ? ` [line ${c.line.customerp ?? c.line.chargebee ?? "?"}]` : ""}</td><td data-label="from">${cell(c.from) || "(empty)"}</td><td data-label="to">${cell(c.to) || "(empty)"}</td><td data-label="why">${why(e, c.reason)}</td></tr>`);
  };
  return html`<section aria-labelledby="pair-h">
<h2 id="pair-h">${h.flow}: ${h.link ? `Customerp ${h.link.customerp} ⇄ Chargebee ${h.link.chargebee}` : `${h.record.side === "customerp" ? "Customerp" : "Chargebee"} ${h.record.id} (not linked)`}</h2>
<p>ids in its history: Customerp ${names(h.ids.customerp)} · Chargebee ${names(h.ids.chargebee)} · <a href="${base}/explain?${new URLSearchParams({ flow: h.flow, side: ref.side, id: String(ref.id) })}">Explain this pair</a></p>
${h.entries.length ? html`<p>${writes} write${writes === 1 ? "" : "s"} and ${h.entries.length - writes} log entr${h.entries.length - writes === 1 ? "y" : "ies"}, newest first (times in UTC)${h.truncated ? "; the oldest are left out" : ""}.</p>
<div class="scroll"><table class="history">
<caption>Each write with the values it changed (from → to) and why, and the run log's entries for this pair</caption>
<thead><tr><th scope="col">at</th><th scope="col">run</th><th scope="col">entry</th><th scope="col">side</th><th scope="col">outcome</th><th scope="col">property</th><th scope="col">from</th><th scope="col">to</th><th scope="col">why</th></tr></thead>
<tbody>${h.entries.map(rows)}</tbody>
</table></div>` : html`<p>Nothing journaled or logged for this pair.</p>`}
</section>`;
}

// ---- run --------------------------------------------------------------------------------------

/** @param {{ run: { id: number, started: string, finished: string | null, summary: any }, log: Record<string, any>[], csrf: string } & Where} o */
export function runPage(o) {
  const r = o.run;
  const base = o.base ?? "";
  const tenant = o.tenant?.current ? ` --tenant ${o.tenant.current}` : "";
  return layout({
    title: `Run ${r.id}`, csrf: o.csrf, base: o.base, tenant: o.tenant,
    body: html`<h1>Run ${r.id}</h1>
<p>started <time datetime="${r.started}">${r.started}</time> · ${duration(r)}${r.summary?.dryRun ? " · dry run" : ""}</p>
${r.summary?.undoOf ? html`<p>the undo of <a href="${base}/runs/${r.summary.undoOf}">run ${r.summary.undoOf}</a></p>` : r.summary && !r.summary.dryRun ? html`<p>To take this run's writes back: <code>node bin/sync.mjs undo --run ${r.id} --dry-run${tenant}</code>, then without <code>--dry-run</code>.</p>` : ""}
<p>requests sent: ${requests(r.summary)}</p>
${r.summary ? flowTable(r.summary) : ""}
<h2>Log (${o.log.length} entr${o.log.length === 1 ? "y" : "ies"})</h2>
${o.log.length ? html`<div class="scroll"><table class="log">
<thead><tr><th scope="col">at</th><th scope="col">kind</th><th scope="col">flow</th><th scope="col">Customerp</th><th scope="col">Chargebee</th><th scope="col">property</th><th scope="col">message</th></tr></thead>
<tbody>${o.log.map((e) => html`<tr class="log-${e.kind}"><td data-label="at"><time datetime="${e.at}">${e.at.slice(11, 23)}</time></td><td data-label="kind">${e.kind}</td><td data-label="flow">${e.flow ?? ""}</td><td data-label="Customerp">${e.customerp_id ?? ""}</td><td data-label="Chargebee">${e.chargebee_id ?? ""}</td><td data-label="property">${e.property ?? ""}</td><td data-label="message">${e.message}</td></tr>`)}</tbody>
</table></div>` : html`<p>Nothing was logged in this run.</p>`}`,
  });
}
