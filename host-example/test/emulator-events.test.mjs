// The emulator's events and webhooks: an event for every write kind (API and the settings stand-ins),
// GET /events with Chargebee's filters, the `chargebee-event-webhook: all-disabled` header, and webhook
// delivery to an endpoint served by the official SDK's webhook handler (Basic auth), with retries after
// failures and the duplicate / out-of-order switch.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import Chargebee, { basicAuthValidator } from "chargebee";
import { startChargebeeEmulator } from "../src/local/chargebee-emulator/server.mjs";
import { close, listen, readBody, sleep } from "../src/lib/http.mjs";

const KEY = "test_events_key";
/** @type {import("../src/local/chargebee-emulator/server.mjs").ChargebeeEmulator} */
let em;
/** @type {Chargebee} */
let cb;

before(async () => {
  em = await startChargebeeEmulator({ apiKey: KEY, webhooks: { retryDelaysMs: [50, 100, 200], timeoutMs: 500 } });
  cb = new Chargebee({ site: "127.0.0.1", apiKey: KEY, protocol: "http", hostSuffix: "", port: em.port });
});
after(() => em.close());

/** @returns {Promise<Record<string, any>[]>} */
const allEvents = async () => (await cb.event.list(/** @type {any} */ ({ limit: 100, sort_by: { asc: "occurred_at" } }))).list.map((e) => e.event);

test("every write kind records its event, with the resource under content", async () => {
  const before = (await allEvents()).length;
  em.site.adminSaveBusinessEntity({ id: "be_1", name: "Fjordvik Handel AS" });
  await cb.itemFamily.create({ id: "fam", name: "Family" });
  await cb.item.create({ id: "kit", name: "Kit Ø40", type: "charge", item_family_id: "fam", is_shippable: true });
  await cb.item.update("kit", { description: "A kit" });
  await cb.itemPrice.create({ id: "kit-USD", name: "Kit USD", item_id: "kit", price: 4900 });
  await cb.itemPrice.update("kit-USD", { price: 5900 });
  await cb.customer.create({ id: "ana", email: "ana@example.com" });
  await cb.customer.updateBillingInfo("ana", { billing_address: { city: "Göteborg", country: "SE" } });
  const { invoice } = await cb.invoice.createForChargeItemsAndCharges({ customer_id: "ana", item_prices: [{ item_price_id: "kit-USD" }] });
  await cb.order.create({ id: "o1", invoice_id: invoice.id });
  await cb.order.update("o1", { status: "shipped" });
  await cb.order.cancel("o1", { cancellation_reason: "others" });
  await cb.itemPrice.delete("kit-USD"); // used by an invoice: archived, an update
  await cb.item.create({ id: "tmp", name: "Tmp", type: "charge", item_family_id: "fam" });
  await cb.item.delete("tmp");
  await cb.customer.delete("ana");
  const events = (await allEvents()).slice(before);
  assert.deepEqual(events.map((e) => e.event_type), [
    "business_entity_created", "item_family_created", "item_created", "item_updated", "item_price_created",
    "item_price_updated", "customer_created", "customer_changed", "invoice_generated", "order_created",
    "order_updated", "order_cancelled", "item_price_updated", "item_created", "item_deleted", "customer_deleted",
  ]);
  const key = (/** @type {Record<string, any>} */ e) => Object.keys(e.content).join(",");
  assert.deepEqual(events.map(key), ["business_entity", "item_family", "item", "item", "item_price", "item_price", "customer",
    "customer", "invoice", "order", "order", "order", "item_price", "item", "item", "customer"]);
  assert.equal(events[5].content.item_price.price, 5900, "the resource as the write left it");
  assert.equal(events[7].content.customer.billing_address.city, "Göteborg");
  assert.equal(events[11].content.order.status, "cancelled");
  assert.deepEqual([events[0].source, events[0].user, events[1].source, events[1].user], ["admin_console", "admin@example.com", "api", undefined]);
  for (const e of events) {
    assert.match(e.id, /^ev_/);
    assert.equal(typeof e.occurred_at, "number");
    assert.deepEqual([e.object, e.api_version, e.webhook_status], ["event", "v2", "not_configured"]);
  }
});

test("GET /events: occurred_at[after|before], event_type[in], sort_by desc, limit and offset", async () => {
  const all = await allEvents();
  const t = all[0].occurred_at;
  const inWindow = await cb.event.list(/** @type {any} */ ({ occurred_at: { after: String(t - 1), before: String(t + 3600) }, limit: 100 }));
  assert.equal(inWindow.list.length, all.length);
  assert.equal((await cb.event.list(/** @type {any} */ ({ occurred_at: { after: String(t + 3600) } }))).list.length, 0);
  const orders = await cb.event.list(/** @type {any} */ ({ event_type: { in: ["order_created", "order_cancelled"] }, sort_by: { desc: "occurred_at" }, limit: 100 }));
  assert.deepEqual(orders.list.map((e) => e.event.event_type), ["order_cancelled", "order_created"]);
  const first = await cb.event.list(/** @type {any} */ ({ limit: 5, sort_by: { asc: "occurred_at" } }));
  const second = await cb.event.list(/** @type {any} */ ({ limit: 5, sort_by: { asc: "occurred_at" }, offset: first.next_offset }));
  assert.deepEqual([...first.list, ...second.list].map((e) => e.event.id), all.slice(0, 10).map((e) => e.id));
  const one = await cb.event.retrieve(all[2].id);
  assert.equal(one.event.event_type, all[2].event_type);
});

/**
 * An endpoint served by the official SDK's webhook handler with Basic auth; `fail` answers 500 that many times first.
 * @param {{ user: string, password: string, fail?: number }} o
 */
async function sdkEndpoint(o) {
  /** @type {Record<string, any>[]} */
  const received = [];
  let fail = o.fail ?? 0;
  let refused = 0;
  const handler = cb.webhooks.createHandler({ requestValidator: basicAuthValidator((u, p) => u === o.user && p === o.password) });
  handler.on("unhandled_event", ({ event, response }) => {
    received.push(event);
    /** @type {http.ServerResponse} */ (response).writeHead(200).end("ok");
  });
  handler.on("error", (_e, { response }) => {
    refused++;
    /** @type {http.ServerResponse} */ (response).writeHead(401).end();
  });
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    if (fail > 0) {
      fail--;
      return void res.writeHead(500).end();
    }
    await handler.handle({ body, headers: req.headers, response: res });
  });
  const { origin } = await listen(server);
  return { url: `${origin}/hook`, received, refused: () => refused, close: () => close(server) };
}

test("webhooks: each event POSTed as JSON with Basic auth, read by the SDK's handler; a 500 is retried; the header turns them off", async () => {
  const ep = await sdkEndpoint({ user: "cb-hooks", password: "s3cret-Æø", fail: 2 });
  const wrong = await sdkEndpoint({ user: "cb-hooks", password: "other" });
  try {
    em.webhooks.addEndpoint({ url: ep.url, username: "cb-hooks", password: "s3cret-Æø" });
    em.webhooks.addEndpoint({ url: wrong.url, username: "cb-hooks", password: "not-it" });
    const { customer } = await cb.customer.create({ id: "hooked", email: "hooked@example.com" });
    await cb.customer.update("hooked", { first_name: "Jürgen" }, { "chargebee-event-webhook": "all-disabled" });
    await em.webhooks.idle();
    assert.deepEqual(ep.received.map((e) => e.event_type), ["customer_created"], "delivered once, after two 500s");
    assert.equal(ep.received[0].content.customer.id, customer.id);
    assert.equal(wrong.received.length, 0);
    assert.equal(wrong.refused(), 4, "a refused delivery is retried until the schedule ends");
    const events = (await allEvents()).filter((e) => e.content.customer?.id === "hooked");
    assert.deepEqual(events.map((e) => [e.event_type, e.webhook_status, e.webhooks.map((/** @type {any} */ w) => w.webhook_status).join("/")]), [
      ["customer_created", "failed", "succeeded/failed"],
      ["customer_changed", "skipped", "skipped/skipped"],
    ]);
    assert.ok(em.webhooks.outbox.stats.retried >= 5);
  } finally {
    em.site.webhookEndpoints.length = 0;
    await ep.close();
    await wrong.close();
  }
});

test("webhooks: an endpoint slower than the timeout is retried", async () => {
  /** @type {string[]} */
  const got = [];
  let slow = true;
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    if (slow) {
      slow = false;
      await sleep(900); // past the emulator's 500 ms timeout in this test
    }
    got.push(JSON.parse(body).event_type);
    res.writeHead(200).end();
  });
  const { origin } = await listen(server);
  try {
    em.webhooks.addEndpoint({ url: `${origin}/slow` });
    await cb.itemFamily.create({ id: "slow-fam", name: "Slow family" });
    await em.webhooks.idle();
    const event = (await allEvents()).find((e) => e.content.item_family?.id === "slow-fam");
    assert.equal(event?.webhook_status, "succeeded");
    assert.ok(got.length >= 1 && got.every((t) => t === "item_family_created"), "delivered again after the timed-out attempt");
  } finally {
    em.site.webhookEndpoints.length = 0;
    await close(server);
  }
});

test("webhooks: the disorder switch delivers some events twice and out of order", async () => {
  const ep = await sdkEndpoint({ user: "u", password: "p" });
  try {
    em.webhooks.addEndpoint({ url: ep.url, username: "u", password: "p" });
    em.webhooks.setDisorder({ duplicateEvery: 3, holdEvery: 2, holdMs: 600 });
    for (let i = 1; i <= 6; i++) await cb.customer.update("hooked", { phone: `+47 400 00 00${i}` });
    await sleep(50);
    await em.webhooks.idle();
    const phones = ep.received.map((e) => e.content.customer.phone.slice(-1));
    assert.equal(phones.length, 8, "6 events, 2 of them twice");
    assert.deepEqual([...new Set(phones)].sort(), ["1", "2", "3", "4", "5", "6"]);
    assert.notDeepEqual(phones, [...phones].sort(), "not in the order they happened");
    assert.equal(new Set(ep.received.map((e) => e.id)).size, 6, "a duplicate has the same event id");
  } finally {
    em.webhooks.setDisorder(null);
    em.site.webhookEndpoints.length = 0;
    await ep.close();
  }
});
