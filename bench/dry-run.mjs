// A dry run against the real run it previews, through host-example on loopback: time and requests
// (reads and writes per system, counted at the servers) for
//   A. the initial sync of N Customerp contacts into an empty Chargebee site,
//   B. the run after edits of 1% of them (a rerun's usual shape),
// each a dry run (run --dry-run: reads, matches, plans, sends no write, works on a copy of the store)
// and then the real run from the same state, measured in the same process: the real run is the baseline.
//
//   node bench/dry-run.mjs [--records 10000]
import path from "node:path";
import { contact } from "./lib/gen.mjs";

const HERE = path.dirname(new URL(import.meta.url).pathname);
const HOST = path.join(HERE, "..", "host-example");
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const N = Number(args.records ?? 10_000);

const { startLocalServers, localSync } = await import(path.join(HOST, "src", "local", "servers.mjs"));
const { runOnce } = await import(path.join(HOST, "src", "app", "actions", "run.mjs"));

const servers = await startLocalServers({ seed: false, rateLimit: { limit: 10_000_000, windowMs: 60_000 } });
const host = await localSync({ chargebeeUrl: servers.chargebee.url, customerpUrl: servers.customerp.url, options: { timeZone: "Europe/Oslo" } });
const db = servers.customerp.db;
for (let i = 0; i < N; i++) db.put("contacts", { ...contact(i), id: String(i + 1), customer_id: null });

/** Requests at both servers during one run of the host: reads (GET) and writes, and the time. */
async function measure(label, dryRun) {
  const cb0 = servers.chargebee.requests.length;
  const cp0 = servers.customerp.requests.length;
  const t0 = process.hrtime.bigint();
  const { summary } = await runOnce(host, { dryRun, flows: ["contact-customer"] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const count = (reqs) => ({ reads: reqs.filter((r) => r.method === "GET").length, writes: reqs.filter((r) => r.method !== "GET").length });
  const cb = count(servers.chargebee.requests.slice(cb0));
  const cp = count(servers.customerp.requests.slice(cp0));
  const planned = summary.planned.filter((p) => p.method && !p.followUp).length;
  const errors = Object.values(summary.flows).reduce((n, f) => n + (f.errors ?? 0), 0);
  if (errors) throw new Error(`${label}: ${errors} errors`);
  process.stderr.write(`dry-run bench: ${label}: ${(ms / 1000).toFixed(2)} s\n`);
  return { label, ms, cb, cp, planned };
}

const rows = [];
const A1 = await measure(`A. initial sync of ${N} contacts, dry run`, true);
const A2 = await measure(`A. initial sync of ${N} contacts, real run`, false);
rows.push(A1, A2);
const edits = Math.max(1, Math.round(N / 100));
for (let i = 0; i < edits; i++) db.update("contacts", String(i * 100 + 1), { phone: `+47 900 ${String(i).padStart(5, "0")}` }, undefined);
const B1 = await measure(`B. after ${edits} edits, dry run`, true);
const B2 = await measure(`B. after ${edits} edits, real run`, false);
rows.push(B1, B2);
await host.store.close();
await servers.close();

const f = (x) => x.toLocaleString("en-US");
console.log(`| run | time | Chargebee reads | Chargebee writes | Customerp reads | Customerp writes | writes listed |`);
console.log(`|---|---:|---:|---:|---:|---:|---:|`);
for (const r of rows) {
  console.log(`| ${r.label} | ${(r.ms / 1000).toFixed(2)} s | ${f(r.cb.reads)} | ${f(r.cb.writes)} | ${f(r.cp.reads)} | ${f(r.cp.writes)} | ${r.label.includes("dry") ? f(r.planned) : ""} |`);
}
console.log("");
console.log(`dry run / real run, time: A ${(A1.ms / A2.ms).toFixed(3)}, B ${(B1.ms / B2.ms).toFixed(3)}; ` +
  `reads: A ${A1.cb.reads + A1.cp.reads} vs ${A2.cb.reads + A2.cp.reads}, B ${B1.cb.reads + B1.cp.reads} vs ${B2.cb.reads + B2.cp.reads}; ` +
  `writes listed by the dry run vs sent by the real run: A ${A1.planned} vs ${A2.cb.writes + A2.cp.writes}, B ${B1.planned} vs ${B2.cb.writes + B2.cp.writes}`);
