// CommonJS entry for Node (`require("customerp-chargebee")`): wasm-bindgen's `--target nodejs`
// output, which compiles and instantiates the .wasm synchronously on first require.
"use strict";
module.exports = require("./dist/node.cjs");
