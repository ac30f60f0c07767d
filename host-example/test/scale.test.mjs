// A run at scale behaves as a small one: planned in pages of any size, with many pairs in flight, it
// ends in the same state as one page sent one pair at a time; parents are written before their
// children and each record's writes in their order; requests stay within the site's limit in every
// window; a run right after a run plans nothing (its own writes are recognised, not planned); and a
// run killed (SIGKILL) in the middle of its pages, many pairs in flight, is finished by the next one
// without a twin.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LOCAL_API_KEY, LOCAL_TOKEN, startLocalServers } from "../src/local/servers.mjs";
import { TokenBucket } from "../src/app/clients/rate.mjs";
import { Spool } from "../src/app/spool.mjs";
import { Store } from "../src/app/store/store.mjs";
import { PG, live, rows, setup, stats, testDb, total, writes } from "./helpers.mjs";
import { sleep } from "../src/lib/http.mjs";

const SYNC = fileURLToPath(new URL("../bin/sync.mjs", import.meta.url));

/** More records than a page on both sides: contacts only Customerp has, customers only Chargebee has. @param {Awaited<ReturnType<typeof setup>>} t */
async function more(t) {
  const db = t.servers.customerp.db;
  for (let i = 0; i < 40; i++) {
    db.create("contacts", { first_name: "Ståle", last_name: `Kontakt ${i}`, email: `stale${i}@example.com`, is_active: true, language: "nb-NO",
      customer_id: String(1 + (i % 4)), ...(i % 3 === 0 ? { vat_number: `NO9${String(i).padStart(8, "0")}MVA` } : {}) });
  }
  for (let i = 0; i < 20; i++) {
    await t.host.chargebee.send("POST", "/customers", { first_name: "Ingrid", last_name: `Kunde ${i} Æøå`, email: `ingrid${i}@example.com` });
  }
}

/** A record without what depends on the order its writes happened in (ids, times, versions). @param {unknown} v @returns {unknown} */
function content(v) {
  if (Array.isArray(v)) return v.map(content);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).filter(([k]) => !/(^id$|_id$|^created|^updated|_at$|resource_version|^etag$|^seq$)/.test(k))
      .sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, content(x)]));
  }
  // Unix seconds of "now" (an invoice's date, an order's order_date) differ between two runs.
  if (typeof v === "number" && v > 1.7e9 && v < 2.2e9) return "(time)";
  return v;
}

/** Both systems and the store, as far as the order of writes cannot change them. @param {Awaited<ReturnType<typeof setup>>} t */
async function outcome(t) {
  const cp = Object.fromEntries([...t.servers.customerp.db.tables].map(([type, table]) =>
    [type, [...table.values()].map((r) => JSON.stringify(content(r.record))).sort()]));
  const cb = Object.fromEntries(Object.keys(t.servers.chargebee.site.tables).filter((table) => table !== "event").map((table) =>
    [table, live(t.servers.chargebee.site, table).map((d) => JSON.stringify(content(d))).sort()]));
  const links = (await rows(t.host.store, "SELECT flow, linked_by, count(*) AS n FROM links GROUP BY flow, linked_by ORDER BY flow, linked_by"))
    .map((r) => `${r.flow} ${r.linked_by} ${r.n}`);
  const inbox = (await rows(t.host.store, "SELECT kind, flow, count(*) AS n FROM inbox GROUP BY kind, flow ORDER BY kind, flow")).map((r) => `${r.kind} ${r.flow} ${r.n}`);
  return { cp, cb, links, inbox };
}

test("pages of 3 with 16 pairs in flight end as one page sent a pair at a time: same records, links, inbox and number of writes", { timeout: 120_000 }, async () => {
  const small = await setup({ pageSize: 3, concurrency: 16 });
  const whole = await setup({ pageSize: 100_000, concurrency: 1 });
  try {
    await more(small);
    await more(whole);
    const a = await small.host.sync.run();
    const b = await whole.host.sync.run();
    assert.equal(total(a, "errors"), 0);
    assert.equal(total(b, "errors"), 0);
    assert.equal(writes(a), writes(b), "as many writes");
    assert.ok(writes(a) > 100, `a run of more than a page (${writes(a)} writes)`);
    for (const [flow, f] of Object.entries(stats(a))) {
      const g = stats(b)[flow];
      assert.deepEqual({ created: f.created, updated: f.updated, deleted: f.deleted, matched: f.matched, manual: f.manual, waiting: f.waiting },
        { created: g.created, updated: g.updated, deleted: g.deleted, matched: g.matched, manual: g.manual, waiting: g.waiting }, flow);
    }
    const [x, y] = [await outcome(small), await outcome(whole)];
    assert.deepEqual(x.links, y.links);
    assert.deepEqual(x.inbox, y.inbox);
    assert.deepEqual(x.cp, y.cp);
    assert.deepEqual(x.cb, y.cb);
    // And a second run of each plans nothing.
    for (const t of [small, whole]) {
      const again = await t.host.sync.run();
      assert.equal(writes(again), 0);
    }
  } finally {
    await small.close();
    await whole.close();
  }
});

test("in flight together, parents are written before their children and each record's writes in their order (the journal)", { timeout: 120_000 }, async () => {
  const t = await setup({ pageSize: 4, concurrency: 16 });
  try {
    await more(t);
    const s = await t.host.sync.run();
    assert.equal(total(s, "errors"), 0);
    const journal = await rows(t.host.store, "SELECT id, flow, side, action, customerp_id, chargebee_id, method, path, params, outcome FROM journal ORDER BY id");
    assert.ok(journal.length > 100, `${journal.length} writes journaled`);
    // Where each record was created, in journal order.
    /** @type {Map<string, number>} */
    const created = new Map();
    for (const j of journal.filter((j) => j.action === "create" && j.outcome === "ok")) {
      const id = j.side === "chargebee" ? j.chargebee_id : `${j.path}:${j.customerp_id}`;
      if (id && !created.has(id)) created.set(id, Number(j.id));
    }
    let checked = 0;
    for (const j of journal) {
      // A Chargebee request that names a record created in this run comes after its create.
      if (j.side !== "chargebee" || !j.params) continue;
      for (const [id, at] of created) {
        if (id.includes(":") || id === j.chargebee_id) continue;
        if (String(j.params).includes(`"${id}"`)) {
          assert.ok(Number(j.id) > at, `${j.method} ${j.path} (#${j.id}) names ${id}, created at #${at}`);
          checked++;
        }
      }
    }
    // Each record's own writes: its create first.
    for (const j of journal) {
      const at = j.side === "chargebee" && j.chargebee_id ? created.get(j.chargebee_id) : undefined;
      if (at !== undefined && j.action !== "create") assert.ok(Number(j.id) > at, `${j.action} of ${j.chargebee_id} after its create`);
    }
    assert.ok(checked > 0, `children that name a parent created in the run: ${checked}`);
  } finally {
    await t.close();
  }
});

test("a run right after a run plans no echo: every record it wrote is read back and recognised as its link remembers it", async () => {
  const t = await setup({ pageSize: 5 });
  try {
    await more(t);
    const first = await t.host.sync.run();
    const again = await t.host.sync.run();
    assert.equal(writes(again), 0);
    // What a quiet run plans: records held for the operator or waiting (an unpaid order) are looked at again.
    const quiet = Object.fromEntries(Object.entries(stats(again)).map(([flow, f]) => [flow, f.planned]));
    assert.equal(quiet["contact-customer"], 0, "none of the contact-customer pairs the first run wrote");
    assert.ok(stats(again)["contact-customer"].unchanged >= stats(first)["contact-customer"].created.chargebee,
      "every customer it created is read back and recognised");
    // An edit on one side: one pair planned, and the write it makes is not planned again on the run after.
    await t.host.customerp.update("contacts", "4", { phone: "+44 1535 640 192" });
    const one = await t.host.sync.run();
    assert.equal(stats(one)["contact-customer"].planned, 1);
    assert.equal(stats(one)["contact-customer"].updated.chargebee, 1);
    const after = await t.host.sync.run();
    assert.equal(writes(after), 0);
    assert.deepEqual(Object.fromEntries(Object.entries(stats(after)).map(([flow, f]) => [flow, f.planned])), quiet, "the run after plans what a quiet run plans");
    assert.ok(stats(after)["contact-customer"].unchanged >= 1, "the echo is read and recognised");
  } finally {
    await t.close();
  }
});

test("the rate bucket: no 60-second window holds more than the limit, with many callers, and a 429 pauses it for Retry-After and halves the rate", async () => {
  let now = 0;
  const bucket = new TokenBucket({ perMinute: 150, now: () => now, sleep: async (ms) => { now += ms; } });
  /** @type {number[]} */
  const at = [];
  // 20 callers as fast as the bucket lets them, for ten simulated minutes.
  await Promise.all(Array.from({ length: 20 }, async () => {
    while (now < 600_000) {
      await bucket.take();
      at.push(now);
    }
  }));
  at.sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while (at[i] - at[j] >= 60_000) j++;
    most = Math.max(most, i - j + 1);
  }
  assert.ok(most <= 150, `at most 150 in any minute, saw ${most}`);
  assert.ok(most >= 145, `and close to it (${most}): the bucket does not waste the limit`);
  // A 429 with Retry-After 5 s: nothing before it passes, and the rate halves.
  bucket.limited(5_000);
  const t0 = now;
  await bucket.take();
  assert.ok(now - t0 >= 5_000, "waited for Retry-After");
  assert.ok(bucket.stats().current <= 75, `rate halved: ${bucket.stats().current}`);
  // Quiet stretches give it back, a tenth at a time.
  for (let i = 0; i < 20; i++) {
    now += 11_000;
    await bucket.take();
  }
  assert.ok(bucket.stats().current >= 140, `back to the limit: ${bucket.stats().current}`);
  // A low limit and takes of several tokens (a write pays for its check and its requests at once):
  // taken a bucket at a time, still within the limit in every minute.
  now = 0;
  const low = new TokenBucket({ perMinute: 15, now: () => now, sleep: async (ms) => { now += ms; } });
  /** @type {number[]} */
  const lowAt = [];
  let k = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (now < 600_000) {
      const n = 1 + (k++ % 6);
      await low.take(n);
      for (let i = 0; i < n; i++) lowAt.push(now);
    }
  }));
  lowAt.sort((a, b) => a - b);
  most = 0;
  for (let i = 0, j = 0; i < lowAt.length; i++) {
    while (lowAt[i] - lowAt[j] >= 60_000) j++;
    most = Math.max(most, i - j + 1);
  }
  assert.ok(most <= 15, `takes of up to 6 at a limit of 15: at most 15 in any minute, saw ${most}`);
});

test("paced to the site's limit, a first sync meets no 429", { timeout: 120_000 }, async () => {
  // The emulator's minute and the bucket's minute both shortened to 3 s, so the test takes seconds.
  const scale = 20;
  const t = await setup({
    rateLimit: { limit: 15, windowMs: 60_000 / scale },
    bucket: new TokenBucket({ perMinute: 15, now: () => performance.now() * scale, sleep: (ms) => sleep(Math.ceil(ms / scale)) }),
    concurrency: 16,
  });
  try {
    const s = await t.host.sync.run();
    assert.equal(total(s, "errors"), 0);
    const sent = t.servers.chargebee.requests;
    assert.ok(sent.length > 30, `${sent.length} requests, more than two windows`);
    assert.deepEqual(sent.filter((r) => r.status === 429), [], "no 429");
  } finally {
    await t.close();
  }
});

test("SIGKILL in the middle of a run with 16 pairs in flight and pages of 7: the next run finishes it, without a twin", { timeout: 120_000 }, async () => {
  const servers = await startLocalServers({ rateLimit: { limit: 100_000, windowMs: 60_000 } });
  const dir = mkdtempSync(join(tmpdir(), "host-example-scale-"));
  try {
    const env = {
      PATH: process.env.PATH ?? "", CHARGEBEE_SITE: servers.chargebee.url, CHARGEBEE_API_KEY: LOCAL_API_KEY, CHARGEBEE_RATE_LIMIT: "100000",
      CUSTOMERP_URL: servers.customerp.url, CUSTOMERP_TOKEN: LOCAL_TOKEN, SYNC_DB: await testDb(dir), SYNC_TIME_ZONE: "Europe/Oslo",
      SYNC_OWN_COMPANY_NAME: "Fjordvik Handel AS", SYNC_ITEM_FAMILY_ID: "customerp-products", SYNC_CONCURRENCY: "16", SYNC_PAGE_SIZE: "7",
      SYNC_SPOOL_DIR: dir,
    };
    const spools = () => readdirSync(dir).filter((n) => n.startsWith("customerp-chargebee-spool-"));
    const db = servers.customerp.db;
    for (let i = 0; i < 300; i++) db.create("contacts", { first_name: "Ståle", last_name: `Kontakt ${i}`, email: `stale${i}@example.com`, is_active: true, language: "nb-NO" });
    const before = live(servers.chargebee.site, "customer").length;
    const child = spawn(process.execPath, [SYNC, "run", "--flows", "contact-customer"], { env, stdio: ["ignore", "ignore", "pipe"] });
    const exited = new Promise((r) => child.on("exit", (code, signal) => r(signal)));
    const end = Date.now() + 60_000;
    while (live(servers.chargebee.site, "customer").length < before + 60 && Date.now() < end) await sleep(5);
    child.kill("SIGKILL");
    assert.equal(await exited, "SIGKILL");
    const midway = live(servers.chargebee.site, "customer").length - before;
    assert.ok(midway >= 60 && midway < 300, `killed midway (${midway} of 300)`);
    assert.deepEqual(spools().map((n) => n.split("-")[3]), [String(child.pid)], "the killed run's spool is left behind, named by its process");
    const rest = await new Promise((resolve) => execFile(process.execPath, [SYNC, "run", "--flows", "contact-customer"], { env, timeout: 90_000 },
      (err, stdout, stderr) => resolve({ code: err?.code ?? 0, stdout, stderr })));
    assert.equal(/** @type {any} */ (rest).code, 0, /** @type {any} */ (rest).stderr);
    assert.deepEqual(spools(), [], "the next run removed the orphan spool, and its own when it ended");
    const emails = live(servers.chargebee.site, "customer").map((c) => c.email).filter((e) => /^stale\d+@/.test(e ?? ""));
    assert.equal(emails.length, 300, "every contact in Chargebee");
    assert.equal(new Set(emails).size, 300, "no twin");
    // And a third run has nothing left to do.
    const third = await new Promise((resolve) => execFile(process.execPath, [SYNC, "run", "--flows", "contact-customer", "--json", join(dir, "third.json")], { env, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err?.code ?? 0, stdout, stderr })));
    assert.equal(/** @type {any} */ (third).code, 0);
    const summary = JSON.parse((await import("node:fs")).readFileSync(join(dir, "third.json"), "utf8"));
    assert.equal(summary.requests.chargebee.writes + summary.requests.customerp.writes, 0, JSON.stringify(summary.requests));
  } finally {
    await servers.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the spool reads every page through an index, in order: no query sorts a whole set or flow (which made a run quadratic in its records)", () => {
  const spool = new Spool();
  try {
    for (let i = 0; i < 3000; i++) spool.addIds(i % 2 ? "a" : "b", [String(i)]);
    for (let i = 0; i < 3000; i++) spool.addPair(i % 2 ? "contact-customer" : "product-item", `k${i}`, { customerp: String(i), chargebee: null }, null);
    /** @param {string} name @param {string} select the statement's SELECT @param {unknown[]} params */
    const planOf = (name, select, params) => {
      assert.ok(/** @type {any} */ (spool.q)[name].source.includes(select), `${name} is still ${select}`);
      return spool.db.prepare(`EXPLAIN QUERY PLAN ${select}`).all(...params).map((/** @type {any} */ r) => r.detail).join("; ");
    };
    const paged = {
      ids: ["SELECT seq, id FROM sets WHERE name = ? AND seq > ? ORDER BY seq LIMIT ?", ["a", 0, 100]],
      pairs: ["SELECT seq, key, customerp, chargebee, base FROM pairs WHERE flow = ? AND seq > ? ORDER BY seq LIMIT ?", ["product-item", 0, 100]],
      copy: ["SELECT ?, id FROM sets WHERE name = ? ORDER BY seq", ["c", "a"]],
      get: ["SELECT json FROM records WHERE side = ? AND type = ? AND id = ?", ["customerp", "contacts", "1"]],
      member: ["SELECT 1 FROM sets WHERE name = ? AND id = ?", ["a", "1"]],
    };
    for (const [name, [select, params]] of Object.entries(paged)) {
      const plan = planOf(name, /** @type {string} */ (select), /** @type {unknown[]} */ (params));
      assert.doesNotMatch(plan, /TEMP B-TREE|SCAN /, `${name}: ${plan}`);
    }
    // And the pages come in the order the ids were added.
    assert.deepEqual([...spool.setIds("a", 100)].flat().slice(0, 3), ["1", "3", "5"]);
    assert.equal([...spool.pairs("product-item", 100)].flat().length, 1500);
  } finally {
    spool.close();
  }
});

test("the store finds the links of Chargebee ids through an index, not a scan of every link (flowsLinkingChargebeeIds)", { skip: PG ? "SQLite's planner (PostgreSQL plans by its statistics)" : false }, async () => {
  const store = await Store.open(":memory:");
  try {
    // The SQL the store sends, taken from Kysely, explained by SQLite.
    const q = store.from("links").select(["flow", "chargebee_id"]).where("chargebee_id", "in", ["a", "b"]).compile();
    const sqlite = /** @type {import("better-sqlite3").Database} */ (/** @type {any} */ (store.db).sqlite);
    const plan = sqlite.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(.../** @type {any[]} */ (q.parameters)).map((/** @type {any} */ r) => r.detail).join("; ");
    assert.match(plan, /\(tenant=\? AND chargebee_id=\?\)/, plan);
  } finally {
    await store.close();
  }
});
