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
