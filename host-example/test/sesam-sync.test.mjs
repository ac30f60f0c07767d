// Customerp through Sesam, end to end: the ERP's records pushed to the host's receivers (as Sesam's
// json sink sends its collect datasets), synced with the Chargebee emulator by `Sync` over
// SesamCustomerpClient, the changes read from the pull datasets (as a json source reads them) and
// made in the ERP by a stand-in of its connector (sesam-helpers.mjs), the ERP's new state pushed back,
// until a sync writes nothing.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Store } from "../src/app/store/store.mjs";
import { Sync } from "../src/app/loop.mjs";
import { ChargebeeClient } from "../src/app/clients/chargebee.mjs";
import { SesamCustomerpClient } from "../src/app/clients/sesam-customerp.mjs";
import { startSesamServer } from "../src/sesam/server.mjs";
import { SesamProtocolClient } from "../src/sesam/client.mjs";
import { startChargebeeEmulator } from "../src/local/chargebee-emulator/server.mjs";
import { seedChargebee } from "../src/local/demo-data.mjs";
import { DEMO_OPTIONS, LOCAL_API_KEY } from "../src/local/servers.mjs";
import { explainPair } from "../src/app/actions/explain.mjs";
import { listInbox } from "../src/app/actions/inbox.mjs";
import { ErpBehindSesam, TYPES, singular } from "../src/sesam/local.mjs";
import { live, rows, setup, stats, testDb, total, writes } from "./helpers.mjs";
import { sleep } from "../src/lib/http.mjs";

const TOKEN = "sesam-sync-test-token-ÅØ-0123";

/**
 * @type {{ store: Store, server: Awaited<ReturnType<typeof startSesamServer>>, chargebee: Awaited<ReturnType<typeof startChargebeeEmulator>>,
 *   erp: ErpBehindSesam, sesam: SesamProtocolClient, client: SesamCustomerpClient, cb: ChargebeeClient, sync: Sync, since: Record<string, number | string | undefined> }}
 */
let t;

before(async () => {
  const store = await Store.open(await testDb());
  const server = await startSesamServer({ store, token: TOKEN });
  const chargebee = await startChargebeeEmulator({ apiKey: LOCAL_API_KEY, seed: seedChargebee });
  const client = new SesamCustomerpClient({ store });
  const cb = new ChargebeeClient({ site: chargebee.url, apiKey: LOCAL_API_KEY, baseDelayMs: 20 });
  t = {
    store, server, chargebee, client, cb, erp: new ErpBehindSesam(), sesam: new SesamProtocolClient({ url: server.url, token: TOKEN }),
    sync: new Sync({ customerp: /** @type {any} */ (client), chargebee: cb, store, options: DEMO_OPTIONS }), since: {},
  };
});
after(async () => {
  await t.server.close();
  await t.chargebee.close();
  await t.store.close();
});

/** @param {string} type */
const receiver = (type) => `/receivers/customerp-${type}/entities`;
/** @param {string} type */
const changes = (type) => `/datasets/customerp-${type}-changes/entities`;

/**
 * Sesam's side of a cycle: every pull dataset read from where it was left (pages of 2), each change made
 * in the ERP by its connector, and the ERP's records that changed pushed back (incremental).
 * @returns {Promise<Record<string, Record<string, any>[]>>} the change entities read, by type
 */
async function sesamCycle() {
  /** @type {Record<string, Record<string, any>[]>} */
  const read = {};
  for (const type of TYPES) {
    const { entities, since } = await t.sesam.pullAll(changes(type), { since: t.since[type], pageSize: 2 });
    t.since[type] = since;
    read[type] = entities;
    const changed = entities.map((e) => t.erp.apply(type, e)).filter((r) => r !== null).map((r) => t.erp.entity(type, /** @type {any} */ (r)));
    if (changed.length) assert.equal((await t.sesam.incremental(receiver(type), changed)).status, 200);
  }
  return read;
}

/** The flows' counters that do not depend on timing or request counts. @param {any} s */
const counts = (s) => Object.fromEntries(Object.entries(stats(s)).map(([flow, f]) => [flow, {
  read: f.read, matched: f.matched, ambiguous: f.ambiguous, created: f.created, updated: f.updated, deleted: f.deleted,
  conflicts: f.conflicts, warnings: f.warnings, waiting: f.waiting, manual: f.manual, errors: f.errors,
}]));

test("the ERP's records, pushed by full syncs over several requests, sync with Chargebee exactly as through the REST connector", async () => {
  for (const type of TYPES) {
    const answers = await t.sesam.fullSync(receiver(type), t.erp.collect(type), { batchSize: 3 });
    assert.ok(answers.length >= 1 && answers.every((a) => a.status === 200), `${type}: ${JSON.stringify(answers)}`);
  }
  const first = await t.sync.run();
  assert.equal(total(first, "errors"), 0, JSON.stringify(await t.store.logEntries({ kind: "error" })));
  // The same data through the REST connector (the Customerp server) plans the same.
  const rest = await setup();
  try {
    assert.deepEqual(counts(first), counts(await rest.host.sync.run()));
  } finally {
    await rest.close();
  }
  // Chargebee has what the REST run gives it.
  assert.equal(live(t.chargebee.site, "customer").length, 14);
  assert.equal(live(t.chargebee.site, "item").length, 7);
  assert.equal(live(t.chargebee.site, "order").length, 3);
  // The inbox works on it as on REST: the ambiguous contacts, the manual business entities.
  const inbox = await listInbox({ store: t.store, config: /** @type {any} */ ({}), customerp: /** @type {any} */ (t.client), chargebee: t.cb });
  assert.deepEqual([...new Set(inbox.filter((i) => i.state === "open").map((i) => i.kind))].sort(), ["ambiguous", "manual", "waiting"]);
});

test("the sync's writes to Customerp are change entities: creates with $ids and $origin, updates with $based_on; the ERP makes them and the links move to its ids", async () => {
  const read = await sesamCycle();
  /** @type {Record<string, any>[]} */
  const all = Object.entries(read).flatMap(([type, es]) => es.map((e) => ({ type, ...e })));
  const creates = all.filter((e) => e.sesam_change === "create");
  const updates = all.filter((e) => e.sesam_change === "update");
  // As the first run's summary says: 1 customer, 1 product, 3 contacts, 1 employee, 1 order created; 1 product, 1 contact and 1 order updated.
  assert.deepEqual(creates.map((e) => e.type).sort(), ["contacts", "contacts", "contacts", "customers", "employees", "orders", "products"]);
  assert.deepEqual(updates.map((e) => e._id).sort(), ["customerp-contact:2", "customerp-order:1", "customerp-product:6"]);
  for (const e of creates) {
    assert.match(e._id, new RegExp(`^customerp-chargebee-${singular(e.type)}:sesam-new-`));
    assert.deepEqual(e.$ids, [`~:${e._id}`]);
    assert.equal(e.$origin, `~:${e._id}`);
    assert.equal(e.id, undefined, "an insert has no system primary key");
    assert.equal(e._deleted, false);
  }
  for (const e of updates) {
    assert.ok(Array.isArray(e.$based_on_properties) && e.$based_on_properties.length > 0);
    assert.deepEqual(Object.keys(e.$based_on).sort(), [...e.$based_on_properties].sort());
  }
  // Typed strings: the order made from Chargebee's order 1187 carries its date, amounts and references typed.
  const order = creates.find((e) => e.type === "orders");
  assert.match(order?.order_date, /^~t\d{4}-\d{2}-\d{2}$/);
  assert.match(order?.contact_id, /^~:customerp-contact:\d+$/);
  assert.match(order?.lines[0].unit_price, /^~f\d+(\.\d+)?$/);
  // Contact 2's language as the first run decided it, in the ERP now.
  assert.equal(t.erp.db.get("contacts", "2").record.language, "de-DE");
  assert.deepEqual(t.erp.applied.filter((a) => !/^(created|updated) /.test(a.outcome)), []);

  // The next sync moves the links from the placeholders to the ERP's ids and tags the Chargebee customers with them.
  const second = await t.sync.run();
  assert.equal(total(second, "errors"), 0, JSON.stringify(await t.store.logEntries({ kind: "error" })));
  assert.equal(second.requests.customerp.writes, 0);
  const placeholders = await rows(t.store, "SELECT flow, customerp_id FROM links WHERE customerp_id LIKE 'sesam-new-%'");
  assert.deepEqual(placeholders, []);
  assert.deepEqual(await rows(t.store, "SELECT id FROM sesam_records WHERE confirmed = 0"), []);
  const tags = live(t.chargebee.site, "customer").map((c) => c.meta_data?.customerp?.id).filter(Boolean);
  assert.ok(tags.every((id) => /^\d+$/.test(id)), `Chargebee tags: ${tags.join(", ")}`);
  assert.deepEqual(Object.values(await sesamCycle()).flat(), [], "nothing more for the ERP");
  const third = await t.sync.run();
  assert.equal(writes(third), 0, "the loop is closed");
});

test("a Chargebee edit shows up as a change entity (paged with since and limit); the ERP's updated record pushed back makes the next sync write nothing", async () => {
  const taro = /** @type {string} */ ((await t.store.linkByCustomerp("contact-customer", "3"))?.chargebee_id);
  const current = (await t.cb.get(`/customers/${taro}`)).customer;
  const { object: _o, ...address } = current.billing_address;
  await sleep(1100); // Chargebee's clock counts seconds
  await t.cb.send("POST", `/customers/${taro}/update_billing_info`, { billing_address: { ...address, line2: "ポートアイランド 3F" } });
  await t.cb.send("POST", `/customers/${taro}`, { phone: "+81 78 999 0000" });
  const run = await t.sync.run();
  assert.equal(stats(run)["contact-customer"].updated.customerp, 1);
  assert.equal(run.requests.chargebee.writes, 0);

  // One entity, read a page of one at a time from the last since.
  const first = await t.sesam.get(changes("contacts"), { since: t.since.contacts, limit: 1 });
  assert.equal(first.entities.length, 1);
  const e = first.entities[0];
  assert.equal(e._id, "customerp-contact:3");
  assert.equal(e.sesam_change, "update");
  assert.equal(e.first_name, "太郎");
  assert.equal(e.last_name, "山田");
  assert.equal(e.address.street_2, "ポートアイランド 3F");
  assert.equal(e.phone, "+81 78 999 0000");
  assert.deepEqual(e.$based_on_properties, ["address", "phone"]);
  assert.equal(e.$based_on.phone, "+81 78 123 4567");
  assert.equal(e.customer_id, "~:customerp-customer:3");
  assert.deepEqual((await t.sesam.get(changes("contacts"), { since: e._updated, limit: 1 })).entities, []);

  // The ERP makes it, and Sesam pushes the ERP's new record back.
  await sesamCycle();
  const erpRecord = t.erp.db.get("contacts", "3").record;
  assert.equal(erpRecord.address.street_2, "ポートアイランド 3F");
  assert.equal(erpRecord.first_name, "太郎");
  const replica = await t.client.get("contacts", "3");
  assert.equal(replica?.record.updated, new Date(Date.parse(erpRecord.updated)).toISOString().replace(".000Z", "Z"), "the ERP's own updated time, as Sesam typed it");
  assert.deepEqual(await rows(t.store, "SELECT entity_id FROM sesam_changes WHERE state = 'open'"), []);
  const next = await t.sync.run();
  assert.equal(writes(next), 0);
});

test("the ERP changed a field after the sync wrote it: $based_on keeps the connector from overwriting it, and the sync plans the ERP's value", async () => {
  const linked = /** @type {string} */ ((await t.store.linkByCustomerp("contact-customer", "1"))?.chargebee_id);
  await sleep(1100);
  await t.cb.send("POST", `/customers/${linked}`, { phone: "+47 900 00 001" });
  await t.sync.run();
  // Before Sesam pulls, a person changes the phone in the ERP.
  await sleep(1100);
  t.erp.db.update("contacts", "1", { phone: "+47 913 00 000" }, undefined);
  const before = t.erp.applied.length;
  await sesamCycle();
  assert.match(t.erp.applied[before].outcome, /^refused: phone changed in the ERP since/);
  // Nothing of it was pushed back: Sesam's next collect brings the ERP's record.
  assert.equal((await t.sesam.incremental(receiver("contacts"), [t.erp.entity("contacts", t.erp.db.get("contacts", "1").record)])).status, 200);
  assert.equal((await t.client.get("contacts", "1"))?.record.phone, "+47 913 00 000", "the ERP's value: the sync's write is gone");
  const run = await t.sync.run();
  assert.equal(total(run, "errors"), 0);
  assert.equal(stats(run)["contact-customer"].updated.chargebee, 1, "the ERP's later value goes to Chargebee");
  assert.equal((await t.cb.get(`/customers/${linked}`)).customer.phone, "+47 913 00 000");
  await sesamCycle();
  assert.equal(writes(await t.sync.run()), 0);
});

test("deletes: an incremental _deleted and a full sync that leaves a product out are tombstones the sync plans as deletes", async () => {
  // Employee 4 deleted in the ERP (its tombstone carries only its _id).
  assert.equal((await t.sesam.incremental(receiver("employees"), [{ _id: "customerp-employee:4", _deleted: true }])).status, 200);
  // A full sync of products without WIDGET-EU (5).
  const products = t.erp.collect("products").filter((e) => e._id !== "customerp-product:5");
  const answers = await t.sesam.fullSync(receiver("products"), products, { batchSize: 4 });
  assert.deepEqual(answers.map((a) => a.status), [200, 200]);
  assert.equal(answers.at(-1)?.body.deleted, 1);
  assert.equal((await t.client.get("products", "5"))?.record.deleted, true);
  assert.equal((await t.client.get("employees", "4"))?.record.deleted, true);
  assert.equal((await t.client.get("employees", "4"))?.record.first_name, "Olamide");
  const run = await t.sync.run();
  assert.equal(total(run, "errors"), 0, JSON.stringify(await t.store.logEntries({ kind: "error" })));
  const item = live(t.chargebee.site, "item").find((i) => i.id === "WIDGET-EU");
  assert.equal(item?.status, "archived");
  assert.equal(await t.store.linkByCustomerp("employee-customer", "4"), undefined, "the link ends");
  assert.equal(writes(await t.sync.run()), 0);
});

test("a dry run plans on a copy: the replica's writes and link moves stay out of the store; explain reads the replica", async () => {
  const linked = /** @type {string} */ ((await t.store.linkByCustomerp("contact-customer", "7"))?.chargebee_id);
  await sleep(1100);
  await t.cb.send("POST", `/customers/${linked}`, { first_name: "Françoise" });
  const copy = await t.store.snapshot();
  try {
    const dry = new Sync({ customerp: /** @type {any} */ (t.client.forStore(copy)), chargebee: t.cb, store: copy, options: DEMO_OPTIONS, dryRun: true });
    const planned = (await dry.run()).planned.filter((w) => w.side === "customerp");
    assert.deepEqual(planned.map((w) => [w.flow, w.action, w.customerpId]), [["contact-customer", "update", "7"]]);
  } finally {
    await copy.close();
  }
  assert.deepEqual(await rows(t.store, "SELECT entity_id FROM sesam_changes WHERE state = 'open'"), [], "nothing written");
  const app = { store: t.store, config: /** @type {any} */ ({ options: DEMO_OPTIONS, flowOptions: {}, guard: { max: 10, percent: 5 }, flows: null }), customerp: /** @type {any} */ (t.client), chargebee: t.cb };
  const explained = await explainPair(app, { flow: "contact-customer", record: "customerp:7" });
  assert.equal(explained.customerp?.first_name, "François");
  assert.equal(explained.writes.find((w) => w.side === "customerp")?.action, "update");
  const run = await t.sync.run();
  assert.equal(stats(run)["contact-customer"].updated.customerp, 1);
  const [e] = (await t.sesam.get(changes("contacts"), { since: t.since.contacts })).entities;
  assert.equal(e.first_name, "Françoise");
  await sesamCycle();
  assert.equal(t.erp.db.get("contacts", "7").record.first_name, "Françoise");
  assert.equal(writes(await t.sync.run()), 0);
});

test("a full sync that leaves most records out is stopped by the guard; the next full sync brings them back and nothing is written", async () => {
  const all = t.erp.collect("contacts");
  const answers = await t.sesam.fullSync(receiver("contacts"), all.slice(0, 1), { batchSize: 100 });
  assert.ok(answers.at(-1)?.body.deleted >= 8, JSON.stringify(answers.at(-1)?.body));
  // The guard's limits as a site with a dozen contacts would set them (SYNC_CONFIG guard.max).
  const guarded = new Sync({ customerp: /** @type {any} */ (t.client), chargebee: t.cb, store: t.store, options: DEMO_OPTIONS, guard: { max: 3, percent: 5 } });
  const stopped = await guarded.run();
  assert.ok(stats(stopped)["contact-customer"].guard, "the guard stopped contact-customer");
  assert.equal(stopped.requests.chargebee.writes, 0);
  assert.equal((await t.sesam.fullSync(receiver("contacts"), all, { batchSize: 5 })).every((a) => a.status === 200), true);
  const back = await guarded.run();
  assert.equal(total(back, "errors"), 0);
  assert.equal(writes(back), 0);
});
