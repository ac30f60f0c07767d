// An id that would change the path it is put into never reaches the wire as another endpoint.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setup } from "./helpers.mjs";
import { requestUrl, UnsafePathError } from "../src/app/clients/paths.mjs";

test("requestUrl refuses every path the URL parser would rewrite, and keeps ordinary ids", () => {
  const base = "http://127.0.0.1:4000/api/v2";
  for (const path of ["/items/..\\customers", "/items/..", "/items/a/../../customers", "/items/%2e%2e", "/items/%2E%2E/x", "/items/a?b", "/items/a#b", "/items/a b", "/items/a\u0000", "items/x", "/items/./x"]) {
    assert.throws(() => requestUrl("Chargebee", "POST", base, path), UnsafePathError, path);
  }
  assert.equal(requestUrl("Chargebee", "POST", base, "/items/SKU-%C3%98-1"), `${base}/items/SKU-%C3%98-1`);
  assert.equal(requestUrl("Customerp", "GET", "http://127.0.0.1:5000/api", "/api/products", "?since=0&limit=100"), "http://127.0.0.1:5000/api/api/products?since=0&limit=100");
});

test("a product whose sku is ..\\customers or .. fails on its own; nothing is sent to another endpoint and the run ends", async () => {
  const t = await setup();
  try {
    const db = t.servers.customerp.db;
    const updated = "2026-03-02T09:00:00+01:00";
    for (const [id, sku] of [["p-dots", ".."], ["p-back", "..\\customers"], ["p-slash", "a/../../items/x"]]) {
      db.put("products", { id, sku, name: `Produkt ${sku} Å`, kind: "service", price: "10.00", currency: "NOK", is_active: true, created: updated, updated });
    }
    const started = Date.now();
    await t.host.sync.run();
    const before = t.servers.chargebee.requests.length;
    // An edit makes the next run update the item at /items/<sku>.
    for (const id of ["p-dots", "p-back", "p-slash"]) {
      const rec = /** @type {any} */ (db.get("products", id))?.record;
      if (rec) db.put("products", { ...rec, description: "ændret", updated: "2026-03-03T09:00:00+01:00" });
    }
    await t.host.sync.run();
    assert.ok(Date.now() - started < 60_000, "no endless re-read/create loop");
    // Run 2 only edits products: every write it sends is an item (or item price) update at its own id.
    const sent = t.servers.chargebee.requests.slice(before).filter((r) => r.method === "POST").map((r) => r.path);
    assert.ok(!sent.includes("/customers"), `no item update turned into a customer create: ${sent}`);
    assert.ok(!sent.includes("/items"), `no item update turned into an item create: ${sent}`);
    for (const id of ["p-dots", "p-back", "p-slash"]) {
      const errors = (await t.host.store.logEntries({ kind: "error" })).filter((e) => e.customerp_id === id);
      assert.ok(errors.length > 0, `the failure of ${id} is reported`);
    }
  } finally {
    await t.close();
  }
});
