// The Customerp REST contract (README.md) as the local server serves it and the client uses it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startCustomerpServer } from "../src/local/customerp-server.mjs";
import { CustomerpClient, CustomerpError } from "../src/app/clients/customerp.mjs";
import { seedCustomerp } from "../src/local/demo-data.mjs";

/** @type {import("../src/local/customerp-server.mjs").CustomerpServer} */
let server;
/** @type {CustomerpClient} */
let cp;

before(async () => {
  server = await startCustomerpServer({ token: "t0k", seed: seedCustomerp });
  cp = new CustomerpClient({ url: server.url, token: "t0k", baseDelayMs: 10 });
});
after(() => server.close());

test("the change feed pages by cursor and returns only what changed after it", async () => {
  const all = await cp.changes("contacts", null);
  assert.equal(all.records.length, 9);
  const again = await cp.changes("contacts", all.cursor);
  assert.equal(again.records.length, 0);
  await cp.update("contacts", "4", { job_title: "Owner" });
  const next = await cp.changes("contacts", all.cursor);
  assert.deepEqual(next.records.map((r) => r.id), ["4"]);
  assert.match(next.records[0].updated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
  const page = await fetch(`${server.url}/api/contacts?since=0&limit=2`, { headers: { authorization: "Bearer t0k" } }).then((r) => r.json());
  assert.equal(page.data.length, 2);
  assert.equal(page.has_more, true);
});

test("create assigns the id; Idempotency-Key replays; another body under the key is refused", async () => {
  const a = await cp.create("employees", { first_name: "Ada", email: "ada@example.com" }, "k-1");
  const b = await cp.create("employees", { first_name: "Ada", email: "ada@example.com" }, "k-1");
  assert.equal(a.id, "5");
  assert.deepEqual(b, a);
  await assert.rejects(cp.create("employees", { first_name: "Bob" }, "k-1"), (e) => e instanceof CustomerpError && e.status === 422);
});

test("update merges top-level fields, with an ETag precondition; delete leaves a tombstone", async () => {
  const got = await cp.get("contacts", "1");
  assert.ok(got?.etag);
  const updated = await cp.update("contacts", "1", { address: { city: "Bergen" } }, got.etag);
  assert.deepEqual(updated.address, { city: "Bergen" }, "a nested object is replaced whole");
  assert.equal(updated.first_name, "Åse");
  await assert.rejects(cp.update("contacts", "1", { phone: "1" }, got.etag), (e) => e instanceof CustomerpError && e.status === 412);
  const removed = await cp.remove("contacts", "1");
  assert.equal(removed.deleted, true);
  assert.equal((await cp.get("contacts", "1"))?.record.deleted, true);
  assert.equal(await cp.get("contacts", "999"), null);
});

test("a wrong token is refused", async () => {
  const bad = new CustomerpClient({ url: server.url, token: "nope" });
  await assert.rejects(bad.changes("contacts", null), (e) => e instanceof CustomerpError && e.status === 401);
});
