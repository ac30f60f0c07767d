// Plan throughput in Node: planBatch and toChargebee per flow over generated records in pages,
// against the JSON floor (JSON.parse(JSON.stringify(...)) of the same inputs) and a plain-JS mapping
// of the same table. Every run times all methods over all records, in a rotating order, so each
// ratio is measured in the same process and the same run.
//
//   node bench/plan.mjs [--records 100000] [--page 1000] [--runs 5] [--flows contact-customer,...]
import assert from "node:assert";
import { loadPackage } from "./lib/wasm.mjs";
import { FLOWS, planInput } from "./lib/gen.mjs";
import { plainToChargebee } from "./lib/plainjs.mjs";
import { fmt, gc, log, ms, now, spread, summary, writeRows } from "./lib/stats.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const N = Number(args.records ?? 100_000);
const PAGE = Number(args.page ?? 1000);
const RUNS = Number(args.runs ?? 5);
const GOAL = 2.5;
const flows = (args.flows ?? Object.keys(FLOWS).join(",")).split(",");

const { api } = loadPackage();
const rows = [];

for (const flow of flows) {
  const { record, options } = FLOWS[flow];
  const records = Array.from({ length: N }, (_, i) => record(i));
  const pages = [];
  for (let i = 0; i < N; i += PAGE) {
    const recs = records.slice(i, i + PAGE);
    pages.push({ recs, inputs: recs.map((r) => planInput(flow, r)) });
  }

  // The baseline maps the same table: same objects as toChargebee on a sample.
  for (const r of records.slice(0, 500)) assert.deepStrictEqual(plainToChargebee[flow](r, options), api.toChargebee(flow, r, options));
  // Every input plans without error.
  for (const res of api.planBatch(flow, pages[0].inputs, options)) assert.ok(res.ok, JSON.stringify(res));

  const outSample = api.planBatch(flow, pages[0].inputs, options);
  const inBytes = Buffer.byteLength(JSON.stringify(pages[0].inputs)) / pages[0].inputs.length;
  const outBytes = Buffer.byteLength(JSON.stringify(outSample)) / outSample.length;

  let sink = 0;
  // Each method does its work on `ps` (pages) and `rs` (the same records, flat).
  const methods = {
    // The floor of what crosses into planBatch: its inputs, through JSON and back.
    floorInputs: (ps) => { for (const p of ps) sink += JSON.parse(JSON.stringify(p.inputs)).length; },
    // The floor of toChargebee's inputs: the bare records.
    floorRecords: (ps) => { for (const p of ps) sink += JSON.parse(JSON.stringify(p.recs)).length; },
    // The floor of what planBatch returns (plans are larger than their inputs), on the first page's plans.
    floorPlans: (ps) => { for (let k = 0; k < ps.length; k++) sink += JSON.parse(JSON.stringify(outSample)).length; },
    plainJs: (ps, rs) => { const f = plainToChargebee[flow]; for (const r of rs) sink += f(r, options) ? 1 : 0; },
    toChargebee: (ps, rs) => { for (const r of rs) sink += api.toChargebee(flow, r, options) ? 1 : 0; },
    planBatch: (ps) => { for (const p of ps) sink += api.planBatch(flow, p.inputs, options).length; },
  };
  const names = Object.keys(methods);
  const perRecord = Object.fromEntries(names.map((n) => [n, []]));
  log(`plan: ${flow}, ${N} records in pages of ${PAGE}, ${RUNS} runs (after a warm-up on a tenth)`);
  // Warm-up: every method on the first tenth (JIT, Wasm tier-up, memory growth).
  const warm = pages.slice(0, Math.max(1, Math.floor(pages.length / 10)));
  for (const name of names) methods[name](warm, warm.flatMap((p) => p.recs));
  for (let run = 0; run < RUNS; run++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + run) % names.length];
      gc();
      const t0 = now();
      methods[name](pages, records);
      const t1 = now();
      perRecord[name].push((ms(t0, t1) * 1000) / N);
    }
    log(`  run ${run + 1}: ` + names.map((n) => `${n} ${fmt(perRecord[n][run])}µs`).join(", "));
  }
  assert.ok(sink > 0);
  const ratio = (a, b) => perRecord[a].map((x, i) => x / perRecord[b][i]);
  const r = (a, b) => {
    const s = summary(ratio(a, b));
    return { median: s.median, text: `${fmt(s.median)}× ${b === "plainJs" ? "plain JS" : "floor"} (${fmt(s.min)}–${fmt(s.max)})` };
  };
  const us = (name) => spread(perRecord[name], " µs");
  const area = `plan ${flow}`;
  const pb = r("planBatch", "floorInputs");
  rows.push({ area, what: `planBatch, µs/record (in ${Math.round(inBytes)} B, out ${Math.round(outBytes)} B JSON)`, ...us("planBatch"),
    ratio: pb.text, goal: `≤ ${GOAL}× floor`, met: pb.median <= GOAL });
  rows.push({ area, what: "planBatch vs JSON floor of inputs + plans out", ...us("planBatch"),
    ratio: `${fmt(summary(perRecord.planBatch.map((x, i) => x / (perRecord.floorInputs[i] + perRecord.floorPlans[i]))).median)}× (in+out floor)`,
    goal: "", met: null });
  const tc = r("toChargebee", "floorRecords");
  rows.push({ area, what: "toChargebee (one call per record), µs/record", ...us("toChargebee"), ratio: `${tc.text}; ${r("toChargebee", "plainJs").text}`,
    goal: "", met: null });
  rows.push({ area, what: "plain-JS mapping of the same table, µs/record", ...us("plainJs"), ratio: r("plainJs", "floorRecords").text, goal: "", met: null });
  rows.push({ area, what: "JSON floor: planBatch inputs, µs/record", ...us("floorInputs"), ratio: "", goal: "", met: null });
  rows.push({ area, what: "JSON floor: toChargebee records, µs/record", ...us("floorRecords"), ratio: "", goal: "", met: null });
  rows.push({ area, what: "JSON floor: the plans planBatch returns, µs/record", ...us("floorPlans"),
    ratio: `${fmt(summary(ratio("floorPlans", "floorInputs")).median)}× input floor`, goal: "", met: null });
}

writeRows("plan", rows);
