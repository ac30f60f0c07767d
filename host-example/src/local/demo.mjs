// The main command: both local servers with demo data, a full sync, edits on both sides (one of them
// a conflict), a second sync, and a third that must send no writes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_OPTIONS, localSync, startLocalServers } from "./servers.mjs";
import { printInbox, printSummary, writesOf } from "../app/report.mjs";
import { listInbox } from "../app/actions/inbox.mjs";
import { sleep } from "../lib/http.mjs";
import { startConsole } from "../console/server.mjs";
import { addSecret } from "../app/redact.mjs";

/**
 * @param {(line: string) => void} [out]
 * @param {{ console?: { port: number, token?: string | null, until: () => Promise<unknown> } }} [o] console: after the
 *   runs, serve the operator console on the demo's store (servers still up) until `until` resolves
 */
export async function demo(out = console.log, o = {}) {
  const servers = await startLocalServers();
  const dir = mkdtempSync(join(tmpdir(), "customerp-chargebee-demo-"));
  const db = join(dir, "sync.sqlite");
  // One pair at a time (the host's default is 16 in flight): the printed inbox keeps its order from run to run.
  const host = await localSync({ concurrency: 1, chargebeeUrl: servers.chargebee.url, customerpUrl: servers.customerp.url, db, out });
  try {
    const cpDb = servers.customerp.db;
    const site = servers.chargebee.site;
    out("customerp-chargebee host example: a two-way sync over HTTP with an SQLite store");
    out(`  Chargebee emulator  ${servers.chargebee.url}/api/v2  (${site.tables.customer.size} customers, ${site.tables.event.size} business-entity events, ${site.tables.item.size} items, ${site.tables.item_price.size} item prices, ${site.tables.order.size} order)`);
    out(`  Customerp server    ${servers.customerp.url}/api  (${[...cpDb.tables].map(([t, rows]) => `${rows.size} ${t}`).join(", ")})`);
    out(`  store               ${db}`);
    out(`  options             ${JSON.stringify(DEMO_OPTIONS)}`);

    const run = async (/** @type {string} */ title) => {
      out("");
      out(title);
      const s = await host.sync.run();
      out("");
      printSummary(s, out);
      return s;
    };
    const logOf = async (/** @type {number} */ runId, /** @type {string[]} */ kinds) => {
      for (const e of (await host.store.logEntries({ run: runId })).filter((x) => kinds.includes(x.kind))) {
        out(`  ${e.kind.padEnd(9)} ${e.flow}: ${e.message}`);
      }
    };

    const first = await run("Run 1: first sync of both systems");
    out("");
    out("  The inbox after run 1: what a person should look at (node bin/sync.mjs inbox):");
    printInbox(await listInbox(host), out);

    out("");
    out("Edits");
    await edits(host, servers, out);

    const second = await run("Run 2: sync after the edits");
    out("");
    await logOf(second.run, ["conflict", "warning", "error"]);

    const third = await run("Run 3: nothing changed since run 2");
    const writes = writesOf(third);
    out("");
    out(writes === 0 ? "  Run 3 sent no writes: both systems agree." : `  Run 3 sent ${writes} writes: the sync has not settled.`);
    const open = (await listInbox(host)).filter((i) => i.state === "open");
    out(`  Still open in the inbox: ${open.length} (${[...new Set(open.map((i) => i.kind))].join(", ")}): link, resolve, retry and explain them with bin/sync.mjs (see README.md).`);
    if (!o.console) {
      out("  See them in the operator console: node host-example/bin/demo.mjs --console (the demo then keeps both servers and its store until Ctrl-C).");
      return { first, second, third };
    }
    const served = await startConsole({ app: host, port: o.console.port, token: o.console.token ?? null });
    out("");
    out(`  Operator console on the demo's store ${db}:`);
    out(`  console    ${served.url}  (log in: ${served.generated ? served.loginUrl : `${served.url}/login?token=<CONSOLE_TOKEN>`})`);
    out("  Ctrl-C stops the console and both servers, and removes the store.");
    addSecret(served.token);
    try {
      await o.console.until();
    } finally {
      await served.close();
    }
    return { first, second, third };
  } finally {
    await host.store.close();
    await servers.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A few edits as people make them: in the ERP (over its REST API), in Chargebee (over its API), and one
 * in Chargebee's settings. One contact is edited on both sides: a conflict.
 * @param {Awaited<ReturnType<typeof localSync>>} host
 * @param {import("./servers.mjs").LocalServers} servers
 * @param {(line: string) => void} out
 */
async function edits(host, servers, out) {
  const cp = host.customerp;
  const cb = host.chargebee;
  const contactCb = async (/** @type {string} */ id) => (await host.store.linkByCustomerp("contact-customer", id))?.chargebee_id ?? "";

  await cp.update("contacts", "1", { phone: "+47 913 00 000" });
  out("  Customerp  contact 1 (Åse Ødegård): phone → +47 913 00 000");
  await cp.update("products", "1", { price: "1350.00" });
  out("  Customerp  product SUPPORT-HOUR: price 1250.00 → 1350.00 NOK");
  await cp.update("quotes", "2", { status: "accepted" });
  out("  Customerp  quote Q-2026-0042 (Müller & Söhne, 4 × Widget Ø40): sent → accepted");
  const emp = await cp.create("employees", { employee_number: "E-1005", first_name: "Noah", last_name: "Fjeld", email: "noah.fjeld@fjordvik.example", department: "Salg", is_active: true });
  out(`  Customerp  new employee ${emp.id}: Noah Fjeld`);

  const taro = await contactCb("3");
  const current = (await cb.get(`/customers/${taro}`)).customer;
  await cb.send("POST", `/customers/${taro}/update_billing_info`, { billing_address: { ...stripObject(current.billing_address), line2: "ポートアイランド 3F" } });
  out(`  Chargebee  customer ${taro} (山田 太郎): billing address line 2 → ポートアイランド 3F`);
  await cb.send("POST", "/customers", { first_name: "Astrid", last_name: "Lindqvist", email: "astrid.lindqvist@kontor.example", locale: "sv-SE", billing_address: { city: "Göteborg", country: "SE" } });
  out("  Chargebee  new customer Astrid Lindqvist (Göteborg)");
  const order = (await host.store.linkByCustomerp("order-order", "2"))?.chargebee_id;
  if (order) {
    await cb.send("POST", `/orders/${order}`, { status: "delivered", delivered_at: Math.floor(Date.now() / 1000) });
    out(`  Chargebee  order ${order} (SO-2026-0108): shipped → delivered`);
  }
  servers.chargebee.site.adminSaveBusinessEntity({ id: "AzqK1mUbN2x1Q4Fa", name: "Example Widgets Europe" });
  out("  Chargebee  settings: business entity \"Example Widgets EU\" renamed \"Example Widgets Europe\"");

  await cp.update("contacts", "2", { last_name: "Müller-Lüdenscheidt" });
  await sleep(1100); // Chargebee's clock counts seconds: its edit must be later to win under "newest"
  const muller = await contactCb("2");
  await cb.send("POST", `/customers/${muller}`, { last_name: "Mueller" });
  out(`  Conflict   contact 2: Customerp last name "Müller-Lüdenscheidt", one second later Chargebee "Mueller" (${muller})`);
}

/** A Chargebee address as update_billing_info takes it (without `object`). @param {Record<string, any>} a */
function stripObject(a) {
  const { object: _o, ...rest } = a ?? {};
  return rest;
}
