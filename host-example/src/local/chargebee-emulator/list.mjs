// List operations: filters (`attr[op]=value`), `sort_by[asc|desc]`, `limit` (1..100, default 10),
// `offset` = the previous page's `next_offset`, and `include_deleted`.
// Lists take what real clients send, as Chargebee's sites do: booleans in any case (`True` from Python
// clients that format with str()), `include_deleted` on every list (Airbyte's and other generic clients
// send it on each resource), `in` lists in JSON (chargebee-node JSON.stringify) or Python repr
// (`['a', 'b']`, chargebee-python's str(list)), timestamps of any length, and parameters a list does not
// use, which are ignored. The SDKs' own list schemas are loose for the same reason (chargebee-node
// src/schema/*.schema.ts: `List*BodySchema = z.looseObject`). Writes stay strict (schema.mjs).
import { unknownParam, wrongValue } from "./errors.mjs";

/** @typedef {{ seq: number, data: Record<string, any> }} Entry */
/**
 * @typedef {object} ListOptions
 * @property {string} wrap key of each list entry, e.g. "customer"
 * @property {string[]} sortable attributes `sort_by` accepts
 * @property {string} [defaultSort] default "created_at"
 * @property {boolean} [includeDeleted] `deleted: true` rows are left out unless `include_deleted=true`
 * @property {boolean} [hideDeletedStatus] `status: deleted` rows are left out without a `status` filter or
 *   `include_deleted=true` (items, item prices: the emulator's choice, Chargebee documents neither)
 */

// Unix seconds of any length: a start date before 2001-09-09 has 9 digits. (The SDKs' client-side
// schemas say `^\d{10}$`; the API itself takes any integer.)
const TIMESTAMP_RE = /^-?\d{1,12}$/;
const isTimestampField = (/** @type {string} */ f) =>
  f.endsWith("_at") || f.endsWith("_date") || f === "paid_on" || f === "date";

/** A list-filter boolean: `true`/`false` in any case. @param {string} name @param {string} v */
export function listBool(name, v) {
  const l = v.toLowerCase();
  if (l !== "true" && l !== "false") throw wrongValue(name, "must be true or false");
  return l === "true";
}

/** @param {string} v */
function parseArray(v) {
  if (!/^\[(.*)\]$/s.test(v)) return null;
  try {
    const a = JSON.parse(v);
    return Array.isArray(a) ? a.map(String) : null;
  } catch {
    // Python's repr of a list, ['a', 'b'] (chargebee-python sends str(list) for in/not_in/between)
    return v.slice(1, -1).split(",").map((s) => s.trim().replace(/^(["'])(.*)\1$/s, "$2"));
  }
}

/**
 * @param {string} field @param {string} op @param {string} raw
 * @returns {(row: Record<string, any>) => boolean}
 */
function filter(field, op, raw) {
  const name = `${field}[${op}]`;
  const ts = isTimestampField(field);
  const num = (/** @type {string} */ s) => {
    if (ts && !TIMESTAMP_RE.test(s)) throw wrongValue(name, "invalid timestamp; expected Unix seconds");
    if (!/^-?\d+(\.\d+)?$/.test(s)) throw wrongValue(name, "invalid number");
    return Number(s);
  };
  const str = (/** @type {unknown} */ x) => (x === undefined || x === null ? undefined : String(x));
  // a boolean attribute compares with `true`/`false` in any case
  const same = (/** @type {unknown} */ x) => (typeof x === "boolean" ? String(x) === raw.toLowerCase() : str(x) === raw);
  switch (op) {
    case "is": return (r) => same(r[field]);
    case "is_not": return (r) => !same(r[field]);
    case "starts_with": return (r) => str(r[field])?.startsWith(raw) ?? false;
    case "is_present": {
      const want = listBool(name, raw);
      return (r) => (r[field] !== undefined && r[field] !== null && r[field] !== "") === want;
    }
    case "in":
    case "not_in": {
      const set = parseArray(raw);
      if (!set) throw wrongValue(name, "invalid list; expected [\"a\",\"b\"]");
      return op === "in" ? (r) => set.includes(str(r[field]) ?? "") : (r) => !set.includes(str(r[field]) ?? "");
    }
    case "between": {
      const pair = parseArray(raw);
      if (!pair || pair.length !== 2) throw wrongValue(name, "invalid range; expected [from,to]");
      const [a, b] = pair.map(num);
      return (r) => typeof r[field] === "number" && r[field] >= a && r[field] <= b;
    }
    case "after": case "gt": { const n = num(raw); return (r) => typeof r[field] === "number" && r[field] > n; }
    case "before": case "lt": { const n = num(raw); return (r) => typeof r[field] === "number" && r[field] < n; }
    case "gte": { const n = num(raw); return (r) => typeof r[field] === "number" && r[field] >= n; }
    case "lte": { const n = num(raw); return (r) => typeof r[field] === "number" && r[field] <= n; }
    case "on": {
      const n = num(raw);
      return (r) => typeof r[field] === "number" && Math.floor(r[field] / 86400) === Math.floor(n / 86400);
    }
    default: throw unknownParam(name);
  }
}

/**
 * One page of a list operation, in Chargebee's envelope.
 * @param {Iterable<Entry>} entries
 * @param {URLSearchParams} query
 * @param {ListOptions} opts
 */
export function listPage(entries, query, opts) {
  let limit = 10;
  /** @type {[string, string] | null} */
  let after = null;
  let includeDeleted = false;
  let sort = { field: opts.defaultSort ?? "created_at", desc: false };
  /** @type {((row: Record<string, any>) => boolean)[]} */
  const tests = [];
  let statusFiltered = false;
  for (const [k, v] of query) {
    if (k === "limit") {
      if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 100) throw wrongValue("limit", "must be between 1 and 100");
      limit = Number(v);
    } else if (k === "offset") {
      const o = v.length <= 1000 ? parseArray(v) : null;
      if (!o || o.length !== 2) throw wrongValue("offset", "invalid offset; pass next_offset as it was returned");
      after = /** @type {[string, string]} */ (o);
    } else if (k === "include_deleted") {
      includeDeleted = listBool(k, v);
    } else if (k === "sort_by[asc]" || k === "sort_by[desc]") {
      if (!opts.sortable.includes(v)) throw wrongValue(k, `cannot sort by ${v}; allowed: ${opts.sortable.join(", ")}`);
      sort = { field: v, desc: k === "sort_by[desc]" };
    } else {
      const m = /^([a-z0-9_]+)\[([a-z_]+)\]$/.exec(k);
      if (!m) continue; // a parameter this list does not use
      if (m[1] === "status") statusFiltered = true;
      tests.push(filter(m[1], m[2], v));
    }
  }
  const numeric = isTimestampField(sort.field);
  /** @returns {[number | string, number]} */
  const key = (/** @type {Entry} */ e) => [numeric ? Number(e.data[sort.field] ?? 0) : String(e.data[sort.field] ?? ""), e.seq];
  const order = (/** @type {number | string} */ a, /** @type {number | string} */ b) => (a < b ? -1 : a > b ? 1 : 0);
  const cmp = (/** @type {[number | string, number]} */ a, /** @type {[number | string, number]} */ b) =>
    (order(a[0], b[0]) || a[1] - b[1]) * (sort.desc ? -1 : 1);
  let rows = [...entries].filter(
    (e) =>
      (opts.includeDeleted ? includeDeleted || !e.data.deleted : true) &&
      (opts.hideDeletedStatus && !statusFiltered && !includeDeleted ? e.data.status !== "deleted" : true) &&
      tests.every((t) => t(e.data)),
  );
  rows.sort((a, b) => cmp(key(a), key(b)));
  // next_offset holds a timestamp sort value in milliseconds, as Chargebee's does
  // (shared/fixtures/chargebee/customer_list.json: ["1740850922000","230000001873"])
  if (after) {
    /** @type {[number | string, number]} */
    const mark = [numeric ? Number(after[0]) / 1000 : after[0], Number(after[1])];
    rows = rows.filter((e) => cmp(key(e), mark) > 0);
  }
  const page = rows.slice(0, limit);
  /** @type {{ list: Record<string, any>[], next_offset?: string }} */
  const out = { list: page.map((e) => ({ [opts.wrap]: e.data })) };
  if (rows.length > limit) {
    const [v, seq] = key(page[page.length - 1]);
    out.next_offset = JSON.stringify([String(numeric ? Number(v) * 1000 : v), String(seq)]);
  }
  return out;
}
