// planUndo through the installed package, as a host uses it for a journal: plan a run with `changes`,
// apply it, plan its undo from those changes, apply that, and the pair plans nothing more; a record the run
// created is released. Every plan goes through helpers.mjs, which checks each request against the official
// SDK (the oracle) and encodeForm against the SDK's encoding.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SyncError, planUndo as rawPlanUndo } from "customerp-chargebee";
import { applyChargebee, applyCustomerp, patch, plan, planUndo, quiet, requests, syncRounds, undoOf } from "./helpers.mjs";

const contact = {
  id: "17", first_name: "Åse", last_name: "Ødegård", email: "ase@example.no", phone: "+47 22 00 00 00",
  address: { street_1: "Storgata 1", city: "Oslo", country: "NO" }, updated: "2026-03-01T10:15:00+01:00",
};
const product = { id: "P-1", sku: "KIT-1", name: "Kit", kind: "goods", price: "1499.50", currency: "USD", updated: "2026-02-01T00:00:00Z" };
const links = { "contact-customer": { 17: "cp-contact-17" }, "product-item": { "P-KIT-1": "KIT-1", "P-KIT-2": "KIT-2" } };
const order = {
  id: "107", number: "SO-2026-0107", contact_id: "17", status: "confirmed", currency: "NOK", order_date: "2026-03-05",
  lines: [
    { id: "L1", product_id: "P-KIT-1", sku: "KIT-1", quantity: 2, unit_price: "1499.50", status: "queued" },
    { id: "L2", product_id: "P-KIT-2", sku: "KIT-2", quantity: 1, unit_price: "99", status: "queued" },
  ],
  updated: "2026-03-02T10:00:00+01:00",
};

/** Plans the run with `changes`, applies it, plans and applies its undo; then the pair is quiet (repair off and on). */
function runAndUndo(flow, synced, edit, options = {}) {
  const { customerp, chargebee } = edit(synced);
  const input = { customerp, chargebee, base: synced.base, ...(options.links ? { links: options.links } : {}) };
  const { links: l, ...opts } = options;
  const run = plan(flow, input, { ...opts, changes: true });
  assert.ok(run.changes.length > 0, `${flow}: the run writes nothing`);
  const after = { customerp: applyCustomerp(customerp, run), chargebee: applyChargebee(chargebee, run, 1_790_000_000), base: run.base, ...(l ? { links: l } : {}) };
  const undo = planUndo(flow, after, undoOf(run.changes), opts);
  assert.deepEqual(undo.skipped, []);
  const back = { customerp: applyCustomerp(after.customerp, undo), chargebee: applyChargebee(after.chargebee, undo, 1_790_000_100), base: undo.base,
    ...(l ? { links: l } : {}) };
  for (const repair of [false, true]) {
    const again = plan(flow, back, { ...opts, repair });
    assert.ok(quiet(again), `${flow} (repair ${repair}): ${JSON.stringify(again)}`);
    assert.deepEqual(again.conflicts, []);
  }
  return { run, undo, after, back, before: { customerp, chargebee } };
}

test("contact-customer: a run's writes on both sides put back; each side as before the run", () => {
  const synced = syncRounds("contact-customer", { customerp: contact }, undefined, { maxRounds: 2 });
  const { undo, back, before } = runAndUndo("contact-customer", synced, (s) => ({
    customerp: { ...s.customerp, last_name: "Berg", address: { ...s.customerp.address, city: "Bergen" }, updated: "2026-07-01T00:00:00Z" },
    chargebee: { ...s.chargebee, phone: "+47 400 00 000", updated_at: 1_789_000_000 },
  }));
  assert.deepEqual(requests(undo).map(([path]) => path), ["/customers/cp-contact-17", "/customers/cp-contact-17/update_billing_info"]);
  assert.equal(back.customerp.phone, before.customerp.phone);
  assert.equal(back.chargebee.last_name, "Ødegård");
  assert.equal(back.chargebee.billing_address.city, "Oslo");
  assert.equal(back.customerp.last_name, "Berg", "the side the run did not write keeps its value");
  assert.deepEqual(undo.base.kept, ["last_name", "phone", "billing_address.city"]);
});

test("product-item and order-order: money, a rename, a status and a line's status put back", () => {
  const opts = { itemFamilyId: "hardware" };
  const synced = syncRounds("product-item", { customerp: product }, opts, { maxRounds: 2 });
  const { undo } = runAndUndo("product-item", synced, (s) => ({
    customerp: { ...s.customerp, price: "1599", updated: "2026-07-01T00:00:00Z" },
    chargebee: { ...s.chargebee, name: "Kit 2", updated_at: 1_789_000_000 },
  }), opts);
  assert.deepEqual(requests(undo), [["/items/KIT-1", { external_name: "Kit" }], ["/item_prices/KIT-1-USD", { price: 149950 }]]);
  assert.deepEqual(undo.customerp.changes, { name: "Kit" });

  const o = syncRounds("order-order", { customerp: order, links }, { timeZone: "Europe/Oslo" }, { maxRounds: 3 });
  const { undo: u2, back } = runAndUndo("order-order", o, (s) => {
    const chargebee = structuredClone(s.chargebee);
    chargebee.order_line_items[1].status = "shipped";
    Object.assign(chargebee, { status: "shipped", shipped_at: 1_789_000_000, updated_at: 1_789_000_000 });
    return { customerp: patch(s.customerp, { note: "Ring først", updated: "2026-07-01T00:00:00Z" }), chargebee };
  }, { timeZone: "Europe/Oslo", links });
  assert.equal(u2.customerp.changes.status, "confirmed");
  assert.equal(u2.customerp.changes.lines[1].status, "queued");
  assert.deepEqual(requests(u2), [["/orders/cp-order-107", { note: "" }]]);
  assert.equal(back.chargebee.status, "shipped");
});

test("a value changed since the run is skipped, with both values; release lets go of a created record", () => {
  const synced = syncRounds("contact-customer", { customerp: contact }, undefined, { maxRounds: 2 });
  const customerp = { ...synced.customerp, first_name: "Åsa", updated: "2026-07-01T00:00:00Z" };
  const run = plan("contact-customer", { customerp, chargebee: synced.chargebee, base: synced.base }, { changes: true });
  const chargebee = { ...applyChargebee(synced.chargebee, run, 1_790_000_000), first_name: "Aase" };
  const undo = planUndo("contact-customer", { customerp, chargebee, base: run.base }, undoOf(run.changes));
  assert.deepEqual(undo.skipped, [{ side: "chargebee", property: "first_name", chargebee: "first_name", wrote: "Åsa", now: "Aase" }]);
  assert.ok(quiet(undo));

  // The run created the Chargebee customer: released as a safe delete does, the link ends, Customerp untouched.
  const created = plan("contact-customer", { customerp: contact, chargebee: null, base: null }, { changes: true });
  const customer = applyChargebee(null, created, 1_790_000_000);
  const release = planUndo("contact-customer", { customerp: contact, chargebee: customer, base: created.base }, { release: "chargebee" }, { changes: true });
  assert.deepEqual(release.link, { customerp: null, chargebee: null });
  assert.equal(release.base, null);
  assert.equal(release.customerp.action, "none");
  assert.deepEqual(requests(release)[0][1].meta_data.customerp, { type: "contact", id: "17", deleted: true });
  assert.deepEqual(release.changes.map((c) => [c.side, c.chargebee, c.reason]), [["chargebee", "meta_data.customerp", "release"]]);
  const again = plan("contact-customer", { customerp: null, chargebee: applyChargebee(customer, release, 1_790_000_100), base: null });
  assert.equal(again.customerp.action, "none", "a released customer is never copied back");
});

test("bad undo input is a SyncError under /undo, never a trap; the next call works", () => {
  const synced = syncRounds("contact-customer", { customerp: contact }, undefined, { maxRounds: 2 });
  const input = { customerp: synced.customerp, chargebee: synced.chargebee, base: synced.base };
  const cases = [
    [undefined, "invalid_type", "/undo"],
    [{ relase: "chargebee" }, "invalid_type", "/undo/relase"],
    [{ release: "erp" }, "invalid_value", "/undo/release"],
    [{ properties: [{ side: "chargebee", property: "nickname", before: "a", after: "b" }] }, "invalid_value", "/undo/properties/0/property"],
    [{ properties: [{ side: "customerp", property: "email", before: 42, after: "a@example.com" }] }, "invalid_type", "/undo/properties/0/before"],
    [{ properties: [{ side: "customerp", property: "email", before: NaN, after: "a@example.com" }] }, "invalid_value", "/undo/properties/0/before"],
    [{ properties: [{ side: "customerp", property: "email", before: "a@example.com", after: 1n }] }, "invalid_type", "/undo"],
  ];
  for (const [undo, code, path] of cases) {
    assert.throws(() => rawPlanUndo("contact-customer", input, undo), (e) => {
      assert.ok(e instanceof SyncError && !(e instanceof WebAssembly.RuntimeError), `${e}`);
      assert.deepEqual([e.code, e.path, e.flow], [code, path, "contact-customer"], e.message);
      return true;
    });
  }
  assert.throws(() => rawPlanUndo("contact-customer", { ...input, base: null }, { properties: [{ side: "chargebee", property: "email", before: null, after: "a@example.com" }] }),
    (e) => e instanceof SyncError && e.path === "/undo/properties" && /base/.test(e.message));
  assert.ok(quiet(planUndo("contact-customer", input, {})));
});
