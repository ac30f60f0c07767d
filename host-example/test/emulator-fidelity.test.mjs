// The emulator as real clients see Chargebee: each protocol difference an independent client found
// (issue 11), shown through the official `chargebee` SDK where it can send the request, and through
// raw requests shaped like other clients' (Python's `True`, `['a', 'b']`, 9-digit timestamps).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import Chargebee from "chargebee";
import { startChargebeeEmulator } from "../src/local/chargebee-emulator/server.mjs";

const KEY = "test_fidelity_key";
const AUTH = "Basic " + Buffer.from(`${KEY}:`).toString("base64");
/** @type {import("../src/local/chargebee-emulator/server.mjs").ChargebeeEmulator} */
let em;
/** @type {Chargebee} */
let cb;

before(async () => {
  em = await startChargebeeEmulator({ apiKey: KEY, name: "fjordvik-test", seed: (site) => site.adminSaveBusinessEntity({ id: "be_main", name: "Fjordvik Handel" }) });
  cb = new Chargebee({ site: "127.0.0.1", apiKey: KEY, protocol: "http", hostSuffix: "", port: em.port });
  await cb.itemFamily.create({ id: "fam", name: "Family" });
  await cb.item.create({ id: "tea", name: "Sencha 煎茶", type: "charge", item_family_id: "fam", is_shippable: true });
  await cb.itemPrice.create({ id: "tea-JPY", name: "Sencha JPY", item_id: "tea", currency_code: "JPY", price: 4800 });
  await cb.itemPrice.create({ id: "tea-USD", name: "Sencha USD", item_id: "tea", currency_code: "USD", price: 3200 });
  await cb.item.create({ id: "gone", name: "Gone", type: "charge", item_family_id: "fam" });
  await cb.item.delete("gone");
  for (const id of ["c1", "c2", "c3"]) await cb.customer.create({ id, email: `${id}@example.com`, first_name: "Åsa" });
  await cb.customer.delete("c3");
});
after(() => em.close());

/** @param {string} path */
async function get(path) {
  const res = await fetch(`${em.url}/api/v2${path}`, { headers: { authorization: AUTH } });
  return { status: res.status, text: await res.text() };
}
const json = (/** @type {{ text: string }} */ r) => /** @type {Record<string, any>} */ (JSON.parse(r.text));

test("1. GET /configurations answers the Product Catalog version and domain (SDK configuration.list)", async () => {
  const { configurations } = await cb.configuration.list();
  assert.deepEqual(configurations, [{ domain: "fjordvik-test", product_catalog_version: "v2", chargebee_response_schema_type: "items" }]);
});

test("2. booleans in any case: include_deleted=True (Python's str(True)) and FALSE are taken", async () => {
  const ids = (/** @type {{ text: string }} */ r) => json(r).list.map((/** @type {any} */ e) => e.customer.id).sort();
  assert.deepEqual(ids(await get("/customers?include_deleted=True&limit=100")), ["c1", "c2", "c3"]);
  assert.deepEqual(ids(await get("/customers?include_deleted=FALSE&limit=100")), ["c1", "c2"]);
  const bad = json(await get("/customers?include_deleted=yes"));
  assert.deepEqual([bad.api_error_code, bad.param], ["param_wrong_value", "include_deleted"]);
});

test("3. include_deleted on items, item prices, item families and events; unused list params ignored", async () => {
  const items = await cb.item.list(/** @type {any} */ ({ include_deleted: true, limit: 100 }));
  assert.deepEqual(items.list.map((e) => e.item.id).sort(), ["gone", "tea"], "include_deleted=true shows the deleted item");
  assert.deepEqual((await cb.item.list({ limit: 100 })).list.map((e) => e.item.id), ["tea"]);
  assert.equal((await cb.itemPrice.list(/** @type {any} */ ({ include_deleted: true }))).list.length, 2);
  assert.equal((await cb.itemFamily.list(/** @type {any} */ ({ include_deleted: true }))).list.length, 1);
  assert.ok((await cb.event.list(/** @type {any} */ ({ include_deleted: true, limit: 100 }))).list.length > 0);
  assert.equal((await get("/customers?shoe_size=44&limit=5")).status, 200);
  // chargebee-python sends in-lists as Python's repr of a list
  const some = json(await get(`/customers?id[in]=${encodeURIComponent("['c1', 'c2']")}`));
  assert.deepEqual(some.list.map((/** @type {any} */ e) => e.customer.id), ["c1", "c2"]);
  // writes stay strict
  const refused = await fetch(`${em.url}/api/v2/customers`, {
    method: "POST", headers: { authorization: AUTH, "content-type": "application/x-www-form-urlencoded" }, body: "id=c9&allow_direct_debit=True",
  });
  assert.deepEqual([refused.status, (await refused.json()).param], [400, "allow_direct_debit"]);
});

test("4. GET /invoices lists invoices with updated_at, sort_by and include_deleted (SDK invoice.list)", async () => {
  await cb.customer.create({ id: "buyer", email: "buyer@example.com", preferred_currency_code: "USD" });
  const { invoice } = await cb.invoice.createForChargeItemsAndCharges({ customer_id: "buyer", item_prices: [{ item_price_id: "tea-USD", quantity: 2 }] });
  const page = await cb.invoice.list(/** @type {any} */ ({ updated_at: { after: String(Number(invoice.updated_at) - 1) }, sort_by: { asc: "updated_at" }, include_deleted: true, limit: 10 }));
  assert.deepEqual(page.list.map((e) => e.invoice.id), [invoice.id]);
  assert.equal(page.list[0].invoice.total, 6400);
  const none = await cb.invoice.list(/** @type {any} */ ({ updated_at: { after: String(Number(invoice.updated_at) + 5) } }));
  assert.equal(none.list.length, 0);
  const byCustomer = await cb.invoice.list({ customer_id: { is: "buyer" }, status: { in: ["paid", "payment_due"] } });
  assert.equal(byCustomer.list.length, 1);
});

test("5. writes through the API record Chargebee's events (customer_created, customer_changed, …)", async () => {
  await cb.customer.update("c1", { phone: "+47 912 34 567" });
  const events = await cb.event.list(/** @type {any} */ ({ event_type: { in: ["customer_created", "customer_changed", "customer_deleted"] }, sort_by: { asc: "occurred_at" }, limit: 100 }));
  const mine = events.list.map((e) => e.event).filter((e) => ["c1", "c3"].includes(e.content.customer?.id));
  assert.deepEqual(mine.map((e) => `${e.event_type} ${e.content.customer.id}`),
    ["customer_created c1", "customer_created c3", "customer_deleted c3", "customer_changed c1"]);
  const changed = /** @type {Record<string, any>} */ (mine.at(-1));
  assert.equal(changed.content.customer.phone, "+47 912 34 567");
  assert.deepEqual([changed.source, changed.api_version, changed.object, changed.webhook_status], ["api", "v2", "event", "not_configured"]);
});

test("6. timestamps of any length: a start date before 2001-09-09 (9 digits) is taken", async () => {
  const since2001 = await cb.customer.list(/** @type {any} */ ({ updated_at: { after: "978307200" }, limit: 100 }));
  assert.equal(since2001.list.length, 3);
  const between = json(await get(`/customers?created_at[between]=${encodeURIComponent("[0,99999999999]")}&limit=100`));
  assert.equal(between.list.length, 3);
});

test("7. exchange_rate is a float: ≈0.0067 for a JPY order on a USD site, 1.0 on the wire in the base currency", async () => {
  await cb.customer.create({ id: "jp", email: "jp@example.jp", preferred_currency_code: "JPY" });
  const { invoice } = await cb.invoice.createForChargeItemsAndCharges({ customer_id: "jp", currency_code: "JPY", item_prices: [{ item_price_id: "tea-JPY" }] });
  // exchange_rate and base_currency_code are in Chargebee's responses (order.json), not in the SDK's Order type
  const order = /** @type {Record<string, any>} */ ((await cb.order.create({ id: "jp-1", invoice_id: invoice.id })).order);
  assert.equal(order.exchange_rate, 0.0067);
  assert.equal(order.currency_code, "JPY");
  assert.equal(order.base_currency_code, "USD");
  const usd = (await cb.invoice.list({ customer_id: { is: "buyer" } })).list[0].invoice;
  assert.match((await get(`/invoices/${usd.id}`)).text, /"exchange_rate":1\.0[,}]/);
});

test("next_offset holds the sort value in milliseconds, as Chargebee's does, and pages on", async () => {
  const first = await cb.customer.list(/** @type {any} */ ({ limit: 1, sort_by: { asc: "updated_at" }, include_deleted: true }));
  const [ms, seq] = JSON.parse(/** @type {string} */ (first.next_offset));
  assert.equal(ms, String(/** @type {number} */ (first.list[0].customer.updated_at) * 1000));
  assert.match(seq, /^\d+$/);
  const seen = [first.list[0].customer.id];
  let offset = first.next_offset;
  for (let i = 0; offset && i < 20; i++) {
    const page = await cb.customer.list(/** @type {any} */ ({ limit: 1, sort_by: { asc: "updated_at" }, include_deleted: true, offset }));
    seen.push(...page.list.map((e) => e.customer.id));
    offset = page.next_offset;
  }
  assert.deepEqual(seen.sort(), ["buyer", "c1", "c2", "c3", "jp"]);
});

test("8. GET /currencies/list lists the site's currencies, the base first (SDK currency.list); a currency the site lacks is refused", async () => {
  const site = await startChargebeeEmulator({ apiKey: KEY, currencies: { enabled: ["EUR", "NOK"] } });
  try {
    const sdk = new Chargebee({ site: "127.0.0.1", apiKey: KEY, protocol: "http", hostSuffix: "", port: site.port });
    const { list } = await sdk.currency.list();
    assert.deepEqual(list.map((e) => [e.currency.currency_code, e.currency.is_base_currency, e.currency.enabled]),
      [["USD", true, true], ["EUR", false, true], ["NOK", false, true]]);
    assert.equal(list[1].currency.forex_type, "manual");
    assert.equal(Number(list[1].currency.manual_exchange_rate).toFixed(3), (1 / 1.08).toFixed(3), "EUR per USD");
    await sdk.itemFamily.create({ id: "fam", name: "Family" });
    await sdk.item.create({ id: "tea", name: "Sencha", type: "charge", item_family_id: "fam" });
    await sdk.itemPrice.create({ id: "tea-NOK", name: "Sencha NOK", item_id: "tea", currency_code: "NOK", price: 9900 });
    await assert.rejects(sdk.itemPrice.create({ id: "tea-JPY", name: "Sencha JPY", item_id: "tea", currency_code: "JPY", price: 4800 }),
      (/** @type {any} */ e) => e.api_error_code === "param_wrong_value" && e.param === "currency_code" && /JPY is not a currency of this site/.test(e.message));
  } finally {
    await site.close();
  }
  const single = await startChargebeeEmulator({ apiKey: KEY, baseCurrency: "EUR", currencies: { multiCurrency: false } });
  try {
    const sdk = new Chargebee({ site: "127.0.0.1", apiKey: KEY, protocol: "http", hostSuffix: "", port: single.port });
    await assert.rejects(sdk.currency.list(), (/** @type {any} */ e) => e.http_status_code === 400 && e.api_error_code === "configuration_incompatible");
  } finally {
    await single.close();
  }
});

test("9. a Product Catalog 1.0 site says so in GET /configurations (plans and addons)", async () => {
  const v1 = await startChargebeeEmulator({ apiKey: KEY, productCatalogVersion: "v1" });
  try {
    const sdk = new Chargebee({ site: "127.0.0.1", apiKey: KEY, protocol: "http", hostSuffix: "", port: v1.port });
    const { configurations } = await sdk.configuration.list();
    assert.deepEqual(configurations, [{ domain: "emulated-test", product_catalog_version: "v1", chargebee_response_schema_type: "plans_addons" }]);
  } finally {
    await v1.close();
  }
});
