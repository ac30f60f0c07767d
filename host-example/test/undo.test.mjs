// Undo of a run against both local servers: the values it wrote go back on both systems where nobody
// changed them since, the ones changed since are inbox items with both values and are not written, the
// records it created are released (never deleted) and their pairs held, and the next sync writes
// nothing. One pair alone; a dry run lists exactly what the real undo sends; an undo run twice writes
// nothing the second time; an undo killed halfway and run again writes no value twice and loses none;
// `undo` through bin/sync.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { toCustomerp } from "customerp-chargebee";
import { crashOnce, dumpStore, setup, testDb, total, writes } from "./helpers.mjs";
import { DEMO_OPTIONS, LOCAL_API_KEY, LOCAL_TOKEN, localSync, startLocalServers } from "../src/local/servers.mjs";
import { undoRun } from "../src/app/actions/undo.mjs";
import { pairHistory } from "../src/app/actions/history.mjs";
import { Journal } from "../src/app/journal.mjs";
import { Inbox } from "../src/app/inbox.mjs";
import { FLOWS } from "../src/app/flows.mjs";
import { chargebeeResources } from "../src/app/clients/chargebee-resources.mjs";
import { valueAt } from "../src/app/plans.mjs";

const SYNC = fileURLToPath(new URL("../bin/sync.mjs", import.meta.url));

/** @typedef {Awaited<ReturnType<typeof setup>>} T */
/** @typedef {Awaited<ReturnType<Journal["ofRun"]>>[number]} Row */

/** Syncs until a run writes nothing (the demo data's first sync leaves follow-ups to a second). @param {T} t */
async function settled(t) {
  for (let i = 0; i < 4; i++) if (writes(await t.host.sync.run()) === 0) return;
  assert.fail("the demo data does not settle");
}

/** A value as the test compares it: empty is null. @param {unknown} v */
const norm = (v) => (v === undefined || v === "" ? null : v);

/**
 * A pair's property as one side holds it now, in Customerp's form (Chargebee's record through toCustomerp).
 * @param {T} t @param {string} flow @param {"customerp" | "chargebee"} side @param {string | null} cp @param {string | null} cb @param {string} property
 */
async function valueNow(t, flow, side, cp, cb, property) {
  const f = /** @type {import("../src/app/flows.mjs").FlowSpec} */ (FLOWS.find((x) => x.id === flow));
  if (side === "customerp") return norm(valueAt((await t.host.customerp.get(f.customerp, /** @type {string} */ (cp)))?.record, property));
  const rec = await chargebeeResources(t.host.chargebee, t.host.store)[f.chargebee].get(/** @type {string} */ (cb));
  return norm(valueAt(toCustomerp(/** @type {any} */ (flow), rec, DEMO_OPTIONS), property));
}

/** The values a run wrote outside its creates: one per pair, side and property (the first `from`, the last `to`). @param {Row[]} rows */
function valuesOf(rows) {
  /** @type {Map<string, { flow: string, customerp: string | null, chargebee: string | null, side: "customerp" | "chargebee", property: string, from: unknown, to: unknown }>} */
  const out = new Map();
  // A pair the run created a record of is released by the undo, not written back.
  const created = new Set(rows.filter((r) => r.action === "create").flatMap((r) => [`${r.flow}|cp|${r.customerp}`, `${r.flow}|cb|${r.chargebee}`]));
  for (const r of rows) {
    if (r.outcome !== "ok" || created.has(`${r.flow}|cp|${r.customerp}`) || created.has(`${r.flow}|cb|${r.chargebee}`)) continue;
    for (const c of r.changes) {
      if (c.line) continue;
      const k = `${r.flow}|${r.customerp}|${r.side}|${c.property}|${c.chargebee}`;
      const had = out.get(k);
      if (had) had.to = c.to;
      else out.set(k, { flow: r.flow, customerp: r.customerp, chargebee: r.chargebee, side: /** @type {any} */ (r.side), property: c.property, from: c.from, to: c.to });
    }
  }
  return [...out.values()];
}

/**
 * The edits run 3 then copies: values on both sides of contacts and products, a new Customerp contact
 * and product (created in Chargebee), a new Chargebee customer (created in Customerp). Pairs edited on
 * one side only, so nothing is a conflict.
 * @param {T} t
 */
async function edits(t) {
  const cp = t.host.customerp;
  const cb = t.host.chargebee;
  const link = async (/** @type {string} */ flow, /** @type {string} */ id) => (await t.host.store.linkByCustomerp(flow, id))?.chargebee_id ?? assert.fail(`${flow} ${id} is not linked`);
  const names = [["Åsa", "Ødegård-Lie"], ["Zoe", "Bronte"], ["Claire", "Dubois-Martin"]];
  for (const [i, id] of ["1", "4", "5"].entries()) {
    const now = /** @type {any} */ ((await cp.get("contacts", id))?.record);
    await cp.update("contacts", id, { first_name: names[i][0], last_name: names[i][1], phone: `+47 400 00 ${100 + i}`,
      address: { ...now.address, city: `Byen ${i}`, postal_code: `90${i}0` } });
  }
  await cp.update("products", "1", { description: "Support, by the hour (remote)", price: "1375.00" });
  await cp.update("products", "2", { description: "Onboarding kit, shipped", price: "55.00" });
  for (const [i, id] of ["3", "7", "10"].entries()) {
    await cb.send("POST", `/customers/${await link("contact-customer", id)}`, { first_name: `Navn${i}`, last_name: `Etternavn${i}`, phone: `+47 500 00 ${200 + i}` });
  }
  for (const id of ["3", "4"]) await cb.send("POST", `/items/${await link("product-item", id)}`, { description: `Beskrevet i Chargebee ${id}` });
  const contact = await cp.create("contacts", { first_name: "Ingrid", last_name: "Berg", email: "ingrid.berg@fjordkraft.example", is_active: true });
  const product = await cp.create("products", { sku: "SERVICE-PLUS", name: "Service Plus", description: "A yearly service", unit: "pcs", kind: "service", price: "990.00", currency: "NOK", vat_rate: "25", is_active: true });
  await cb.send("POST", "/customers", { id: "astrid-l", first_name: "Astrid", last_name: "Lindqvist", email: "astrid.lindqvist@kontor.example", locale: "sv-SE" });
  return { contact: String(contact.id), product: String(product.id), customer: "astrid-l" };
}

test("undo of a run that wrote ~30 values on both sides and created records on both: values back, changed ones reported, creations released, the next sync writes nothing", { timeout: 180_000 }, async () => {
  const t = await setup();
  try {
    await settled(t);
    const made = await edits(t);
    const run = await t.host.sync.run();
    assert.equal(total(run, "errors"), 0);
    assert.equal(total(run, "conflicts"), 0, "the edits were one-sided");
    const journal = new Journal(t.host.store);
    const rows = (await journal.ofRun(run.run)).filter((r) => r.outcome === "ok");
    const values = valuesOf(rows);
    const sides = { customerp: values.filter((v) => v.side === "customerp").length, chargebee: values.filter((v) => v.side === "chargebee").length };
    assert.ok(values.length >= 28 && sides.customerp >= 8 && sides.chargebee >= 15, `the run wrote ${JSON.stringify(sides)} values`);
    const created = rows.filter((r) => r.action === "create");
    const cbCustomer = created.find((r) => r.flow === "contact-customer" && r.side === "chargebee")?.chargebee;
    const cpContact = created.find((r) => r.flow === "contact-customer" && r.side === "customerp")?.customerp;
    const item = created.find((r) => r.flow === "product-item" && r.side === "chargebee")?.chargebee;
    assert.ok(cbCustomer && cpContact && item, `creates on both sides: ${JSON.stringify(created.map((r) => [r.flow, r.side, r.customerp, r.chargebee]))}`);
    for (const v of values) assert.deepEqual(await valueNow(t, v.flow, v.side, v.customerp, v.chargebee, v.property), norm(v.to), `run ${run.run} wrote ${v.side} ${v.property} of ${v.customerp}`);

    // Changed since the run, on the side it wrote them; a sync copies the changes across.
    const cb = t.host.chargebee;
    const changed = [
      { flow: "contact-customer", side: "chargebee", customerp: "1", property: "first_name", value: "Åse-Marie" },
      { flow: "contact-customer", side: "customerp", customerp: "3", property: "last_name", value: "Yamada-Sato" },
      { flow: "product-item", side: "chargebee", customerp: "1", property: "description", value: "Support by the hour, on site" },
    ];
    const link = async (/** @type {string} */ flow, /** @type {string} */ id) => /** @type {string} */ ((await t.host.store.linkByCustomerp(flow, id))?.chargebee_id);
    await cb.send("POST", `/customers/${await link("contact-customer", "1")}`, { first_name: "Åse-Marie" });
    await t.host.customerp.update("contacts", "3", { last_name: "Yamada-Sato" });
    await cb.send("POST", `/items/${await link("product-item", "1")}`, { description: "Support by the hour, on site" });
    const between = await t.host.sync.run();
    assert.equal(total(between, "errors"), 0);
    for (const c of changed) assert.ok(values.some((v) => v.flow === c.flow && v.side === c.side && v.customerp === c.customerp && v.property === c.property), `run ${run.run} wrote ${c.side} ${c.property} of ${c.customerp}`);

    const undo = await undoRun(t.host, { run: run.run });
    assert.equal(undo.exitCode, 0, JSON.stringify(undo.report.notes));
    assert.equal(undo.summary.undoOf, run.run);
    assert.notEqual(undo.summary.run, run.run);
    // Every value nobody changed since is what it was before the run, on both systems.
    const isChanged = (/** @type {typeof values[number]} */ v) => changed.some((c) => c.flow === v.flow && c.side === v.side && c.customerp === v.customerp && c.property === v.property);
    let back = 0;
    for (const v of values) {
      if (isChanged(v)) continue;
      assert.deepEqual(await valueNow(t, v.flow, v.side, v.customerp, v.chargebee, v.property), norm(v.from), `${v.flow} ${v.customerp} ${v.side} ${v.property} is back`);
      back++;
    }
    assert.ok(back >= 25, `${back} values back`);
    // The changed ones were left as they are, each an undo item with both values.
    const items = await new Inbox(t.host.store).list({ kind: "undo" });
    for (const c of changed) {
      assert.equal(await valueNow(t, c.flow, /** @type {any} */ (c.side), c.customerp, await link(c.flow, c.customerp), c.property), c.value, `${c.property} kept its new value`);
      const item = items.find((i) => i.flow === c.flow && i.customerpId === c.customerp && i.property === c.property && i.detail.side === c.side);
      assert.ok(item, `an undo item for ${c.flow} ${c.customerp} ${c.property}: ${JSON.stringify(items.map((i) => i.message))}`);
      const wrote = values.find((v) => v.flow === c.flow && v.side === c.side && v.customerp === c.customerp && v.property === c.property)?.to;
      assert.equal(item.detail.now, c.value);
      assert.equal(item.detail.wrote, wrote);
      assert.ok(item.message.includes(`wrote ${JSON.stringify(wrote)}, `) && item.message.includes(`holds ${JSON.stringify(c.value)} now`), item.message);
    }
    assert.equal(undo.report.skipped.length, changed.length);
    // The records the run created: released (marked, deactivated, archived; none deleted), their pairs held.
    const site = t.servers.chargebee.site;
    assert.equal(site.tables.customer.get(cbCustomer)?.data.meta_data?.customerp?.deleted, true, "the Chargebee customer is marked, not deleted");
    assert.equal(site.tables.customer.get(cbCustomer)?.data.deleted, false);
    assert.equal((await t.host.customerp.get("contacts", /** @type {string} */ (cpContact)))?.record.is_active, false, "the Customerp contact is deactivated");
    assert.equal(site.tables.item.get(item)?.data.status, "archived", "the item is archived");
    for (const [flow, side, id] of /** @type {const} */ ([["contact-customer", "customerp", made.contact], ["contact-customer", "chargebee", made.customer], ["product-item", "customerp", made.product]])) {
      assert.equal(side === "customerp" ? await t.host.store.linkByCustomerp(flow, id) : await t.host.store.linkByChargebee(flow, id), undefined, `${flow} ${side} ${id}: the link ended`);
      assert.match(String((await t.host.store.hold(flow, side, id))?.reason), new RegExp(`the undo of run ${run.run}`), `${flow} ${side} ${id} is held`);
    }
    assert.equal(undo.report.released.length, 3);
    // The undo's writes are journaled as the undo of that run.
    const undone = await journal.undoneOf(run.run);
    assert.ok(undone.length > 0 && undone.every((r) => r.run === undo.summary.run && r.action.startsWith("undo ")), JSON.stringify(undone.map((r) => [r.run, r.action])));
    assert.ok((await t.host.store.runs()).some((r) => r.id === undo.summary.run && r.summary?.undoOf === run.run), "the run table has the undo, naming the run it took back");

    // The next sync neither copies the old values back nor reports them as conflicts; nothing is copied again.
    const next = await t.host.sync.run();
    assert.equal(writes(next), 0, JSON.stringify(next.requests));
    assert.equal(total(next, "conflicts"), 0);
    assert.equal(total(next, "errors"), 0);
    // The undo run again writes nothing.
    const again = await undoRun(t.host, { run: run.run });
    assert.equal(writes(again.summary), 0, JSON.stringify(again.summary.requests));
    assert.deepEqual(again.report.values, []);
    assert.equal(writes(await t.host.sync.run()), 0);

    // history shows the run and the undo, with the values.
    const h = await pairHistory(t.host, { flow: "contact-customer", record: "customerp:4" });
    const ofRun = h.entries.filter((e) => e.run === run.run && e.source === "write");
    const ofUndo = h.entries.filter((e) => e.run === undo.summary.run && e.source === "write");
    assert.ok(ofRun.length >= 1 && ofUndo.length >= 1, JSON.stringify(h.entries.map((e) => [e.run, e.what])));
    assert.ok(ofUndo.every((e) => e.undoOf === run.run && e.what.startsWith("undo ")));
    assert.ok(h.entries.indexOf(ofUndo[0]) < h.entries.indexOf(ofRun[0]), "newest first");
    const phone = ofUndo.flatMap((e) => e.changes).find((c) => c.property === "phone");
    assert.deepEqual([phone?.from, phone?.to, phone?.reason], ["+47 400 00 101", "+44 7700 900123", "undo"]);
    const skippedLog = (await pairHistory(t.host, { flow: "contact-customer", record: "customerp:1" })).entries.find((e) => e.source === "log" && e.what === "undo");
    assert.match(String(skippedLog?.message), /first_name not put back in Chargebee/);
  } finally {
    await t.close();
  }
});

test("undo of one pair; a dry run lists exactly the requests the undo sends, and changes nothing", { timeout: 120_000 }, async () => {
  const t = await setup();
  try {
    await settled(t);
    await edits(t);
    const run = await t.host.sync.run();
    const before = await dumpStore(t.host.store);
    const dryPair = await undoRun(t.host, { run: run.run, flow: "contact-customer", record: "customerp:4", dryRun: true });
    const dryAll = await undoRun(t.host, { run: run.run, dryRun: true });
    assert.deepEqual(await dumpStore(t.host.store), before, "a dry run leaves the store as it was");
    assert.equal(writes(dryAll.summary), 0);

    // One pair: only its writes, all of them back.
    const pair = await undoRun(t.host, { run: run.run, flow: "contact-customer", record: "customerp:4" });
    const journal = new Journal(t.host.store);
    const sent = await journal.ofRun(pair.summary.run);
    assert.ok(sent.length >= 2 && sent.every((r) => r.flow === "contact-customer" && r.customerp === "4"), JSON.stringify(sent.map((r) => [r.flow, r.customerp])));
    const site = t.servers.chargebee.site;
    assert.equal(site.tables.customer.get("cp-contact-4")?.data.first_name, "Zoë", "the value the run wrote to Chargebee is back");
    assert.equal((await t.host.customerp.get("contacts", "4"))?.record.first_name, "Zoe", "Customerp keeps the edit the run copied");
    assert.equal(site.tables.customer.get("cp-contact-5")?.data.first_name, "Claire", "another pair of the run is left as it is");
    const requests = (/** @type {{ method: string | null, path: string | null, params: unknown }[]} */ xs) =>
      xs.filter((x) => x.method).map((x) => JSON.stringify([x.method, x.path, x.params])).sort();
    assert.deepEqual(requests(sent), requests(dryPair.summary.planned), "the pair's dry run listed what its undo sent");

    // The rest of the run: what the dry run listed, less the pair undone since.
    const rest = await undoRun(t.host, { run: run.run });
    const restSent = await journal.ofRun(rest.summary.run);
    const listed = dryAll.summary.planned.filter((p) => !(p.flow === "contact-customer" && p.customerpId === "4"));
    assert.ok(restSent.length >= 10, `${restSent.length} requests`);
    assert.deepEqual(requests(restSent), requests(listed), "the dry run listed exactly the requests the undo sent");
    assert.equal(writes(await t.host.sync.run()), 0);
  } finally {
    await t.close();
  }
});

test("an undo killed halfway and run again: no value written twice, none lost", { timeout: 120_000 }, async () => {
  for (const crashAt of [1, 4]) {
    const t = await setup();
    try {
      await settled(t);
      await edits(t);
      const run = await t.host.sync.run();
      const values = valuesOf((await new Journal(t.host.store).ofRun(run.run)).filter((r) => r.outcome === "ok"));
      let n = 0;
      const hooks = { afterChargebeeRequest: crashOnce(() => ++n === crashAt) };
      await assert.rejects(undoRun(t.host, { run: run.run, hooks }), /simulated crash/);
      const second = await undoRun(t.host, { run: run.run });
      assert.equal(second.exitCode, 0);
      // Every request of both undo runs: no value written twice, no record released twice.
      const undone = (await new Journal(t.host.store).undoneOf(run.run)).filter((r) => r.outcome === "ok");
      assert.ok(new Set(undone.map((r) => r.run)).size === 2, "both undo runs wrote");
      const keys = undone.flatMap((r) => (r.changes.length ? r.changes.map((c) => `${r.flow}|${r.customerp}|${r.chargebee}|${c.side}|${c.property}|${c.chargebee}`) : [`${r.flow}|${r.customerp}|${r.chargebee}|${r.side}|${r.path}`]));
      assert.equal(new Set(keys).size, keys.length, `written twice: ${keys.filter((k, i) => keys.indexOf(k) !== i)}`);
      for (const v of values) assert.deepEqual(await valueNow(t, v.flow, v.side, v.customerp, v.chargebee, v.property), norm(v.from), `crash at ${crashAt}: ${v.flow} ${v.customerp} ${v.side} ${v.property} is back`);
      assert.equal(writes(await t.host.sync.run()), 0, `crash at ${crashAt}: the next sync writes nothing`);
    } finally {
      await t.close();
    }
  }
});

test("the guard's limits apply to an undo: releasing many records a run created waits for confirm", { timeout: 120_000 }, async () => {
  const t = await setup();
  try {
    await settled(t);
    for (let i = 0; i < 12; i++) {
      await t.host.customerp.create("contacts", { first_name: `Ny${i}`, last_name: "Kunde", email: `ny${i}@kunde.example`, is_active: true });
    }
    const run = await t.host.sync.run();
    assert.equal(/** @type {any} */ (run.flows["contact-customer"]).created.chargebee, 12);
    const stopped = await undoRun(t.host, { run: run.run });
    assert.equal(stopped.exitCode, 3);
    assert.equal(writes(stopped.summary), 0, "nothing of the flow was written");
    const [g] = stopped.report.guard;
    assert.equal(g.flow, "contact-customer");
    assert.ok(g.counts.links === 12 && g.counts.chargebee === 12, JSON.stringify(g.counts));
    assert.equal(stopped.report.released.length, 0);
    const item = await new Inbox(t.host.store).get(g.item);
    assert.equal(item?.kind, "guard");
    assert.match(String(item?.message), new RegExp(`the guard stopped the undo of run ${run.run} in contact-customer`));
    // A sync in between is not let through by this item, nor does it use it.
    assert.equal(writes(await t.host.sync.run()), 0);
    const { confirmItem } = await import("../src/app/actions/resolve.mjs");
    await confirmItem(t.host, { id: g.item });
    const through = await undoRun(t.host, { run: run.run });
    assert.equal(through.exitCode, 0);
    assert.equal(through.report.released.length, 12);
    assert.match(String((await new Inbox(t.host.store).get(g.item))?.resolution), new RegExp(`used in run ${through.summary.run}`));
    assert.equal(writes(await t.host.sync.run()), 0, "the next sync copies none of them again");
  } finally {
    await t.close();
  }
});

test("undo through bin/sync.mjs: --json, exit codes", { timeout: 120_000 }, async () => {
  const servers = await startLocalServers({ rateLimit: { limit: 100_000, windowMs: 60_000 } });
  const dir = mkdtempSync(join(tmpdir(), "host-example-undo-"));
  try {
    const db = await testDb(dir);
    const host = await localSync({ chargebeeUrl: servers.chargebee.url, customerpUrl: servers.customerp.url, db });
    const t = /** @type {T} */ (/** @type {unknown} */ ({ host, servers }));
    await settled(t);
    await host.customerp.update("contacts", "1", { phone: "+47 913 00 000" });
    const run = await host.sync.run();
    await host.store.close();
    const env = {
      PATH: process.env.PATH ?? "", CHARGEBEE_SITE: servers.chargebee.url, CHARGEBEE_API_KEY: LOCAL_API_KEY, CHARGEBEE_RATE_LIMIT: "100000",
      CUSTOMERP_URL: servers.customerp.url, CUSTOMERP_TOKEN: LOCAL_TOKEN, SYNC_DB: db, SYNC_OPTIONS: JSON.stringify(DEMO_OPTIONS),
    };
    const cli = (/** @type {string[]} */ args) => new Promise((resolve) => {
      execFile(process.execPath, [SYNC, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }));
    });
    const dry = /** @type {any} */ (await cli(["undo", "--run", String(run.run), "--dry-run", "--json"]));
    assert.equal(dry.code, 0, dry.stderr);
    const planned = JSON.parse(dry.stdout);
    assert.equal(planned.dryRun, true);
    assert.deepEqual(planned.planned.map((/** @type {any} */ p) => [p.method, p.path, p.params]), [["POST", "/customers/cp-contact-1", { phone: "+47 912 34 567" }]]);
    const real = /** @type {any} */ (await cli(["undo", "contact-customer", "customerp:1", "--run", String(run.run), "--json"]));
    assert.equal(real.code, 0, real.stderr);
    const out = JSON.parse(real.stdout);
    assert.equal(out.undoOf, run.run);
    assert.deepEqual(out.values.map((/** @type {any} */ v) => [v.side, v.property, v.from, v.to]), [["chargebee", "phone", "+47 913 00 000", "+47 912 34 567"]]);
    assert.equal(servers.chargebee.site.tables.customer.get("cp-contact-1")?.data.phone, "+47 912 34 567");
    const text = /** @type {any} */ (await cli(["undo", "--run", String(run.run)]));
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^undo of run ${run.run} \\(run \\d+\\): 0 values put back`));
    for (const [args, why] of /** @type {const} */ ([
      [["undo", "--run", "9999"], /no run 9999/], [["undo"], /undo takes --run <runId>/], [["undo", "--run", String(out.run)], /is the undo of run/],
      [["undo", "no-such-flow", "customerp:1", "--run", String(run.run)], /unknown flow/], [["undo", "contact-customer", "--run", "1"], /usage: node bin\/sync.mjs undo/],
    ])) {
      const r = /** @type {any} */ (await cli([...args]));
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, why);
    }
  } finally {
    await servers.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
