// List operations: filters (`attr[op]=value`), `sort_by[asc|desc]`, `limit` (1..100, default 10),
// `offset` = the previous page's `next_offset`, and `include_deleted`.
// Lists take what real clients send, as Chargebee's sites do: booleans in any case (`True` from Python
// clients that format with str()), `include_deleted` on every list (Airbyte's and other generic clients
// send it on each resource), `in` lists in JSON (chargebee-node JSON.stringify) or Python repr
// (`['a', 'b']`, chargebee-python's str(list)), timestamps of any length, and parameters a list does not
// use, which are ignored. The SDKs' own list schemas are loose for the same reason (chargebee-node
// src/schema/*.schema.ts: `List*BodySchema = z.looseObject`). Writes stay strict (schema.mjs).
//
// A page is found through the table's indexes (index.mjs) when the query allows it: by id or another
// hashed field for `[is]`/`[in]` filters, or by walking the sort field's index from the offset or the
// range filter on it; otherwise by a scan of the whole table. Both give the same page: the indexes only
// choose which rows to test, every filter is still applied to each row.
import { unknownParam, wrongValue } from "./errors.mjs";
import { bucketKey } from "./index.mjs";

/** @typedef {import("./index.mjs").Entry} Entry */
/** @typedef {import("./index.mjs").TableIndex} TableIndex */
/**
 * @typedef {object} ListOptions
 * @property {string} wrap key of each list entry, e.g. "customer"
 * @property {string[]} sortable attributes `sort_by` accepts
 * @property {string} [defaultSort] default "created_at"
 * @property {boolean} [includeDeleted] `deleted: true` rows are left out unless `include_deleted=true`
 * @property {boolean} [hideDeletedStatus] `status: deleted` rows are left out without a `status` filter or
 *   `include_deleted=true` (items, item prices: the emulator's choice, Chargebee documents neither)
 * @property {string[]} [hashed] fields whose `[is]`/`[in]` filters a hash index answers (`id` always)
 */

/** EMULATOR_VERIFY_LISTS=1: every page found through an index is checked against a scan (tests). */
const VERIFY = process.env.EMULATOR_VERIFY_LISTS === "1";
/** Rows a hash lookup may hand to a sort per page before a walk along the sort field's index is preferred. */
const LARGE_BUCKET = 2000;

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
 * A list query, read and checked: the same errors, in the same order, whichever way the page is found.
 * @param {URLSearchParams} query @param {ListOptions} opts
 */
export function parseList(query, opts) {
  let limit = 10;
  /** @type {[string, string] | null} */
  let after = null;
  let includeDeleted = false;
  let sort = { field: opts.defaultSort ?? "created_at", desc: false };
  /** @type {((row: Record<string, any>) => boolean)[]} */
  const tests = [];
  /** @type {{ field: string, op: string, raw: string }[]} */
  const filters = [];
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
      filters.push({ field: m[1], op: m[2], raw: v });
    }
  }
  const numeric = isTimestampField(sort.field);
  /** @returns {[number | string, number]} */
  const key = (/** @type {Entry} */ e) => [numeric ? Number(e.data[sort.field] ?? 0) : String(e.data[sort.field] ?? ""), e.seq];
  const order = (/** @type {number | string} */ a, /** @type {number | string} */ b) => (a < b ? -1 : a > b ? 1 : 0);
  const cmp = (/** @type {[number | string, number]} */ a, /** @type {[number | string, number]} */ b) =>
    (order(a[0], b[0]) || a[1] - b[1]) * (sort.desc ? -1 : 1);
  /** @type {[number | string, number] | null} */
  const mark = after ? [numeric ? Number(after[0]) / 1000 : after[0], Number(after[1])] : null;
  const keep = (/** @type {Entry} */ e) =>
    (opts.includeDeleted ? includeDeleted || !e.data.deleted : true) &&
    (opts.hideDeletedStatus && !statusFiltered && !includeDeleted ? e.data.status !== "deleted" : true) &&
    tests.every((t) => t(e.data));
  return { limit, sort, numeric, key, cmp, mark, keep, filters };
}
/** @typedef {ReturnType<typeof parseList>} ListQuery */

/**
 * The page in Chargebee's envelope, from the rows that pass, sorted and after the offset (at least limit + 1
 * of them when there are more).
 * @param {Entry[]} rows @param {ListQuery} q @param {ListOptions} opts
 */
function envelope(rows, q, opts) {
  const page = rows.slice(0, q.limit);
  /** @type {{ list: Record<string, any>[], next_offset?: string }} */
  const out = { list: page.map((e) => ({ [opts.wrap]: e.data })) };
  // next_offset holds a timestamp sort value in milliseconds, as Chargebee's does
  // (shared/fixtures/chargebee/customer_list.json: ["1740850922000","230000001873"])
  if (rows.length > q.limit) {
    const [v, seq] = q.key(page[page.length - 1]);
    out.next_offset = JSON.stringify([String(q.numeric ? Number(v) * 1000 : v), String(seq)]);
  }
  return out;
}

/**
 * Sorts rows that may pass, drops the failing and those up to the offset: the page from any superset of it.
 * @param {Iterable<Entry>} entries @param {ListQuery} q @param {ListOptions} opts
 */
function sortAndPage(entries, q, opts) {
  let rows = [...entries].filter(q.keep);
  rows.sort((a, b) => q.cmp(q.key(a), q.key(b)));
  const mark = q.mark;
  if (mark) rows = rows.filter((e) => q.cmp(q.key(e), mark) > 0);
  return envelope(rows, q, opts);
}

/**
 * One page of a list operation, in Chargebee's envelope, by a scan of every entry.
 * @param {Iterable<Entry>} entries
 * @param {URLSearchParams} query
 * @param {ListOptions} opts
 */
export function listPage(entries, query, opts) {
  return sortAndPage(entries, parseList(query, opts), opts);
}

/**
 * One page of a list operation, through the table's indexes where the query allows.
 * @param {TableIndex} table @param {URLSearchParams} query @param {ListOptions} opts
 */
export function listIndexed(table, query, opts) {
  const q = parseList(query, opts);
  const found = byHash(table, q, opts) ?? byWalk(table, q, opts);
  if (!found) return sortAndPage(table.rows.values(), q, opts);
  if (VERIFY) {
    const scanned = sortAndPage(table.rows.values(), q, opts);
    const a = JSON.stringify(found);
    const b = JSON.stringify(scanned);
    if (a !== b) throw new Error(`emulator: the indexed page differs from the scan for ${opts.wrap} ${query}:\n${a}\n${b}`);
  }
  return found;
}

/**
 * An `[is]`/`[in]` filter on id or a hashed field: only the rows it names are tested.
 * @param {TableIndex} table @param {ListQuery} q @param {ListOptions} opts
 */
function byHash(table, q, opts) {
  const f = q.filters.find((x) => (x.op === "is" || x.op === "in") && (x.field === "id" || opts.hashed?.includes(x.field)));
  if (!f) return null;
  const values = f.op === "in" ? /** @type {string[]} */ (parseArray(f.raw)) : [f.raw, f.raw.toLowerCase()];
  /** @type {Set<Entry>} */
  const rows = new Set();
  if (f.field === "id" && !table.oddIds) {
    for (const v of values) {
      const e = table.rows.get(v);
      if (e) rows.add(e);
    }
  } else {
    const buckets = table.hashedBy(f.field);
    const sets = values.map((v) => buckets.get(bucketKey(v)));
    // A large bucket (event_type[in]=["customer_created"] on a busy site) is better walked in order than
    // sorted for every page, when the sort field has an index.
    if (q.numeric && sets.reduce((n, b) => n + (b?.size ?? 0), 0) > LARGE_BUCKET) return null;
    for (const b of sets) for (const e of b ?? []) rows.add(e);
  }
  return sortAndPage(rows, q, opts);
}

/**
 * A walk along the sort field's index, from the offset or the range a filter on that field gives, until a
 * page and one more row pass (or the range ends). Timestamp fields only.
 * @param {TableIndex} table @param {ListQuery} q @param {ListOptions} opts
 */
function byWalk(table, q, opts) {
  if (!q.numeric) return null;
  const field = q.sort.field;
  // the range of values the filters on the sort field leave: [lo, hi], each bound open or closed
  let lo = -Infinity;
  let loOpen = false;
  let hi = Infinity;
  let hiOpen = false;
  const above = (/** @type {number} */ n, /** @type {boolean} */ open) => {
    if (n > lo || (n === lo && open)) [lo, loOpen] = [n, open];
  };
  const below = (/** @type {number} */ n, /** @type {boolean} */ open) => {
    if (n < hi || (n === hi && open)) [hi, hiOpen] = [n, open];
  };
  for (const f of q.filters) {
    if (f.field !== field) continue;
    if (f.op === "after" || f.op === "gt") above(Number(f.raw), true);
    else if (f.op === "gte") above(Number(f.raw), false);
    else if (f.op === "before" || f.op === "lt") below(Number(f.raw), true);
    else if (f.op === "lte") below(Number(f.raw), false);
    else if (f.op === "between") {
      const [a, b] = /** @type {string[]} */ (parseArray(f.raw)).map(Number);
      above(a, false);
      below(b, false);
    }
  }
  if (Number.isNaN(lo) || Number.isNaN(hi)) return null;
  const mark = q.mark;
  if (mark && (typeof mark[0] !== "number" || Number.isNaN(mark[0]) || Number.isNaN(mark[1]))) return null;
  const ix = table.sortedBy(field);
  if (ix.nan > 0) return null;
  const desc = q.sort.desc;
  /** @type {import("./index.mjs").Pos} */
  let from;
  if (!desc) {
    from = lo === -Infinity ? { c: 0, i: 0 } : ix.seek(lo, loOpen ? Infinity : -Infinity);
    if (mark) {
      const m = ix.seek(/** @type {number} */ (mark[0]), mark[1]);
      if (m.c > from.c || (m.c === from.c && m.i > from.i)) from = m;
    }
  } else {
    from = hi === Infinity ? { c: ix.chunks.length, i: 0 } : ix.seek(hi, hiOpen ? -Infinity : Infinity);
    if (mark) {
      const m = ix.seek(/** @type {number} */ (mark[0]), mark[1], true);
      if (m.c < from.c || (m.c === from.c && m.i < from.i)) from = m;
    }
  }
  /** @type {Entry[]} */
  const rows = [];
  const want = q.limit + 1;
  ix.walk(from, desc, (e) => {
    const k = ix.keyOf(e);
    if (desc ? k < lo || (k === lo && loOpen) : k > hi || (k === hi && hiOpen)) return false;
    if (q.keep(e)) rows.push(e);
    return rows.length < want;
  });
  return envelope(rows, q, opts);
}
