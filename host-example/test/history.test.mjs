// A pair's history (the journal's writes and the run log, newest first, with the ids the pair had before
// a relink), the journal's retention, and `history` through bin/sync.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setup, testDb, writes } from "./helpers.mjs";
import { DEMO_OPTIONS, LOCAL_API_KEY, LOCAL_TOKEN, localSync, startLocalServers } from "../src/local/servers.mjs";
import { pairHistory } from "../src/app/actions/history.mjs";
import { linkPair, unlinkPair } from "../src/app/actions/link.mjs";
import { DEFAULT_RETENTION_DAYS, Journal } from "../src/app/journal.mjs";
import { configFromEnv } from "../src/app/config.mjs";
import { printHistory } from "../src/app/report.mjs";

const SYNC = fileURLToPath(new URL("../bin/sync.mjs", import.meta.url));
const MUELLER = "AzZj1fUbT9Ab4cN2"; // the Chargebee customer contact 2 (Jürgen Müller) matches by e-mail

test("a pair's history: its writes with values and reasons, its conflicts, newest first, and the ids it had before a relink", { timeout: 120_000 }, async () => {
  const t = await setup();
  try {
    const first = await t.host.sync.run();
    await t.host.sync.run();
    await t.host.customerp.update("contacts", "2", { phone: "+49 221 111111" });
    const edit = await t.host.sync.run();
    let h = await pairHistory(t.host, { flow: "contact-customer", record: "customerp:2" });
    assert.deepEqual(h.link, { customerp: "2", chargebee: MUELLER });
    const [newest] = h.entries;
    assert.equal(newest.run, edit.run);
    assert.deepEqual([newest.source, newest.what, newest.side, newest.outcome], ["write", "update", "chargebee", "ok"]);
    assert.deepEqual(newest.changes.map((c) => [c.property, c.from, c.to, c.reason]), [["phone", "+49 221 987654", "+49 221 111111", "changed in customerp"]]);
    assert.ok(newest.row.idempotencyKey && newest.row.path === `/customers/${MUELLER}`, "the full row: request and key");
    const conflict = h.entries.find((e) => e.source === "log" && e.what === "conflict");
    assert.equal(conflict?.run, first.run);
    assert.equal(conflict?.property, "language");
    assert.match(String(conflict?.message), /Customerp "de-DE" vs Chargebee "de"/);
    const ats = h.entries.map((e) => e.at);
    assert.deepEqual(ats, [...ats].sort().reverse(), "newest first");

    // A relink: unlinked from its Chargebee customer, linked by hand to another, synced.
    await t.host.chargebee.send("POST", "/customers", { id: "mueller-neu", first_name: "Jürgen", last_name: "Müller", email: "j.mueller@neu.example" });
    await unlinkPair(t.host, { flow: "contact-customer", customerpId: "2" });
    await linkPair(t.host, { flow: "contact-customer", customerpId: "2", chargebeeId: "mueller-neu", keep: "customerp" });
    const relinked = await t.host.sync.run();
    h = await pairHistory(t.host, { flow: "contact-customer", record: "customerp:2" });
    assert.deepEqual(h.link, { customerp: "2", chargebee: "mueller-neu" });
    assert.deepEqual(h.ids.chargebee.sort(), [MUELLER, "mueller-neu"].sort(), "the Chargebee id before the relink is in its history");
    assert.ok(h.entries.some((e) => e.run === relinked.run && e.chargebee === "mueller-neu"));
    assert.ok(h.entries.some((e) => e.run === edit.run && e.chargebee === MUELLER));
    // From the old Chargebee id, no longer linked: the same history.
    const old = await pairHistory(t.host, { flow: "contact-customer", record: `chargebee:${MUELLER}` });
    assert.equal(old.link, null);
    assert.deepEqual(old.entries.map((e) => `${e.source}${e.id}`), h.entries.map((e) => `${e.source}${e.id}`));
    /** @type {string[]} */
    const lines = [];
    printHistory(old, (l) => lines.push(l));
    assert.match(lines[0], new RegExp(`Chargebee ${MUELLER} \\(not linked\\); ids in its history: Customerp 2 · Chargebee`));
    assert.ok(lines.some((l) => /phone +"\+49 221 987654" → "\+49 221 111111" +changed in customerp/.test(l)), lines.join("\n"));
    // An ambiguous record: its log entries name it in a list ("8,9").
    const amb = await pairHistory(t.host, { flow: "contact-customer", record: "customerp:9" });
    assert.ok(amb.entries.some((e) => e.what === "ambiguous" && e.customerp === "8,9"));
    // Nothing for a record the store never saw.
    assert.deepEqual((await pairHistory(t.host, { flow: "contact-customer", record: "customerp:no-such" })).entries, []);
    await assert.rejects(pairHistory(t.host, { flow: "no-such-flow", record: "customerp:2" }), /unknown flow/);
    await assert.rejects(pairHistory(t.host, { flow: "contact-customer", record: "2" }), /expected customerp:<id> or chargebee:<id>/);
  } finally {
    await t.close();
  }
});

test("the journal's retention: rows older than SYNC_JOURNAL_DAYS go at the end of a run, counted in its summary", { timeout: 60_000 }, async () => {
  const t = await setup();
  try {
    await t.host.sync.run();
    const journal = new Journal(t.host.store);
    const day = 86_400_000;
    // Two rows as a run long ago wrote them: past the retention, and just inside it.
    for (const [id, age] of [["old", DEFAULT_RETENTION_DAYS + 1], ["recent", DEFAULT_RETENTION_DAYS - 1]]) {
      const at = Date.now() - Number(age) * day;
      await t.host.store.k.insertInto("journal").values({ tenant: "", run: 0, at: new Date(at).toISOString(), at_ms: at, flow: "contact-customer",
        customerp_id: String(id), chargebee_id: null, side: "chargebee", action: "update", method: "POST", path: "/customers/x", params: "{}",
        idempotency_key: null, status: 200, outcome: "ok", error: null, version: null, changes: null, undo_of: null }).execute();
    }
    const rowsBefore = (await journal.ofIds("contact-customer", { customerp: ["old", "recent"], chargebee: [] })).length;
    assert.equal(rowsBefore, 2);
    const run = await t.host.sync.run();
    assert.deepEqual(run.journal, { pruned: 1, days: DEFAULT_RETENTION_DAYS });
    assert.deepEqual((await journal.ofIds("contact-customer", { customerp: ["old", "recent"], chargebee: [] })).map((r) => r.customerp), ["recent"]);
    assert.equal((await t.host.store.run(run.run))?.summary.journal.pruned, 1, "the run table keeps the count");
    assert.ok((await journal.ofRun(1)).length > 0, "this year's rows stay");

    // SYNC_JOURNAL_DAYS, or SYNC_CONFIG's journalDays; a bad value names itself.
    const base = { CHARGEBEE_SITE: "x", CHARGEBEE_API_KEY: "k", CUSTOMERP_URL: "http://127.0.0.1:1", CUSTOMERP_TOKEN: "t" };
    assert.equal(configFromEnv(base).journalDays, 90);
    assert.equal(configFromEnv({ ...base, SYNC_JOURNAL_DAYS: "30" }).journalDays, 30);
    const dir = mkdtempSync(join(tmpdir(), "host-example-retention-"));
    try {
      const file = join(dir, "sync.json");
      writeFileSync(file, JSON.stringify({ journalDays: 365 }));
      assert.equal(configFromEnv({ ...base, SYNC_CONFIG: file }).journalDays, 365);
      assert.equal(configFromEnv({ ...base, SYNC_CONFIG: file, SYNC_JOURNAL_DAYS: "7" }).journalDays, 7, "the variable over the file");
      writeFileSync(file, JSON.stringify({ journalDays: 0 }));
      assert.throws(() => configFromEnv({ ...base, SYNC_CONFIG: file }), /journalDays: expected a whole number from 1 to 36500/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.throws(() => configFromEnv({ ...base, SYNC_JOURNAL_DAYS: "ninety" }), /SYNC_JOURNAL_DAYS must be a whole number from 1 to 36500/);
  } finally {
    await t.close();
  }
});

test("history through bin/sync.mjs: a table, --json, exit codes", { timeout: 90_000 }, async () => {
  const servers = await startLocalServers({ rateLimit: { limit: 100_000, windowMs: 60_000 } });
  const dir = mkdtempSync(join(tmpdir(), "host-example-history-"));
  try {
    const db = await testDb(dir);
    const host = await localSync({ chargebeeUrl: servers.chargebee.url, customerpUrl: servers.customerp.url, db });
    await host.sync.run();
    await host.customerp.update("contacts", "1", { phone: "+47 913 00 000" });
    const run = await host.sync.run();
    assert.ok(writes(run) > 0);
    await host.store.close();
    // history reads the store only: no system's credentials needed.
    const env = { PATH: process.env.PATH ?? "", SYNC_DB: db, SYNC_OPTIONS: JSON.stringify(DEMO_OPTIONS) };
    const cli = (/** @type {string[]} */ args) => new Promise((resolve) => {
      execFile(process.execPath, [SYNC, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }));
    });
    const text = /** @type {any} */ (await cli(["history", "contact-customer", "customerp:1"]));
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^ {2}contact-customer: Customerp 1 ⇄ Chargebee cp-contact-1 \(linked\)/);
    assert.match(text.stdout, new RegExp(` ${run.run} +update +chargebee +ok +phone +"\\+47 912 34 567" → "\\+47 913 00 000" +changed in customerp`));
    const json = /** @type {any} */ (await cli(["history", "contact-customer", "chargebee:cp-contact-1", "--json"]));
    assert.equal(json.code, 0, json.stderr);
    const h = JSON.parse(json.stdout);
    assert.equal(h.entries[0].run, run.run);
    assert.equal(h.entries[0].row.path, "/customers/cp-contact-1");
    assert.ok(!json.stdout.includes(LOCAL_API_KEY) && !json.stdout.includes(LOCAL_TOKEN));
    for (const [args, why] of /** @type {const} */ ([[["history", "no-such-flow", "customerp:1"], /unknown flow/], [["history", "contact-customer", "1"], /expected customerp:<id>/], [["history", "contact-customer"], /usage/]])) {
      const r = /** @type {any} */ (await cli([...args]));
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, why);
    }
  } finally {
    await servers.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
