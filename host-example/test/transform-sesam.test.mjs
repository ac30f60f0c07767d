// The transform endpoint as a Sesam pipe's `http` transform calls it: a batch of entities with
// reserved fields, namespaced keys and typed strings; one bad entity is an error in its own answer and
// the batch is 200; _deleted entities are planned as deletes; Sesam's entities get typed values back,
// plain entities the plain shape.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { plan } from "customerp-chargebee";
import { startTransformServer } from "../src/app/transform.mjs";

const TOKEN = "transform-sesam-token-Ø-123";
const OPTIONS = { timeZone: "Europe/Oslo", itemFamilyId: "customerp-products" };

/** @type {Awaited<ReturnType<typeof startTransformServer>>} */
let server;
before(async () => {
  server = await startTransformServer({ options: OPTIONS, token: TOKEN, workers: 1, namespace: "customerp-{type}:" });
});
after(() => server.close());

/** @param {string} flow @param {unknown} body @param {string} [scheme] */
const post = async (flow, body, scheme = "bearer") => {
  const res = await fetch(`${server.url}/transform/${flow}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", authorization: `${scheme} ${TOKEN}` } });
  return { status: res.status, body: await res.json() };
};

/** @type {any} */
const product = { id: "1", sku: "SUPPORT-HOUR", name: "Support hour", unit: "hour", kind: "service", price: "1250.00", currency: "NOK", is_active: true, updated: "2026-03-01T09:00:00Z" };
/** The product's item in Chargebee, with its price changed to 1350.00 NOK after the first sync. @param {any} metadata */
const item = (metadata) => ({
  id: "SUPPORT-HOUR", name: "Support hour", external_name: "Support hour", type: "charge", unit: "hour", status: "active", item_family_id: "customerp-products",
  updated_at: 1772400000, metadata,
  item_prices: [{ id: "SUPPORT-HOUR-NOK", item_id: "SUPPORT-HOUR", currency_code: "NOK", price: 135000, status: "active", pricing_model: "flat_fee", updated_at: 1772400000 }],
});

test("a Sesam batch with one bad entity: 200, that entity's error in its own answer, reserved fields kept on every answer", async () => {
  const sesam = (/** @type {string} */ id, /** @type {Record<string, unknown>} */ customerp) => ({
    _id: id, _updated: 42, _ts: 1489654249474509, _hash: "8b48c6574f7e8474194090eb9123666e", _previous: null, _deleted: false,
    $ids: [`~:customerp-contact:${id}`], "contact-plans:customerp": customerp, "contact-plans:chargebee": null, "contact-plans:base": null,
  });
  const res = await post("contact-customer", [
    sesam("17", { "customerp-contact:id": "17", "customerp-contact:first_name": "Åse", "customerp-contact:email": "ase@example.no", "customerp-contact:updated": "~t2026-03-01T09:00:00Z", "customerp-contact:customer_id": "~:customerp-customer:1" }),
    sesam("18", { id: "18", first_name: "Bad", email: "not-an-e-mail", updated: "~t2026-03-01T09:00:00Z" }),
    sesam("19", { id: "19", first_name: "太郎", email: "taro@example.jp", updated: "~t2026-03-01T09:00:00.123456789Z" }),
  ]);
  assert.equal(res.status, 200);
  const [a, b, c] = res.body;
  assert.deepEqual([a._id, a.ok, b._id, b.ok, c._id, c.ok], ["17", true, "18", false, "19", true]);
  for (const x of res.body) {
    assert.deepEqual([x._updated, x._ts, x._hash, x._previous, x._deleted, x.$ids], [42, 1489654249474509, "8b48c6574f7e8474194090eb9123666e", null, false, [`~:customerp-contact:${x._id}`]]);
  }
  assert.equal(b.error.code, "invalid_value");
  assert.equal(b.error.path, "/customerp/email");
  // The typed and namespaced values were read: the plan is the plain one's.
  assert.equal(a.plan.chargebee.action, "create");
  assert.equal(a.plan.chargebee.requests[0].params.first_name, "Åse");
  assert.equal(c.plan.chargebee.requests[0].params.first_name, "太郎");
  const plain = plan("contact-customer", { customerp: { id: "17", first_name: "Åse", email: "ase@example.no", updated: "2026-03-01T09:00:00Z", customer_id: "1" }, chargebee: null, base: null }, OPTIONS);
  assert.deepEqual(a.plan.chargebee, plain.chargebee);
});

test("typed strings in and out: a Chargebee price change comes back as a typed Customerp change; a plain entity gets the plain shape", async () => {
  const first = plan("product-item", { customerp: product, chargebee: null, base: null }, OPTIONS);
  const cb = item(first.chargebee.requests[0].params.metadata);
  const typed = { ...product, price: "~f1250.00", updated: "~t2026-03-01T09:00:00Z" };
  const res = await post("product-item", [
    { _id: "p1", _updated: 7, customerp: typed, chargebee: cb, base: first.base },
    { _id: "p2", customerp: product, chargebee: cb, base: first.base },
  ]);
  assert.equal(res.status, 200);
  const [s, p] = res.body;
  assert.deepEqual(s.plan.customerp, { action: "update", id: "1", changes: { price: "~f1350.00" }, expect: { updated: "~t2026-03-01T09:00:00Z", price: "~f1250.00" } });
  assert.deepEqual(p.plan.customerp, { action: "update", id: "1", changes: { price: "1350.00" }, expect: { updated: "2026-03-01T09:00:00Z", price: "1250.00" } });
  assert.deepEqual(Object.keys(p), ["_id", "ok", "plan"], "the current shape, nothing added");
  // A Chargebee instant may come typed as well: it is read as Unix seconds. The Customerp values came
  // plain in this entity, and go back plain.
  const res2 = await post("product-item", [{ _id: "p3", customerp: product, chargebee: { ...cb, updated_at: "~t2026-03-01T21:20:00Z" }, base: first.base }]);
  assert.equal(res2.body[0].ok, true);
  assert.deepEqual(res2.body[0].plan.customerp.expect, { updated: "2026-03-01T09:00:00Z", price: "1250.00" });
  // Values the entity did not carry (a create from Chargebee) take Customerp's field types.
  const created = await post("product-item", [{ _id: "p4", _updated: 8, customerp: null, chargebee: { ...cb, id: "NEW-SKU", metadata: null, item_prices: [{ ...cb.item_prices[0], id: "NEW-SKU-NOK", item_id: "NEW-SKU" }] }, base: null }]);
  assert.equal(created.body[0].plan.customerp.action, "create");
  assert.equal(created.body[0].plan.customerp.changes.price, "~f1350.00");
});

test("a _deleted entity is planned as a delete of the record it carries; one that carries none is an error in its answer", async () => {
  const contact = { id: "17", first_name: "Åse", email: "ase@example.no", updated: "2026-03-01T09:00:00Z" };
  const first = plan("contact-customer", { customerp: contact, chargebee: null, base: null }, OPTIONS);
  const customer = { ...first.chargebee.requests[0].params, updated_at: 1772355600, resource_version: 1, deleted: false };
  const res = await post("contact-customer", [
    { _id: "c17", _deleted: true, customerp: { ...contact, updated: "~t2026-03-02T09:00:00Z" }, chargebee: customer, base: first.base },
    { _id: "gone", _deleted: true },
    { _id: "c17-cb", _deleted: true, customerp: null, chargebee: customer, base: first.base },
  ]);
  assert.equal(res.status, 200);
  const [del, bare, cbDel] = res.body;
  assert.equal(del._deleted, true);
  assert.equal(del.ok, true);
  assert.deepEqual(del.plan.link, { customerp: null, chargebee: null });
  assert.match(del.plan.customerp.reason, /deleted in Customerp/);
  assert.deepEqual(del.plan.chargebee.requests[0].params.meta_data, { customerp: { type: "contact", id: "17", deleted: true } });
  assert.deepEqual([bare.ok, bare.error.code, bare.error.path], [false, "missing_field", "/1/customerp"]);
  assert.equal(cbDel.ok, true);
  assert.equal(cbDel.plan.chargebee.requests.length, 0);
});

test("namespaced keys that collide are an error in the entity's answer; the bearer scheme in any case is taken", async () => {
  const res = await post("contact-customer", [
    { _id: "x", customerp: null, "p:customerp": null, chargebee: null, base: null },
    { _id: "y", customerp: { id: "1", "a:email": "a@example.no", "b:email": "b@example.no", updated: "2026-03-01T09:00:00Z" }, chargebee: null, base: null },
  ], "BEARER");
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.map((/** @type {any} */ r) => [r._id, r.ok, r.error?.code, r.error?.path]), [["x", false, "invalid_type", "/0/p:customerp"], ["y", false, "invalid_type", "/1/customerp"]]);
});
