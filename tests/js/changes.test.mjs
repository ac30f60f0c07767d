// Option `changes` through the installed package: a plan lists what it writes only when asked, and is
// otherwise the very same plan, byte for byte (JSON text); every request still passes the SDK oracle.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pkg from "customerp-chargebee";
import { applyChargebee, applyCustomerp, plan, planBatch, syncRounds } from "./helpers.mjs";

const contact = {
  id: "17", first_name: "Åse", last_name: "Ødegård", email: "ase@example.no", phone: "+47 22 00 00 00",
  address: { street_1: "Storgata 1", city: "Oslo", country: "NO" }, updated: "2026-03-01T10:15:00+01:00",
};
const product = { id: "P-1", sku: "KIT-1", name: "Kit", kind: "goods", price: "1499.50", currency: "USD", updated: "2026-02-01T00:00:00Z" };
const itemOpts = { itemFamilyId: "hardware" };

/** The plan without `changes` is the plan with it, minus `changes`, as JSON text. */
function sameBut(flow, input, options) {
  const plain = pkg.plan(flow, input, options);
  assert.equal("changes" in plain, false);
  const full = plan(flow, input, { ...options, changes: true });
  assert.ok(Array.isArray(full.changes));
  const { changes, ...rest } = full;
  assert.equal(JSON.stringify(rest), JSON.stringify(plain));
  return changes;
}

test("changes is there only with the option, and the rest of the plan is the same text", () => {
  const synced = syncRounds("contact-customer", { customerp: contact }, undefined, { maxRounds: 2 });
  const edited = { ...synced.customerp, last_name: "Berg", updated: "2026-07-01T00:00:00Z" };
  const changes = sameBut("contact-customer", { customerp: edited, chargebee: synced.chargebee, base: synced.base }, {});
  assert.deepEqual(changes, [{ side: "chargebee", property: "last_name", chargebee: "last_name", from: "Ødegård", to: "Berg", reason: "changed in customerp" }]);
  assert.equal("changes" in pkg.plan("contact-customer", { customerp: contact, chargebee: null, base: null }, { changes: false }), false);
  const batch = planBatch("contact-customer", [{ customerp: contact, chargebee: null, base: null }], { changes: true });
  assert.ok(batch[0].ok && batch[0].plan.changes.every((c) => c.reason === "create" && c.from === null));
  assert.throws(() => pkg.plan("contact-customer", { customerp: contact, chargebee: null, base: null }, { changes: "yes" }),
    (e) => e instanceof pkg.SyncError && e.code === "invalid_options" && e.path === "/options/changes");
});

test("money and dates in the changes are what toCustomerp and the record give", () => {
  const synced = syncRounds("product-item", { customerp: product }, itemOpts, { maxRounds: 2 });
  const chargebee = { ...synced.chargebee, updated_at: 1_790_000_000, item_prices: synced.chargebee.item_prices.map((p) => ({ ...p, price: 159900, updated_at: 1_790_000_000 })) };
  const input = { customerp: synced.customerp, chargebee, base: synced.base };
  const changes = sameBut("product-item", input, itemOpts);
  const p = plan("product-item", input, { ...itemOpts, changes: true });
  assert.deepEqual(changes, [{ side: "customerp", property: "price", chargebee: "item_price.price", from: "1499.50", to: "1599.00", reason: "changed in chargebee" }]);
  assert.equal(changes[0].to, pkg.toCustomerp("product-item", chargebee, itemOpts).price);
  assert.equal(changes[0].from, pkg.toCustomerp("product-item", synced.chargebee, itemOpts).price);
  assert.equal(applyCustomerp(synced.customerp, p).price, changes[0].to);
  assert.deepEqual(applyChargebee(chargebee, p, 1_790_000_100), chargebee);
});
