// `instanceof SyncError` from every entry of the installed package in Node: ES module import, require,
// ./web and the bundler build (its wasm import needs Node's --experimental-wasm-modules). web.test.mjs
// runs the same cases on ./web in Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esm from "customerp-chargebee";
import { checkSyncErrorRows, syncErrorRows } from "./sync-error-cases.mjs";

const require = createRequire(import.meta.url);
const cjs = require("customerp-chargebee");
const here = path.dirname(fileURLToPath(import.meta.url));

test("import: every thrown error and a failed planBatch slot is instanceof SyncError", () => {
  checkSyncErrorRows(assert, syncErrorRows(esm), "import");
});

test("require: every thrown error and a failed planBatch slot is instanceof SyncError", () => {
  checkSyncErrorRows(assert, syncErrorRows(cjs), "require");
});

test("import and require give the same SyncError class (one module instance)", () => {
  assert.equal(typeof esm.SyncError, "function");
  assert.equal(esm.SyncError, cjs.SyncError);
  assert.throws(() => esm.plan("no-such-flow", { customerp: null, chargebee: null, base: null }), cjs.SyncError);
});

test("./web: every thrown error and a failed planBatch slot is instanceof its SyncError", async () => {
  const web = await import("customerp-chargebee/web");
  const wasmPath = fileURLToPath(import.meta.resolve("customerp-chargebee/web/customerp_chargebee_bg.wasm"));
  await web.default({ module_or_path: readFileSync(wasmPath) });
  checkSyncErrorRows(assert, syncErrorRows(web), "./web");
});

test("bundler build: every thrown error and a failed planBatch slot is instanceof its SyncError", () => {
  const pkgDir = path.dirname(require.resolve("customerp-chargebee/package.json"));
  const pkgJson = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8"));
  const entry = pathToFileURL(path.join(pkgDir, pkgJson.exports["."].default.default)).href;
  const cases = pathToFileURL(path.join(here, "sync-error-cases.mjs")).href;
  const script = `import * as api from ${JSON.stringify(entry)};
    import { syncErrorRows } from ${JSON.stringify(cases)};
    console.log(JSON.stringify(syncErrorRows(api)));`;
  const out = execFileSync(process.execPath, ["--experimental-wasm-modules", "--no-warnings", "--input-type=module", "-e", script], {
    encoding: "utf8",
  });
  checkSyncErrorRows(assert, JSON.parse(out), "bundler");
});
