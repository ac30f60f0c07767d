// Tests of the oracle itself: it must accept what the official SDK accepts and reject what it rejects,
// so that tests using it cannot pass silently.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ENDPOINTS,
  OracleError,
  decodeForm,
  findEndpoint,
  sdkEncodeForm,
  sdkVersion,
  validatePlan,
  validateRequest,
} from "./oracle.mjs";

import { applyChargebee, applyCustomerp, checked, plan, planUndo, syncRounds, undoOf } from "./helpers.mjs";

const post = (path, params, extra = {}) => ({ method: "POST", path, params, idempotencyKey: "k-1", ...extra });

// One valid request per endpoint, in the shapes plans use (SDK input types: arrays of objects, nested objects).
const GOOD = [
  post("/customers", {
    id: "cp-contact-17",
    first_name: "Ada",
    last_name: "Lovelace",
    email: "ada@example.com",
    phone: "+44 20 7946 0000",
    company: "Analytical Engines Ltd",
    locale: "en-GB",
    business_entity_id: "acme-uk",
    billing_address: { line1: "12 St James's Square", city: "London", zip: "SW1Y 4JH", country: "GB" },
    meta_data: { customerp: { type: "contact", id: "17" } },
    cf_source: "customerp",
  }),
  post("/customers/cp-contact-17", { first_name: "Ada", email: "ada@example.com", meta_data: { customerp: { type: "contact", id: "17" } } }),
  post("/customers/cp-contact-17/update_billing_info", {
    billing_address: { line1: "1 Main St", line2: "", city: "Berlin", state: "Berlin", zip: "10115", country: "DE" },
  }),
  post("/customers/cp-contact-17/delete", { delete_payment_method: false }),
  post("/customers/cp-contact-17/delete", {}),
  post("/invoices/create_for_charge_items_and_charges", {
    customer_id: "cp-contact-17",
    currency_code: "EUR",
    item_prices: [
      { item_price_id: "cp-product-3-EUR", quantity: 2, unit_price: 1999 },
      { item_price_id: "cp-product-4-EUR", quantity: 1 },
    ],
    charges: [{ amount: 500, description: "Shipping" }],
    shipping_address: { first_name: "Ada", city: "London", country: "GB" },
  }),
  post("/orders", { id: "cp-order-5", invoice_id: { $result: 0, path: "invoice.id" }, status: "new", reference_id: "Q-2024-0005" }, { index: 1 }),
  post("/orders/cp-order-5", {
    status: "processing",
    note: "Packed",
    shipping_address: { first_name: "Ada", line1: "12 St James's Square", city: "London", country: "GB" },
    order_line_items: [
      { id: "li_1", status: "shipped", sku: "SKU-1" },
      { id: "li_2", status: "queued" },
    ],
  }),
  post("/orders/cp-order-5/cancel", { cancellation_reason: "product_not_required", comment: "Customer changed mind" }),
  post("/items", {
    id: "cp-product-3",
    name: "Widget",
    type: "charge",
    item_family_id: "hardware",
    description: "A widget",
    metadata: { customerp: { type: "product", id: "3" } },
  }),
  post("/items/cp-product-3", { name: "Widget 2", status: "archived", metadata: { customerp: { id: "3" } } }),
  post("/items/cp-product-3/delete", {}),
  post("/item_prices", {
    id: "cp-product-3-EUR",
    name: "Widget EUR",
    item_id: "cp-product-3",
    currency_code: "EUR",
    pricing_model: "flat_fee",
    price: 1999,
  }),
  post("/item_prices", {
    id: "cp-product-3-EUR-tiered",
    name: "Widget EUR tiered",
    item_id: "cp-product-3",
    pricing_model: "tiered",
    tiers: [
      { starting_unit: 1, ending_unit: 10, price: 1000 },
      { starting_unit: 11, price: 900 },
    ],
  }),
  post("/item_prices/cp-product-3-EUR", { price: 2499, status: "active" }),
  post("/item_prices/cp-product-3-EUR/delete", {}),
];

test(`the oracle knows every endpoint plans use, each with its SDK schema (chargebee ${sdkVersion})`, () => {
  const table = ENDPOINTS.map((e) => `${e.method} ${e.pattern} ${e.schemaName ?? "-"}`);
  assert.deepEqual(table, [
    "POST /customers CreateCustomerBodySchema",
    "POST /customers/{id} UpdateCustomerBodySchema",
    "POST /customers/{id}/update_billing_info UpdateBillingInfoCustomerBodySchema",
    "POST /customers/{id}/delete DeleteCustomerBodySchema",
    "POST /orders CreateOrderBodySchema",
    "POST /orders/{id} UpdateOrderBodySchema",
    "POST /orders/{id}/cancel CancelOrderBodySchema",
    "POST /invoices/create_for_charge_items_and_charges CreateForChargeItemsAndChargesInvoiceBodySchema",
    "POST /items CreateItemBodySchema",
    "POST /items/{id} UpdateItemBodySchema",
    "POST /items/{id}/delete -",
    "POST /item_prices CreateItemPriceBodySchema",
    "POST /item_prices/{id} UpdateItemPriceBodySchema",
    "POST /item_prices/{id}/delete -",
  ]);
  for (const e of ENDPOINTS) if (e.schemaName) assert.equal(typeof e.schema.safeParse, "function", e.schemaName);
  // Every endpoint has at least one good sample below.
  for (const e of ENDPOINTS) assert.ok(GOOD.some((r) => e.regex.test(r.path)), `no sample for ${e.pattern}`);
});

for (const req of GOOD) {
  test(`accepts ${req.method} ${req.path} ${Object.keys(req.params).join(",")}`, () => {
    const { index, ...request } = req;
    validateRequest(request, { index });
  });
}

test("transposes lists of objects into the schemas' column-wise form", () => {
  const { input } = validateRequest(GOOD.find((r) => r.path.startsWith("/invoices")));
  assert.deepEqual(input.item_prices, {
    item_price_id: ["cp-product-3-EUR", "cp-product-4-EUR"],
    quantity: [2, 1],
    unit_price: [1999, undefined],
  });
  assert.deepEqual(input.charges, { amount: [500], description: ["Shipping"] });
  assert.deepEqual(input.shipping_address, { first_name: "Ada", city: "London", country: "GB" });
});

// Each bad request must be rejected, and the message must name the offending param.
const BAD = [
  ["an email over 70 characters", post("/customers", { email: `${"a".repeat(60)}@example.com` }), /params\.email/],
  ["a malformed email", post("/customers/c1", { email: "not-an-email" }), /params\.email/],
  ["an unknown enum value", post("/customers", { auto_collection: "sometimes" }), /params\.auto_collection/],
  ["a first name over 150 characters", post("/customers/c1", { first_name: "x".repeat(151) }), /params\.first_name/],
  ["billing_address on the plain customer update", post("/customers/c1", { billing_address: { city: "Berlin" } }), /params\.billing_address: unknown param/],
  ["an unknown billing_address field", post("/customers/c1/update_billing_info", { billing_address: { citty: "Berlin" } }), /params\.billing_address\.citty: unknown param/],
  ["an unknown billing_address field on create", post("/customers", { billing_address: { town: "Berlin" } }), /params\.billing_address\.town/],
  ["a billing city over 50 characters", post("/customers/c1/update_billing_info", { billing_address: { city: "x".repeat(51) } }), /params\.billing_address\.city/],
  ["an unknown top-level param", post("/customers", { emial: "a@b.co" }), /params\.emial: unknown param/],
  ["custom fields where the SDK takes none", post("/orders/o1", { cf_x: "1" }), /params\.cf_x: unknown param/],
  ["meta_data that is not an object", post("/customers/c1", { meta_data: '{"a":1}' }), /params\.meta_data/],
  ["a null value", post("/customers/c1", { phone: null }), /params\.phone/],
  ["a string where a number belongs", post("/item_prices/p1", { price: "1999" }), /params\.price/],
  ["a negative price", post("/item_prices/p1", { price: -1 }), /params\.price/],
  ["a fractional quantity", post("/invoices/create_for_charge_items_and_charges", { item_prices: [{ item_price_id: "p", quantity: 1.5 }] }), /params\.item_prices\[0\]\.quantity/],
  ["a zero quantity in the second row", post("/invoices/create_for_charge_items_and_charges", { item_prices: [{ item_price_id: "p", quantity: 1 }, { item_price_id: "q", quantity: 0 }] }), /params\.item_prices\[1\]\.quantity/],
  ["an unknown field in a list row", post("/invoices/create_for_charge_items_and_charges", { item_prices: [{ item_price_id: "p", qty: 1 }] }), /params\.item_prices\[0\]\.qty: unknown field/],
  ["a list given column-wise", post("/invoices/create_for_charge_items_and_charges", { item_prices: { item_price_id: ["p"], quantity: [1] } }), /params\.item_prices: a list of objects must be an array of objects/],
  ["a list row that is not an object", post("/orders/o1", { order_line_items: ["li_1"] }), /params\.order_line_items\[0\]: expected an object/],
  ["an unknown line item status", post("/orders/o1", { order_line_items: [{ id: "li_1", status: "lost" }] }), /params\.order_line_items\[0\]\.status/],
  ["an unknown order status", post("/orders/o1", { status: "shipped_maybe" }), /params\.status/],
  ["an order create without invoice_id", post("/orders", { id: "o1" }), /params\.invoice_id/],
  ["an order id over 40 characters", post("/orders", { id: "o".repeat(41), invoice_id: "inv_1" }), /params\.id/],
  ["a cancel without reason", post("/orders/o1/cancel", {}), /params\.cancellation_reason/],
  ["an item create without item_family_id", post("/items", { id: "i1", name: "I", type: "charge" }), /params\.item_family_id/],
  ["an unknown item type", post("/items", { id: "i1", name: "I", type: "gadget", item_family_id: "f" }), /params\.type/],
  ["an item name over 100 characters", post("/items/i1", { name: "n".repeat(101) }), /params\.name/],
  ["an unknown pricing model", post("/item_prices", { id: "p1", name: "P", item_id: "i1", pricing_model: "free" }), /params\.pricing_model/],
  ["a currency code over 3 characters", post("/item_prices", { id: "p1", name: "P", item_id: "i1", currency_code: "EURO" }), /params\.currency_code/],
  ["params on a body-less delete", post("/items/i1/delete", { force: true }), /takes no params/],
  ["a customer id over 50 characters in the path", post(`/customers/${"c".repeat(51)}`, {}), /path: the id/],
  ["a path id that is not percent-encoded", post("/customers/a b", {}), /percent-encoded/],
  ["an idempotency key over 100 characters", post("/customers/c1", {}, { idempotencyKey: "k".repeat(101) }), /idempotencyKey/],
  ["a malformed result reference", post("/orders", { invoice_id: { $result: "0", path: "invoice.id" } }), /malformed result reference/],
  ["a result reference with extra keys", post("/orders", { invoice_id: { $result: 0, path: "invoice.id", x: 1 } }), /malformed result reference/],
  ["an unknown endpoint", post("/subscriptions", {}), /unknown endpoint POST \/subscriptions/],
  ["an unknown action", post("/customers/c1/merge", {}), /unknown endpoint/],
  ["a GET", { method: "GET", path: "/customers/c1", params: {} }, /unknown endpoint GET/],
  ["a request without params", { method: "POST", path: "/customers" }, /params: expected an object/],
];

for (const [what, req, pattern] of BAD) {
  test(`rejects ${what}`, () => {
    assert.throws(() => validateRequest(req), (err) => {
      assert.ok(err instanceof OracleError, `expected an OracleError, got ${err}`);
      assert.match(err.message, pattern);
      return true;
    });
  });
}

test("a result reference must point to an earlier request", () => {
  const req = post("/orders", { invoice_id: { $result: 0, path: "invoice.id" } });
  validateRequest(req, { index: 1 });
  assert.throws(() => validateRequest(req, { index: 0 }), /does not run before request 0/);
});

test("validatePlan checks every request, in order, and distinct idempotency keys", () => {
  const invoice = { ...GOOD.find((r) => r.path.startsWith("/invoices")), idempotencyKey: "k-a" };
  const order = { ...post("/orders", { invoice_id: { $result: 0, path: "invoice.id" } }), idempotencyKey: "k-b" };
  assert.equal(validatePlan({ chargebee: { requests: [invoice, order] } }).length, 2);
  assert.equal(validatePlan({ chargebee: { requests: [] } }).length, 0);
  assert.throws(() => validatePlan({ chargebee: { requests: [order, invoice] } }), /does not run before/);
  assert.throws(() => validatePlan({ chargebee: { requests: [invoice, { ...order, idempotencyKey: "k-a" }] } }), /used twice/);
  const { idempotencyKey: _, ...keyless } = order;
  assert.throws(() => validatePlan({ chargebee: { requests: [invoice, keyless] } }), /idempotencyKey is missing/);
  assert.throws(() => validatePlan({ chargebee: {} }), /must be an array/);
});

test("findEndpoint resolves ids and suffixes", () => {
  assert.equal(findEndpoint("POST", "/customers/cp-1/update_billing_info").endpoint.action, "updateBillingInfo");
  assert.equal(findEndpoint("POST", "/customers/cp-1").id, "cp-1");
  assert.equal(findEndpoint("POST", "/item_prices/p-EUR/delete").endpoint.resource, "itemPrice");
  assert.throws(() => findEndpoint("POST", "/customers/"), OracleError);
});

test("sdkEncodeForm gives the SDK's body: brackets, column indexes, JSON meta_data", () => {
  const body = sdkEncodeForm(post("/customers", {
    id: "cp-contact-17",
    first_name: "Zoë Ann",
    billing_address: { city: "Köln", zip: "50667" },
    meta_data: { customerp: { type: "contact", id: "17" } },
  }));
  assert.deepEqual(decodeForm(body), [
    ["id", "cp-contact-17"],
    ["first_name", "Zoë Ann"],
    ["billing_address[city]", "Köln"],
    ["billing_address[zip]", "50667"],
    ["meta_data", '{"customerp":{"type":"contact","id":"17"}}'],
  ]);
  assert.match(body, /^id=cp-contact-17&first_name=Zo%C3%AB\+Ann&billing_address%5Bcity%5D=K%C3%B6ln&/);

  const invoice = sdkEncodeForm(post("/invoices/create_for_charge_items_and_charges", {
    customer_id: "c1",
    item_prices: [{ item_price_id: "a", quantity: 2 }, { item_price_id: "b", quantity: 1 }],
  }));
  assert.deepEqual(decodeForm(invoice), [
    ["customer_id", "c1"],
    ["item_prices[item_price_id][0]", "a"],
    ["item_prices[quantity][0]", "2"],
    ["item_prices[item_price_id][1]", "b"],
    ["item_prices[quantity][1]", "1"],
  ]);

  const order = sdkEncodeForm(post("/orders", { invoice_id: { $result: 0, path: "invoice.id" } }), { resolve: () => "inv_42" });
  assert.equal(order, "invoice_id=inv_42");
  assert.equal(sdkEncodeForm(post("/items/i1", { metadata: { a: [1, 2] } })), "metadata=%7B%22a%22%3A%5B1%2C2%5D%7D");
});

test("decodeForm decodes pairs", () => {
  assert.deepEqual(decodeForm(""), []);
  assert.deepEqual(decodeForm("a=1&b%5Bc%5D=x+y&d"), [["a", "1"], ["b[c]", "x y"], ["d", ""]]);
});

// Undo plans are built by the plan machinery: each of their requests must pass the oracle as a plan's do.
test("undo plans of every flow pass the oracle: properties put back, and created records released", () => {
  const before = { ...checked };
  const links = { "contact-customer": { 17: "cp-contact-17" }, "product-item": { "P-KIT-1": "KIT-1" } };
  const lines = [{ id: "L1", product_id: "P-KIT-1", sku: "KIT-1", quantity: 2, unit_price: "1499.50", status: "queued" }];
  const FLOWS = {
    "contact-customer": { record: { id: "17", first_name: "Åse", last_name: "Ødegård", email: "ase@example.no", address: { city: "Oslo", country: "NO" } },
      cp: { last_name: "Berg", address: { city: "Bergen", country: "NO" } }, cb: { first_name: "Aase", phone: "+47 400 00 000" } },
    "employee-customer": { record: { id: 4, employee_number: "E-4", first_name: "Jürgen", last_name: "Müller", email: "j@example.com" },
      cp: { employee_number: "E-44", phone: "+49 30 1" }, cb: { last_name: "Mueller" } },
    "product-item": { record: { id: "P-KIT-1", sku: "KIT-1", name: "Kit", kind: "goods", price: "1499.50", currency: "USD" },
      cp: { price: "1599", description: "Ny" }, cb: { name: "Kit 2" }, options: { itemFamilyId: "hardware" } },
    "quote-order": { record: { id: "42", number: "Q-1", contact_id: "17", status: "accepted", currency: "NOK", quote_date: "2026-03-02", lines },
      cp: { note: "Levering før påske", delivery_address: { city: "Bergen", country: "NO" } }, cb: { order_date: 1_772_800_000 } },
    "order-order": { record: { id: "107", number: "SO-1", contact_id: "17", status: "confirmed", currency: "NOK", order_date: "2026-03-05", lines },
      cp: { status: "shipped", tracking_number: "TRK-1" }, cb: { note: "Kommer" } },
  };
  for (const [flow, { record, cp, cb, options = {} }] of Object.entries(FLOWS)) {
    const opts = { timeZone: "Europe/Oslo", ...options };
    const s = syncRounds(flow, { customerp: { ...record, updated: "2026-03-02T10:00:00Z" }, links }, opts, { maxRounds: 3 });
    const customerp = { ...s.customerp, ...cp, updated: "2026-07-01T00:00:00Z" };
    const chargebee = { ...s.chargebee, ...cb, updated_at: 1_780_000_500 };
    const run = plan(flow, { customerp, chargebee, base: s.base, links }, { ...opts, changes: true });
    assert.ok(run.changes.length >= 2, `${flow}: ${JSON.stringify(run.changes)}`);
    const after = { customerp: applyCustomerp(customerp, run), chargebee: applyChargebee(chargebee, run, 1_790_000_000), base: run.base, links };
    const undo = planUndo(flow, after, undoOf(run.changes), opts);
    assert.deepEqual(undo.skipped, [], flow);
    assert.ok(undo.chargebee.requests.length > 0, `${flow}: nothing put back in Chargebee: ${JSON.stringify(undo)}`);
    const release = planUndo(flow, after, { release: "chargebee" }, opts);
    assert.ok(release.chargebee.requests.length > 0, `${flow}: no release: ${JSON.stringify(release)}`);
  }
  assert.ok(checked.requests - before.requests >= 15, `${checked.requests - before.requests} requests checked`);
});
