// Plan throughput in Node against the JSON floor of the same work: JSON.parse(JSON.stringify(x)) of
// what goes in and of what comes out (the least any plugin called from JS pays). Per flow
// (contact-customer, product-item, order-order with 5 lines), over generated records in pages:
//   - planBatch of creates (nothing in Chargebee yet, never synced),
//   - planBatch of linked pairs with one Customerp edit (created in a fake Chargebee and settled first),
//   - toChargebee of the Customerp records, toCustomerp of the Chargebee resources, one call each,
//   - a plain-JS mapping of the same table (lib/plainjs.mjs, checked to give toChargebee's objects).
// Every run times all methods over all records, in a rotating order, so each ratio is measured in
// the same process and the same run.
//
//   node bench/plan.mjs [--records 50000] [--page 1000] [--runs 5] [--flows contact-customer,...]
import assert from "node:assert";
import { loadPackage } from "./lib/wasm.mjs";
import { applyChargebee } from "./lib/fake-chargebee.mjs";
import { FLOWS, linkedPair, planInput } from "./lib/gen.mjs";
import { plainToChargebee } from "./lib/plainjs.mjs";
import { fmt, gc, log, ms, now, spread, summary, writeRows } from "./lib/stats.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const N = Number(args.records ?? 50_000);
const PAGE = Number(args.page ?? 1000);
const RUNS = Number(args.runs ?? 5);
const GOAL_PLAN = 2.5;
const GOAL_MAP = 4;
const GOAL_SIZE = 3;
const flows = (args.flows ?? Object.keys(FLOWS).join(",")).split(",");

const { api } = loadPackage();
const rows = [];
const pagesOf = (xs) => Array.from({ length: Math.ceil(xs.length / PAGE) }, (_, k) => xs.slice(k * PAGE, (k + 1) * PAGE));
const bytesPer = (xs) => Buffer.byteLength(JSON.stringify(xs)) / xs.length;

for (const flow of flows) {
  const { record, options } = FLOWS[flow];
  log(`plan: ${flow}, preparing ${N} records, their plans and linked pairs`);
  const records = Array.from({ length: N }, (_, i) => record(i));
  const creates = records.map((r) => planInput(flow, r));
  const pairs = records.map((r) => linkedPair(api, applyChargebee, flow, r));
  const pairInputs = pairs.map((p) => p.input);
  const resources = pairs.map((p) => p.resource);
  // What each call returns, for the floor of its output.
  const out = {
    creates: pagesOf(creates).flatMap((p) => api.planBatch(flow, p, options)),
    pairs: pagesOf(pairInputs).flatMap((p) => api.planBatch(flow, p, options)),
    toChargebee: records.map((r) => api.toChargebee(flow, r, options)),
    toCustomerp: resources.map((r) => api.toCustomerp(flow, r, options)),
  };
  for (const r of [...out.creates, ...out.pairs]) assert.ok(r.ok, JSON.stringify(r));
  // The pairs are linked and carry one edit: Chargebee gets an update, no pair is created again.
  const actions = new Set(out.pairs.map((r) => r.plan.chargebee.action));
  assert.deepStrictEqual([...actions], ["update"], `linked pairs plan ${[...actions]}`);
  // The baseline maps the same table: same objects as toChargebee on a sample.
  for (const r of records.slice(0, 500)) assert.deepStrictEqual(plainToChargebee[flow](r, options), api.toChargebee(flow, r, options));

  const page = { creates: pagesOf(creates), pairs: pagesOf(pairInputs), createPlans: pagesOf(out.creates), pairPlans: pagesOf(out.pairs) };
  let sink = 0;
  const roundTrip = (x) => { sink += JSON.parse(JSON.stringify(x)).length ?? 1; };
  const methods = {
    planCreates: () => { for (const p of page.creates) sink += api.planBatch(flow, p, options).length; },
    floorCreates: () => { for (let k = 0; k < page.creates.length; k++) { roundTrip(page.creates[k]); roundTrip(page.createPlans[k]); } },
    planPairs: () => { for (const p of page.pairs) sink += api.planBatch(flow, p, options).length; },
    floorPairs: () => { for (let k = 0; k < page.pairs.length; k++) { roundTrip(page.pairs[k]); roundTrip(page.pairPlans[k]); } },
    toChargebee: () => { for (const r of records) sink += api.toChargebee(flow, r, options) ? 1 : 0; },
    floorToChargebee: () => { for (let i = 0; i < N; i++) { roundTrip(records[i]); roundTrip(out.toChargebee[i]); } },
    toCustomerp: () => { for (const r of resources) sink += api.toCustomerp(flow, r, options) ? 1 : 0; },
    floorToCustomerp: () => { for (let i = 0; i < N; i++) { roundTrip(resources[i]); roundTrip(out.toCustomerp[i]); } },
    plainJs: () => { const f = plainToChargebee[flow]; for (const r of records) sink += f(r, options) ? 1 : 0; },
  };
  const names = Object.keys(methods);
  const perRecord = Object.fromEntries(names.map((n) => [n, []]));
  log(`plan: ${flow}, ${N} records in pages of ${PAGE}, ${RUNS} runs (after a warm-up)`);
  for (const name of names) methods[name](); // warm-up: JIT, Wasm tier-up, memory growth
  for (let run = 0; run < RUNS; run++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + run) % names.length];
      gc();
      const t0 = now();
      methods[name]();
      perRecord[name].push((ms(t0, now()) * 1000) / N);
    }
    log(`  run ${run + 1}: ` + names.map((n) => `${n} ${fmt(perRecord[n][run])}µs`).join(", "));
  }
  assert.ok(sink > 0);
  const us = (name) => spread(perRecord[name], " µs");
  const area = `plan ${flow}`;
  const vsFloor = (name, floor, goal, what, sizes) => {
    const s = summary(perRecord[name].map((x, i) => x / perRecord[floor][i]));
    rows.push({ area, what: `${what}, µs/record (${sizes})`, ...us(name),
      ratio: `${fmt(s.median)}× the in+out JSON floor (${fmt(s.min)}–${fmt(s.max)}); floor ${us(floor).value}`,
      goal: `≤ ${goal}× floor`, met: s.median <= goal });
  };
  const io = (a, b) => `in ${Math.round(bytesPer(a))} B, out ${Math.round(bytesPer(b))} B JSON`;
  vsFloor("planCreates", "floorCreates", GOAL_PLAN, "planBatch, creates", io(creates.slice(0, 1000), out.creates.slice(0, 1000)));
  vsFloor("planPairs", "floorPairs", GOAL_PLAN, "planBatch, linked pairs with one edit", io(pairInputs.slice(0, 1000), out.pairs.slice(0, 1000)));
  vsFloor("toChargebee", "floorToChargebee", GOAL_MAP, "toChargebee, one call per record", io(records.slice(0, 1000), out.toChargebee.slice(0, 1000)));
  vsFloor("toCustomerp", "floorToCustomerp", GOAL_MAP, "toCustomerp, one call per resource", io(resources.slice(0, 1000), out.toCustomerp.slice(0, 1000)));
  // Plan size: a create's plan JSON against its input's (goal ≤ 3×), and the base's share of it.
  const [inB, outB] = [bytesPer(creates.slice(0, 1000)), bytesPer(out.creates.slice(0, 1000))];
  const baseB = bytesPer(out.creates.slice(0, 1000).map((r) => r.plan.base));
  rows.push({ area, what: "planBatch, a create's plan JSON, bytes per record", value: `${Math.round(outB)} B`, spread: `input ${Math.round(inB)} B; base ${Math.round(baseB)} B of it`,
    ratio: `${fmt(outB / inB)}× its input`, goal: `≤ ${GOAL_SIZE}× input`, met: outB / inB <= GOAL_SIZE });
  const plain = summary(perRecord.toChargebee.map((x, i) => x / perRecord.plainJs[i]));
  rows.push({ area, what: "plain-JS mapping of the same table, µs/record", ...us("plainJs"),
    ratio: `toChargebee is ${fmt(plain.median)}× it`, goal: "", met: null });
}

writeRows("plan", rows);
