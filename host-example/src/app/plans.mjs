// Small pure helpers for executing plans: `$result` references, `expect` checks, and plan text.
import { createHash } from "node:crypto";

/** @typedef {Record<string, any>} Json */

/**
 * Replaces every `{"$result": i, "path": "invoice.id"}` in params with that value of request i's JSON response.
 * @param {unknown} params @param {Json[]} responses
 * @returns {any}
 */
export function resolveRefs(params, responses) {
  if (Array.isArray(params)) return params.map((v) => resolveRefs(v, responses));
  if (params === null || typeof params !== "object") return params;
  const o = /** @type {Json} */ (params);
  if (typeof o.$result === "number" && typeof o.path === "string") {
    if (o.$result >= responses.length) throw new Error(`$result ${o.$result} refers to a request not made yet`);
    const v = o.path.split(".").reduce((/** @type {any} */ acc, k) => acc?.[k], responses[o.$result]);
    if (v === undefined) throw new Error(`$result ${o.$result}: the response has no ${o.path}`);
    return v;
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolveRefs(v, responses)]));
}

/**
 * Whether `actual` still holds what the plan was based on. Objects are compared on the keys `expected`
 * names (deep); lists element by element (by `id` when the elements have one); null equals a missing value.
 * @param {unknown} expected @param {unknown} actual
 * @returns {boolean}
 */
export function matchesExpect(expected, actual) {
  if (expected === null || expected === undefined) return actual === null || actual === undefined;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return false;
    const byId = expected.every((e) => e && typeof e === "object" && "id" in e);
    if (byId) return expected.every((e) => matchesExpect(e, actual.find((a) => a?.id === e.id)));
    return expected.length === actual.length && expected.every((e, i) => matchesExpect(e, actual[i]));
  }
  if (typeof expected === "object") {
    const obj = actual ?? {}; // a missing object holds nothing: it matches an expectation of empty values
    if (typeof obj !== "object" || Array.isArray(obj)) return false;
    return Object.entries(expected).every(([k, v]) => matchesExpect(v, /** @type {Json} */ (obj)[k]));
  }
  return expected === actual;
}

/** Deep equality of JSON values. @param {unknown} a @param {unknown} b */
export function sameJson(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** @param {unknown} v */
export const shortHash = (v) => createHash("sha256").update(JSON.stringify(v)).digest("hex").slice(0, 24);

/** @param {unknown} v */
const show = (v) => (v === null || v === undefined ? "(empty)" : JSON.stringify(v));

/** One line for a conflict. @param {{ property: string, customerp: unknown, chargebee: unknown, base: unknown, winner: string, rule: string }} c */
export function describeConflict(c) {
  return `${c.property}: Customerp ${show(c.customerp)} vs Chargebee ${show(c.chargebee)} (last synced ${show(c.base)}) → ${c.winner} wins (${c.rule})`;
}

/** True when the plan writes to either system (a `manual` Chargebee action sends nothing). @param {import("customerp-chargebee").Plan} p */
export function hasWrites(p) {
  return p.customerp.action !== "none" || p.chargebee.requests.length > 0;
}

/**
 * The destructive actions in a plan, per system, for the guard: deletes, cancels, archives,
 * deactivations, and link ends.
 * @param {import("customerp-chargebee").Plan} p @param {{ customerp: string | null, chargebee: string | null }} stored the link before the plan
 * @returns {{ system: "chargebee" | "customerp" | "links", what: string }[]}
 */
export function destructiveActions(p, stored) {
  /** @type {{ system: "chargebee" | "customerp" | "links", what: string }[]} */
  const out = [];
  const cb = p.chargebee;
  if (cb.action === "delete") out.push({ system: "chargebee", what: `delete ${cb.id}` });
  else if (cb.requests.some((r) => /\/(cancel|delete)$/.test(r.path))) out.push({ system: "chargebee", what: `cancel ${cb.id}` });
  else if (cb.requests.some((r) => r.params?.status === "archived" || r.params?.status === "cancelled" || /\/archive$/.test(r.path))) {
    out.push({ system: "chargebee", what: `archive ${cb.id}` });
  } else if (cb.action === "update" && /marked in Chargebee/.test(cb.reason ?? "")) out.push({ system: "chargebee", what: `mark deleted ${cb.id}` });
  const cp = p.customerp;
  if (cp.action === "delete") out.push({ system: "customerp", what: `delete ${cp.id}` });
  else if (cp.action === "update" && deactivates(cp.changes)) out.push({ system: "customerp", what: `deactivate ${cp.id}` });
  if (stored.customerp && stored.chargebee && !p.link.customerp && !p.link.chargebee) {
    out.push({ system: "links", what: `end link ${stored.customerp} ⇄ ${stored.chargebee}` });
  }
  return out;
}

/** Whether Customerp changes switch a record off. @param {Json | undefined} changes */
function deactivates(changes) {
  if (!changes) return false;
  return changes.is_active === false || changes.active === false || changes.deleted === true ||
    ["inactive", "cancelled", "archived", "lost"].includes(changes.status);
}

/**
 * Leaf values of a JSON value by path: `{a: {b: 1}, l: [{x: 2}]}` → `a.b` 1, `l[0].x` 2.
 * @param {unknown} v @param {string} [at] @param {Map<string, unknown>} [out]
 */
export function leaves(v, at = "", out = new Map()) {
  if (Array.isArray(v)) {
    if (v.length === 0) out.set(at, []);
    v.forEach((x, i) => leaves(x, `${at}[${i}]`, out));
  } else if (v !== null && typeof v === "object") {
    const entries = Object.entries(v);
    if (entries.length === 0 && at) out.set(at, {});
    for (const [k, x] of entries) leaves(x, at ? `${at}.${k}` : k, out);
  } else out.set(at, v);
  return out;
}

/** The value at a dotted path with [i] indexes. @param {unknown} v @param {string} path */
export function valueAt(v, path) {
  const parts = path.split(/\.|\[(\d+)\]/).filter((x) => x !== undefined && x !== "");
  return parts.reduce((/** @type {any} */ acc, k) => (acc == null ? undefined : acc[k]), v);
}

/**
 * What a write changes, leaf by leaf, against the record as it is now: `property: from → to`.
 * Leaves equal to the current value (a nested object given whole) are left out.
 * @param {Json | null | undefined} params @param {Json | null | undefined} current
 * @returns {{ property: string, from: unknown, to: unknown }[]}
 */
export function changesOf(params, current) {
  const out = [];
  for (const [property, to] of leaves(params ?? {})) {
    if (property === "id" && current) continue;
    const from = current ? valueAt(current, property) ?? null : null;
    if (sameJson(from, to) || (from !== null && typeof from !== "object" && String(from) === String(to))) continue;
    out.push({ property, from, to });
  }
  return out;
}

/**
 * The writes a plan makes, as a dry run lists them: one per Chargebee request, one for the Customerp
 * change, a `manual` step, and what a create leaves to a follow-up plan.
 * @param {import("./flows.mjs").FlowSpec} f @param {import("customerp-chargebee").Plan} p
 * @param {{ customerp: Json | null, chargebee: Json | null }} input
 * @returns {import("./loop.mjs").PlannedWrite[]}
 */
export function plannedWrites(f, p, input) {
  const cb = p.chargebee;
  const cp = p.customerp;
  const common = { flow: f.id, customerpId: p.link.customerp ?? (input.customerp ? String(input.customerp.id) : null), chargebeeId: cb.id ?? p.link.chargebee ?? input.chargebee?.id ?? null,
    conflicts: p.conflicts, warnings: p.warnings, followUp: false };
  /** @type {import("./loop.mjs").PlannedWrite[]} */
  const out = [];
  if (cb.action === "manual") {
    out.push({ ...common, side: "chargebee", action: "manual", method: null, path: null, params: null, changes: [], reason: cb.reason ?? null });
  }
  // A write that names a record a dry run has not made yet (a new Customerp record's id) is known only after that create.
  const later = (/** @type {unknown} */ params) => JSON.stringify(params ?? null).includes("(new:");
  const afterCreate = "names a Customerp record the run creates first: sent with the id Customerp gives it";
  for (const r of cb.requests) {
    const dep = later(r.params);
    out.push({ ...common, side: "chargebee", action: cb.action, method: r.method, path: r.path, params: r.params, followUp: dep,
      changes: changesOf(r.params, cb.action === "create" ? null : input.chargebee), reason: dep ? afterCreate : cb.reason ?? cp.reason ?? null });
  }
  if (cp.action !== "none") {
    const id = cp.id ? `/${encodeURIComponent(cp.id)}` : "";
    const method = cp.action === "create" ? "POST" : cp.action === "update" ? "PATCH" : "DELETE";
    const dep = later(cp.changes) || later(cp.id);
    out.push({ ...common, side: "customerp", action: cp.action, method, path: `/api/${f.customerp}${id}`, params: cp.changes ?? null, followUp: dep,
      changes: changesOf(cp.changes, cp.action === "create" ? null : input.customerp), reason: dep ? afterCreate : cp.reason ?? cb.reason ?? null });
  }
  if (cb.action === "create" && cb.requests.length > 0 && f.followsUp) {
    out.push({ ...common, side: "chargebee", action: "follow-up", method: null, path: null, params: null, changes: [], followUp: true,
      reason: cb.id
        ? "after the create, a second plan from the create's answer sets what the create cannot (the order's date, statuses and line skus)"
        : "after the invoice, the plan given the order Chargebee generates for it adopts that order (its reference, date, statuses and line skus)" });
  }
  if (cp.action === "create") {
    out.push({ ...common, side: "chargebee", action: "follow-up", method: null, path: null, params: null, changes: [], followUp: true,
      reason: "after the Customerp create, a second plan writes the id Customerp gives the record to Chargebee" });
  }
  return out;
}
