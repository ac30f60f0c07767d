// The journal's cost and an undo's time, through host-example on loopback (its Chargebee emulator and
// Customerp server, contacts only), on SQLite and, when a PostgreSQL server is given, on PostgreSQL:
//   A. the initial sync of N Customerp contacts into an empty Chargebee site (N creates),
//   B. an edit of every contact in Customerp, synced (N updates),
//   the store's growth per 1,000 writes of each (SQLite: the file's bytes after a checkpoint, and the
//   journal's own pages by dbstat; PostgreSQL: pg_total_relation_size of the journal, its indexes
//   included), then
//   C. `undo --dry-run` of run B, D. the undo of run B (N values put back), E. the next sync (nothing
//   to write), F. the undo of run A (N records released, after the guard's confirm).
// Prints figures; asserts only what makes them meaningful (no errors, the counts of writes).
//
//   node bench/journal.mjs [--records 10000] [--pg postgres://…]   (or SYNC_BENCH_PG; `--pg auto` starts scripts/postgres.sh)
import path from "node:path";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { randomBytes } from "node:crypto";
import { contact } from "./lib/gen.mjs";

const HERE = path.dirname(new URL(import.meta.url).pathname);
const ROOT = path.join(HERE, "..");
const HOST = path.join(ROOT, "host-example");
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const N = Number(args.records ?? 10_000);
let pgUrl = args.pg ?? process.env.SYNC_BENCH_PG ?? null;
if (pgUrl === "auto") pgUrl = execFileSync("bash", [path.join(ROOT, "scripts", "postgres.sh"), "start"], { encoding: "utf8" }).trim().split("\n").at(-1);

const { startLocalServers, localSync } = await import(path.join(HOST, "src", "local", "servers.mjs"));
const { undoRun } = await import(path.join(HOST, "src", "app", "actions", "undo.mjs"));
const { confirmItem } = await import(path.join(HOST, "src", "app", "actions", "resolve.mjs"));
const { Journal } = await import(path.join(HOST, "src", "app", "journal.mjs"));
const pg = (await import(path.join(HOST, "node_modules", "pg", "lib", "index.js"))).default;
const { sql } = await import(path.join(HOST, "node_modules", "kysely", "dist", "esm", "index.js"));

const log = (/** @type {string} */ s) => process.stderr.write(`journal bench: ${s}\n`);
const writesOf = (s) => s.requests.customerp.writes + s.requests.chargebee.writes;
const errorsOf = (s) => Object.values(s.flows).reduce((n, f) => n + (f.errors ?? 0), 0);

/** A fresh schema on the PostgreSQL server, selected through search_path (as the tests do). */
async function pgSchema(url) {
  const schema = `bench_${randomBytes(5).toString("hex")}`;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.end();
  const u = new URL(url);
  u.searchParams.set("options", `-c search_path=${schema}`);
  return { url: u.toString(), drop: async () => {
    const d = new pg.Client({ connectionString: url });
    await d.connect();
    await d.query(`DROP SCHEMA ${schema} CASCADE`);
    await d.end();
  } };
}

/** The store's bytes: the whole file and the journal's pages (SQLite), or the journal with its indexes (PostgreSQL). */
async function sizes(store, file) {
  if (store.dialect === "postgres") {
    const r = await sql`SELECT pg_total_relation_size('journal')::bigint AS journal`.execute(store.k);
    return { file: null, journal: Number(r.rows[0].journal) };
  }
  store.db.sqlite.pragma("wal_checkpoint(TRUNCATE)");
  let journal = null;
  try {
    journal = Number(store.db.sqlite.prepare("SELECT SUM(pgsize) AS n FROM dbstat WHERE name = 'journal' OR name LIKE 'journal_by_%'").get().n);
  } catch {
    // dbstat not compiled in: the file's growth is the figure
  }
  return { file: statSync(file).size, journal };
}

async function timed(label, fn) {
  const t0 = process.hrtime.bigint();
  const out = await fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  log(`${label}: ${(ms / 1000).toFixed(2)} s`);
  return { out, ms };
}

async function scenario(backend) {
  const servers = await startLocalServers({ seed: false, rateLimit: { limit: 10_000_000, windowMs: 60_000 } });
  const dir = mkdtempSync(path.join(tmpdir(), "journal-bench-"));
  const file = path.join(dir, "sync.sqlite");
  const schema = backend === "postgres" ? await pgSchema(/** @type {string} */ (pgUrl)) : null;
  const host = await localSync({ chargebeeUrl: servers.chargebee.url, customerpUrl: servers.customerp.url, db: schema ? schema.url : file, options: { timeZone: "Europe/Oslo" } });
  const db = servers.customerp.db;
  for (let i = 0; i < N; i++) db.put("contacts", { ...contact(i), id: String(i + 1), customer_id: null });
  const rows = [];
  try {
    const only = ["contact-customer"];
    const s0 = await sizes(host.store, file);
    const A = await timed(`${backend} A. initial sync of ${N} contacts`, async () => (await import(path.join(HOST, "src", "app", "actions", "run.mjs"))).runOnce(host, { flows: only }));
    const s1 = await sizes(host.store, file);
    for (let i = 0; i < N; i++) db.update("contacts", String(i + 1), { phone: `+47 930 ${String(i).padStart(5, "0")}` }, undefined);
    const B = await timed(`${backend} B. ${N} edits synced`, async () => (await import(path.join(HOST, "src", "app", "actions", "run.mjs"))).runOnce(host, { flows: only }));
    const s2 = await sizes(host.store, file);
    for (const [x, n] of [[A, N], [B, N]]) {
      if (errorsOf(x.out.summary) || writesOf(x.out.summary) !== n) throw new Error(`${backend}: a run wrote ${writesOf(x.out.summary)} (${errorsOf(x.out.summary)} errors), not ${n}`);
    }
    const journal = new Journal(host.store);
    const rowsA = (await journal.ofRun(A.out.summary.run)).length;
    const rowsB = (await journal.ofRun(B.out.summary.run)).length;
    const per1000 = (/** @type {number | null} */ a, /** @type {number | null} */ b, /** @type {number} */ n) => (a === null || b === null ? null : ((b - a) / n) * 1000);
    rows.push({ backend, what: `A. initial sync: ${N} creates (${rowsA} journal rows)`, ms: A.ms, writes: writesOf(A.out.summary),
      file: per1000(s0.file, s1.file, rowsA), journal: per1000(s0.journal, s1.journal, rowsA) });
    rows.push({ backend, what: `B. ${N} updates (${rowsB} journal rows)`, ms: B.ms, writes: writesOf(B.out.summary),
      file: per1000(s1.file, s2.file, rowsB), journal: per1000(s1.journal, s2.journal, rowsB) });

    const C = await timed(`${backend} C. undo --dry-run of run B`, () => undoRun(host, { run: B.out.summary.run, dryRun: true }));
    rows.push({ backend, what: `C. undo --dry-run of run B (${C.out.summary.plannedTotal} requests listed)`, ms: C.ms, writes: writesOf(C.out.summary) });
    const D = await timed(`${backend} D. undo of run B`, () => undoRun(host, { run: B.out.summary.run }));
    if (D.out.exitCode !== 0 || D.out.report.values.length !== N) throw new Error(`${backend}: the undo put back ${D.out.report.values.length} values (exit ${D.out.exitCode})`);
    rows.push({ backend, what: `D. undo of run B: ${D.out.report.values.length} values put back`, ms: D.ms, writes: writesOf(D.out.summary) });
    const E = await timed(`${backend} E. the next sync`, async () => host.sync.run());
    rows.push({ backend, what: "E. the next sync", ms: E.ms, writes: writesOf(E.out) });
    const stopped = await undoRun(host, { run: A.out.summary.run });
    if (stopped.exitCode !== 3) throw new Error(`${backend}: the guard did not stop the undo of ${N} creates`);
    await confirmItem(host, { id: stopped.report.guard[0].item });
    const F = await timed(`${backend} F. undo of run A`, () => undoRun(host, { run: A.out.summary.run }));
    if (F.out.report.released.length !== N) throw new Error(`${backend}: ${F.out.report.released.length} released`);
    rows.push({ backend, what: `F. undo of run A: ${F.out.report.released.length} records released`, ms: F.ms, writes: writesOf(F.out.summary) });
  } finally {
    await host.store.close();
    await servers.close();
    await schema?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

const all = [...(await scenario("sqlite")), ...(pgUrl ? await scenario("postgres") : [])];
const f = (x) => x.toLocaleString("en-US");
const kb = (x) => (x === null || x === undefined ? "" : `${(x / 1024).toFixed(0)} KiB`);
console.log(`| store | run | time | writes | store growth per 1,000 journal rows | journal (and its indexes) per 1,000 rows |`);
console.log(`|---|---|---:|---:|---:|---:|`);
for (const r of all) console.log(`| ${r.backend} | ${r.what} | ${(r.ms / 1000).toFixed(2)} s | ${f(r.writes)} | ${r.backend === "sqlite" ? kb(r.file) : ""} | ${kb(r.journal)} |`);
if (!pgUrl) console.log("\n(PostgreSQL: give --pg <url>, SYNC_BENCH_PG, or --pg auto to start scripts/postgres.sh)");
