// The emulator speaks Chargebee's protocol: the official `chargebee` SDK (v3), which nobody here wrote,
// creates, retrieves, updates and lists customers, items, item prices and orders against it, and gets
// Chargebee's error shape back for bad requests.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import Chargebee from "chargebee";
import { startChargebeeEmulator } from "../src/local/chargebee-emulator/server.mjs";

const KEY = "test_sdk_key";
/** @type {import("../src/local/chargebee-emulator/server.mjs").ChargebeeEmulator} */
let emulator;
/** @type {Chargebee} */
let cb;

before(async () => {
  emulator = await startChargebeeEmulator({ apiKey: KEY, seed: (site) => site.adminSaveBusinessEntity({ id: "be_nordic", name: "Fjordvik Nordic" }) });
  cb = new Chargebee({ site: "127.0.0.1", apiKey: KEY, protocol: "http", hostSuffix: "", port: emulator.port });
});
after(() => emulator.close());

/** The error the SDK rejects with. @param {Promise<unknown>} p */
const failure = (p) => p.then(() => assert.fail("expected an error"), (e) => /** @type {Record<string, any>} */ (e));

test("customers: create, retrieve, update, update_billing_info, list with paging, delete", async () => {
  const made = await cb.customer.create({
    id: "sdk-cust-1", first_name: "Åse", last_name: "Ødegård", email: "ase@example.com", locale: "nb-NO",
    billing_address: { line1: "Karl Johans gate 22", city: "Oslo", zip: "0159", country: "NO" },
    meta_data: { customerp: { type: "contact", id: "1" } },
  });
  assert.equal(made.customer.id, "sdk-cust-1");
  assert.equal(made.customer.object, "customer");
  assert.equal(made.customer.billing_address?.city, "Oslo");
  assert.deepEqual(made.customer.meta_data, { customerp: { type: "contact", id: "1" } });
  assert.equal(made.customer.business_entity_id, "be_nordic");
  assert.equal(typeof made.customer.updated_at, "number");

  const got = await cb.customer.retrieve("sdk-cust-1");
  assert.equal(got.customer.last_name, "Ødegård");
  const updated = await cb.customer.update("sdk-cust-1", { phone: "+47 912 34 567" });
  assert.equal(updated.customer.phone, "+47 912 34 567");
  const billed = await cb.customer.updateBillingInfo("sdk-cust-1", { billing_address: { line1: "Bryggen 7", city: "Bergen", country: "NO" } });
  assert.deepEqual(
    { line1: billed.customer.billing_address?.line1, city: billed.customer.billing_address?.city, zip: billed.customer.billing_address?.zip },
    { line1: "Bryggen 7", city: "Bergen", zip: undefined },
    "update_billing_info replaces the address",
  );

  for (let i = 2; i <= 5; i++) await cb.customer.create({ id: `sdk-cust-${i}`, email: `c${i}@example.com` });
  const ids = [];
  /** @type {string | undefined} */
  let offset;
  let pages = 0;
  do {
    const page = await cb.customer.list(/** @type {any} */ ({ limit: 2, offset, sort_by: { asc: "updated_at" }, updated_at: { after: 1_000_000_000 } }));
    ids.push(...page.list.map((e) => e.customer.id));
    offset = page.next_offset;
    pages++;
  } while (offset && pages < 10);
  assert.equal(pages, 3);
  assert.deepEqual(ids.sort(), ["sdk-cust-1", "sdk-cust-2", "sdk-cust-3", "sdk-cust-4", "sdk-cust-5"]);
  const some = await cb.customer.list({ id: { in: ["sdk-cust-2", "sdk-cust-4"] } });
  assert.deepEqual(some.list.map((e) => e.customer.id), ["sdk-cust-2", "sdk-cust-4"]);

  const gone = await cb.customer.delete("sdk-cust-5");
  assert.equal(gone.customer.deleted, true);
  const without = await cb.customer.list({ limit: 100 });
  assert.ok(!without.list.some((e) => e.customer.id === "sdk-cust-5"));
  const withDeleted = await cb.customer.list({ limit: 100, include_deleted: true });
  assert.ok(withDeleted.list.some((e) => e.customer.id === "sdk-cust-5" && e.customer.deleted));
});

test("items and item prices: create, retrieve, update, list with paging", async () => {
  await cb.itemFamily.create({ id: "sdk-family", name: "SDK family" });
  const item = await cb.item.create({ id: "sdk-tea", name: "Sencha tea 1 kg (煎茶)", type: "charge", item_family_id: "sdk-family", is_shippable: true, unit: "pcs", metadata: { origin: "Shizuoka" } });
  assert.equal(item.item.type, "charge");
  assert.deepEqual(item.item.metadata, { origin: "Shizuoka" });
  await cb.item.create({ id: "sdk-pro", name: "Pro", type: "plan", item_family_id: "sdk-family" });
  await cb.item.create({ id: "sdk-kit", name: "Kit", type: "charge", item_family_id: "sdk-family" });
  assert.equal((await cb.item.retrieve("sdk-tea")).item.name, "Sencha tea 1 kg (煎茶)");
  assert.equal((await cb.item.update("sdk-kit", { description: "A kit", status: "archived" })).item.status, "archived");
  const first = await cb.item.list({ limit: 2, item_family_id: { is: "sdk-family" } });
  assert.equal(first.list.length, 2);
  assert.ok(first.next_offset);
  const second = await cb.item.list({ limit: 2, item_family_id: { is: "sdk-family" }, offset: first.next_offset });
  assert.equal(second.list.length, 1);
  assert.equal(second.next_offset, undefined);

  const jpy = await cb.itemPrice.create({ id: "sdk-tea-JPY", name: "Sencha JPY", item_id: "sdk-tea", currency_code: "JPY", price: 4800, pricing_model: "flat_fee" });
  assert.equal(jpy.item_price.price, 4800);
  assert.equal(jpy.item_price.item_type, "charge");
  await cb.itemPrice.create({ id: "sdk-tea-EUR", name: "Sencha EUR", item_id: "sdk-tea", currency_code: "EUR", price: 3990 });
  await cb.itemPrice.create({ id: "sdk-pro-NOK-1-month", name: "Pro NOK monthly", item_id: "sdk-pro", currency_code: "NOK", price: 49900, period: 1, period_unit: "month" });
  assert.equal((await cb.itemPrice.retrieve("sdk-tea-EUR")).item_price.currency_code, "EUR");
  assert.equal((await cb.itemPrice.update("sdk-tea-EUR", { price: 4290 })).item_price.price, 4290);
  const prices = await cb.itemPrice.list(/** @type {any} */ ({ limit: 1, item_id: { in: ["sdk-tea"] }, sort_by: { asc: "id" } }));
  assert.equal(prices.list[0].item_price.id, "sdk-tea-EUR");
  const rest = await cb.itemPrice.list(/** @type {any} */ ({ limit: 1, item_id: { in: ["sdk-tea"] }, sort_by: { asc: "id" }, offset: prices.next_offset }));
  assert.equal(rest.list[0].item_price.id, "sdk-tea-JPY");
});

test("orders: an invoice for charge items, then the order; retrieve, update, list, cancel", async () => {
  await cb.customer.create({ id: "sdk-buyer", email: "buyer@example.jp", preferred_currency_code: "JPY" });
  const { invoice } = await cb.invoice.createForChargeItemsAndCharges({
    customer_id: "sdk-buyer", currency_code: "JPY", item_prices: [{ item_price_id: "sdk-tea-JPY", quantity: 3 }],
    shipping_address: { line1: "中央区港島中町 6-1", city: "神戸市", country: "JP" },
  });
  assert.equal(invoice.total, 14400);
  assert.equal(invoice.line_items?.[0].entity_id, "sdk-tea-JPY");
  const { order } = await cb.order.create({ id: "sdk-order-1", invoice_id: invoice.id, reference_id: "SO-1" });
  assert.equal(order.invoice_id, invoice.id);
  assert.equal(order.order_line_items?.[0].fulfillment_quantity, 3);
  assert.equal(order.shipping_address?.city, "神戸市");
  const line = /** @type {string} */ (order.order_line_items?.[0].id);
  const shipped = await cb.order.update("sdk-order-1", { status: "shipped", tracking_id: "JP1", order_line_items: [{ id: line, status: "shipped", sku: "TEA-1KG" }] });
  assert.equal(shipped.order.status, "shipped");
  assert.equal(shipped.order.order_line_items?.[0].sku, "TEA-1KG");
  assert.equal((await cb.order.retrieve("sdk-order-1")).order.tracking_id, "JP1");
  await cb.order.create({ id: "sdk-order-2", invoice_id: invoice.id });
  const page = await cb.order.list(/** @type {any} */ ({ limit: 1, sort_by: { asc: "created_at" } }));
  assert.equal(page.list.length, 1);
  assert.ok(page.next_offset);
  const cancelled = await cb.order.cancel("sdk-order-2", { cancellation_reason: "product_not_required" });
  assert.equal(cancelled.order.status, "cancelled");
});

test("bad requests get Chargebee's error shape", async () => {
  const missing = await failure(cb.customer.retrieve("nobody"));
  assert.equal(missing.http_status_code, 404);
  assert.equal(missing.api_error_code, "resource_not_found");
  assert.equal(missing.type, "invalid_request");

  const email = await failure(cb.customer.create({ email: "not-an-email" }));
  assert.deepEqual([email.http_status_code, email.api_error_code, email.param, email.message], [400, "param_wrong_value", "email", "email : invalid email"]);

  const dup = await failure(cb.customer.create({ id: "sdk-cust-1" }));
  assert.deepEqual([dup.http_status_code, dup.api_error_code, dup.param], [400, "duplicate_entry", "id"]);

  const billing = await failure(cb.customer.update("sdk-cust-1", /** @type {any} */ ({ billing_address: { city: "Oslo" } })));
  assert.equal(billing.http_status_code, 400);
  assert.equal(billing.param, "billing_address[city]");
  assert.match(billing.message, /update_billing_info/);

  const noInvoice = await failure(cb.order.create(/** @type {any} */ ({ reference_id: "x" })));
  assert.deepEqual([noInvoice.http_status_code, noInvoice.api_error_code, noInvoice.param], [400, "param_wrong_value", "invoice_id"]);
  const plan = await failure(cb.invoice.createForChargeItemsAndCharges({ customer_id: "sdk-buyer", currency_code: "NOK", item_prices: [{ item_price_id: "sdk-pro-NOK-1-month" }] }));
  assert.equal(plan.api_error_code, "param_wrong_value");
  assert.match(plan.message, /only charge item prices/);

  const limit = await failure(cb.customer.list({ limit: 101 }));
  assert.deepEqual([limit.http_status_code, limit.param], [400, "limit"]);

  const cancelledTwice = await failure(cb.order.cancel("sdk-order-2", { cancellation_reason: "others" }));
  assert.deepEqual([cancelledTwice.http_status_code, cancelledTwice.api_error_code], [409, "invalid_state_for_request"]);

  const wrongKey = new Chargebee({ site: "127.0.0.1", apiKey: "test_not_the_key", protocol: "http", hostSuffix: "", port: emulator.port });
  const auth = await failure(wrongKey.customer.list({}));
  assert.deepEqual([auth.http_status_code, auth.api_error_code, auth.type], [401, "api_authentication_failed", undefined]);
});

test("idempotency keys: a replay is marked, another payload under the same key is refused", async () => {
  const headers = { "chargebee-idempotency-key": "sdk-key-1" };
  const a = await cb.customer.create({ id: "sdk-idem", email: "idem@example.com" }, headers);
  const b = await cb.customer.create({ id: "sdk-idem", email: "idem@example.com" }, headers);
  assert.equal(a.isIdempotencyReplayed, false);
  assert.equal(b.isIdempotencyReplayed, "true");
  assert.equal(b.customer.id, "sdk-idem");
  const other = await failure(cb.customer.create({ id: "sdk-idem-2" }, headers));
  assert.deepEqual([other.http_status_code, other.api_error_code], [422, "unable_to_process_request"]);
});

test("business entities: read through events, never written", async () => {
  const events = await cb.event.list({ event_type: { in: ["business_entity_created", "business_entity_updated", "business_entity_deleted"] } });
  assert.equal(events.list[0].event.content.business_entity?.name, "Fjordvik Nordic");
  const refused = await fetch(`${emulator.url}/api/v2/business_entities`, {
    method: "POST",
    headers: { authorization: "Basic " + Buffer.from(`${KEY}:`).toString("base64"), "content-type": "application/x-www-form-urlencoded" },
    body: "name=New+entity",
  });
  assert.equal(refused.status, 404);
  assert.match((await refused.json()).message, /managed in Chargebee's settings/);
});
