// The perf guard (node --test bench/guard.mjs): checks that cannot flake, since none reads a clock.
//
// - Work is counted, not timed: the package's .wasm is instrumented with binaryen's
//   `wasm-opt --log-execution`, which calls an import at every function entry and loop iteration.
//   The count is exact and the same on every run for the same calls on a fresh instance (the module
//   has no clock and no randomness). It covers everything the Wasm does: reading the JSON, hashing,
//   matching, planning, writing the result. A quadratic path anywhere shows as a ratio near 4.
// - Matching and planning 2× the records must take ≤ 2.5× the operations; so must an order with 2× the lines
//   (created, and linked and edited).
// - A no-change rerun writes nothing: after a sync converges, planning again gives no request and no Customerp write.
//
// Needs pkg/ built (scripts/build.sh) and bench/node_modules (npm ci in bench/) for wasm-opt.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadFresh, loadPackage } from "./lib/wasm.mjs";
import { operations } from "./lib/count.mjs";
import { FLOWS, contact, matchSides, order, orderLinks, planInput, product } from "./lib/gen.mjs";
import { applyChargebee, applyCustomerp, writes } from "./lib/fake-chargebee.mjs";

const LIMIT = 2.5;

function ratio(small, large) {
  const a = operations(small);
  const b = operations(large);
  return { a, b, ratio: b / a };
}

const N = 2000;

// Matching sides for the flows with other keys than e-mail.
function products(n, variant) {
  const cps = [], cbs = [];
  for (let i = 0; i < n; i++) {
    const p = product(i);
    cps.push(p);
    if (i % 5 < 3) cbs.push({ id: i % 10 === 0 ? `other-${i}` : p.sku, name: variant && i % 2 ? p.name.toUpperCase() : p.name, status: "active",
      type: "charge", item_family_id: "hardware", updated_at: 1738335720 });
    else cbs.push({ id: `cb-only-${i}`, name: `Chargebee vare ${i}`, status: "active", type: "charge", updated_at: 1738335720 });
  }
  return [cps, cbs];
}

function companies(n) {
  const cps = [], cbs = [];
  for (let i = 0; i < n; i++) {
    cps.push({ id: `C-${i}`, name: `Fjordkraft ${i} AS`, email: `post${i}@example.no`, currency: "NOK", is_active: true,
      created: "2026-01-01T00:00:00Z", updated: "2026-01-02T00:00:00Z" });
    cbs.push({ id: `BE${i}`, name: i % 3 ? `fjordkraft  ${i} as` : `Annen ${i} ASA`, status: "active", deleted: false,
      created_at: 1735725600, updated_at: 1735725600, object: "business_entity" });
  }
  return [cps, cbs];
}

const matchCases = {
  "contact-customer": (n) => { const s = matchSides(n); return [s.customerp, s.chargebee]; },
  "product-item": (n) => products(n, true),
  "customer-business_entity": companies,
};

for (const [flow, sides] of Object.entries(matchCases)) {
  test(`match ${flow}: 2× the records takes ≤ ${LIMIT}× the operations`, (t) => {
    const [cp1, cb1] = sides(N);
    const [cp2, cb2] = sides(2 * N);
    const r = ratio((api) => api.match(flow, cp1, cb1), (api) => api.match(flow, cp2, cb2));
    t.diagnostic(`${N} → ${2 * N} per side: ${r.a} → ${r.b} operations, ${r.ratio.toFixed(3)}×`);
    assert.ok(r.ratio <= LIMIT, `${flow}: ${r.a} → ${r.b} operations, ${r.ratio.toFixed(3)}×`);
  });
}

for (const flow of Object.keys(FLOWS)) {
  test(`planBatch ${flow}: 2× the records takes ≤ ${LIMIT}× the operations`, (t) => {
    const { record, options } = FLOWS[flow];
    const inputs = (n) => Array.from({ length: n }, (_, i) => planInput(flow, record(i)));
    const small = inputs(N / 4);
    const large = inputs(N / 2);
    const r = ratio((api) => api.planBatch(flow, small, options), (api) => api.planBatch(flow, large, options));
    t.diagnostic(`${small.length} → ${large.length} records: ${r.a} → ${r.b} operations, ${r.ratio.toFixed(3)}×`);
    assert.ok(r.ratio <= LIMIT, `${flow}: ${r.a} → ${r.b} operations, ${r.ratio.toFixed(3)}×`);
  });
}

test(`plan order-order: 2× the lines takes ≤ ${LIMIT}× the operations`, (t) => {
  const input = (lines) => { const o = order(1, lines); return { customerp: o, chargebee: null, base: null, links: orderLinks(o) }; };
  const small = input(100);
  const large = input(200);
  const r = ratio((api) => api.plan("order-order", small), (api) => api.plan("order-order", large));
  t.diagnostic(`100 → 200 lines: ${r.a} → ${r.b} operations, ${r.ratio.toFixed(3)}×`);
  assert.ok(r.ratio <= LIMIT, `order lines: ${r.a} → ${r.b} operations, ${r.ratio.toFixed(3)}×`);
});

test(`plan order-order, a linked order edited: 2× the lines takes ≤ ${LIMIT}× the operations`, (t) => {
  // Lines are matched to Chargebee's by sku, else position: the update path must stay linear too.
  const input = (lines) => {
    const { api } = loadPackage();
    const o = order(1, lines);
    const links = orderLinks(o);
    const p1 = api.plan("order-order", { customerp: o, chargebee: null, base: null, links });
    const cb1 = applyChargebee(null, p1, 1_780_000_000);
    const p2 = api.plan("order-order", { customerp: o, chargebee: cb1, base: p1.base, links });
    const cb2 = applyChargebee(cb1, p2, 1_780_000_100);
    const edited = { ...o, note: "Levering etter påske", updated: "2026-06-01T00:00:00Z" };
    edited.lines = o.lines.map((l, i) => (i % 2 ? { ...l, status: "delivered" } : l));
    return { customerp: edited, chargebee: cb2, base: p2.base, links };
  };
  const small = input(100);
  const large = input(200);
  const r = ratio((api) => api.plan("order-order", small), (api) => api.plan("order-order", large));
  t.diagnostic(`100 → 200 lines: ${r.a} → ${r.b} operations, ${r.ratio.toFixed(3)}×`);
  assert.ok(r.ratio <= LIMIT, `linked order lines: ${r.a} → ${r.b} operations, ${r.ratio.toFixed(3)}×`);
});

test(`match: 2× the records takes ≤ ${LIMIT}× the Wasm memory it grows by`, (t) => {
  // Wasm memory never shrinks, so what a fresh instance holds after one call is that call's peak.
  const grown = (n) => {
    const s = matchSides(n);
    const { api, memory, cleanup } = loadFresh();
    const before = memory.buffer.byteLength;
    api.match("contact-customer", s.customerp, s.chargebee);
    const after = memory.buffer.byteLength;
    cleanup();
    return after - before;
  };
  const [a, b] = [grown(25_000), grown(50_000)];
  t.diagnostic(`25k → 50k per side: the memory grows by ${a >> 10} → ${b >> 10} KiB, ${(b / a).toFixed(3)}×`);
  assert.ok(b <= LIMIT * a, `match memory: ${a} → ${b} bytes`);
});

test("the operation count is exact: the same calls count the same", () => {
  const s = matchSides(500);
  const a = operations((api) => api.match("contact-customer", s.customerp, s.chargebee));
  const b = operations((api) => api.match("contact-customer", s.customerp, s.chargebee));
  assert.equal(a, b);
  assert.ok(a > 0);
});

// ---- a no-change rerun writes nothing ------------------------------------------------------------

test("a no-change rerun sends 0 writes, for every planned flow", () => {
  const { api } = loadPackage();
  const cases = {
    "contact-customer": [contact(7), contact(8)],
    "product-item": [product(3), product(4), product(5)], // a charge, a plan (subscription) and a service
    "order-order": [order(11), order(12, 1)],
  };
  for (const [flow, records] of Object.entries(cases)) {
    const { options, links } = FLOWS[flow];
    for (const rec of records) {
      let cp = rec, cb = null, base = null, now = 1_780_000_000, rounds = 0;
      const plan = () => api.plan(flow, { customerp: cp, chargebee: cb, base, ...(links ? { links: links(cp) } : {}) }, options);
      // Sync until a plan writes nothing (an order needs its create, then what POST /orders cannot set).
      for (;;) {
        const p = plan();
        const w = writes(p);
        if (w.chargebee + w.customerp === 0) break;
        assert.ok(++rounds <= 3, `${flow} ${rec.id}: still writing after ${rounds} rounds: ${JSON.stringify(p)}`);
        cb = applyChargebee(cb, p, (now += 60));
        cp = applyCustomerp(cp, p, "900", new Date(now * 1000).toISOString());
        base = p.base;
      }
      // The rerun: both sides as they are, the stored base.
      for (let k = 0; k < 2; k++) {
        const p = plan();
        assert.deepEqual(writes(p), { chargebee: 0, customerp: 0 }, `${flow} ${rec.id}: rerun writes ${JSON.stringify(p)}`);
        assert.deepEqual(p.conflicts, []);
      }
    }
  }
});

// ---- mappings ------------------------------------------------------------------------------------

const MAPPINGS = {
  mappings: {
    "contact-customer": [
      { customerp: "vat_id", chargebee: "vat_number", type: "string" },
      { customerp: "segment", chargebee: "cf_segment", type: "enum", values: ["smb", "enterprise"] },
      { customerp: "crm.account", chargebee: "meta_data.crm_account_id", type: "string" },
      { customerp: "payment_terms", chargebee: "net_term_days", type: "integer" },
    ],
  },
};
const mappedContact = (i) => ({ ...contact(i), vat_id: `NO${900000000 + i}MVA`, segment: i % 2 ? "smb" : "enterprise",
  crm: { account: `ACCT-${i}` }, payment_terms: 30 });

test(`planBatch contact-customer with mappings: 2× the records takes ≤ ${LIMIT}× the operations`, (t) => {
  const inputs = (n) => Array.from({ length: n }, (_, i) => planInput("contact-customer", mappedContact(i)));
  const small = inputs(N / 4);
  const large = inputs(N / 2);
  const r = ratio((api) => api.planBatch("contact-customer", small, MAPPINGS), (api) => api.planBatch("contact-customer", large, MAPPINGS));
  t.diagnostic(`${small.length} → ${large.length} records: ${r.a} → ${r.b} operations, ${r.ratio.toFixed(3)}×`);
  assert.ok(r.ratio <= LIMIT, `mapped contacts: ${r.a} → ${r.b} operations, ${r.ratio.toFixed(3)}×`);
});

test("mapped rows cost in proportion to the rows: a plan with four mapped rows on fifteen", (t) => {
  // (That the table is built once per configuration, not per call, is tests/perf_guard.rs's check.)
  const input = planInput("contact-customer", mappedContact(1));
  const mapped = operations((api) => api.plan("contact-customer", input, MAPPINGS));
  const plain = operations((api) => api.plan("contact-customer", input));
  t.diagnostic(`with mappings ${mapped}, without ${plain} operations, ${(mapped / plain).toFixed(3)}×`);
  assert.ok(mapped <= 1.5 * plain, `a mapped call (${mapped}) costs more than 1.5× one without mappings (${plain})`);
});

// ---- plan size: the base carries a value once where both sides agree --------------------------------

test("a contact create's plan JSON is ≤ 3× its input's, and a settled pair's base lists no Chargebee value twice", () => {
  const { api } = loadPackage();
  const { options } = FLOWS["contact-customer"];
  for (let i = 0; i < 50; i++) {
    const input = planInput("contact-customer", contact(i));
    const p = api.plan("contact-customer", input, options);
    const [inBytes, outBytes] = [JSON.stringify(input).length, JSON.stringify(p).length];
    assert.ok(outBytes <= 3 * inBytes, `contact ${i}: plan ${outBytes} bytes for an input of ${inBytes}`);
    // Applied and planned again: both sides agree, so the base holds each value once.
    const cb = applyChargebee(null, p, 1_780_000_000);
    const p2 = api.plan("contact-customer", { ...input, chargebee: cb, base: p.base }, options);
    assert.equal(p2.base.version, 3);
    assert.deepEqual(p2.base.chargebee, {}, JSON.stringify(p2.base));
    assert.ok(!Object.values(p2.base.customerp).includes(null), JSON.stringify(p2.base));
  }
});
