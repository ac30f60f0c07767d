#!/usr/bin/env node
// The main command. Builds what is missing (the package in ../pkg, this folder's node_modules), then runs
// the demo: both local servers, a full sync, edits on both sides, a second sync, and a third with no writes.
// `--console [P]` then serves the operator console on the demo's store (port P, default CONSOLE_PORT or
// 8484) until Ctrl-C.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2).flatMap((a, i, all) => (a === "--console" && (all[i + 1] === undefined || all[i + 1].startsWith("-")) ? [a, ""] : [a]));
const { values } = parseArgs({ args, options: { console: { type: "string" }, help: { type: "boolean", short: "h" } } });
if (values.help) {
  console.log("usage: node bin/demo.mjs [--console [P]]\n  the demo; --console then serves the operator console on its store (127.0.0.1:P, default CONSOLE_PORT or 8484) until Ctrl-C");
  process.exit(0);
}
const consolePort = values.console === undefined ? null : Number(values.console || process.env.CONSOLE_PORT || "8484");
if (consolePort !== null && !(Number.isInteger(consolePort) && consolePort >= 0 && consolePort <= 65535)) {
  console.error(`error: --console takes a port, not ${JSON.stringify(values.console)}`);
  process.exit(2);
}

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
const until = () => new Promise((r) => {
  process.once("SIGINT", r);
  process.once("SIGTERM", r);
});
const { third } = await demo(console.log, consolePort === null ? {} : { console: { port: consolePort, token: process.env.CONSOLE_TOKEN || null, until } });
if (writesOf(third) !== 0) process.exitCode = 1;
