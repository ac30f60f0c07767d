// The operator's commands end to end: bin/sync.mjs against both local servers (exit codes, the run
// lock, network errors, configuration), and the actions behind them in process (dry run, inbox,
// link, unlink, resolve, retry, explain, guard, confirm, drift).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LOCAL_API_KEY, LOCAL_TOKEN, startLocalServers } from "../src/local/servers.mjs";
import { Store } from "../src/app/store/store.mjs";
import { acquireLock } from "../src/app/lock.mjs";
import { runOnce } from "../src/app/actions/run.mjs";
import { live, setup, total, testDb, rows, dumpStore } from "./helpers.mjs";
import { FLOWS } from "../src/app/flows.mjs";

const SYNC = fileURLToPath(new URL("../bin/sync.mjs", import.meta.url));

/** @param {string[]} args @param {Record<string, string>} env @returns {Promise<{ code: number, stdout: string, stderr: string, ms: number }>} */
export function cli(args, env) {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [SYNC, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr, ms: Date.now() - t0 }));
  });
}

/** Both servers and the environment of a CLI run against them, with a store file in a fresh folder. */
export async function cliSetup() {
  const servers = await startLocalServers({ rateLimit: { limit: 100_000, windowMs: 60_000 } });
  const dir = mkdtempSync(join(tmpdir(), "host-example-commands-"));
  const env = {
    CHARGEBEE_SITE: servers.chargebee.url, CHARGEBEE_API_KEY: LOCAL_API_KEY, CHARGEBEE_RATE_LIMIT: "100000", CUSTOMERP_URL: servers.customerp.url,
    CUSTOMERP_TOKEN: LOCAL_TOKEN, SYNC_DB: (await testDb(dir)), SYNC_TIME_ZONE: "Europe/Oslo",
    SYNC_OWN_COMPANY_NAME: "Fjordvik Handel AS", SYNC_ITEM_FAMILY_ID: "customerp-products",
  };
  return {
    servers, dir, env,
    async close() {
      await servers.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port nothing listens on. */
async function closedPort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", () => r(undefined)));
  const port = /** @type {import("node:net").AddressInfo} */ (srv.address()).port;
  await new Promise((r) => srv.close(() => r(undefined)));
  return port;
}

test("exit 2: an unknown flow lists the valid ids, a bad option or command names itself, and nothing runs", async () => {
  const t = await cliSetup();
  try {
    const typo = await cli(["run", "--flows", "contcat-customer"], t.env);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /unknown flow "contcat-customer"; valid flows: customer-business_entity, product-item, contact-customer, employee-customer, quote-order, order-order/);
    const noCommand = await cli(["--flows", "contcat-customer"], t.env);
    assert.equal(noCommand.code, 2, "no command is a run, with the same checks");
    assert.equal((await cli(["frobnicate"], t.env)).code, 2);
    const badOption = await cli(["inbox", "--colour"], t.env);
    assert.equal(badOption.code, 2);
    assert.match(badOption.stderr, /Unknown option '--colour'[\s\S]*usage: node bin\/sync.mjs inbox/);
    assert.equal((await cli(["inbox", "--kind", "conflicts"], t.env)).code, 2);
    const missing = await cli(["run"], { ...t.env, CHARGEBEE_API_KEY: "" });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /set CHARGEBEE_API_KEY/);
    assert.equal(t.servers.chargebee.site.tables.customer.size, 9, "nothing was synced");
    for (const cmd of ["run", "inbox", "link", "unlink", "resolve", "retry", "explain", "confirm"]) {
      const help = await cli([cmd, "--help"], {});
      assert.equal(help.code, 0, cmd);
      assert.match(help.stdout, new RegExp(`usage: node bin/sync.mjs ${cmd}`));
    }
  } finally {
    await t.close();
  }
});

test("SYNC_CONFIG: an unknown key or a bad value names the file, the key's path and what is allowed (exit 2)", async () => {
  const t = await cliSetup();
  try {
    const file = join(t.dir, "sync.json");
    const tryConfig = async (/** @type {unknown} */ json) => {
      writeFileSync(file, JSON.stringify(json));
      return cli(["run"], { ...t.env, SYNC_CONFIG: file });
    };
    let r = await tryConfig({ flows: { "contact-customer": { options: { conflict: "newest" } } } });
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(`${file}: flows.contact-customer.options.conflict (flow contact-customer): unknown option "conflict"`), r.stderr);
    r = await tryConfig({ defaults: { deletes: "sometimes" } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /defaults \(or SYNC_OPTIONS\)\.deletes .*"sometimes" is not one of "safe", "propagate", "ignore"/);
    r = await cli(["run"], { ...t.env, SYNC_ORDERS: "generated" });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /SYNC_OPTIONS\.orders .*"generated" is not one of "create", "chargebee"/);
    r = await tryConfig({ guard: { max: -1 } });
    assert.match(r.stderr, /guard\.max: expected a whole number ≥ 0/);
    r = await tryConfig({ flows: { "contcat-customer": {} } });
    assert.match(r.stderr, /flows\.contcat-customer: unknown flow; valid: customer-business_entity/);
    r = await tryConfig({ flow: {} });
    assert.match(r.stderr, /flow: unknown key; allowed: defaults, flows, guard/);
    writeFileSync(file, "{ not json");
    r = await cli(["run"], { ...t.env, SYNC_CONFIG: file });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not JSON/);
    assert.equal(t.servers.chargebee.site.tables.customer.size, 9);
  } finally {
    await t.close();
  }
});

test("exit 5: a refused connection fails at once and names the system and the URL without credentials; so does a refused key", async () => {
  const t = await cliSetup();
  try {
    const port = await closedPort();
    const r = await cli(["run"], { ...t.env, CHARGEBEE_SITE: `http://someone:s3cret@127.0.0.1:${port}` });
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, new RegExp(`sync failed: Chargebee could not be reached at http://127\\.0\\.0\\.1:${port}/api/v2/\\S+: ECONNREFUSED`));
    assert.ok(!r.stderr.includes("s3cret") && !r.stdout.includes("s3cret"), "no credentials from the URL in the output");
    assert.ok(r.ms < 5000, `failed fast (${r.ms} ms), not after eight back-offs`);
    const cp = await cli(["run"], { ...t.env, CUSTOMERP_URL: `http://127.0.0.1:${port}` });
    assert.equal(cp.code, 5);
    assert.match(cp.stderr, /Customerp could not be reached at http:\/\/127\.0\.0\.1:\d+\/api\/\S+: ECONNREFUSED/);
    const badToken = await cli(["run"], { ...t.env, CUSTOMERP_TOKEN: "wrong-token" });
    assert.equal(badToken.code, 5);
    assert.match(badToken.stderr, /Customerp refused the credentials at http:\/\/127\.0\.0\.1:\d+\/api\/\S+: .*401/);
    assert.ok(!badToken.stderr.includes("wrong-token"));
  } finally {
    await t.close();
  }
});

test("exit 4: the run lock names its holder; --wait waits for it; a crashed holder does not block", async () => {
  const t = await cliSetup();
  try {
    const store = await Store.open(t.env.SYNC_DB);
    const release = await acquireLock(store);
    const r = await cli(["run"], t.env);
    assert.equal(r.code, 4);
    assert.match(r.stderr, new RegExp(`locked by another run: pid ${process.pid} on \\S+, started \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z`));
    const waited = await cli(["run", "--wait", "1"], t.env);
    assert.equal(waited.code, 4);
    assert.ok(waited.ms >= 1000, "it waited a second first");
    const pending = cli(["run", "--wait", "20"], t.env);
    await new Promise((res) => setTimeout(res, 700));
    await release();
    const after = await pending;
    assert.equal(after.code, 0, after.stderr);
    assert.match(after.stdout, /contact-customer +read 9\/9/);
    // a holder that died: its pid is gone
    const hold = async (/** @type {Record<string, unknown>} */ who) => {
      for (const f of FLOWS) {
        await store.k.updateTable("leases").set({ holder: "x", token: 99, ...who }).where("tenant", "=", "").where("name", "=", f.id).execute();
      }
    };
    await hold({ pid: 2 ** 22 + 12345, host: (await import("node:os")).hostname(), started: new Date().toISOString(), heartbeat: Date.now() });
    const taken = await cli(["run"], t.env);
    assert.equal(taken.code, 0, taken.stderr);
    // a holder elsewhere whose heartbeat stopped a while ago
    await hold({ pid: 1, host: "other-host", started: new Date(Date.now() - 3_600_000).toISOString(), heartbeat: Date.now() - 3_600_000 });
    assert.equal((await cli(["run"], t.env)).code, 0);
    assert.deepEqual(await rows(store, "SELECT name FROM leases WHERE holder IS NOT NULL"), [], "released after the run");
    await store.close();
  } finally {
    await t.close();
  }
});

test("exit 1 when a record failed: it is an error item, and the item closes itself when the record plans cleanly", async () => {
  const t = await cliSetup();
  try {
    const db = t.servers.customerp.db;
    const bad = db.create("contacts", { first_name: "Ugo", last_name: "Bad", email: "not-an-email", is_active: true, customer_id: null });
    const r = await cli(["run"], t.env);
    assert.equal(r.code, 1, r.stderr);
    const inbox = JSON.parse((await cli(["inbox", "--json", "--kind", "error"], t.env)).stdout);
    assert.equal(inbox.length, 1);
    assert.equal(inbox[0].customerpId, bad.record.id);
    assert.match(inbox[0].message, /invalid_value at \/customerp\/email/);
    db.update("contacts", bad.record.id, { email: "ugo.bad@example.com" }, undefined);
    const fixed = await cli(["run"], t.env);
    assert.equal(fixed.code, 0, fixed.stdout);
    const all = JSON.parse((await cli(["inbox", "--json", "--all", "--kind", "error"], t.env)).stdout);
    assert.equal(all[0].state, "resolved");
    assert.match(all[0].resolution, /the cause is gone/);
  } finally {
    await t.close();
  }
});

/** Records every write the clients send, with the round of the pair's plan that sent it. @param {Awaited<ReturnType<typeof import("../src/local/servers.mjs").localSync>>} host */
function recordWrites(host) {
  /** @type {{ side: string, method: string, path: string, body: unknown, round: number }[]} */
  const sent = [];
  let round = 0;
  const cb = host.chargebee;
  const send = cb.send.bind(cb);
  cb.send = async (method, path, params, o) => {
    if (method === "POST") sent.push({ side: "chargebee", method, path, body: params, round });
    return send(method, path, params, o);
  };
  const cp = host.customerp;
  const create = cp.create.bind(cp);
  const update = cp.update.bind(cp);
  const remove = cp.remove.bind(cp);
  cp.create = async (type, record, key) => (sent.push({ side: "customerp", method: "POST", path: `/api/${type}`, body: record, round }), create(type, record, key));
  cp.update = async (type, id, changes, etag) => (sent.push({ side: "customerp", method: "PATCH", path: `/api/${type}/${id}`, body: changes, round }), update(type, id, changes, etag));
  cp.remove = async (type, id, etag) => (sent.push({ side: "customerp", method: "DELETE", path: `/api/${type}/${id}`, body: null, round }), remove(type, id, etag));
  return { sent, hooks: { beforeExecute: (/** @type {{ round: number }} */ e) => void (round = e.round) } };
}

/** A planned param with `$result` matches whatever the earlier answer held. @param {unknown} planned @param {unknown} sent @returns {boolean} */
function sameRequest(planned, sent) {
  if (planned && typeof planned === "object" && "$result" in planned) return sent !== undefined;
  if (Array.isArray(planned)) return Array.isArray(sent) && planned.length === sent.length && planned.every((p, i) => sameRequest(p, sent[i]));
  if (planned && typeof planned === "object") {
    const s = /** @type {Record<string, unknown>} */ (sent ?? {});
    const keys = new Set([...Object.keys(planned), ...Object.keys(s)]);
    return [...keys].every((k) => sameRequest(/** @type {any} */ (planned)[k], s[k]));
  }
  return planned === sent;
}

test("a dry run sends no write and changes nothing in the store; a real run from the same state sends exactly the listed writes", async () => {
  const t = await setup({ concurrency: 1 }); // one pair at a time: each write is counted in the round of its pair's plan
  try {
    for (const step of ["first sync", "after edits"]) {
      const before = await dumpStore(t.host.store);
      const counts = { cb: t.host.chargebee.counters.writes, cp: t.host.customerp.counters.writes };
      const dry = await runOnce(t.host, { dryRun: true });
      assert.equal(t.host.chargebee.counters.writes, counts.cb, `${step}: no Chargebee write`);
      assert.equal(t.host.customerp.counters.writes, counts.cp, `${step}: no Customerp write`);
      assert.deepEqual(await dumpStore(t.host.store), before, `${step}: the store is unchanged`);
      assert.equal(dry.summary.dryRun, true);
      const listed = dry.summary.planned.filter((p) => p.method && !p.followUp);
      assert.ok(listed.length > 0, step);
      for (const p of dry.summary.planned) assert.ok(p.reason !== undefined && Array.isArray(p.changes) && "params" in p);

      const rec = recordWrites(t.host);
      const real = await runOnce(t.host, { hooks: rec.hooks });
      assert.equal(total(real.summary, "errors"), 0);
      const first = rec.sent.filter((s) => s.round === 0);
      const unmatched = [...first];
      for (const p of listed) {
        const at = unmatched.findIndex((s) => s.side === p.side && s.method === p.method && s.path === p.path && sameRequest(p.params, s.body));
        assert.ok(at >= 0, `${step}: the real run sent the listed ${p.side} ${p.method} ${p.path} ${JSON.stringify(p.params)}`);
        unmatched.splice(at, 1);
      }
      // what the real run sent beyond the list is what the list named as follow-ups
      const followUps = dry.summary.planned.filter((p) => p.followUp);
      for (const s of unmatched) {
        assert.ok(followUps.some((f) => f.side === s.side || f.action === "follow-up"), `${step}: ${s.side} ${s.method} ${s.path} was listed as a follow-up`);
      }
      console.log(`# ${step}: ${listed.length} listed, ${first.length} sent in first plans, ${rec.sent.length} in all, ${unmatched.length} beyond the list, ${followUps.length} follow-ups`);
      assert.ok(unmatched.length <= followUps.length, `${step}: ${unmatched.length} writes beyond the list, ${followUps.length} follow-ups listed`);
      if (step === "first sync") {
        await t.host.customerp.update("contacts", "1", { phone: "+47 913 00 000" });
        await t.host.customerp.update("products", "1", { price: "1350.00" });
        const cbId = (await t.host.store.linkByCustomerp("contact-customer", "2"))?.chargebee_id;
        await t.host.chargebee.send("POST", `/customers/${cbId}`, { last_name: "Mueller" });
      }
    }
  } finally {
    await t.close();
  }
});

test("exit 3: the guard stops a flow about to mark most of its customers deleted; confirm lets the next run through once", async () => {
  const t = await cliSetup();
  try {
    const file = join(t.dir, "sync.json");
    writeFileSync(file, JSON.stringify({ guard: { max: 3, percent: 5 } }));
    const env = { ...t.env, SYNC_CONFIG: file };
    assert.equal((await cli(["run"], env)).code, 0);
    const db = t.servers.customerp.db;
    for (const id of ["1", "2", "3", "5", "7"]) db.remove("contacts", id, undefined); // an export that came back nearly empty
    const marked = () => live(t.servers.chargebee.site, "customer").filter((c) => c.meta_data?.customerp?.deleted === true).length;
    const stopped = await cli(["run"], env);
    assert.equal(stopped.code, 3, stopped.stdout + stopped.stderr);
    assert.match(stopped.stdout, /GUARD contact-customer: 5 chargebee, 5 links destructive actions planned for 9 linked pairs: nothing of this flow was written \(inbox item (\d+)/);
    assert.equal(marked(), 0, "nothing of the flow was written");
    const [guard] = JSON.parse((await cli(["inbox", "--json", "--kind", "guard"], env)).stdout);
    assert.equal(guard.flow, "contact-customer");
    assert.deepEqual(guard.detail.counts, { chargebee: 5, links: 5 });
    assert.equal(guard.detail.examples.length, 10);
    assert.match(guard.detail.examples[0].what, /chargebee: mark deleted \S+/);
    assert.equal((await cli(["run"], env)).code, 3, "still stopped on the next run: the same item");
    assert.equal(JSON.parse((await cli(["inbox", "--json", "--kind", "guard"], env)).stdout).length, 1);
    assert.equal((await cli(["confirm", "999"], env)).code, 2);
    const ok = await cli(["confirm", String(guard.id)], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /confirmed by a person/);
    const through = await cli(["run"], env);
    assert.equal(through.code, 0, through.stdout);
    assert.equal(marked(), 5, "the confirmed run marked them");
    const after = JSON.parse((await cli(["inbox", "--json", "--all", "--kind", "guard"], env)).stdout)[0];
    assert.match(after.resolution, /confirmed by a person.*; used in run \d+/);
    // once: the next mass change is stopped again
    for (const id of ["4", "10", "11", "12"]) db.remove("contacts", id, undefined);
    assert.equal((await cli(["run"], env)).code, 3);
  } finally {
    await t.close();
  }
});

test("progress lines: without a TTY a line every 1,000 records with read, planned, written, rate and ETA", async () => {
  const t = await cliSetup();
  try {
    const db = t.servers.customerp.db;
    for (let i = 0; i < 1200; i++) db.create("contacts", { first_name: "Test", last_name: `Kontakt ${i}`, email: `kontakt${i}@example.com`, is_active: true, language: "nb-NO" });
    const r = await cli(["run", "--flows", "contact-customer"], t.env);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n").filter((l) => l.startsWith("  … contact-customer"));
    assert.ok(lines.length >= 2, r.stdout.slice(0, 2000));
    assert.ok(lines.some((l) => /read 1218 · planned 1000\/(\d+) · written 0\/\1 · [\d.]+\/s · ETA \d+ s/.test(l)), lines.join("\n"));
    assert.ok(lines.some((l) => /read 1218 · planned (\d+)\/\1 · written 1000\/\1 · [\d.]+\/s · ETA \d+ s/.test(l)), lines.join("\n"));
  } finally {
    await t.close();
  }
});

test("progress on a TTY: one line rewritten in place, at least every 2 s", async () => {
  const { ProgressReporter } = await import("../src/app/report.mjs");
  let now = 0;
  /** @type {string[]} */
  const written = [];
  const p = new ProgressReporter({ tty: true, write: (s) => written.push(s), now: () => now });
  const at = (/** @type {number} */ ms, /** @type {number} */ done) => {
    now = ms;
    p.update({ flow: "contact-customer", phase: "write", read: 400, planned: 200, written: done, total: 200 });
  };
  at(500, 10);
  at(1900, 30);
  assert.equal(written.length, 0, "not before 2 s");
  at(2100, 40);
  at(4200, 80);
  assert.equal(written.length, 2);
  assert.ok(written.every((w) => w.startsWith("\r\x1b[2K")), "rewritten in place");
  assert.match(written[1], /read 400 · planned 200\/200 · written 80\/200 · 22\/s · ETA 6 s/);
  p.clear();
  assert.equal(written.at(-1), "\r\x1b[2K");
});

test("link, explain, retry, resolve and unlink through bin/sync.mjs print what their actions return", async () => {
  const t = await cliSetup();
  try {
    assert.equal((await cli(["run"], t.env)).code, 0);
    const inbox = JSON.parse((await cli(["inbox", "--json"], t.env)).stdout);
    const amb = inbox.find((/** @type {any} */ i) => i.kind === "ambiguous");
    const link = await cli(["link", "contact-customer", "8", "AzZj6kUbTE5g9hN7", "--keep", "customerp"], t.env);
    assert.equal(link.code, 0, link.stderr);
    assert.match(link.stdout, new RegExp(`linked in contact-customer: Customerp 8 ⇄ Chargebee AzZj6kUbTE5g9hN7 \\(differing values: customerp's\\)[\\s\\S]*resolved inbox item ${amb.id}[\\s\\S]*still held: customerp 9`));
    const again = await cli(["link", "contact-customer", "8", "AzZj6kUbTE5g9hN7"], t.env);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /Customerp 8 is already linked in contact-customer, to Chargebee AzZj6kUbTE5g9hN7/);
    const ex = await cli(["explain", "contact-customer", "customerp:8"], t.env);
    assert.equal(ex.code, 0, ex.stderr);
    assert.match(ex.stdout, /linked \(hand\), never synced[\s\S]*first_name +Ola +Nordlys +conflict: customerp wins \(conflicts: customerp\)/);
    assert.match(ex.stdout, /the next run would send:[\s\S]*POST \/customers\/AzZj6kUbTE5g9hN7\n +first_name: "Nordlys" → "Ola"/);
    const json = JSON.parse((await cli(["explain", "contact-customer", "chargebee:AzZj6kUbTE5g9hN7", "--json"], t.env)).stdout);
    assert.equal(json.link.customerp, "8");
    assert.ok(json.rows.length > 10 && json.writes.length === 1);
    const retry = await cli(["retry", "quote-order", "customerp:4"], t.env);
    assert.equal(retry.code, 0, retry.stderr);
    assert.match(retry.stdout, /quote-order customerp:4: created 0\/1 .* waiting 0 · errors 0\n  linked: Customerp 4 ⇄ Chargebee cp-quote-4\n  requests sent: .* Chargebee \d+ reads, 3 writes/);
    const conflict = inbox.find((/** @type {any} */ i) => i.kind === "conflict" && i.customerpId === "7");
    const keep = await cli(["resolve", String(conflict.id), "--keep", "chargebee"], t.env);
    assert.equal(keep.code, 0, keep.stderr);
    assert.match(keep.stdout, /conflict, decided \(overridden: keep chargebee's value "fr"; the next run writes it\)/);
    assert.equal((await cli(["resolve", String(conflict.id)], t.env)).code, 2, "one of --keep, --done, --dismiss");
    assert.equal((await cli(["run"], t.env)).code, 0);
    assert.equal(t.servers.customerp.db.get("contacts", "7")?.record.language, "fr");
    const unlink = await cli(["unlink", "contact-customer", "7"], t.env);
    assert.equal(unlink.code, 0, unlink.stderr);
    assert.match(unlink.stdout, /unlinked in contact-customer: Customerp 7 and Chargebee AzZj2gUbTA1c5dN3 are kept apart/);
    const held = await cli(["retry", "contact-customer", "customerp:7"], t.env);
    assert.match(held.stdout, /not linked: unlinked by hand from AzZj2gUbTA1c5dN3/);
    assert.equal((await cli(["unlink", "contact-customer", "7"], t.env)).code, 2);
  } finally {
    await t.close();
  }
});

test("SYNC_CONFIG mappings: a custom field and vat_number reach Chargebee, explain shows them as mapped; a bad row is exit 2", async () => {
  const t = await cliSetup();
  try {
    const file = join(t.dir, "sync.json");
    const rows = [
      { customerp: "vat_number", chargebee: "vat_number", type: "string" },
      { customerp: "segment", chargebee: "cf_segment", type: "enum", values: ["smb", "enterprise", "public"] },
    ];
    writeFileSync(file, JSON.stringify({ flows: { "contact-customer": { options: { mappings: { "contact-customer": rows } } } } }));
    const env = { ...t.env, SYNC_CONFIG: file };
    const run = await cli(["run"], env);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const site = t.servers.chargebee.site;
    const ase = live(site, "customer").find((c) => c.email === "ase.odegard@nordlys.example");
    assert.deepEqual([ase?.vat_number, ase?.cf_segment], ["NO923456789MVA", "enterprise"], JSON.stringify(ase));
    const ex = await cli(["explain", "contact-customer", "customerp:1"], env);
    assert.equal(ex.code, 0, ex.stderr);
    assert.match(ex.stdout, /vat_number \(mapped\)\s+NO923456789MVA\s+NO923456789MVA\s+NO923456789MVA\s+equal/);
    assert.match(ex.stdout, /segment \(mapped\)\s+enterprise\s+enterprise/);
    // An edit of the custom field in Chargebee reaches Customerp.
    site.updateCustomer(/** @type {string} */ (ase?.id), { cf_segment: "public" });
    assert.equal((await cli(["run"], env)).code, 0);
    assert.equal(t.servers.customerp.db.get("contacts", "1")?.record.segment, "public");
    // A row naming an attribute Chargebee does not have: exit 2, the key's path and what is allowed.
    writeFileSync(file, JSON.stringify({ flows: { "contact-customer": { options: { mappings: { "contact-customer": [{ ...rows[0], chargebee: "vat_nummer" }] } } } } }));
    const bad = await cli(["run"], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /flows\.contact-customer\.options\.mappings\.contact-customer\.0\.chargebee \(flow contact-customer\): "vat_nummer" is not an attribute .*allowed: first_name/);
  } finally {
    await t.close();
  }
});
