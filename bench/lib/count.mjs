// Counts the work done inside the Wasm, without a clock: binaryen's `wasm-opt --log-execution`
// instruments the package's .wasm to call an import at every function entry and loop iteration, and
// `operations(call)` counts those calls on a fresh instance. The count is exact: the same calls on a
// fresh instance count the same (the module has no clock and no randomness).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadFresh, NODE_DIST, WASM } from "./wasm.mjs";

const WASM_OPT = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "node_modules", ".bin", "wasm-opt");

export const canCount = () => fs.existsSync(WASM_OPT);

let instrumented;
function instrumentedWasm() {
  if (!instrumented) {
    if (!canCount()) throw new Error("bench/node_modules is missing: run `npm ci` in bench/");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cpcb-count-"));
    instrumented = path.join(dir, "counted.wasm");
    execFileSync(WASM_OPT, ["--log-execution", path.join(NODE_DIST, WASM), "-o", instrumented]);
  }
  return instrumented;
}

/** The operations `call(api)` makes inside a fresh instrumented instance (after one uncounted call). */
export function operations(call) {
  let count = 0;
  const loaded = loadFresh(instrumentedWasm(), { "./customerp_chargebee_bg.js": { log_execution: () => { count += 1; } } });
  try {
    call(loaded.api); // the first call grows the memory: not counted
    count = 0;
    call(loaded.api);
    return count;
  } finally {
    loaded.cleanup();
  }
}
