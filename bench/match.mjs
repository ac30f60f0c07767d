// Matching scale: `match` on contact-customer with n unlinked records per side (10k, 100k, 1M),
// realistic e-mail overlap (60% shared, some in another case or with spaces around, a few duplicate
// keys, some without e-mail, a few tagged from an earlier link). Reports the median time per size,
// the ratio of each size to the one 10× smaller (medians of the same process), and Wasm memory.
//
//   node --max-old-space-size=12000 bench/match.mjs [--sizes 10000,100000,1000000] [--runs 5]
import assert from "node:assert";
import { loadFresh } from "./lib/wasm.mjs";
import { canCount, operations } from "./lib/count.mjs";
import { matchSides } from "./lib/gen.mjs";
import { bytes, fmt, gc, log, ms, now, spread, summary, writeRows } from "./lib/stats.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const SIZES = (args.sizes ?? "10000,100000,1000000").split(",").map(Number);
const RUNS = Number(args.runs ?? 5);
// Smaller sizes are quick and noisier: more runs.
const runsFor = (n) => (n <= 10_000 ? 3 * RUNS : n <= 100_000 ? 2 * RUNS - 1 : RUNS);
// The work (instrumented operations) is counted up to this size: exact, so one count each.
const COUNT_UP_TO = Number(args["count-up-to"] ?? 100_000);
const FLOW = "contact-customer";

// One instance for all sizes: the memory figure is the peak of the largest size.
const { api, memory } = loadFresh();
const rows = [];
const times = {};
const ops = {};
let prev = null;
for (const n of SIZES) {
  const t0 = now();
  const { customerp, chargebee, stats } = matchSides(n);
  const genMs = ms(t0, now());
  const jsonBytes = JSON.stringify(customerp).length + JSON.stringify(chargebee).length;
  log(`match: ${n} × ${n} (generated in ${fmt(genMs)} ms, ${bytes(jsonBytes)} of JSON, ` +
    `${stats.shared} shared keys, ${stats.variants} case/space variants, ${stats.duplicates} duplicates, ${stats.tagged} tagged)`);
  const runs = [];
  let result;
  for (let r = 0; r < runsFor(n); r++) {
    gc();
    const a = now();
    result = api.match(FLOW, customerp, chargebee);
    runs.push(ms(a, now()));
    log(`  run ${r + 1}: ${fmt(runs[r])} ms, ${result.links.length} links, ${result.ambiguous.length} ambiguous`);
  }
  // Every shared key without a duplicate is linked; variants match; duplicates are ambiguous.
  assert.ok(result.links.length > stats.shared * 0.9 && result.ambiguous.length > 0, JSON.stringify({ ...stats, links: result.links.length }));
  times[n] = runs;
  const s = summary(runs);
  const unit = s.median >= 1000 ? { div: 1000, u: " s" } : { div: 1, u: " ms" };
  const sp = spread(runs.map((x) => x / unit.div), unit.u);
  let ratio = "";
  let goal = "";
  let met = null;
  if (prev && n === prev * 10) {
    const rs = summary(runs).median / summary(times[prev]).median;
    const lo = s.min / summary(times[prev]).max;
    const hi = s.max / summary(times[prev]).min;
    ratio = `${fmt(rs)}× the ${prev / 1000}k time (${fmt(lo)}–${fmt(hi)})`;
    goal = "10× data ≤ 11× time";
    met = rs <= 11;
  }
  rows.push({ area: "match", what: `${n / 1000}k × ${n / 1000}k (${result.links.length} links, ${result.ambiguous.length} ambiguous)`,
    value: sp.value, spread: sp.spread, median: s.median, ratio, goal, met });
  if (n >= 1_000_000) {
    rows.push({ area: "match", what: `${n / 1000}k × ${n / 1000}k within seconds`, value: sp.value, spread: sp.spread, median: s.median,
      ratio: "", goal: "seconds, not minutes (< 60 s)", met: s.median < 60_000 });
  }
  if (canCount() && n <= COUNT_UP_TO) {
    log(`  counting the work of ${n} × ${n}`);
    ops[n] = operations((a) => a.match(FLOW, customerp, chargebee));
    if (prev && ops[prev] && n === prev * 10) {
      rows.push({ area: "match", what: `work ${prev / 1000}k → ${n / 1000}k (instrumented Wasm operations, exact)`,
        value: `${(ops[n] / 1e6).toFixed(0)}M operations`, spread: `${prev / 1000}k: ${(ops[prev] / 1e6).toFixed(1)}M`,
        ratio: `${fmt(ops[n] / ops[prev])}× the ${prev / 1000}k work`, goal: "10× data ≤ 11× work", met: ops[n] / ops[prev] <= 11 });
    }
  }
  prev = n;
}
rows.push({ area: "match", what: `Wasm memory after the largest match (JSON ${bytes(0)}→)`.replace(/ \(JSON.*\)/, ""),
  value: bytes(memory.buffer.byteLength), spread: "", ratio: "", goal: "", met: null });
writeRows("match", rows);
