// The host, event-driven: the emulator's webhooks and Customerp's change notifications reach the host's
// receiver, which syncs just the records they name. An edit on each side reaches the other through
// webhooks alone (no poll), the plugin's own writes come back as events and plan nothing, duplicates
// and out-of-order deliveries write nothing twice and leave the newest state, business entities come
// from their events, bad requests are refused, and the reconciling poll catches a dropped event.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { localSync, startLocalServers, LOCAL_TOKEN } from "../src/local/servers.mjs";
import { WebhookReceiver, subscribeCustomerp } from "../src/app/webhooks.mjs";
import { sleep } from "../src/lib/http.mjs";

const HOOK_USER = "cb-webhooks";
const HOOK_PASSWORD = "pässwörd-0123456789";
const SECRET = "customerp-webhook-secret-0123456789";

/** @type {import("../src/local/servers.mjs").LocalServers} */
let servers;
/** @type {Awaited<ReturnType<typeof localSync>>} */
let host;
/** @type {WebhookReceiver} */
let receiver;

/** Waits until `fn` holds (bounded). @param {() => boolean} fn @param {number} [ms] */
async function until(fn, ms = 8000) {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error("timed out");
    await sleep(5);
  }
}

/** Until nothing is in flight anywhere: both servers' outgoing webhooks and the receiver's queue. @param {WebhookReceiver} r */
async function quiet(r) {
  for (let i = 0; i < 3; i++) {
    await servers.chargebee.webhooks.idle();
    await servers.customerp.notifications.idle();
    await r.idle();
    await sleep(30);
  }
}

/** @param {WebhookReceiver} r */
async function connect(r) {
  const { url } = await r.start();
  servers.chargebee.webhooks.addEndpoint({ url: `${url}/webhooks/chargebee`, username: HOOK_USER, password: HOOK_PASSWORD });
  await subscribeCustomerp({ customerpUrl: servers.customerp.url, token: LOCAL_TOKEN, url: `${url}/webhooks/customerp`, secret: SECRET });
}

/** @param {string} method @param {string} path @param {Record<string, unknown>} [params] @param {Record<string, string>} [headers] */
async function cbSend(method, path, params = {}, headers = {}) {
  const res = await fetch(`${servers.chargebee.url}/api/v2${path}`, {
    method, body: method === "POST" ? new URLSearchParams(/** @type {Record<string, string>} */ (params)).toString() : undefined,
    headers: { authorization: "Basic " + Buffer.from("test_local_emulator_key:").toString("base64"), "content-type": "application/x-www-form-urlencoded", ...headers },
  });
  assert.equal(res.status, 200);
  return res.json();
}

/** @param {string} type @param {string} id @param {Record<string, unknown>} changes */
async function cpPatch(type, id, changes) {
  const res = await fetch(`${servers.customerp.url}/api/${type}/${id}`, {
    method: "PATCH", body: JSON.stringify(changes), headers: { authorization: `Bearer ${LOCAL_TOKEN}`, "content-type": "application/json" },
  });
  assert.equal(res.status, 200);
}

const cbCustomer = (/** @type {string} */ id) => servers.chargebee.site.tables.customer.get(id)?.data;
const cpRecord = (/** @type {string} */ type, /** @type {string} */ id) => servers.customerp.db.tables.get(type)?.get(id)?.record;
const linked = async (/** @type {string} */ flow, /** @type {string} */ cpId) => /** @type {string} */ ((await host.store.linkByCustomerp(flow, cpId))?.chargebee_id);
const hostWrites = () => host.chargebee.counters.writes + host.customerp.counters.writes;

before(async () => {
  servers = await startLocalServers({ webhooks: { retryDelaysMs: [100, 200, 400, 800], timeoutMs: 2000 } });
  host = await localSync({ chargebeeUrl: servers.chargebee.url, customerpUrl: servers.customerp.url, retry: { baseDelayMs: 20 } });
  receiver = new WebhookReceiver({ sync: host.sync, chargebee: { username: HOOK_USER, password: HOOK_PASSWORD }, customerp: { secret: SECRET }, reconcileMs: 0 });
  await connect(receiver);
});
after(async () => {
  await receiver.close();
  await host.store.close();
  await servers.close();
});

test("the first sync's own writes come back as events and plan nothing", async () => {
  const first = await receiver.poll();
  const written = first.requests.chargebee.writes + first.requests.customerp.writes;
  assert.ok(written > 20, `the first sync writes (${written})`);
  await quiet(receiver);
  assert.ok(receiver.stats.received.chargebee > 20, `its writes came back as Chargebee events (${receiver.stats.received.chargebee})`);
  assert.ok(receiver.stats.received.customerp > 0, "and as Customerp notifications");
  assert.ok(receiver.stats.batches > 0);
  assert.equal(receiver.stats.writes, written, "the batches those events started wrote nothing");
  assert.equal(receiver.stats.errors, 0);
});

test("an edit on each side reaches the other through webhooks alone, and its echo writes nothing", async () => {
  const before = hostWrites();
  const cpSide = await linked("contact-customer", "1");
  await cpPatch("contacts", "1", { phone: "+47 913 00 000" });
  await until(() => cbCustomer(cpSide)?.phone === "+47 913 00 000");
  const cbSide = await linked("contact-customer", "4");
  await cbSend("POST", `/customers/${cbSide}`, { last_name: "Brontë-Ødegård" });
  await until(() => cpRecord("contacts", "4")?.last_name === "Brontë-Ødegård");
  await quiet(receiver);
  assert.equal(hostWrites() - before, 2, "one write per edit, none for the echoes");
  assert.equal(receiver.stats.reconciles, 1, "no poll but the first sync");
});

test("duplicates and out-of-order deliveries: nothing is written twice, the newest state wins", async () => {
  const id = await linked("contact-customer", "7");
  servers.chargebee.webhooks.setDisorder({ duplicateEvery: 2, holdEvery: 3, holdMs: 400 });
  const dupes = receiver.stats.duplicates;
  const cpWrites = host.customerp.counters.writes;
  try {
    for (const phone of ["+33 4 72 00 00 01", "+33 4 72 00 00 02", "+33 4 72 00 00 03", "+33 4 72 00 00 04"]) {
      await cbSend("POST", `/customers/${id}`, { phone });
    }
    await quiet(receiver);
  } finally {
    servers.chargebee.webhooks.setDisorder(null);
  }
  assert.equal(cpRecord("contacts", "7")?.phone, "+33 4 72 00 00 04", "the newest state is what Customerp has");
  assert.ok(receiver.stats.duplicates > dupes, "duplicates were dropped by event id");
  const cpWritten = host.customerp.counters.writes - cpWrites;
  assert.ok(cpWritten >= 1 && cpWritten <= 4, `at most one write per state (${cpWritten})`);
  const again = host.customerp.counters.writes;
  await receiver.poll();
  assert.equal(host.customerp.counters.writes, again, "a poll afterwards finds nothing left to write");
});

test("business entities come from their events: a rename in Chargebee's settings reaches the Customerp customer", async () => {
  const links = await host.store.linksOf("customer-business_entity");
  const [cpId, beId] = /** @type {[string, string]} */ (Object.entries(links)[0]);
  servers.chargebee.site.adminSaveBusinessEntity({ id: beId, name: "Nordlys Energi Nord AS" });
  await until(() => cpRecord("customers", cpId)?.name === "Nordlys Energi Nord AS");
  await quiet(receiver);
});

test("refused: wrong Basic auth, bad signatures, stale timestamps, bodies over the limit, unknown routes; the answer comes before the sync", async () => {
  const url = /** @type {string} */ (receiver.url);
  const event = JSON.stringify({ id: "ev_x", event_type: "customer_changed", content: { customer: { id: "nobody" } } });
  const basic = (/** @type {string} */ u, /** @type {string} */ p) => "Basic " + Buffer.from(`${u}:${p}`).toString("base64");
  const post = async (/** @type {string} */ path, /** @type {string} */ body, /** @type {Record<string, string>} */ headers = {}) => {
    const res = await fetch(`${url}${path}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
    await res.text();
    return res.status;
  };
  assert.equal(await post("/webhooks/chargebee", event), 401);
  assert.equal(await post("/webhooks/chargebee", event, { authorization: basic(HOOK_USER, "wrong") }), 401);
  assert.equal(await post("/webhooks/chargebee", event, { authorization: basic(HOOK_USER.toUpperCase(), HOOK_PASSWORD) }), 401);
  assert.equal(await post("/webhooks/chargebee", "not json", { authorization: basic(HOOK_USER, HOOK_PASSWORD) }), 400);
  const big = JSON.stringify({ id: "ev_big", event_type: "customer_changed", content: { customer: { id: "x", note: "x".repeat(1_100_000) } } });
  assert.equal(await post("/webhooks/chargebee", big, { authorization: basic(HOOK_USER, HOOK_PASSWORD) }), 413);

  const note = JSON.stringify({ type: "contacts", id: "1", change: "updated", cursor: "999999" });
  const now = String(Math.floor(Date.now() / 1000));
  const sign = (/** @type {string} */ ts, /** @type {string} */ body, secret = SECRET) => `sha256=${createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex")}`;
  assert.equal(await post("/webhooks/customerp", note), 401);
  assert.equal(await post("/webhooks/customerp", note, { "customerp-timestamp": now, "customerp-signature": sign(now, note, "another-secret-0123456789") }), 401);
  assert.equal(await post("/webhooks/customerp", note, { "customerp-timestamp": now, "customerp-signature": sign(now, `${note} `) }), 401);
  const old = String(Number(now) - 600);
  assert.equal(await post("/webhooks/customerp", note, { "customerp-timestamp": old, "customerp-signature": sign(old, note) }), 400);
  const batches = receiver.stats.batches;
  assert.equal(await post("/webhooks/customerp", note, { "customerp-timestamp": now, "customerp-signature": sign(now, note) }), 200);
  assert.deepEqual([receiver.queued(), receiver.stats.batches], [1, batches], "answered with the record queued, before its sync");
  assert.equal(await post("/webhooks/other", note), 404);
  const r = receiver.stats.refused;
  assert.deepEqual([r.auth, r.signature, r.stale, r.tooLarge, r.bad], [3, 3, 1, 1, 1]);
  await quiet(receiver);
});

test("the reconciling poll catches an edit whose event was never delivered", async () => {
  await receiver.close();
  servers.chargebee.site.webhookEndpoints.length = 0;
  const polling = new WebhookReceiver({ sync: host.sync, chargebee: { username: HOOK_USER, password: HOOK_PASSWORD }, customerp: { secret: SECRET }, reconcileMs: 300 });
  receiver = polling;
  await connect(polling);
  const id = await linked("contact-customer", "2");
  // the header keeps this event's webhooks from going out: only the poll can see the change
  await cbSend("POST", `/customers/${id}`, { phone: "+49 221 555 0199" }, { "chargebee-event-webhook": "all-disabled" });
  await sleep(100);
  assert.notEqual(cpRecord("contacts", "2")?.phone, "+49 221 555 0199");
  assert.equal(polling.stats.received.chargebee, 0);
  await until(() => cpRecord("contacts", "2")?.phone === "+49 221 555 0199", 5000);
  assert.ok(polling.stats.reconciles >= 1);
});
