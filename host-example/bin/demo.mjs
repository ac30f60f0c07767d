#!/usr/bin/env node
// The main command. Builds what is missing (the package in ../pkg, this folder's node_modules), then runs
// the demo: both local servers, a full sync, edits on both sides, a second sync, and a third with no writes.
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const root = resolve(here, "..");

/** @param {string} what @param {string} cmd @param {string[]} args @param {string} cwd */
function step(what, cmd, args, cwd) {
  console.log(`${what}: ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { cwd, stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`${what} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

if (!existsSync(join(root, "pkg/dist/node.cjs"))) {
  const bindgen = spawnSync("bash", ["-c", "source scripts/lib.sh && command -v wasm-bindgen"], { cwd: root });
  if (bindgen.status !== 0) step("installing the build tools", "bash", ["scripts/setup.sh"], root);
  step("building the customerp-chargebee package", "bash", ["scripts/build.sh"], root);
}
if (!existsSync(join(here, "node_modules/better-sqlite3/build/Release/better_sqlite3.node")) || !existsSync(join(here, "node_modules/customerp-chargebee"))) {
  step("installing host-example's dependencies", "npm", ["ci", "--no-audit", "--no-fund"], here);
}

const { demo } = await import("../src/local/demo.mjs");
const { writesOf } = await import("../src/app/report.mjs");
const { third } = await demo();
if (writesOf(third) !== 0) process.exitCode = 1;
