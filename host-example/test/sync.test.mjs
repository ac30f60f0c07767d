// The host's loop against both local servers with the demo data.
import { test } from "node:test";
import assert from "node:assert/strict";
import { crashOnce, live, setup, stats, total, writes, testDb } from "./helpers.mjs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep } from "../src/lib/http.mjs";
import { Sync } from "../src/app/loop.mjs";
import { DEMO_OPTIONS } from "../src/local/servers.mjs";

test("a full sync of the demo data links, creates and copies what it should", async () => {
  const t = await setup();
  try {
    const s = await t.host.sync.run();
    const f = stats(s);
    assert.deepEqual(Object.keys(f), ["customer-business_entity", "product-item", "contact-customer", "employee-customer", "quote-order", "order-order"]);
    assert.equal(total(s, "errors"), 0, JSON.stringify(await t.host.store.logEntries({ kind: "error" })));
    const c = (/** @type {string} */ flow) => ({ matched: f[flow].matched, created: f[flow].created, ambiguous: f[flow].ambiguous });
    // 2 entities match by name (case, spaces, Unicode normalised); 1 made in Chargebee becomes a customer; 3 to make by hand
    assert.deepEqual(c("customer-business_entity"), { matched: 2, created: { customerp: 1, chargebee: 0 }, ambiguous: 0 });
    assert.equal(f["customer-business_entity"].manual, 4); // "Müller & Söhne" in composed and decomposed form is one name
    // onboarding-kit by sku, CONSULT-DAY by name; 4 new items; gift-card comes back; LEGACY-WIDGET is inactive
    assert.deepEqual(c("product-item"), { matched: 2, created: { customerp: 1, chargebee: 4 }, ambiguous: 0 });
    // Jürgen and François by e-mail (other case); post@nordlys is shared by two contacts: ambiguous, held
    assert.deepEqual(c("contact-customer"), { matched: 2, created: { customerp: 3, chargebee: 4 }, ambiguous: 1 });
    // Håkon by e-mail; Pål (tagged employee in Chargebee) comes back; Mei left the company
    assert.deepEqual(c("employee-customer"), { matched: 1, created: { customerp: 1, chargebee: 2 }, ambiguous: 0 });
    // the accepted quote becomes an order; SO-2026-0107 takes it over; SO-2026-0108 is new; order 1187 comes back
    assert.deepEqual(c("quote-order"), { matched: 0, created: { customerp: 0, chargebee: 1 }, ambiguous: 0 });
    assert.equal(f["quote-order"].waiting, 1, "Q-2026-0044 waits for its contact, whose e-mail is ambiguous");
    assert.deepEqual(c("order-order"), { matched: 0, created: { customerp: 1, chargebee: 1 }, ambiguous: 0 });

    const site = t.servers.chargebee.site;
    const db = t.servers.customerp.db;
    assert.equal(live(site, "customer").length, 14);
    assert.equal(live(site, "item").length, 7);
    assert.equal(live(site, "item_price").length, 8);
    assert.equal(site.tables.invoice.size, 3);
    assert.equal(live(site, "order").length, 3);
    const sizes = Object.fromEntries([...db.tables].map(([k, v]) => [k, v.size]));
    assert.deepEqual(sizes, { customers: 6, contacts: 12, employees: 5, products: 8, quotes: 4, orders: 3 });
    const store = t.host.store;
    const links = Object.fromEntries(await Promise.all(Object.keys(f).map(async (flow) => [flow, await store.linkCount(flow)])));
    assert.deepEqual(links, { "customer-business_entity": 3, "product-item": 7, "contact-customer": 9, "employee-customer": 4, "quote-order": 1, "order-order": 3 });
    assert.equal((await store.logEntries({ kind: "ambiguous" })).length, 1);
    // every Chargebee customer made for a Customerp record exists once
    const tags = live(site, "customer").map((c) => c.meta_data?.customerp).filter(Boolean).map((g) => `${g.type}:${g.id}`);
    assert.equal(new Set(tags).size, tags.length);
  } finally {
    await t.close();
  }
});

test("the demo's mappings: a contact's vat_number and segment reach Chargebee (billing info, custom field) and come back", async () => {
  const t = await setup();
  try {
    const s = await t.host.sync.run();
    assert.equal(total(s, "errors"), 0, JSON.stringify(await t.host.store.logEntries({ kind: "error" })));
    const site = t.servers.chargebee.site;
    const byEmail = (/** @type {string} */ e) => live(site, "customer").find((c) => c.email?.toLowerCase() === e);
    assert.deepEqual([byEmail("ase.odegard@nordlys.example")?.vat_number, byEmail("ase.odegard@nordlys.example")?.cf_segment], ["NO923456789MVA", "enterprise"]);
    const juergen = byEmail("juergen.mueller@mueller-soehne.example");
    assert.deepEqual([juergen?.vat_number, juergen?.cf_segment], ["DE811234567", "smb"], "matched by e-mail, then filled");
    // Each side's edit reaches the other.
    await t.host.customerp.update("contacts", "1", { vat_number: "NO999888777MVA" });
    site.updateCustomer(/** @type {string} */ (juergen?.id), { cf_segment: "public" });
    const s2 = await t.host.sync.run();
    assert.equal(total(s2, "errors"), 0);
    assert.equal(byEmail("ase.odegard@nordlys.example")?.vat_number, "NO999888777MVA");
    assert.equal(t.servers.customerp.db.get("contacts", "2")?.record.segment, "public");
    const s3 = await t.host.sync.run();
    assert.equal(writes(s3), 0, "settled");
  } finally {
    await t.close();
  }
});

test("a second run right after the first sends no writes", async () => {
  const t = await setup();
  try {
    await t.host.sync.run();
    const again = await t.host.sync.run();
    assert.equal(writes(again), 0, JSON.stringify(again.requests));
    assert.equal(total(again, "errors"), 0);
    assert.equal(total(again, "conflicts"), 0);
  } finally {
    await t.close();
  }
});

test("a record waiting for its parent goes across in the run that links the parent", async () => {
  const t = await setup();
  try {
    await t.host.sync.run();
    const waiting = await t.host.store.logEntries({ kind: "waiting" });
    assert.equal(waiting.length, 1);
    assert.match(waiting[0].message, /waiting for contact-customer 8/);
    assert.equal(writes(await t.host.sync.run()), 0, "still waiting: nothing is written");
    // a person settles the shared mailbox: Sigrid gets her own address, so Ola matches the Chargebee customer
    await t.host.customerp.update("contacts", "9", { email: "sigrid.nordmann@nordlys.example" });
    const s = await t.host.sync.run();
    assert.equal(stats(s)["contact-customer"].matched, 1);
    assert.equal(stats(s)["quote-order"].created.chargebee, 1);
    assert.equal(stats(s)["quote-order"].waiting, 0);
    const order = (await t.host.store.linkByCustomerp("quote-order", "4"))?.chargebee_id;
    assert.equal(t.servers.chargebee.site.tables.order.get(/** @type {string} */ (order))?.data.customer_id, "AzZj6kUbTE5g9hN7");
  } finally {
    await t.close();
  }
});

test("an edit on both sides is a conflict: settled by the newest edit, logged with both values", async () => {
  const t = await setup();
  try {
    await t.host.sync.run();
    const cbId = /** @type {string} */ ((await t.host.store.linkByCustomerp("contact-customer", "2"))?.chargebee_id);
    await t.host.customerp.update("contacts", "2", { last_name: "Müller-Lüdenscheidt", phone: "+49 221 111 222" });
    await sleep(1100); // Chargebee's updated_at counts seconds
    await t.host.chargebee.send("POST", `/customers/${cbId}`, { last_name: "Mueller" });
    const s = await t.host.sync.run();
    assert.equal(total(s, "conflicts"), 1);
    const [c] = await t.host.store.logEntries({ run: s.run, kind: "conflict" });
    assert.equal(c.property, "last_name");
    assert.equal(c.customerp_id, "2");
    assert.equal(c.chargebee_id, cbId);
    assert.deepEqual(JSON.parse(c.detail), { property: "last_name", customerp: "Müller-Lüdenscheidt", chargebee: "Mueller", base: "Müller",
      winner: "chargebee", rule: "newest: Chargebee was updated later" });
    const contact = (await t.host.customerp.get("contacts", "2"))?.record;
    assert.equal(contact?.last_name, "Mueller");
    const customer = t.servers.chargebee.site.tables.customer.get(cbId)?.data;
    assert.equal(customer?.last_name, "Mueller");
    assert.equal(customer?.phone, "+49 221 111 222", "the edit without a conflict still goes across");
    assert.equal(writes(await t.host.sync.run()), 0);
  } finally {
    await t.close();
  }
});

test("a crash between the Chargebee write and the store commit: the rerun makes no twin", async () => {
  const dir = mkdtempSync(join(tmpdir(), "host-example-crash-"));
  const t = await setup({
    db: (await testDb(dir)),
    concurrency: 1, // one pair at a time: the crash comes right after the first create
    hooks: {
      // after the contact's customer is created in Chargebee, before link and base are stored
      afterChargebeeWrite: crashOnce(({ flow, plan }) => flow === "contact-customer" && plan.chargebee.action === "create"),
    },
  });
  /** @type {Awaited<ReturnType<typeof t.connect>> | undefined} */
  let restarted;
  try {
    await assert.rejects(t.host.sync.run(), /simulated crash/);
    const site = t.servers.chargebee.site;
    const made = [...site.tables.customer.keys()].filter((id) => id.startsWith("cp-contact-"));
    assert.equal(made.length, 1, "one customer was written before the crash");
    assert.equal(await t.host.store.linkByChargebee("contact-customer", made[0]), undefined, "its link was not stored");

    // a new process on the same store file
    await t.host.store.close();
    restarted = await t.connect({ hooks: {} });
    const s = await restarted.sync.run();
    assert.equal(total(s, "errors"), 0);
    assert.equal(live(site, "customer").length, 14, "no twin");
    assert.ok(await restarted.store.linkByChargebee("contact-customer", made[0]), "the rerun linked the customer written before the crash");
    assert.equal(writes(await restarted.sync.run()), 0);
  } finally {
    await restarted?.store.close();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a create retried after Chargebee forgot its key, of a customer no match finds: duplicate_entry links it, no twin", async () => {
  const t = await setup({
    // Customerp is read-only here, so the edited customer below is not copied to Customerp as a new contact
    options: { ...DEMO_OPTIONS, readOnly: ["customerp"] },
    concurrency: 1, // one pair at a time: the crash comes right after the first create
    hooks: {
      afterChargebeeWrite: crashOnce(({ flow, plan }) => flow === "contact-customer" && plan.chargebee.action === "create"),
    },
  });
  try {
    await assert.rejects(t.host.sync.run(), /simulated crash/);
    const site = t.servers.chargebee.site;
    const made = live(site, "customer").filter((c) => c.id.startsWith("cp-contact-"));
    assert.equal(made.length, 1);
    t.servers.chargebee.expireIdempotencyKeys();
    // edited in Chargebee meanwhile: neither its tag nor its e-mail finds the contact any more
    const edited = /** @type {Record<string, any>} */ (site.tables.customer.get(made[0].id)?.data);
    delete edited.meta_data;
    edited.email = "someone.else@example.com";
    const s = await t.host.sync.run();
    assert.equal(total(s, "errors"), 0);
    const refused = t.servers.chargebee.requests.filter((r) => r.path === "/customers" && r.status === 400);
    assert.equal(refused.length, 1, "Chargebee refused the retried create once, as duplicate_entry");
    const contact = made[0].meta_data.customerp.id;
    const tagged = live(site, "customer").filter((c) => c.meta_data?.customerp?.type === "contact" && c.meta_data.customerp.id === contact);
    assert.deepEqual(tagged.map((c) => c.id), [made[0].id], "no twin: one customer carries the contact's tag");
    assert.equal((await t.host.store.linkByCustomerp("contact-customer", contact))?.chargebee_id, made[0].id, "the customer made before the crash is linked");
    const conflicts = (await t.host.store.logEntries({ kind: "conflict" })).filter((c) => c.chargebee_id === made[0].id);
    assert.deepEqual(conflicts.map((c) => [c.property, JSON.parse(c.detail).winner]), [["email", "customerp"]], "the edit is reported; the read-only side wins");
    assert.equal(live(site, "customer").find((c) => c.id === made[0].id)?.email, made[0].email);
    assert.equal(writes(await t.host.sync.run()), 0);
  } finally {
    await t.close();
  }
});

test("a crash between an order's invoice and the order: the rerun reuses the invoice", async () => {
  const t = await setup({
    hooks: {
      afterChargebeeRequest: crashOnce(({ flow, plan, index }) => flow === "quote-order" && plan.chargebee.action === "create" && index === 0),
    },
  });
  try {
    await assert.rejects(t.host.sync.run(), /simulated crash/);
    const site = t.servers.chargebee.site;
    assert.equal(site.tables.invoice.size, 2, "the quote's invoice was made, its order not");
    const s = await t.host.sync.run();
    assert.equal(total(s, "errors"), 0);
    assert.equal(site.tables.invoice.size, 3, "the quote's invoice was not made twice (idempotency replay)");
    assert.equal(live(site, "order").length, 3);
    assert.ok(t.servers.chargebee.requests.some((r) => r.replayed && r.path === "/invoices/create_for_charge_items_and_charges"));
    assert.equal(writes(await t.host.sync.run()), 0);
  } finally {
    await t.close();
  }
});

test("a crash between an order's create and the store commit: the rerun takes Customerp's values, with no conflict", async () => {
  const t = await setup({
    hooks: {
      // after the invoice and the order are created, before link and base are stored
      afterChargebeeWrite: crashOnce(({ flow, plan }) => flow === "order-order" && plan.chargebee.action === "create"),
    },
  });
  try {
    await assert.rejects(t.host.sync.run(), /simulated crash/);
    const site = t.servers.chargebee.site;
    const made = live(site, "order").filter((o) => o.id.startsWith("cp-order-"));
    assert.equal(made.length, 1, "one order was written before the crash");
    const s = await t.host.sync.run();
    assert.equal(total(s, "errors"), 0);
    const orders = (await t.host.store.logEntries({ kind: "conflict" })).filter((c) => c.flow === "order-order");
    assert.deepEqual(orders, [], "Chargebee's defaults on the order made before the crash are not edits");
    const order = live(site, "order").find((o) => o.id === made[0].id);
    assert.ok(order?.order_date, "the order date POST /orders cannot set followed");
    assert.ok(order.order_line_items.every((/** @type {any} */ l) => l.sku), "so did the lines' skus");
    assert.equal(writes(await t.host.sync.run()), 0);
  } finally {
    await t.close();
  }
});

test("a 429 storm and 503s are survived: the sync waits as Retry-After says and finishes", async () => {
  const t = await setup({ rateLimit: { limit: 40, windowMs: 1000 } });
  try {
    t.servers.chargebee.failNext(503, 502);
    const s = await t.host.sync.run();
    assert.equal(total(s, "errors"), 0);
    assert.ok(s.requests.chargebee.rateLimited > 0, "the emulator answered 429");
    assert.ok(s.requests.chargebee.retries >= s.requests.chargebee.rateLimited + 2);
    assert.ok(t.servers.chargebee.requests.filter((r) => r.status === 429).length > 0);
    assert.equal(live(t.servers.chargebee.site, "customer").length, 14);
  } finally {
    await t.close();
  }
});

test("an invalid API key fails the run clearly, with Chargebee's code and without the key", async () => {
  const t = await setup();
  try {
    const bad = await t.connect({ apiKey: "test_wrong_key_12345" });
    const err = await bad.sync.run().then(() => null, (e) => e);
    await bad.store.close();
    assert.ok(err, "the run failed");
    assert.equal(err.name, "ChargebeeError");
    assert.equal(err.status, 401);
    assert.equal(err.apiErrorCode, "api_authentication_failed");
    assert.match(err.message, /401 api_authentication_failed.*CHARGEBEE_API_KEY/);
    assert.doesNotMatch(err.message, /test_wrong_key_12345/);
    assert.equal(t.servers.customerp.requests.filter((r) => r.method !== "GET").length, 0, "nothing was written");
  } finally {
    await t.close();
  }
});

test("a flow this build of the package does not plan is skipped with a notice", async () => {
  const t = await setup();
  try {
    /** @type {string[]} */
    const lines = [];
    const flows = [{ id: /** @type {any} */ ("invoice-invoice"), customerp: "invoices", chargebee: /** @type {const} */ ("order"), parents: [] }];
    const s = await new Sync({ customerp: t.host.customerp, chargebee: t.host.chargebee, store: t.host.store, flows, out: (l) => lines.push(l) }).run();
    assert.deepEqual(s.flows, { "invoice-invoice": { skipped: "not in this build of customerp-chargebee (plan throws unknown_flow)" } });
    assert.match(lines.join("\n"), /invoice-invoice +skipped: this build of customerp-chargebee does not plan it yet/);
    assert.equal(writes(s), 0);
    assert.equal(s.requests.chargebee.reads + s.requests.customerp.reads, 0);
  } finally {
    await t.close();
  }
});

test("a contact deleted in Customerp ends its link; the Chargebee customer is kept and marked", async () => {
  const t = await setup();
  try {
    await t.host.sync.run();
    const cbId = /** @type {string} */ ((await t.host.store.linkByCustomerp("contact-customer", "1"))?.chargebee_id);
    await t.host.customerp.remove("contacts", "1");
    const s = await t.host.sync.run();
    assert.equal(total(s, "errors"), 0);
    assert.equal(await t.host.store.linkByCustomerp("contact-customer", "1"), undefined, "link and base are gone");
    const customer = t.servers.chargebee.site.tables.customer.get(cbId)?.data;
    assert.equal(customer?.deleted, false, 'deletes: "safe" keeps the customer');
    assert.equal(customer?.meta_data?.customerp?.deleted, true);
    assert.equal(writes(await t.host.sync.run()), 0);
  } finally {
    await t.close();
  }
});
