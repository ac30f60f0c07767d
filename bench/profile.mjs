// A V8 CPU profile of the boundary: one entry point over generated records, through the package's
// Node glue and a .wasm that keeps its function names (target/wasm-unoptimised/ as built, or a named
// wasm-opt output: see bench/profile.sh), sampled with the inspector's profiler (what
// `node --cpu-prof` records). Prints the top entries by self time, JS and Wasm functions together, and
// the same time grouped by what the functions do (JSON in, JSON out, allocation, hashing, …).
//
//   node bench/profile.mjs [--wasm file.wasm] [--what planBatch|planPairs|toChargebee|toCustomerp|match]
//                          [--glue node.cjs] [--flow contact-customer] [--records 20000] [--top 25] [--out profile.cpuprofile]
import fs from "node:fs";
import inspector from "node:inspector";
import path from "node:path";
import { loadFresh, ROOT } from "./lib/wasm.mjs";
import { applyChargebee } from "./lib/fake-chargebee.mjs";
import { FLOWS, linkedPair, matchSides, planInput } from "./lib/gen.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const wasm = args.wasm ?? path.join(ROOT, "target", "wasm-unoptimised", "customerp_chargebee_bg.wasm");
const what = args.what ?? "planBatch";
const flow = args.flow ?? "contact-customer";
const N = Number(args.records ?? 20_000);
const TOP = Number(args.top ?? 25);

const { api, cleanup } = loadFresh(wasm, undefined, args.glue); // --glue: the glue another build made for --wasm
const { record, options } = FLOWS[flow];
const recs = Array.from({ length: N }, (_, i) => record(i));
const pairs = what === "planPairs" || what === "toCustomerp" ? recs.map((r) => linkedPair(api, applyChargebee, flow, r)) : [];
const inputs = what === "planPairs" ? pairs.map((p) => p.input) : recs.map((r) => planInput(flow, r));
const resources = pairs.map((p) => p.resource);
const sides = what === "match" ? matchSides(N) : null;
const work = {
  planBatch: () => { for (let i = 0; i < N; i += 1000) api.planBatch(flow, inputs.slice(i, i + 1000), options); },
  planPairs: () => { for (let i = 0; i < N; i += 1000) api.planBatch(flow, inputs.slice(i, i + 1000), options); },
  toChargebee: () => { for (const r of recs) api.toChargebee(flow, r, options); },
  toCustomerp: () => { for (const r of resources) api.toCustomerp(flow, r, options); },
  match: () => api.match(flow, sides.customerp, sides.chargebee),
}[what];
work(); // warm-up: JIT and Wasm tier-up

const session = new inspector.Session();
session.connect();
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
await post("Profiler.enable");
await post("Profiler.setSamplingInterval", { interval: 250 });
await post("Profiler.start");
const t0 = process.hrtime.bigint();
work();
const elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
const { profile } = await post("Profiler.stop");
session.disconnect();
cleanup();
if (args.out) fs.writeFileSync(args.out, JSON.stringify(profile));

// Self time per function: samples × their interval, summed by node id, then by function name.
const dt = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
}
const byName = new Map();
let total = 0;
for (const node of profile.nodes) {
  const t = dt.get(node.id) ?? 0;
  total += t;
  const f = node.callFrame;
  const where = f.url.endsWith(".wasm") || f.url.startsWith("wasm://") ? "wasm" : f.url ? path.basename(f.url) : "";
  const name = `${f.functionName || "(anonymous)"}${where ? ` [${where}]` : ""}`;
  byName.set(name, (byName.get(name) ?? 0) + t);
}
// What a function does, by its name: the first group whose pattern matches.
const GROUPS = [
  ["JS glue (wasm-bindgen's node.cjs)", /\[node\.cjs\]$/],
  ["text transcoding (TextEncoder/TextDecoder)", /^(decode|encode|encodeInto) \[/],
  ["JSON text out (serde_json::ser)", /serde_json::ser|serde_core::ser|Serialize/],
  ["JSON text in (serde_json::de)", /serde_json::(de|read)|Deserialize|serde_core::de/],
  ["allocation (malloc, free: dlmalloc)", /dlmalloc|__rust_alloc|__rust_dealloc|__rust_realloc|__rdl_|alloc::alloc|Global>::alloc|RawVec|raw_vec|handle_alloc|box_new/],
  ["hashing (HashMap: SipHash, hashbrown)", /hashbrown|core::hash|sip::|BuildHasher|DefaultHasher|RandomState/],
  ["sha256 (idempotency keys)", /sha2/],
  ["maps (indexmap)", /indexmap/],
  ["error paths (JSON Pointers)", /customerp_chargebee::error|push_segment|pointer_for_dotted/],
  ["time (jiff)", /jiff/],
  ["decimals (rust_decimal)", /rust_decimal/],
  ["formatting (core::fmt)", /core::fmt|alloc::fmt|fmt::|format_inner/],
  ["copies and compares (mem*)", /^(memcpy|memmove|memcmp|memset|bcmp)/],
  ["vectors and strings (alloc, core)", /alloc::vec|alloc::string|core::slice|core::str|Vec<|String|append_elements|CharIndices|split_at|core::ptr/],
  ["the core's own code (customerp_chargebee)", /customerp_chargebee/],
  ["other Wasm", /\[wasm\]$/],
  ["garbage collection, idle, program", /^\((garbage collector|idle|program|root)\)/],
];
const byGroup = new Map();
for (const [name, t] of byName) {
  const g = GROUPS.find(([, re]) => re.test(name))?.[0] ?? "other JS";
  byGroup.set(g, (byGroup.get(g) ?? 0) + t);
}

console.log(`${what} ${flow}, ${N} records, ${path.relative(process.cwd(), wasm)}: ${elapsed.toFixed(0)} ms, ` +
  `${((elapsed * 1000) / N).toFixed(1)} µs per record`);
console.log("| self % | self ms | group |\n| ---: | ---: | --- |");
for (const [name, t] of [...byGroup].sort((a, b) => b[1] - a[1])) console.log(`| ${((100 * t) / total).toFixed(1)} | ${(t / 1000).toFixed(1)} | ${name} |`);
console.log("\n| self % | self ms | function |\n| ---: | ---: | --- |");
for (const [name, t] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
  console.log(`| ${((100 * t) / total).toFixed(1)} | ${(t / 1000).toFixed(1)} | ${name.replace(/\|/g, "\\|")} |`);
}
