// The `mappings` option through the npm package: plans with mapped rows in contact-customer, product-item and
// order-order, every request checked against the official SDK's request schemas (helpers.mjs `plan` runs the
// oracle on each), synced to rest against the fake Chargebee.
import { test } from "node:test";
import assert from "node:assert/strict";
import { flows, dataflowDocument } from "customerp-chargebee";
import { plan, patch, requests, syncRounds } from "./helpers.mjs";
import { validateRequest } from "./oracle.mjs";

const contact = () => ({
  id: "17", first_name: "Åse", last_name: "Ødegård-李", email: "ase.odegard@example.no", customer_id: "C-5",
  address: { street_1: "Storgata 1", postal_code: "0155", city: "Oslo", country: "NO" },
  vat_id: "NO923456789MVA", segment: "offentlig", crm: { account: "ACCT-Åsane-7" }, payment_terms: 30,
  is_active: true, created: "2026-01-05T09:00:00+01:00", updated: "2026-03-01T10:15:00+01:00",
});
const contactOptions = {
  mappings: {
    "contact-customer": [
      { customerp: "vat_id", chargebee: "vat_number", type: "string" },
      { customerp: "segment", chargebee: "cf_segment", type: "enum", values: ["smb", "enterprise", "offentlig"] },
      { customerp: "crm.account", chargebee: "meta_data.crm_account_id", type: "string", maxLength: 40 },
      { customerp: "payment_terms", chargebee: "net_term_days", type: "integer" },
      { customerp: "vat_status", chargebee: "vat_number_status", type: "enum", direction: "to-customerp" },
    ],
  },
};

test("contact-customer with mappings: the create, both edits and the billing-info route pass the SDK's schemas", () => {
  const created = syncRounds("contact-customer", { customerp: contact() }, contactOptions, { maxRounds: 2 });
  const create = created.plans[0].chargebee.requests[0];
  assert.equal(create.path, "/customers");
  assert.deepEqual([create.params.vat_number, create.params.cf_segment, create.params.net_term_days], ["NO923456789MVA", "offentlig", 30]);
  assert.deepEqual(create.params.meta_data, { customerp: { type: "contact", id: "17" }, crm_account_id: "ACCT-Åsane-7" });
  // Customerp edits: vat_number through update_billing_info, the meta_data key beside the tag.
  const edited = patch(created.customerp, { vat_id: "NO999MVA", crm: { account: "ACCT-Vest" }, updated: "2026-07-01T09:00:00Z" });
  const p = plan("contact-customer", { customerp: edited, chargebee: created.chargebee, base: created.base }, contactOptions);
  assert.deepEqual(requests(p), [
    ["/customers/cp-contact-17", { meta_data: { customerp: { type: "contact", id: "17" }, crm_account_id: "ACCT-Vest" } }],
    ["/customers/cp-contact-17/update_billing_info", { vat_number: "NO999MVA" }],
  ]);
  // Chargebee edits reach Customerp, a read-only attribute included; nothing goes back.
  const cb = { ...created.chargebee, cf_segment: "smb", vat_number_status: "valid", updated_at: 1_790_000_000 };
  const back = plan("contact-customer", { customerp: created.customerp, chargebee: cb, base: created.base }, contactOptions);
  assert.deepEqual(back.customerp.changes, { segment: "smb", vat_status: "valid" });
  assert.equal(back.chargebee.action, "none");
  // The oracle would refuse vat_number on the plain update: the route is what the SDK requires.
  assert.throws(() => validateRequest({ method: "POST", path: "/customers/cp-contact-17", params: { vat_number: "X" }, idempotencyKey: "k" }));
});

const product = () => ({
  id: "P-TEA-1", sku: "TEA-1", name: "Teekanne – 李 ü", description: "Håndlaget", unit: "pcs", kind: "goods",
  price: "1500", currency: "JPY", is_active: true, colour: "Blåbær", shop: { visible: false }, group: "Kjøkken",
  invoice_text: "Garanti 2 år", created: "2026-01-01T00:00:00Z", updated: "2026-02-01T00:00:00Z",
});
const productOptions = {
  itemFamilyId: "kitchen",
  mappings: {
    "product-item": [
      { customerp: "colour", chargebee: "cf_colour", type: "string", maxLength: 30 },
      { customerp: "shop.visible", chargebee: "enabled_in_portal", type: "boolean" },
      { customerp: "group", chargebee: "metadata.erp_group", type: "string" },
      { customerp: "invoice_text", chargebee: "item_price.invoice_notes", type: "string" },
    ],
  },
};

test("product-item with mappings: item and item price attributes in their own requests, SDK-valid", () => {
  const created = syncRounds("product-item", { customerp: product() }, productOptions, { maxRounds: 2 });
  const [item, price] = created.plans[0].chargebee.requests;
  assert.deepEqual([item.params.cf_colour, item.params.enabled_in_portal, item.params.metadata], ["Blåbær", false, { erp_group: "Kjøkken" }]);
  assert.equal(price.params.invoice_notes, "Garanti 2 år");
  const edited = patch(created.customerp, { group: "Hage", invoice_text: "Garanti 5 år", updated: "2026-07-01T00:00:00Z" });
  const p = plan("product-item", { customerp: edited, chargebee: created.chargebee, base: created.base }, productOptions);
  assert.deepEqual(requests(p).map(([path]) => path), ["/items/TEA-1", "/item_prices/TEA-1-JPY"]);
  const cb = { ...created.chargebee, cf_colour: "Tyttebær", updated_at: 1_790_000_000 };
  const back = plan("product-item", { customerp: created.customerp, chargebee: cb, base: created.base }, productOptions);
  assert.deepEqual(back.customerp.changes, { colour: "Tyttebær" });
});

const order = () => ({
  id: "107", number: "SO-2026-0107", quote_id: null, customer_id: "C-5", contact_id: "17", status: "confirmed",
  currency: "NOK", order_date: "2026-03-05", batch: "B-Østfold-1", fulfilment: "picking",
  lines: [{ id: "L1", product_id: "P-TEA-1", sku: "TEA-1", description: "Teekanne æøå", quantity: 2, unit_price: "1499.50" }],
  created: "2026-03-05T09:00:00+01:00", updated: "2026-03-05T10:00:00+01:00",
});
const orderOptions = {
  timeZone: "Europe/Oslo",
  mappings: {
    "order-order": [
      { customerp: "batch", chargebee: "batch_id", type: "string" },
      { customerp: "fulfilment", chargebee: "fulfillment_status", type: "enum", values: ["picking", "packed"] },
      { customerp: "invoice_total", chargebee: "total", type: "money", direction: "to-customerp" },
    ],
  },
};
const orderLinks = { "contact-customer": { 17: "cp-contact-17" }, "product-item": { "P-TEA-1": "TEA-1" } };

test("order-order with mappings: POST /orders and the order update carry the mapped attributes, SDK-valid", () => {
  const created = syncRounds("order-order", { customerp: order(), links: orderLinks }, orderOptions, { maxRounds: 3 });
  const create = created.plans[0].chargebee.requests.find((r) => r.path === "/orders");
  assert.deepEqual([create.params.batch_id, create.params.fulfillment_status], ["B-Østfold-1", "picking"]);
  assert.ok(created.plans.every((p) => p.chargebee.requests.every((r) => !("total" in r.params))), "a to-customerp row is never written");
  assert.equal(created.customerp.invoice_total, "2999.00");
  const edited = patch(created.customerp, { fulfilment: "packed", updated: "2026-07-01T00:00:00Z" });
  const p = plan("order-order", { customerp: edited, chargebee: created.chargebee, base: created.base, links: orderLinks }, orderOptions);
  assert.deepEqual(requests(p), [["/orders/cp-order-107", { fulfillment_status: "packed" }]]);
});

test("flows() and dataflowDocument() show the mapped rows", () => {
  const info = flows(contactOptions).find((f) => f.id === "contact-customer");
  const vat = info.properties.find((p) => p.chargebee === "vat_number");
  assert.deepEqual([vat.customerp, vat.direction, vat.mapped], ["vat_id", "both", true]);
  assert.match(dataflowDocument("markdown", contactOptions), /\| `vat_id` \| `vat_number` \| `string\(20\); mapped by configuration/);
  assert.doesNotMatch(dataflowDocument("markdown"), /vat_number/);
});
