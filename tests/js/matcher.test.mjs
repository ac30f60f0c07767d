// The Matcher class of the installed package: pages of records give exactly what `match` gives for the
// same two lists (large lists, ambiguous keys, a page boundary inside a group of equal keys), a record it
// cannot add is a SyncError at its index across pages, misuse throws a SyncError and never traps.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import * as esm from "customerp-chargebee";

const { Matcher, SyncError, match, plan } = esm;
const require = createRequire(import.meta.url);

/** n contacts and n Chargebee customers: 60% share an e-mail (case and spaces vary), groups of 3 share one. */
function sides(n) {
  const cps = [];
  const cbs = [];
  for (let i = 0; i < n; i++) {
    const group = i % 50 === 7 || i % 50 === 8 || i % 50 === 9; // three Customerp records of one e-mail
    cps.push({ id: i % 4 === 0 ? i : String(i), email: group ? `group${Math.floor(i / 50)}@example.com` : `person${i}@example.com` });
    const email = i % 10 < 6 ? (i % 3 ? `person${i}@example.com` : ` Person${i}@Example.COM `) : i % 50 === 8 ? `GROUP${Math.floor(i / 50)}@example.com` : `other${i}@example.org`;
    cbs.push(i % 97 === 5 ? { customer: { id: `cb_${i}`, email } } : { id: `cb_${i}`, email, ...(i % 31 === 0 ? { deleted: true } : {}) });
  }
  return [cps, cbs];
}

function paged(flow, cps, cbs, size, options) {
  const m = options === undefined ? new Matcher(flow) : new Matcher(flow, options);
  try {
    for (let at = 0; at < Math.max(cps.length, cbs.length); at += size) {
      assert.deepEqual(m.addChargebee(cbs.slice(at, at + size)), []);
      assert.deepEqual(m.addCustomerp(cps.slice(at, at + size)), []);
    }
    return m.finish();
  } finally {
    m.free();
  }
}

test("Matcher is exported by import and require, the same class", () => {
  assert.equal(typeof Matcher, "function");
  assert.equal(require("customerp-chargebee").Matcher, Matcher);
});

test("pages of 1000, 777 and 3 give what match gives for 5,000 × 5,000 records, ambiguities included", () => {
  const [cps, cbs] = sides(5000);
  const whole = match("contact-customer", cps, cbs);
  assert.ok(whole.links.length > 2000 && whole.ambiguous.length >= 90, `${whole.links.length} links, ${whole.ambiguous.length} ambiguous`);
  for (const size of [1000, 777, 3]) assert.deepEqual(paged("contact-customer", cps, cbs, size), whole, `pages of ${size}`);
  // The groups of equal keys are records 7, 8, 9 of every 50: pages of 8 cut each one.
  const small = sides(200);
  assert.deepEqual(paged("contact-customer", ...small, 8), match("contact-customer", ...small));
});

test("product-item and order-order pages give what match gives", () => {
  const products = Array.from({ length: 300 }, (_, i) => ({ id: `P-${i}`, sku: `SKU-${i}`, name: `Vare ${i % 120}` }));
  const items = Array.from({ length: 300 }, (_, i) => (i % 3 ? { id: `SKU-${i}`, name: `x ${i}` } : { id: `item-${i}`, name: `VARE ${i % 120}` }));
  const opts = { itemFamilyId: "hardware" };
  assert.deepEqual(paged("product-item", products, items, 64, opts), match("product-item", products, items, opts));
  const orders = Array.from({ length: 300 }, (_, i) => ({ id: i + 1, number: `SO-${i % 250}` }));
  const cbOrders = Array.from({ length: 300 }, (_, i) => ({ id: `o${i}`, reference_id: `SO-${i % 260}`, status: i % 17 ? "queued" : "cancelled" }));
  const whole = match("order-order", orders, cbOrders);
  assert.ok(whole.ambiguous.length > 0);
  assert.deepEqual(paged("order-order", orders, cbOrders, 100), whole);
});

test("a record it cannot add is the error match throws for it, at its index across pages; the rest is matched", () => {
  const m = new Matcher("contact-customer");
  const page1 = Array.from({ length: 1500 }, (_, i) => ({ id: String(i), email: `p${i}@example.com` }));
  assert.deepEqual(m.addCustomerp(page1), []);
  const page2 = [{ id: "1500", email: "ok@example.com" }, { id: "1501", email: 42 }, { id: 3, email: "dup@example.com" }, null, { id: "1504", first_name: NaN }];
  const errors = m.addCustomerp(page2);
  assert.equal(errors.length, 3);
  for (const e of errors) assert.ok(e instanceof SyncError, `${e}`);
  assert.deepEqual(errors.map((e) => [e.code, e.path, e.recordId]), [
    ["invalid_value", "/customerp/1502/id", "3"],
    ["invalid_type", "/customerp/1503", undefined],
    ["invalid_value", "/customerp/1504/first_name", undefined],
  ]);
  assert.match(errors[0].message, /duplicate id "3": record 3 of the list has it too/);
  // Each one is what match throws for the same list, cut after that record.
  const all = [...page1, ...page2];
  for (const [e, at] of [[errors[0], 1502], [errors[1], 1503], [errors[2], 1504]]) {
    const list = all.slice(0, at + 1).map((r, i) => (i < at && i >= 1500 && i !== 1500 ? { id: `gone-${i}`, deleted: true } : r));
    assert.throws(() => match("contact-customer", list, []), (thrown) => {
      assert.deepEqual({ ...thrown }, { ...e });
      return true;
    });
  }
  // Matched without them.
  assert.deepEqual(m.addChargebee([{ id: "cb-ok", email: "OK@example.com" }, { id: "cb-1", email: "p1@example.com" }]), []);
  assert.deepEqual(m.finish().links, [
    { customerp: "1", chargebee: "cb-1", by: "email" },
    { customerp: "1500", chargebee: "cb-ok", by: "email" },
  ]);
  m.free();
});

test("misuse throws a SyncError, never traps, and the instance keeps working", () => {
  const m = new Matcher("contact-customer");
  m.addCustomerp([{ id: "1", email: "a@example.com" }]);
  assert.deepEqual(m.finish(), { links: [], ambiguous: [] });
  for (const again of [() => m.finish(), () => m.addCustomerp([]), () => m.addChargebee([{ id: "x" }])]) {
    assert.throws(again, (e) => e instanceof SyncError && e.code === "invalid_type" && /finish\(\) was called already/.test(e.message));
  }
  m.free();
  // A freed Matcher throws a plain Error (wasm-bindgen's), not a trap.
  for (const freed of [() => m.addCustomerp([]), () => m.finish(), () => m.free()]) {
    assert.throws(freed, (e) => e instanceof Error && !(e instanceof WebAssembly.RuntimeError));
  }
  // A record that calls the Matcher while it is being added is refused as a record, not a trap.
  const busy = new Matcher("contact-customer");
  const [e] = busy.addCustomerp([{ id: "1", toJSON: () => (busy.addCustomerp([]), { id: "1" }) }]);
  assert.ok(e instanceof SyncError && e.path === "/customerp/0", `${e}`);
  assert.deepEqual(busy.finish(), { links: [], ambiguous: [] });
  assert.throws(() => new Matcher("no-such-flow"), (e) => e instanceof SyncError && e.code === "unknown_flow");
  assert.throws(() => new Matcher("contact-customer", { conflicts: "loudest" }), (e) => e instanceof SyncError && e.path === "/options/conflicts");
  const fresh = new Matcher("contact-customer");
  assert.throws(() => fresh.addCustomerp({ id: "1" }), (e) => e instanceof SyncError && e.code === "invalid_type" && e.path === "/customerp");
  assert.throws(() => fresh.addChargebee("cb"), (e) => e instanceof SyncError && e.path === "/chargebee");
  assert.deepEqual(fresh.finish(), { links: [], ambiguous: [] });
  assert.equal(plan("contact-customer", { customerp: { id: "1", email: "a@example.com" }, chargebee: null, base: null }).chargebee.action, "create");
});
