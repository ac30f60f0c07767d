// The local stand-ins at scale: the emulator's indexed list pages and the Customerp change feed give the
// same pages as a scan of every row (random writes, ties, deletes, records stamped in place, every list
// shape the host sends, paged to the end), and the traffic options: a delay per request that lets
// requests overlap, a limit of requests in flight, a sliding rate window, and the counts of what was
// answered. No clock is asserted but lower bounds of a delay.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Site } from "../src/local/chargebee-emulator/site.mjs";
import { listPage } from "../src/local/chargebee-emulator/list.mjs";
import { startChargebeeEmulator } from "../src/local/chargebee-emulator/server.mjs";
import { CustomerpDb, startCustomerpServer } from "../src/local/customerp-server.mjs";

/** A small deterministic random source. @param {number} seed */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** @param {Site} site @param {string} table @param {Record<string, string>} query @param {any} o */
function both(site, table, query, o) {
  const q = new URLSearchParams(query);
  const fast = site.list(table, q, o);
  const slow = listPage(site.tables[table].values(), q, { wrap: table, ...o });
  return { fast, slow };
}

/** Pages through a list to its end, each page compared with the scan's. @param {Site} site @param {string} table @param {Record<string, string>} query @param {any} o @param {string} what */
function pageThrough(site, table, query, o, what) {
  let offset;
  let pages = 0;
  for (;;) {
    const { fast, slow } = both(site, table, offset ? { ...query, offset } : query, o);
    assert.deepEqual(fast, slow, `${what}, page ${pages + 1}`);
    pages++;
    offset = fast.next_offset;
    if (!offset || pages > 500) return pages;
  }
}

test("emulator lists through indexes: the same pages as a scan, after random writes", () => {
  const r = rng(7);
  let clock = 1_780_000_000_000;
  const site = new Site({ now: () => clock });
  const customers = { sortable: ["created_at", "updated_at"], includeDeleted: true };
  const orders = { sortable: ["created_at", "updated_at"], includeDeleted: true };
  /** @type {string[]} */
  const ids = [];
  // seed data put as given: equal timestamps, a missing one, records older than the clock
  for (let i = 0; i < 300; i++) {
    const t = 1_700_000_000 + Math.floor(r() * 50);
    /** @type {Record<string, any>} */
    const c = { id: `seed-${i}`, email: `s${i}@example.com`, created_at: t - 10, deleted: r() < 0.1, object: "customer" };
    if (i % 37 !== 0) c.updated_at = t;
    site.put("customer", c);
    ids.push(c.id);
  }
  for (let i = 0; i < 60; i++) {
    site.put("order", { id: `o-${i}`, invoice_id: r() < 0.2 ? null : String(1000 + (i % 9)), status: "new", created_at: 1_700_000_000 + i, updated_at: 1_700_000_100 + (i % 7), deleted: i % 11 === 0, object: "order" });
  }
  /** @returns {Record<string, string>[]} */
  const shapes = () => {
    const after = String(1_700_000_000 + Math.floor(r() * 60));
    const some = JSON.stringify(Array.from({ length: 5 }, () => ids[Math.floor(r() * ids.length)]).concat(["nope"]));
    return [
      { "sort_by[asc]": "updated_at", include_deleted: "true", limit: "7" },
      { "sort_by[asc]": "updated_at", "updated_at[after]": after, include_deleted: "true", limit: "10" },
      { "sort_by[asc]": "updated_at", "updated_at[after]": after, limit: "3" },
      { "sort_by[desc]": "updated_at", "updated_at[before]": String(Math.floor(clock / 1000) + 1), limit: "9" },
      { "sort_by[desc]": "created_at", "created_at[gte]": after, include_deleted: "true", limit: "4" },
      { "updated_at[between]": `[${after}, ${Number(after) + 20}]`, "sort_by[asc]": "updated_at", limit: "5" },
      { "updated_at[lte]": after, "updated_at[gt]": String(Number(after) - 15), "sort_by[asc]": "updated_at", limit: "5" },
      { "id[in]": some, include_deleted: "true", limit: "100" },
      { "id[in]": some, limit: "2" },
      { "id[is]": ids[Math.floor(r() * ids.length)], include_deleted: "True" },
      { "email[is]": `s${Math.floor(r() * 300)}@example.com`, "sort_by[asc]": "updated_at" },
      { limit: "13" },
    ];
  };
  for (let round = 0; round < 12; round++) {
    // writes through the site's own operations: creates, updates, billing info, deletes; the clock
    // sometimes stands still (equal updated_at), sometimes jumps
    for (let k = 0; k < 40; k++) {
      clock += r() < 0.4 ? 0 : Math.floor(r() * 3000);
      const u = r();
      if (u < 0.35) ids.push(site.createCustomer({ email: `n${round}-${k}@example.com`, first_name: "Åse" }).customer.id);
      else if (u < 0.7) {
        const id = ids[Math.floor(r() * ids.length)];
        if (!site.tables.customer.get(id)?.data.deleted) site.updateCustomer(id, { first_name: `x${k}` });
      } else if (u < 0.85) {
        const id = ids[Math.floor(r() * ids.length)];
        if (!site.tables.customer.get(id)?.data.deleted) site.deleteCustomer(id, {});
      } else {
        const id = `o-${Math.floor(r() * 60)}`;
        const o = /** @type {any} */ (site.tables.order.get(id)).data;
        o.status = "shipped";
        site.stamp(o);
      }
    }
    for (const [i, query] of shapes().entries()) pageThrough(site, "customer", query, customers, `round ${round}, customers query ${i}`);
    const invoice = String(1000 + Math.floor(r() * 10));
    for (const query of /** @type {Record<string, string>[]} */ ([
      { "invoice_id[is]": invoice }, { "invoice_id[in]": `["${invoice}", "1003", ""]`, include_deleted: "true", limit: "4" },
      { "sort_by[asc]": "updated_at", "updated_at[after]": "1700000102", include_deleted: "true", limit: "6" },
    ])) pageThrough(site, "order", query, orders, `round ${round}, orders ${JSON.stringify(query)}`);
  }
  // the pages above came through the indexes, not the scan
  assert.deepEqual([...site.indexes.customer.sorted.keys()].sort(), ["created_at", "updated_at"]);
  assert.deepEqual([...site.indexes.order.hashed.keys()], ["invoice_id"]);
});

test("emulator lists: an offset that is not a timestamp, and NaN values, still page as a scan does", () => {
  const site = new Site({ now: () => 1_780_000_000_000 });
  for (let i = 0; i < 30; i++) site.put("customer", { id: `c${i}`, updated_at: i % 5 === 0 ? "soon" : 1_700_000_000 + i, created_at: 1, deleted: false, object: "customer" });
  const o = { sortable: ["created_at", "updated_at"], includeDeleted: true };
  pageThrough(site, "customer", { "sort_by[asc]": "updated_at", limit: "4" }, o, "NaN values");
  const { fast, slow } = both(site, "customer", { "sort_by[asc]": "created_at", offset: '["x","3"]' }, o);
  assert.deepEqual(fast, slow);
});

/** The change feed as it was first written: every row filtered and sorted. @param {CustomerpDb} db @param {string} type @param {number} since @param {number} limit */
function referenceChanges(db, type, since, limit) {
  const rows = [...db.tables.get(type)?.values() ?? []].filter((r) => r.seq > since).sort((a, b) => a.seq - b.seq);
  const page = rows.slice(0, limit);
  return { data: page.map((r) => r.record), cursor: String(page.length ? page[page.length - 1].seq : since), has_more: rows.length > limit };
}

test("Customerp change feed: the same pages as a sort of every row, with records changed again and again", () => {
  const r = rng(11);
  const db = new CustomerpDb({ now: () => 1_780_000_000_000 });
  for (let i = 1; i <= 500; i++) db.put("contacts", { id: String(i), first_name: "Åse", created: "2026-01-01T00:00:00+01:00", updated: "2026-01-01T00:00:00+01:00" });
  for (let round = 0; round < 30; round++) {
    for (let k = 0; k < 200; k++) {
      const u = r();
      const id = String(1 + Math.floor(r() * 500));
      if (u < 0.6) db.update("contacts", id, { phone: `${round}-${k}` }, undefined);
      else if (u < 0.7) db.remove("contacts", id, undefined);
      else if (u < 0.8) db.create("contacts", { first_name: "Ny" });
      else db.put("customers", { id: `C-${k}`, name: "x" });
    }
    for (const since of [0, Math.floor(r() * db.seq), db.seq - 3, db.seq, db.seq + 5]) {
      let cursor = since;
      for (let page = 0; page < 200; page++) {
        const limit = 1 + Math.floor(r() * 120);
        const got = db.changes("contacts", cursor, limit);
        assert.deepEqual(got, referenceChanges(db, "contacts", cursor, limit), `round ${round}, since ${cursor}`);
        if (!got.has_more) break;
        cursor = Number(got.cursor);
      }
    }
  }
});

const KEY = "test_scale_key";
const AUTH = { authorization: "Basic " + Buffer.from(`${KEY}:`).toString("base64") };

test("emulator latency: each answer waits, requests in flight overlap, the most in flight is counted", async () => {
  const em = await startChargebeeEmulator({ apiKey: KEY, latency: { fixedMs: 150, jitterMs: 50 } });
  try {
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 4 }, () => fetch(`${em.url}/api/v2/customers`, { headers: AUTH })));
    assert.ok(performance.now() - started >= 150, "an answer comes after the delay");
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200]);
    const s = em.stats;
    assert.equal(s.reads, 4);
    assert.equal(s.maxInFlight, 4, "all four were in flight at once: the delay does not hold up other requests");
    em.resetStats();
    assert.equal(em.stats.requests, 0);
  } finally {
    await em.close();
  }
});

test("emulator concurrency limit: one request over it gets 429 at once, counted apart from the rate", async () => {
  const em = await startChargebeeEmulator({ apiKey: KEY, latency: { fixedMs: 300 }, concurrency: { limit: 2, post: 1 } });
  try {
    const get = () => fetch(`${em.url}/api/v2/customers`, { headers: AUTH });
    const post = () => fetch(`${em.url}/api/v2/customers`, { method: "POST", headers: { ...AUTH, "content-type": "application/x-www-form-urlencoded" }, body: "first_name=%C3%85se" });
    const first = [get(), post()];
    await new Promise((r) => setTimeout(r, 50));
    const over = await get();
    assert.equal(over.status, 429);
    assert.equal((await over.json()).api_error_code, "api_request_limit_exceeded");
    assert.equal(over.headers.get("retry-after"), "1");
    assert.deepEqual((await Promise.all(first)).map((a) => a.status), [200, 200]);
    em.setConcurrency({ post: 1 });
    const posts = await Promise.all([post(), post()]);
    assert.deepEqual(posts.map((a) => a.status).sort(), [200, 429], "POSTs have their own limit");
    const s = em.stats;
    assert.equal(s.concurrencyLimited, 2);
    assert.equal(s.rateLimited, 0);
    assert.equal(s.statuses["429"], 2);
    assert.equal(s.writes, 2, "refused requests are not counted as sent writes");
  } finally {
    await em.close();
  }
});

test("emulator sliding rate window: the requests of the last window count, a refused one does not", async () => {
  let clock = 1_000_000;
  const em = await startChargebeeEmulator({ apiKey: KEY, now: () => clock, rateLimit: { limit: 2, windowMs: 60_000, sliding: true } });
  try {
    const get = async () => (await fetch(`${em.url}/api/v2/customers`, { headers: AUTH })).status;
    assert.equal(await get(), 200);
    clock += 30_000;
    assert.equal(await get(), 200);
    clock += 10_000;
    const res = await fetch(`${em.url}/api/v2/customers`, { headers: AUTH });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "20", "the first request leaves the window 60 s after it came");
    clock += 20_000;
    assert.equal(await get(), 200, "a minute after the first, one more fits");
    assert.equal(await get(), 429);
    assert.equal(em.stats.rateLimited, 2);
    assert.equal(em.stats.peakPerMinute, 3, "requests let in within one minute of the wall clock");
  } finally {
    await em.close();
  }
});

test("Customerp server latency and counts", async () => {
  const server = await startCustomerpServer({ token: "t", latency: { fixedMs: 120 } });
  try {
    const started = performance.now();
    const res = await Promise.all([1, 2].map(() => fetch(`${server.url}/api/contacts?since=0`, { headers: { authorization: "Bearer t" } })));
    assert.ok(performance.now() - started >= 120);
    assert.deepEqual(res.map((x) => x.status), [200, 200]);
    await fetch(`${server.url}/api/contacts`, { method: "POST", headers: { authorization: "Bearer t", "content-type": "application/json" }, body: "{}" });
    const s = server.stats;
    assert.deepEqual([s.reads, s.writes, s.maxInFlight, s.statuses["201"]], [2, 1, 2, 1]);
  } finally {
    await server.close();
  }
});
