// The inbox and the actions a person takes on it, in process against both local servers: the same
// functions bin/sync.mjs and the console call.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { live, setup, stats, total, writes, testDb, rows } from "./helpers.mjs";
import { runOnce } from "../src/app/actions/run.mjs";
import { listInbox } from "../src/app/actions/inbox.mjs";
import { linkPair, unlinkPair } from "../src/app/actions/link.mjs";
import { resolveItem } from "../src/app/actions/resolve.mjs";
import { retryRecord } from "../src/app/actions/retry.mjs";
import { explainPair } from "../src/app/actions/explain.mjs";
import { Store } from "../src/app/store/store.mjs";
import { Sync } from "../src/app/loop.mjs";
import { DEMO_OPTIONS } from "../src/local/servers.mjs";

const SHARED = "AzZj6kUbTE5g9hN7"; // the Chargebee customer with post@nordlys.example, as contacts 8 and 9
/** @param {import("../src/local/chargebee-emulator/site.mjs").Site} site @param {string} email */
const customersWith = (site, email) => live(site, "customer").filter((c) => String(c.email ?? "").toLowerCase() === email);
/** @param {Awaited<Awaited<ReturnType<typeof import("../src/local/servers.mjs").localSync>>>} app @param {object} f */
const items = async (app, f) => listInbox(app, { all: true, ...f });

test("the inbox: one item per cause across runs; manual steps stay open until done, and close when the entity appears", async () => {
  const t = await setup();
  try {
    const app = t.host;
    await runOnce(app);
    const first = await items(app, {});
    const manual = first.filter((i) => i.kind === "manual");
    assert.equal(manual.length, 4);
    assert.deepEqual(first.filter((i) => i.kind === "ambiguous").map((i) => [i.customerpId, i.chargebeeId, i.state]), [["8,9", SHARED, "open"]]);
    assert.ok(first.filter((i) => i.kind === "conflict").every((i) => i.state === "decided"));
    assert.deepEqual(first.filter((i) => i.kind === "waiting").map((i) => i.customerpId), ["4"]);
    const second = await runOnce(app);
    assert.equal(writes(second.summary), 0);
    const after = await items(app, {});
    assert.equal(after.length, first.length, "the same causes are the same items");
    assert.equal(after.filter((i) => i.kind === "manual" && i.state === "open").length, 4, "still undone: still open");
    const amb = after.find((i) => i.kind === "ambiguous");
    assert.deepEqual([amb?.firstRun, amb?.lastRun], [first[0].firstRun, second.summary.run], "seen again in run 2, one item");
    // a person makes the entity in Chargebee's settings: the next run links it and the step closes itself
    t.servers.chargebee.site.adminSaveBusinessEntity({ name: "Brontë Books Ltd" });
    await runOnce(app);
    const bronte = (await items(app, { kind: "manual" })).find((i) => i.customerpId === "4");
    assert.equal(bronte?.state, "resolved");
    assert.match(String(bronte?.resolution), /the cause is gone/);
    assert.equal((await items(app, { kind: "manual", state: "open" })).length, 3);
    // --done closes a step a person did
    const kobe = (await items(app, { kind: "manual", state: "open" }))[0];
    assert.equal((await resolveItem(app, { id: kobe.id, done: true })).state, "resolved");
    await assert.rejects(() => resolveItem(app, { id: kobe.id, keep: "customerp" }), /not a conflict/);
    await assert.rejects(() => resolveItem(app, { id: 99999, dismiss: true }), /no inbox item "99999"/);
  } finally {
    await t.close();
  }
});

test("two runs at once on one store (no lock taken) make no duplicate items", async () => {
  const dir = mkdtempSync(join(tmpdir(), "host-example-inbox-"));
  const db = (await testDb(dir));
  const t = await setup({ db });
  const other = await Store.open(db);
  try {
    const twin = new Sync({ customerp: t.host.customerp, chargebee: t.host.chargebee, store: other, options: DEMO_OPTIONS });
    await Promise.all([t.host.sync.run(), twin.run()]);
    await Promise.all([t.host.sync.run(), twin.run()]);
    const causes = await rows(t.host.store, "SELECT cause, count(*) AS n FROM inbox GROUP BY cause HAVING count(*) > 1");
    assert.deepEqual(causes, []);
    assert.equal((await items(t.host, { kind: "ambiguous" })).length, 1);
  } finally {
    await other.close();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an ambiguous match resolved with link: the pair merges without a twin, the other record stays held until its item is dismissed", async () => {
  const t = await setup();
  try {
    const app = t.host;
    const site = t.servers.chargebee.site;
    await runOnce(app);
    const amb = (await items(app, { kind: "ambiguous" }))[0];
    await assert.rejects(linkPair(app, { flow: "contact-customer", customerpId: "8", chargebeeId: "nope" }), /Chargebee has no customer nope/);
    await assert.rejects(linkPair(app, { flow: "contact-customer", customerpId: "1", chargebeeId: SHARED }), /Customerp 1 is already linked in contact-customer, to Chargebee \S+ \(unlink it first/);
    const r = await linkPair(app, { flow: "contact-customer", customerpId: "8", chargebeeId: SHARED });
    assert.deepEqual(r.resolved, [amb.id]);
    assert.deepEqual(r.held.map((h) => [h.side, h.id]), [["customerp", "9"]]);
    assert.equal((await items(app, { kind: "ambiguous" })).find((i) => i.id === amb.id)?.state, "resolved");
    const s = await runOnce(app);
    assert.equal(total(s.summary, "errors"), 0);
    assert.equal((await app.store.linkByCustomerp("contact-customer", "8"))?.chargebee_id, SHARED);
    assert.ok((await app.store.linkByCustomerp("contact-customer", "8"))?.base, "merged and stored with a base");
    assert.equal(customersWith(site, "post@nordlys.example").length, 1, "no twin customer for the shared e-mail");
    assert.equal(stats(s.summary)["quote-order"].created.chargebee, 1, "the quote waiting for contact 8 goes across");
    assert.equal((await items(app, { kind: "waiting" }))[0].state, "resolved");
    assert.equal(await app.store.linkByCustomerp("contact-customer", "9"), undefined, "contact 9 is held");
    assert.equal(writes((await runOnce(app)).summary), 0);
    const left = await items(app, { kind: "ambiguous", state: "open" });
    assert.deepEqual(left.map((i) => i.customerpId), ["9"]);
    await resolveItem(app, { id: left[0].id, dismiss: true });
    await runOnce(app);
    assert.ok(await app.store.linkByCustomerp("contact-customer", "9"), "dismissed: contact 9 syncs on its own");
    assert.equal(writes((await runOnce(app)).summary), 0);
  } finally {
    await t.close();
  }
});

test("an ambiguous match dismissed: each record syncs on its own, and the item stays dismissed", async () => {
  const t = await setup();
  try {
    const app = t.host;
    await runOnce(app);
    const amb = (await items(app, { kind: "ambiguous" }))[0];
    assert.equal((await resolveItem(app, { id: amb.id, dismiss: true })).state, "dismissed");
    const s = await runOnce(app);
    assert.equal(total(s.summary, "errors"), 0);
    for (const id of ["8", "9"]) assert.ok(await app.store.linkByCustomerp("contact-customer", id), `contact ${id} is linked`);
    assert.ok(await app.store.linkByChargebee("contact-customer", SHARED), "the Chargebee customer is linked");
    assert.equal((await items(app, { kind: "ambiguous" }))[0].state, "dismissed");
    assert.equal(writes((await runOnce(app)).summary), 0);
  } finally {
    await t.close();
  }
});

test("unlink keeps the pair apart: not matched again (even with --full), neither copied, until linked again; retry --create copies", async () => {
  const t = await setup();
  try {
    const app = t.host;
    const site = t.servers.chargebee.site;
    await runOnce(app);
    const cb = /** @type {string} */ ((await app.store.linkByCustomerp("contact-customer", "2"))?.chargebee_id); // Jürgen, matched by e-mail
    const before = live(site, "customer").length;
    const contacts = t.servers.customerp.db.tables.get("contacts")?.size;
    const u = await unlinkPair(app, { flow: "contact-customer", customerpId: "2" });
    assert.equal(u.chargebeeId, cb);
    await assert.rejects(unlinkPair(app, { flow: "contact-customer", customerpId: "2" }), /not linked/);
    await t.host.customerp.update("contacts", "2", { phone: "+49 221 000 000" }); // a change: the record is read
    const s = await runOnce(app, { full: true });
    assert.equal(total(s.summary, "errors"), 0);
    assert.equal(await app.store.linkByCustomerp("contact-customer", "2"), undefined, "not matched again");
    assert.equal(live(site, "customer").length, before, "no twin in Chargebee");
    assert.equal(t.servers.customerp.db.tables.get("contacts")?.size, contacts, "no twin in Customerp");
    const ex = await explainPair(app, { flow: "contact-customer", record: "customerp:2" });
    assert.match(String(ex.held), /unlinked by hand/);
    assert.deepEqual(ex.writes, []);
    await linkPair(app, { flow: "contact-customer", customerpId: "2", chargebeeId: cb, keep: "customerp" });
    await runOnce(app);
    assert.equal(site.tables.customer.get(cb)?.data.phone, "+49 221 000 000", "linked again with --keep customerp: Customerp's values");
    // retry --create: a held record is copied across on purpose
    await unlinkPair(app, { flow: "contact-customer", customerpId: "2" });
    const r = await retryRecord(app, { flow: "contact-customer", record: "customerp:2" });
    assert.match(String(r.held), /unlinked by hand/);
    assert.equal(r.link, null);
    const c = await retryRecord(app, { flow: "contact-customer", record: "customerp:2", create: true });
    assert.ok(c.link && c.link.chargebee !== cb, "a customer of its own");
    assert.equal(live(site, "customer").length, before + 1);
  } finally {
    await t.close();
  }
});

test("a conflict overridden with resolve --keep: the next run writes the kept value to both sides", async () => {
  const t = await setup();
  try {
    const app = t.host;
    await runOnce(app);
    const c = (await items(app, { kind: "conflict" })).find((i) => i.flow === "contact-customer" && i.customerpId === "2");
    assert.ok(c);
    assert.deepEqual([c.detail.property, c.detail.customerp, c.detail.chargebee, c.detail.winner], ["language", "de-DE", "de", "customerp"]);
    assert.equal((await app.customerp.get("contacts", "2"))?.record.language, "de-DE");
    const r = await resolveItem(app, { id: c.id, keep: "chargebee" });
    assert.equal(r.state, "decided");
    assert.match(String(r.resolution), /the next run writes it/);
    const ex = await explainPair(app, { flow: "contact-customer", record: "customerp:2" });
    assert.ok(ex.writes.some((w) => w.side === "customerp" && w.changes.some((ch) => ch.property === "language" && ch.to === "de")), JSON.stringify(ex.writes));
    const s = await runOnce(app);
    assert.equal(total(s.summary, "errors"), 0);
    assert.equal((await app.customerp.get("contacts", "2"))?.record.language, "de");
    assert.equal(t.servers.chargebee.site.tables.customer.get(/** @type {string} */ (c.chargebeeId))?.data.locale, "de");
    const done = (await items(app, { kind: "conflict" })).find((i) => i.id === c.id);
    assert.equal(done?.state, "resolved");
    assert.match(String(done?.resolution), /overridden: chargebee's value kept, written in run/);
    assert.match((await app.store.logEntries({ run: s.summary.run, kind: "override" }))[0]?.message, /language: a person kept chargebee's value/);
    assert.equal(writes((await runOnce(app)).summary), 0);
  } finally {
    await t.close();
  }
});

test("retry: a waiting record goes across once its parent is linked; a failed one once it is fixed", async () => {
  const t = await setup();
  try {
    const app = t.host;
    await runOnce(app);
    const stuck = await retryRecord(app, { flow: "quote-order", record: "customerp:4" });
    assert.equal(stats(stuck.summary)["quote-order"].waiting, 1);
    await linkPair(app, { flow: "contact-customer", customerpId: "8", chargebeeId: SHARED });
    await retryRecord(app, { flow: "contact-customer", record: "customerp:8" });
    const r = await retryRecord(app, { flow: "quote-order", record: "customerp:4" });
    assert.equal(r.exitCode, 0);
    assert.ok(r.link?.chargebee, "the quote is linked to its new order");
    assert.equal(stats(r.summary)["quote-order"].created.chargebee, 1);
    assert.equal((await items(app, { kind: "waiting" }))[0].state, "resolved");

    const bad = t.servers.customerp.db.create("contacts", { first_name: "Ugo", last_name: "Bad", email: "not-an-email", is_active: true });
    const failed = await retryRecord(app, { flow: "contact-customer", record: `customerp:${bad.record.id}` });
    assert.equal(failed.exitCode, 1);
    assert.equal(failed.items.find((i) => i.kind === "error")?.state, "open");
    t.servers.customerp.db.update("contacts", bad.record.id, { email: "ugo@example.com" }, undefined);
    const ok = await retryRecord(app, { flow: "contact-customer", record: `customerp:${bad.record.id}` });
    assert.equal(ok.exitCode, 0);
    assert.ok(ok.link);
    assert.equal(ok.items.find((i) => i.kind === "error")?.state, "resolved");
  } finally {
    await t.close();
  }
});

test("explain: one row per property with both values, the last synced one and the decision, then the requests", async () => {
  const t = await setup();
  try {
    const app = t.host;
    await runOnce(app);
    const quiet = await explainPair(app, { flow: "contact-customer", record: "customerp:1" });
    assert.equal(quiet.linked, true);
    assert.ok(quiet.rows.length >= 10);
    assert.ok(quiet.rows.every((r) => r.decision === "equal" || r.decision.startsWith("one way") || r.decision === "-"), JSON.stringify(quiet.rows.map((r) => [r.property, r.decision])));
    assert.deepEqual(quiet.writes, []);
    await app.customerp.update("contacts", "1", { phone: "+47 913 00 000" });
    const cb = /** @type {string} */ (quiet.link.chargebee);
    const ex = await explainPair(app, { flow: "contact-customer", record: `chargebee:${cb}` });
    const phone = ex.rows.find((r) => r.property.startsWith("phone"));
    assert.deepEqual([phone?.customerp, phone?.chargebee, phone?.base?.customerp, phone?.decision], ["+47 913 00 000", "+47 912 34 567", "+47 912 34 567", "copy to Chargebee"]);
    assert.deepEqual(ex.writes.map((w) => [w.side, w.method, w.path]), [["chargebee", "POST", `/customers/${cb}`]]);
    assert.deepEqual(ex.writes[0].changes, [{ property: "phone", from: "+47 912 34 567", to: "+47 913 00 000" }]);
    assert.equal(app.chargebee.counters.writes + app.customerp.counters.writes, writes({ requests: { customerp: app.customerp.counters, chargebee: app.chargebee.counters } }));
    const w0 = app.chargebee.counters.writes;
    await explainPair(app, { flow: "contact-customer", record: "customerp:1" });
    assert.equal(app.chargebee.counters.writes, w0, "explain writes nothing");
    await assert.rejects(explainPair(app, { flow: "contact-customer", record: "customerp:4040" }), /neither Customerp nor Chargebee has customerp:4040/);
    await assert.rejects(explainPair(app, { flow: "contact-customer", record: "4040" }), /expected customerp:<id> or chargebee:<id>/);
  } finally {
    await t.close();
  }
});

test("drift after a one-way period: reported once while read-only, found by --full, repaired with --repair", async () => {
  const t = await setup();
  try {
    const app = t.host;
    await runOnce(app);
    const cb = /** @type {string} */ ((await app.store.linkByCustomerp("contact-customer", "1"))?.chargebee_id);
    // one way: Customerp is read-only for contacts; Chargebee's new phone is not copied
    app.config.flowOptions = { "contact-customer": { readOnly: ["customerp"] } };
    await app.chargebee.send("POST", `/customers/${cb}`, { phone: "+47 915 55 555" });
    await runOnce(app);
    const dropped = await items(app, { kind: "drift" });
    assert.equal(dropped.length, 1, JSON.stringify(dropped));
    assert.match(dropped[0].message, /phone changed in Chargebee, but Customerp is read-only for this flow: not copied/);
    await runOnce(app, { full: true });
    assert.equal((await items(app, { kind: "drift" })).length, 1, "the same difference, the same item");
    assert.equal((await app.store.logEntries({ kind: "warning" })).filter((e) => /read_only/.test(e.message)).length, 1, "reported once");
    // two-way again: an incremental run cannot see it; --full finds it; --repair brings it together
    app.config.flowOptions = {};
    const quiet = await runOnce(app);
    assert.equal(writes(quiet.summary), 0);
    const full = await runOnce(app, { full: true });
    assert.equal(writes(full.summary), 0, "--full reports, it does not write");
    assert.equal(stats(full.summary)["contact-customer"].drift, 1);
    const drift = (await items(app, { kind: "drift", state: "open" })).find((i) => i.property === "phone");
    assert.ok(drift, JSON.stringify(await items(app, { kind: "drift" })));
    assert.match(drift.message, /phone differs: Customerp "\+47 912 34 567", Chargebee "\+47 915 55 555", and neither changed since the last sync/);
    const repaired = await runOnce(app, { full: true, repair: true });
    assert.equal(total(repaired.summary, "errors"), 0);
    assert.equal((await app.customerp.get("contacts", "1"))?.record.phone, "+47 915 55 555", "newest: Chargebee's edit was later");
    const conflict = (await app.store.logEntries({ run: repaired.summary.run, kind: "conflict" })).find((c) => c.property === "phone");
    assert.match(JSON.parse(conflict?.detail).rule, /^repair: newest/);
    await runOnce(app, { full: true });
    assert.equal((await items(app, { kind: "drift", state: "open" })).length, 0, "the drift items closed themselves");
  } finally {
    await t.close();
  }
});
