// Loads the package's Node build (wasm-bindgen --target nodejs) and reaches its instance. The glue
// keeps `wasm` (the instance's exports, with `memory`) private, so the loader wraps
// WebAssembly.Instance while the glue is required and keeps the instance it makes.
//
// `loadFresh(wasmFile)` copies the glue beside another .wasm (say a wasm-opt output) in a temporary
// folder and loads that: a new instance each call, since Wasm memory never shrinks.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "..");
export const NODE_DIST = path.join(ROOT, "pkg", "dist");
export const GLUE = "node.cjs";
export const WASM = "customerp_chargebee_bg.wasm";

function requireCapturing(file, extraImports) {
  const Original = WebAssembly.Instance;
  let instance = null;
  function Capturing(module, imports) {
    const all = { ...imports };
    for (const [mod, fns] of Object.entries(extraImports ?? {})) all[mod] = { ...imports[mod], ...fns };
    instance = new Original(module, all);
    return instance;
  }
  Capturing.prototype = Original.prototype;
  WebAssembly.Instance = Capturing;
  try {
    const api = require(file);
    if (!instance) throw new Error(`${file} was already loaded: its instance cannot be reached`);
    return { api, instance, memory: instance.exports.memory };
  } finally {
    WebAssembly.Instance = Original;
  }
}

let tmpCount = 0;

/**
 * A fresh instance of the Node build, with `wasmFile` (default: the package's own .wasm) and the
 * package's glue, or `glueFile` (the glue another build made for its module).
 */
export function loadFresh(wasmFile = path.join(NODE_DIST, WASM), extraImports, glueFile = path.join(NODE_DIST, GLUE)) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cpcb-bench-${process.pid}-${tmpCount++}-`));
  fs.copyFileSync(glueFile, path.join(dir, GLUE));
  fs.copyFileSync(wasmFile, path.join(dir, WASM));
  fs.writeFileSync(path.join(dir, "package.json"), '{ "type": "commonjs" }\n');
  const loaded = requireCapturing(path.join(dir, GLUE), extraImports);
  loaded.dir = dir;
  loaded.cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  return loaded;
}

let pkg;
/** The package as a host imports it (pkg/index.cjs), with its instance (one per process). */
export function loadPackage() {
  pkg ??= requireCapturing(path.join(ROOT, "pkg", "index.cjs"));
  return pkg;
}
