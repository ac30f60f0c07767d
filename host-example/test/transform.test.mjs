// The Sesam-style transform endpoint.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startTransformServer } from "../src/app/transform.mjs";

/** @type {Awaited<ReturnType<typeof startTransformServer>>} */
let server;
before(async () => {
  server = await startTransformServer({ options: { timeZone: "Europe/Oslo" } });
});
after(() => server.close());

/** @param {string} path @param {string} body */
const post = (path, body) => fetch(`${server.url}${path}`, { method: "POST", body, headers: { "content-type": "application/json" } });

test("POST /transform/<flow> answers one plan per entity, errors in their own slot", async () => {
  const contact = { id: "17", first_name: "Åse", email: "ase@example.no", updated: "2026-03-01T10:00:00+01:00" };
  const res = await post("/transform/contact-customer", JSON.stringify([
    { _id: "a", customerp: contact, chargebee: null, base: null },
    { _id: "b", customerp: { ...contact, id: "18", email: "not-an-email" }, chargebee: null, base: null },
  ]));
  assert.equal(res.status, 200);
  const [a, b] = await res.json();
  assert.equal(a._id, "a");
  assert.equal(a.ok, true);
  assert.equal(a.plan.chargebee.action, "create");
  assert.equal(a.plan.chargebee.requests[0].path, "/customers");
  assert.equal(b._id, "b");
  assert.equal(b.ok, false);
  assert.equal(b.error.name, "SyncError");
  assert.equal(b.error.code, "invalid_value");
});

test("options in the query; unknown flows and bad bodies are refused", async () => {
  const ok = await post(`/transform/employee-customer?options=${encodeURIComponent(JSON.stringify({ ownCompanyName: "Fjordvik Handel AS" }))}`,
    JSON.stringify([{ customerp: { id: "1", email: "kari@example.no", updated: "2026-03-01T10:00:00+01:00" }, chargebee: null, base: null }]));
  const [r] = await ok.json();
  assert.equal(r.plan.chargebee.requests[0].params.company, "Fjordvik Handel AS");
  const unknown = await post("/transform/nope", "[]");
  assert.equal(unknown.status, 404);
  assert.equal((await unknown.json()).error.code, "unknown_flow");
  assert.equal((await post("/transform/contact-customer", "{}")).status, 400);
  assert.equal((await post("/transform/contact-customer", "not json")).status, 400);
  const flows = await fetch(`${server.url}/transform`).then((x) => x.json());
  assert.ok(flows.includes("contact-customer"));
});
