// ES module entry for Node (`import ... from "customerp-chargebee"`). It loads the same CommonJS build
// as `require` does, so both share one wasm instance, and the functions are ready to call (no init).
// Keep this list equal to the wasm exports: tests/js/package.test.mjs fails when one is missing.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const wasm = require("./dist/node.cjs");

export const {
  flows,
  toChargebee,
  toCustomerp,
  match,
  Matcher,
  plan,
  planBatch,
  planUndo,
  encodeForm,
  dataflowDocument,
  SyncError,
} = wasm;
