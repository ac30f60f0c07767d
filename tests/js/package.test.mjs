// Tests of the npm package as a consumer sees it: installed by name (scripts/test.sh installs the packed
// tarball here), loaded with `import` and `require`, its exports map, and its ./web and bundler builds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import fs, { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esm from "customerp-chargebee";

const require = createRequire(import.meta.url);
const cjs = require("customerp-chargebee");
const here = path.dirname(fileURLToPath(import.meta.url));
const pkgDir = path.dirname(require.resolve("customerp-chargebee/package.json"));
const pkgJson = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8"));

// The JS API of api.md.
const API = ["flows", "toChargebee", "toCustomerp", "match", "plan", "planBatch", "planUndo", "encodeForm", "dataflowDocument"];
const FLOWS = ["contact-customer", "customer-business_entity", "employee-customer", "quote-order", "order-order", "product-item"];

test("require() gives every API function, ready to call", () => {
  for (const name of API) assert.equal(typeof cjs[name], "function", `require: ${name}`);
});

test("import gives every API function, the same ones as require() (one wasm instance)", () => {
  for (const name of API) {
    assert.equal(typeof esm[name], "function", `import: ${name}`);
    assert.equal(esm[name], cjs[name], `import and require differ for ${name}`);
  }
});

test("the ESM wrapper re-exports everything the wasm module exports (pkg/index.mjs is complete)", () => {
  assert.deepEqual(Object.keys(esm).sort(), Object.keys(cjs).sort());
});

test("flows() returns an array of the six flows", () => {
  const flows = esm.flows();
  assert.ok(Array.isArray(flows), `flows() returned ${typeof flows}`);
  assert.deepEqual(flows.map((f) => f.id).sort(), [...FLOWS].sort());
});

test("errors are Error objects named SyncError, and the next call works", () => {
  assert.throws(() => esm.toChargebee("no-such-flow", {}), (err) => {
    assert.ok(err instanceof Error, "not an Error");
    assert.equal(err.name, "SyncError");
    assert.equal(err.code, "unknown_flow");
    assert.equal(typeof err.message, "string");
    return true;
  });
  assert.ok(Array.isArray(esm.flows()));
});

test("the package version is the crate's", () => {
  const cargo = readFileSync(path.join(here, "..", "..", "Cargo.toml"), "utf8");
  const version = cargo.match(/^\[package\][^[]*?^version\s*=\s*"([^"]+)"/m)?.[1];
  assert.equal(pkgJson.version, version);
});

// Every file the exports map (and main/module/types) names must be in the installed package.
function targets(node, out = []) {
  if (typeof node === "string") out.push(node);
  else if (node && typeof node === "object") for (const v of Object.values(node)) targets(v, out);
  return out;
}
test("every file named by package.json exists in the installed package", () => {
  const files = [pkgJson.main, pkgJson.module, pkgJson.types, ...targets(pkgJson.exports)];
  for (const file of files) assert.ok(existsSync(path.join(pkgDir, file)), `missing ${file}`);
});

test("the public .d.ts types every API function without `any`", () => {
  // The declarations of the Node (require), ./web and bundler builds.
  for (const file of ["node.d.cts", "web.d.ts", "customerp_chargebee.d.ts"]) {
    const dts = readFileSync(path.join(pkgDir, "dist", file), "utf8");
    for (const name of API) {
      const decl = dts.match(new RegExp(`^export function ${name}[<(].*$`, "m"))?.[0];
      assert.ok(decl, `dist/${file}: no declaration of ${name}`);
      assert.doesNotMatch(decl, /\bany\b/, `dist/${file}: ${decl}`);
    }
    assert.match(dts, /export type FlowId\b/, `dist/${file}: the ts/types.d.ts custom section is missing`);
  }
});

test("every entry exports the Matcher class, declared generic in the flow", async () => {
  assert.equal(typeof esm.Matcher, "function");
  assert.equal(esm.Matcher, cjs.Matcher);
  const web = await import("customerp-chargebee/web");
  assert.equal(typeof web.Matcher, "function");
  for (const file of ["node.d.cts", "web.d.ts", "customerp_chargebee.d.ts"]) {
    const dts = readFileSync(path.join(pkgDir, "dist", file), "utf8");
    assert.match(dts, /^export class Matcher<F extends FlowId = FlowId> \{$/m, `dist/${file}`);
    assert.doesNotMatch(dts, /^export class Matcher \{/m, `dist/${file}: wasm-bindgen's own declaration is left`);
  }
});

test("./web exports a default init and the API functions; after init they work", async () => {
  const web = await import("customerp-chargebee/web");
  assert.equal(typeof web.default, "function");
  assert.equal(typeof web.initSync, "function");
  for (const name of API) assert.equal(typeof web[name], "function", `./web: ${name}`);
  // A browser lets init() fetch the .wasm next to the module; Node's fetch cannot read files, so pass the bytes.
  const wasmPath = fileURLToPath(import.meta.resolve("customerp-chargebee/web/customerp_chargebee_bg.wasm"));
  await web.default({ module_or_path: readFileSync(wasmPath) });
  assert.ok(Array.isArray(web.flows()));
});

test("the bundler build (browser/default conditions) loads as an ES module importing its .wasm", () => {
  const entry = path.join(pkgDir, pkgJson.exports["."].default.default);
  // Node can import .wasm modules the way bundlers do (ESM integration) behind a flag.
  const script = `import * as m from ${JSON.stringify(entry)};
    const names = ${JSON.stringify(API)}.filter((n) => typeof m[n] !== "function");
    if (names.length) throw new Error("missing " + names);
    if (!Array.isArray(m.flows())) throw new Error("flows() is not an array");
    console.log("bundler build ok");`;
  const out = execFileSync(process.execPath, ["--experimental-wasm-modules", "--no-warnings", "--input-type=module", "-e", script], {
    encoding: "utf8",
  });
  assert.match(out, /bundler build ok/);
});

test("the package carries one .wasm, shared by the Node, ./web and bundler builds", () => {
  const wasms = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else if (e.name.endsWith(".wasm")) wasms.push(path.relative(pkgDir, path.join(dir, e.name)));
    }
  };
  walk(pkgDir);
  assert.deepEqual(wasms, ["dist/customerp_chargebee_bg.wasm"]);
  assert.equal(pkgJson.exports["./web/customerp_chargebee_bg.wasm"], "./dist/customerp_chargebee_bg.wasm");
});
