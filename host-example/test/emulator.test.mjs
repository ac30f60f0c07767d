// Protocol details of the Chargebee emulator that the SDK test does not reach: bracket forms, 429 with
// Retry-After, filter validation, refusals, and the response shapes of the fixtures.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseForm } from "../src/local/chargebee-emulator/form.mjs";
import { startChargebeeEmulator } from "../src/local/chargebee-emulator/server.mjs";
import { seedChargebee } from "../src/local/demo-data.mjs";

const KEY = "test_emulator_key";
const AUTH = "Basic " + Buffer.from(`${KEY}:`).toString("base64");
const FIXTURES = fileURLToPath(new URL("../../../shared/fixtures/chargebee/", import.meta.url));
/** @type {import("../src/local/chargebee-emulator/server.mjs").ChargebeeEmulator} */
let em;

before(async () => {
  em = await startChargebeeEmulator({ apiKey: KEY, seed: seedChargebee });
});
after(() => em.close());

/** @param {string} method @param {string} path @param {string} [body] @param {Record<string, string>} [headers] */
async function call(method, path, body, headers = {}) {
  const res = await fetch(`${em.url}/api/v2${path}`, {
    method, body,
    headers: { authorization: AUTH, ...(body === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" }), ...headers },
  });
  return { status: res.status, headers: res.headers, json: /** @type {Record<string, any>} */ (await res.json()) };
}

test("form bodies: brackets, indexed lists, lists of objects in columns", () => {
  const { params } = parseForm("billing_address%5Bcity%5D=K%C3%B6ln&applicable_items[0]=a&applicable_items[1]=b" +
    "&item_prices[item_price_id][0]=x&item_prices[quantity][0]=2&item_prices[item_price_id][1]=y&meta_data=%7B%22k%22%3A1%7D&note=a+b");
  assert.deepEqual(params, {
    billing_address: { city: "Köln" }, applicable_items: ["a", "b"],
    item_prices: [{ item_price_id: "x", quantity: "2" }, { item_price_id: "y" }], meta_data: '{"k":1}', note: "a b",
  });
});

test("Basic auth: a missing or wrong key gets 401 in Chargebee's shape", async () => {
  const res = await fetch(`${em.url}/api/v2/customers`);
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), {
    message: "Sorry, authentication failed. Invalid api key", api_error_code: "api_authentication_failed",
    error_code: "api_authentication_invalid_key", error_msg: "Sorry, authentication failed. Invalid api key", http_status_code: 401,
  });
});

test("over the rate limit: 429, Retry-After, api_request_limit_exceeded", async () => {
  em.setRateLimit({ limit: 2, windowMs: 60_000 });
  try {
    await call("GET", "/customers");
    await call("GET", "/customers");
    const r = await call("GET", "/customers");
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get("retry-after")) >= 1);
    assert.equal(r.json.api_error_code, "api_request_limit_exceeded");
    assert.equal(r.json.type, "operation_failed");
  } finally {
    em.setRateLimit({ limit: 1000, windowMs: 60_000 });
  }
});

test("lists: envelope, next_offset, include_deleted, timestamps, limit 1..100", async () => {
  const page = await call("GET", "/customers?limit=3&sort_by[asc]=updated_at");
  assert.equal(page.json.list.length, 3);
  assert.ok(page.json.list.every((/** @type {any} */ e) => e.customer.object === "customer"));
  assert.match(page.json.next_offset, /^\["\d+","\d+"\]$/);
  const all = await call("GET", "/customers?limit=100&include_deleted=true");
  assert.ok(all.json.list.some((/** @type {any} */ e) => e.customer.deleted === true));
  assert.equal(all.json.next_offset, undefined);
  assert.equal((await call("GET", "/customers?updated_at[after]=yesterday")).json.api_error_code, "param_wrong_value");
  assert.equal((await call("GET", "/customers?limit=0")).status, 400);
  const events = await call("GET", `/events?event_type[in]=${encodeURIComponent('["business_entity_deleted"]')}`);
  assert.equal(events.json.list.length, 1);
  assert.equal(events.json.list[0].event.content.business_entity.deleted, true);
});

test("refusals: business entities, billing_address outside update_billing_info, orders without an invoice", async () => {
  assert.equal((await call("POST", "/business_entities/AzqK1mUbN2x1Q4Fa", "name=X")).status, 404);
  const billing = await call("POST", "/customers/AzZj4iUbTC3e7fN5", "billing_address[city]=Oslo");
  assert.equal(billing.status, 400);
  assert.equal(billing.json.param, "billing_address[city]");
  const ok = await call("POST", "/customers/AzZj4iUbTC3e7fN5/update_billing_info", "billing_address[city]=Malm%C3%B6&billing_address[country]=SE");
  assert.equal(ok.json.customer.billing_address.city, "Malmö");
  assert.equal(ok.json.customer.billing_address.line1, undefined, "the address is replaced whole");
  const noInvoice = await call("POST", "/orders", "reference_id=X");
  assert.deepEqual([noInvoice.status, noInvoice.json.param], [400, "invoice_id"]);
  const unknownInvoice = await call("POST", "/orders", "invoice_id=9999");
  assert.deepEqual([unknownInvoice.status, unknownInvoice.json.api_error_code], [404, "resource_not_found"]);
  const unknown = await call("POST", "/customers", "id=x1&shoe_size=44");
  assert.deepEqual([unknown.status, unknown.json.param], [400, "shoe_size"]);
  const badBe = await call("POST", "/customers", "id=x2&business_entity_id=nope");
  assert.equal(badBe.status, 404);
});

test("custom fields: the site's own are stored and returned, an unknown cf_* is refused as Chargebee refuses it", async () => {
  const known = await call("POST", "/customers/AzZj4iUbTC3e7fN5", "cf_segment=smb");
  assert.equal(known.status, 200, JSON.stringify(known.json));
  assert.equal(known.json.customer.cf_segment, "smb");
  const unknown = await call("POST", "/customers/AzZj4iUbTC3e7fN5", "cf_shoe_size=44");
  assert.equal(unknown.status, 400);
  assert.deepEqual([unknown.json.type, unknown.json.api_error_code, unknown.json.param, unknown.json.message],
    ["invalid_request", "invalid_request", "cf_shoe_size", "cf_shoe_size : not in allowed values"]);
  const onCreate = await call("POST", "/customers", "id=cf-1&cf_shoe_size=44");
  assert.equal(onCreate.status, 400);
  // Items have no custom field in the demo site's settings: any cf_* on an item is unknown.
  const item = await call("POST", "/items/onboarding-kit", "cf_colour=blue");
  assert.deepEqual([item.status, item.json.param], [400, "cf_colour"]);
  const vat = await call("POST", "/customers/AzZj4iUbTC3e7fN5/update_billing_info", "vat_number=SE556677889901");
  assert.equal(vat.json.customer.vat_number, "SE556677889901");
});

test("idempotency: the same request is replayed with chargebee-idempotency-replayed, another payload is refused", async () => {
  const key = { "chargebee-idempotency-key": "emu-key-1" };
  const a = await call("POST", "/customers", "id=idem-1&first_name=Ada", key);
  const b = await call("POST", "/customers", "id=idem-1&first_name=Ada", key);
  assert.equal(a.headers.get("chargebee-idempotency-replayed"), null);
  assert.equal(b.headers.get("chargebee-idempotency-replayed"), "true");
  assert.deepEqual(b.json, a.json);
  const c = await call("POST", "/customers", "id=idem-2&first_name=Ada", key);
  assert.deepEqual([c.status, c.json.api_error_code], [422, "unable_to_process_request"]);
});

test("responses have the attributes of the captured fixtures", { skip: !existsSync(FIXTURES) && "shared fixtures not found" }, async () => {
  const fixture = (/** @type {string} */ f) => /** @type {Record<string, any>} */ (Object.values(JSON.parse(readFileSync(`${FIXTURES}${f}`, "utf8")))[0]);
  const site = em.site;
  const cases = [
    // [fixture, emulated record, attributes only that fixture's data has, attributes the emulator adds]
    ["customer.json", site.tables.customer.get("AzZiyeUbT8kq3bN1")?.data, ["created_from_ip", "balances", "primary_payment_source_id"], []],
    ["item.json", site.tables.item.get("onboarding-kit")?.data, [], ["deleted"]],
    ["item_price.json", site.tables.item_price.get("onboarding-kit-USD")?.data, [], ["deleted"]],
    ["invoice_create_for_charge_items.json", site.tables.invoice.get("1042")?.data, [], []],
    ["order.json", site.tables.order.get("1187")?.data, [], []],
  ];
  for (const [file, rec, onlyFixture, onlyEmulator] of /** @type {[string, Record<string, any>, string[], string[]][]} */ (cases)) {
    const want = Object.keys(fixture(file)).filter((k) => !onlyFixture.includes(k)).sort();
    const have = Object.keys(rec).filter((k) => !onlyEmulator.includes(k)).sort();
    assert.deepEqual(have, want, file);
  }
  const event = JSON.parse(readFileSync(`${FIXTURES}business_entity_event.json`, "utf8"));
  const be = [...site.tables.event.values()][0].data;
  assert.deepEqual(Object.keys(be).sort(), Object.keys(event).sort());
  assert.deepEqual(Object.keys(be.content.business_entity).sort(), Object.keys(event.content.business_entity).sort());
});
