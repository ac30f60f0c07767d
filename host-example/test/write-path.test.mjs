// The write path: a write never leaves later than a short bound after the check of its target. After a
// 429, a 503 with back-off, a wait in the rate bucket, or an answer lost after the server did the
// write, the pair is read and planned again; the request as it was is never re-sent, and a person's
// edit made during the wait survives or is a reported conflict. Deterministic: the proxy decides which
// request waits, and the "person" edits Chargebee directly while the host waits.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setup, testDb, total, writes } from "./helpers.mjs";
import { proxy } from "./proxy.mjs";
import { ChargebeeClient } from "../src/app/clients/chargebee.mjs";
import { LOCAL_API_KEY } from "../src/local/servers.mjs";
import { CHECK_BOUND_MS } from "../src/app/clients/write-scope.mjs";
import { sleep } from "../src/lib/http.mjs";

/** A synced pair of local servers, a store in a file (or a PostgreSQL schema) that a second host can open. */
async function synced() {
  const dir = mkdtempSync(join(tmpdir(), "host-example-write-path-"));
  const db = await testDb(dir);
  const t = await setup({ db });
  await t.host.sync.run();
  await t.host.sync.run();
  await t.host.store.close();
  // A person, editing Chargebee in its web app (here: straight to the emulator, not through any proxy).
  const person = new ChargebeeClient({ site: t.servers.chargebee.url, apiKey: LOCAL_API_KEY });
  return {
    t, db, person,
    async close() {
      await t.servers.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** POSTs the host sent through a proxy to a path, with their form bodies decoded. @param {{ seen: import("./proxy.mjs").Seen[] }} px @param {string} path */
const postsTo = (px, path) => px.seen.filter((s) => s.method === "POST" && s.path.endsWith(path)).map((s) => Object.fromEntries(new URLSearchParams(s.body)));

test("a 429 on a write, and a person renames the item during the wait: the host checks again and the newer edit wins, as a reported conflict", async () => {
  const w = await synced();
  /** @type {Promise<unknown> | null} */
  let edit = null;
  const px = await proxy(w.t.servers.chargebee.url, (s) => {
    if (s.method === "POST" && s.path.endsWith("/items/SUPPORT-HOUR") && !edit) {
      edit = sleep(300).then(() => w.person.send("POST", "/items/SUPPORT-HOUR", { name: "Teppich 5w9" }));
      return { status: 429, headers: { "retry-after": "1" } };
    }
    return "pass";
  });
  const host = await w.t.connect({ db: w.db, chargebeeUrl: px.url });
  try {
    w.t.servers.customerp.db.update("products", "1", { name: "Teppich 5w8" }, undefined);
    await sleep(1100); // Chargebee's clock counts seconds: the person's edit is later than Customerp's
    const s = await host.sync.run();
    await edit;
    assert.equal(total(s, "errors"), 0);
    assert.ok(/** @type {any} */ (s.flows["product-item"]).rechecked >= 1, "the write was checked again after the wait");
    assert.equal(w.t.servers.chargebee.site.tables.item.get("SUPPORT-HOUR")?.data.name, "Teppich 5w9", "the person's newer name survives in Chargebee");
    assert.equal(w.t.servers.customerp.db.get("products", "1").record.name, "Teppich 5w9", "and reaches Customerp");
    const sent = postsTo(px, "/items/SUPPORT-HOUR");
    assert.equal(sent.filter((p) => p.name === "Teppich 5w8").length, 1, "the stale request was sent once (answered 429) and never again");
    const conflicts = (await host.store.logEntries({ kind: "conflict" })).filter((c) => c.property === "name" && c.chargebee_id === "SUPPORT-HOUR" && c.run === s.run);
    assert.equal(conflicts.length, 1, "one conflict names both values and the rule");
    assert.match(conflicts[0].message, /Customerp "Teppich 5w8" vs Chargebee "Teppich 5w9".*chargebee wins \(newest/);
    assert.equal(writes(await host.sync.run()), 0, "settled");
    assert.ok(Math.max(...host.sync.writeGaps) < CHECK_BOUND_MS, `every write left within ${CHECK_BOUND_MS} ms of its check: ${Math.max(...host.sync.writeGaps).toFixed(2)} ms`);
  } finally {
    await host.store.close();
    await px.close();
    await w.close();
  }
});

test("a 503 and an exponential back-off, and a person edits the order's status meanwhile: nothing is lost silently", async () => {
  const w = await synced();
  const order = /** @type {string} */ ((await (await w.t.connect({ db: w.db })).store.linkByCustomerp("order-order", "2"))?.chargebee_id);
  /** @type {Promise<unknown> | null} */
  let edit = null;
  const px = await proxy(w.t.servers.chargebee.url, (s) => {
    if (s.method === "POST" && s.path.endsWith(`/orders/${order}`) && !edit) {
      edit = sleep(150).then(() => w.person.send("POST", `/orders/${order}`, { status: "on_hold" }));
      return { status: 503 };
    }
    return "pass";
  });
  // a back-off of 0.6–1 s: the person's edit lands inside it
  const host = await w.t.connect({ db: w.db, chargebeeUrl: px.url, retry: { baseDelayMs: 800 } });
  try {
    w.t.servers.customerp.db.update("orders", "2", { status: "delivered" }, undefined);
    await sleep(1100);
    const s = await host.sync.run();
    await edit;
    assert.equal(total(s, "errors"), 0);
    const cb = w.t.servers.chargebee.site.tables.order.get(order)?.data;
    const cp = w.t.servers.customerp.db.get("orders", "2").record;
    assert.equal(cb?.status, "on_hold", "the person's newer status survives in Chargebee");
    assert.equal(cp.status, "on_hold", "and reaches Customerp");
    const conflicts = (await host.store.logEntries({ kind: "conflict" })).filter((c) => c.property === "status" && c.chargebee_id === order && c.run === s.run);
    assert.equal(conflicts.length, 1);
    assert.match(conflicts[0].message, /"delivered" vs Chargebee "on_hold"/);
    assert.equal(postsTo(px, `/orders/${order}`).filter((p) => p.status === "delivered").length, 1, "the stale request was not sent again");
  } finally {
    await host.store.close();
    await px.close();
    await w.close();
  }
});

test("a write held in the rate bucket checks its target after the wait, not before it", async () => {
  const w = await synced();
  const first = await w.t.connect({ db: w.db });
  const customer = /** @type {string} */ ((await first.store.linkByCustomerp("contact-customer", "1"))?.chargebee_id);
  await first.store.close();
  let held = false;
  /** @type {import("../src/app/clients/rate.mjs").Bucket} a bucket whose first wait for a pair's tokens lasts while a person edits */
  const bucket = {
    take: async (n = 1) => {
      if (n >= 2 && !held) {
        held = true;
        await w.person.send("POST", `/customers/${customer}`, { phone: "+47 913 00 002" });
      }
    },
    tryTake: () => true, refund: () => {}, limited: () => {}, ok: () => {},
    stats: () => ({ perMinute: 0, current: 0, taken: 0, waitedMs: 0, rateLimited: 0 }),
  };
  const host = await w.t.connect({ db: w.db, bucket });
  try {
    w.t.servers.customerp.db.update("contacts", "1", { phone: "+47 913 00 001" }, undefined);
    await sleep(1100);
    const s = await host.sync.run();
    assert.ok(held, "the pair's write waited in the bucket");
    assert.equal(total(s, "errors"), 0);
    assert.equal(w.t.servers.chargebee.site.tables.customer.get(customer)?.data.phone, "+47 913 00 002");
    assert.equal(w.t.servers.customerp.db.get("contacts", "1").record.phone, "+47 913 00 002");
    const c = (await host.store.logEntries({ kind: "conflict" })).filter((x) => x.property === "phone" && x.run === s.run);
    assert.equal(c.length, 1, "reported as a conflict with both values");
  } finally {
    await host.store.close();
    await w.close();
  }
});

test("a write the server did but whose answer was a 500, or was lost: checked again, not sent twice, same idempotency key for a create", async () => {
  const w = await synced();
  let failed = 0;
  let reset = 0;
  const px = await proxy(w.t.servers.chargebee.url, (s) => {
    // the update of an existing customer: done, then answered 500
    if (s.method === "POST" && /\/customers\/[^/]+$/.test(s.path) && !failed) {
      failed++;
      return { status: 500, afterServer: true };
    }
    // the create of a new one: done, then the answer is lost (a 599 the client cannot take for an answer is not
    // Chargebee's; drop the socket instead)
    if (s.method === "POST" && s.path.endsWith("/customers") && !reset) {
      reset++;
      return { status: 0, afterServer: true };
    }
    return "pass";
  });
  const host = await w.t.connect({ db: w.db, chargebeeUrl: px.url });
  try {
    w.t.servers.customerp.db.update("contacts", "1", { first_name: "Åsa" }, undefined);
    w.t.servers.customerp.db.create("contacts", { first_name: "Maja", last_name: "Øberg", email: "maja.oberg@example.no", is_active: true });
    const before = w.t.servers.chargebee.site.tables.customer.size;
    const s = await host.sync.run();
    assert.equal(total(s, "errors"), 0);
    assert.equal(failed, 1);
    assert.equal(reset, 1, JSON.stringify(px.seen.filter((x) => x.method === "POST").map((x) => x.path)));
    assert.equal(w.t.servers.chargebee.site.tables.customer.size, before + 1, "one new customer: no twin");
    const updates = px.seen.filter((x) => x.method === "POST" && /\/customers\/[^/]+$/.test(x.path) && x.body.includes("first_name"));
    assert.equal(updates.length, 1, "the update the server did was not sent again");
    const creates = px.seen.filter((x) => x.method === "POST" && x.path.endsWith("/customers"));
    assert.ok(creates.length >= 1 && creates.length <= 2);
    if (creates.length === 2) assert.equal(creates[0].headers["chargebee-idempotency-key"], creates[1].headers["chargebee-idempotency-key"], "a replay, never a second write");
    assert.equal(writes(await host.sync.run()), 0);
  } finally {
    await host.store.close();
    await px.close();
    await w.close();
  }
});
