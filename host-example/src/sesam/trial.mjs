#!/usr/bin/env node
// A local trial of Customerp through Sesam (docs/sesam.md), on loopback, with the demo data:
//   node src/sesam/trial.mjs
// The Chargebee emulator, the host's Sesam endpoints over an SQLite store, and a stand-in of Sesam's side
// (local.mjs: the ERP, its connector's collect datasets, its share pipe) that pushes and pulls through
// the JSON push and pull protocols (client.mjs). The host syncs with CUSTOMERP_SOURCE=sesam's client.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { Store } from "../app/store/store.mjs";
import { Sync } from "../app/loop.mjs";
import { ChargebeeClient } from "../app/clients/chargebee.mjs";
import { SesamCustomerpClient } from "../app/clients/sesam-customerp.mjs";
import { progressLine } from "../app/report.mjs";
import { addSecret, redactOutput } from "../app/redact.mjs";
import { startChargebeeEmulator } from "../local/chargebee-emulator/server.mjs";
import { seedChargebee } from "../local/demo-data.mjs";
import { DEMO_OPTIONS, LOCAL_API_KEY } from "../local/servers.mjs";
import { sleep } from "../lib/http.mjs";
import { startSesamServer } from "./server.mjs";
import { SesamProtocolClient } from "./client.mjs";
import { ErpBehindSesam, TYPES } from "./local.mjs";

redactOutput();
const out = (/** @type {string} */ line) => console.log(line);
const token = randomBytes(24).toString("hex");
addSecret(token);
const dir = mkdtempSync(join(tmpdir(), "customerp-chargebee-sesam-"));
const store = await Store.open(join(dir, "sync.sqlite"));
const chargebee = await startChargebeeEmulator({ apiKey: LOCAL_API_KEY, seed: seedChargebee });
// The endpoints' log, without the reads that found nothing new.
const server = await startSesamServer({ store, token, out: (line) => (/: 0 entities$/.test(line) ? undefined : out(line)) });
const sesam = new SesamProtocolClient({ url: server.url, token });
const erp = new ErpBehindSesam();
const cb = new ChargebeeClient({ site: chargebee.url, apiKey: LOCAL_API_KEY });
const sync = new Sync({ customerp: /** @type {any} */ (new SesamCustomerpClient({ store })), chargebee: cb, store, options: DEMO_OPTIONS });
/** @type {Record<string, string | number | undefined>} */
const since = {};

/** @param {string} title */
async function run(title) {
  out(`\n${title}`);
  const t0 = Date.now();
  const s = await sync.run();
  for (const [flow, st] of Object.entries(s.flows)) if (!("skipped" in st)) out(progressLine(flow, st, Date.now() - t0).replace(/\s+\(\d+ ms\)$/, ""));
  const { customerp: cp, chargebee: c } = s.requests;
  out(`  Customerp (the replica) ${cp.reads} reads, ${cp.writes} writes · Chargebee ${c.reads} reads, ${c.writes} writes`);
  return s;
}

/** Sesam's side: every change dataset read from where it was left, made in the ERP, the ERP's records pushed back. @param {boolean} [show] */
async function sesamCycle(show = false) {
  out("\nSesam: the json sources read the change datasets; the connector makes the changes; the json sinks push the ERP's records back");
  for (const type of TYPES) {
    const { entities, since: next } = await sesam.pullAll(`/datasets/customerp-${type}-changes/entities`, { since: since[type], pageSize: 50 });
    since[type] = next;
    const changed = [];
    for (const e of entities) {
      if (show) out(`  ${JSON.stringify(e)}`);
      const r = erp.apply(type, e);
      out(`    ERP ${type}: ${e.sesam_change} ${e._id} → ${erp.applied.at(-1)?.outcome}`);
      if (r) changed.push(erp.entity(type, r));
    }
    if (changed.length) await sesam.incremental(`/receivers/customerp-${type}/entities`, changed);
  }
}

try {
  out("customerp-chargebee through Sesam: a local trial (docs/sesam.md)");
  out(`  Chargebee emulator  ${chargebee.url}/api/v2`);
  out(`  Sesam endpoints     ${server.url}  (bearer token: set, not shown)`);
  out(`  store               ${store.path}`);
  out("\nSesam: the json sinks push the ERP connector's collect datasets, a full sync in requests of 4");
  for (const type of TYPES) await sesam.fullSync(`/receivers/customerp-${type}/entities`, erp.collect(type), { batchSize: 4 });
  await run("Run 1: the replica and Chargebee, first sync");
  await sesamCycle();
  await run("Run 2: the links move from the placeholders to the ERP's ids; Chargebee's tags get them");
  await sesamCycle();
  await run("Run 3: nothing changed");

  out("\nChargebee: customer of contact 3 (山田 太郎): billing address line 2 → ポートアイランド 3F");
  const taro = /** @type {string} */ ((await store.linkByCustomerp("contact-customer", "3"))?.chargebee_id);
  const current = (await cb.get(`/customers/${taro}`)).customer;
  const { object: _o, ...address } = current.billing_address;
  await sleep(1100);
  await cb.send("POST", `/customers/${taro}/update_billing_info`, { billing_address: { ...address, line2: "ポートアイランド 3F" } });
  await run("Run 4: the edit becomes a change entity");
  await sesamCycle(true);
  const fourth = await run("Run 5: the ERP's new record came back: nothing to write");
  const writes = fourth.requests.customerp.writes + fourth.requests.chargebee.writes;
  out(writes === 0 ? "\n  Run 5 sent no writes: the ERP, through Sesam, and Chargebee agree." : `\n  Run 5 sent ${writes} writes: not settled.`);
  process.exitCode = writes === 0 ? 0 : 1;
} finally {
  await server.close();
  await chargebee.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
