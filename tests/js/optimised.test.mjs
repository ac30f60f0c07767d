// The package ships its .wasm optimised by wasm-opt (scripts/build.sh). This runs the same inputs through
// the installed package and through the same glue beside the unoptimised module that scripts/build.sh
// keeps in target/wasm-unoptimised/, and compares every result, and every error, byte for byte: the
// bad-input corpus (tests/corpus/), every template record through every entry point, generated records
// of three flows planned as creates and as linked pairs with edits, a match, the flows and the document.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { FLOWS as GEN, matchSides, planInput } from "../../bench/lib/gen.mjs";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const pkgDir = path.dirname(require.resolve("customerp-chargebee/package.json"));
const WASM = "customerp_chargebee_bg.wasm";
const unoptimisedWasm = path.join(root, "target", "wasm-unoptimised", WASM);

const shipped = require("customerp-chargebee");

/** The installed package's Node glue, loaded beside another .wasm: a second, separate instance. */
function loadBeside(wasmFile) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cpcb-unoptimised-"));
  fs.copyFileSync(path.join(pkgDir, "dist", "node.cjs"), path.join(dir, "node.cjs"));
  fs.copyFileSync(wasmFile, path.join(dir, WASM));
  return { api: require(path.join(dir, "node.cjs")), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A call's outcome as text: the result's JSON, or the thrown error with all its own properties. */
function outcome(fn) {
  try {
    const r = fn();
    return JSON.stringify({ ok: r === undefined ? null : r });
  } catch (e) {
    return JSON.stringify({ threw: { ...e, name: e?.name, message: e?.message, isError: e instanceof Error } });
  }
}

// The notation of tests/corpus/ (see tests/common/corpus.rs): templates, repeats and nesting.
const templates = JSON.parse(fs.readFileSync(path.join(root, "tests", "corpus", "templates.json"), "utf8"));
function expand(v) {
  if (Array.isArray(v)) return v.map(expand);
  if (v === null || typeof v !== "object") return v;
  if ("$t" in v) {
    const out = expand(templates[v.$t]);
    if (v.set) merge(out, expand(v.set));
    for (const dotted of v.unset ?? []) {
      const segs = dotted.split(".");
      const last = segs.pop();
      const parent = segs.reduce((cur, s) => cur?.[s], out);
      if (parent && typeof parent === "object") delete parent[last];
    }
    return out;
  }
  if ("$repeat" in v) return v.$repeat.repeat(v.times);
  if ("$nest" in v) {
    let out = v.leaf === undefined ? {} : v.leaf;
    for (let i = 0; i < v.$nest; i++) out = v.key == null ? [out] : { [v.key]: out };
    return out;
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expand(x)]));
}
function merge(target, patch) {
  for (const [k, pv] of Object.entries(patch)) {
    if (target[k] && typeof target[k] === "object" && pv && typeof pv === "object" && !Array.isArray(pv)) merge(target[k], pv);
    else target[k] = pv;
  }
}

/** Every call the comparison makes, as [label, (api) => result]. */
function calls() {
  const out = [];
  out.push(["flows()", (a) => a.flows()]);
  out.push(["dataflowDocument()", (a) => a.dataflowDocument()]);
  out.push(["dataflowDocument(markdown)", (a) => a.dataflowDocument("markdown")]);
  for (const file of fs.readdirSync(path.join(root, "tests", "corpus")).filter((f) => /^\d/.test(f)).sort()) {
    const c = JSON.parse(fs.readFileSync(path.join(root, "tests", "corpus", file), "utf8"));
    const args = expand(c.args).map((x) => (x === null ? undefined : x));
    out.push([`corpus ${file}`, (a) => a[c.fn](...args)]);
  }
  const flowOf = { contact: "contact-customer", employee: "employee-customer", erp_customer: "customer-business_entity",
    product: "product-item", quote: "quote-order", order: "order-order" };
  const cbOf = { cb_customer: ["contact-customer", "employee-customer"], business_entity: ["customer-business_entity"],
    item: ["product-item"], cb_order: ["order-order", "quote-order"] };
  const options = { "product-item": { itemFamilyId: "hardware" } };
  for (const [t, flow] of Object.entries(flowOf)) {
    const rec = expand({ $t: t });
    const links = expand({ $t: "order_links" });
    for (const opts of [options[flow], { ...options[flow], timeZone: "Europe/Oslo", conflicts: "chargebee", deletes: "propagate" }]) {
      out.push([`${t}: toChargebee`, (a) => a.toChargebee(flow, rec, opts)]);
      out.push([`${t}: plan create`, (a) => a.plan(flow, { customerp: rec, chargebee: null, base: null, links }, opts)]);
    }
  }
  for (const [t, flows] of Object.entries(cbOf)) {
    const rec = expand({ $t: t });
    for (const flow of flows) {
      out.push([`${t}: toCustomerp ${flow}`, (a) => a.toCustomerp(flow, rec, options[flow])]);
      out.push([`${t}: plan from Chargebee ${flow}`, (a) => a.plan(flow, { customerp: null, chargebee: rec, base: null }, options[flow])]);
    }
  }
  for (const [flow, { record, options: opts }] of Object.entries(GEN)) {
    const recs = Array.from({ length: 200 }, (_, i) => record(i));
    out.push([`${flow}: planBatch of 200 creates`, (a) => a.planBatch(flow, recs.map((r) => planInput(flow, r)), opts)]);
    out.push([`${flow}: toChargebee of 200`, (a) => recs.map((r) => a.toChargebee(flow, r, opts))]);
    // Linked pairs: the created resource as Chargebee holds it, the plan's base, then an edit on either side.
    out.push([`${flow}: linked pairs with edits`, (a) => recs.slice(0, 50).map((r, i) => {
      const input = planInput(flow, r);
      const created = a.plan(flow, input, opts);
      const cb = { ...a.toChargebee(flow, r, opts), updated_at: 1780000000 + i };
      const edited = i % 2 ? { ...r, updated: "2026-06-01T10:00:00Z", name: `${r.name ?? ""} Ødegård`, email: `x${i}@example.com` } : r;
      const cbEdited = i % 2 ? cb : { ...cb, updated_at: 1790000000, first_name: "Åse" };
      return a.plan(flow, { ...input, customerp: edited, chargebee: cbEdited, base: created.base }, opts);
    })]);
  }
  const sides = matchSides(2000);
  out.push(["match 2k × 2k", (a) => a.match("contact-customer", sides.customerp, sides.chargebee)]);
  out.push(["encodeForm", (a) => a.encodeForm({ a: "ø&=", list: [1, "x y"], nested: { b: true } })]);
  return out;
}

test("the shipped, optimised .wasm gives byte-identical results to the unoptimised build", (t) => {
  assert.ok(fs.existsSync(unoptimisedWasm), `${unoptimisedWasm} is missing: run scripts/build.sh`);
  assert.notDeepEqual(fs.readFileSync(unoptimisedWasm), fs.readFileSync(path.join(pkgDir, "dist", WASM)),
    "the package's .wasm is the unoptimised one");
  const unoptimised = loadBeside(unoptimisedWasm);
  try {
    let compared = 0;
    let bytes = 0;
    for (const [label, call] of calls()) {
      const a = outcome(() => call(shipped));
      const b = outcome(() => call(unoptimised.api));
      assert.equal(a, b, `${label}: the optimised and unoptimised modules differ`);
      compared++;
      bytes += a.length;
    }
    t.diagnostic(`${compared} calls, ${bytes} bytes of results compared`);
    assert.ok(compared > 150);
  } finally {
    unoptimised.cleanup();
  }
});
