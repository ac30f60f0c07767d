// Many tenants on many workers, on PostgreSQL: 3 worker processes run 20 tenants, each with its own
// emulated Chargebee site (with its own rate limit) and its own Customerp. One worker is killed with
// SIGKILL in the middle of its writes; another is stopped (SIGSTOP) past its lease and woken again.
// Afterwards: every tenant synced, no twin on any site, no lost or doubled link, never two runs of one
// tenant's flow at once (the run table), no site answered 429, and a dry run of every tenant lists no
// write. Also: tenant add/list/remove and --tenant through the command line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LOCAL_API_KEY, LOCAL_TOKEN, startLocalServers } from "../src/local/servers.mjs";
import { Store } from "../src/app/store/store.mjs";
import { PG, testDb, live, rows } from "./helpers.mjs";
import { sleep } from "../src/lib/http.mjs";

const SYNC = fileURLToPath(new URL("../bin/sync.mjs", import.meta.url));
const TENANTS = Number(process.env.WORKERS_TEST_TENANTS ?? 20);
const EXTRA = 40; // contacts per tenant beyond the demo's, so that runs last long enough to be cut
const LIMIT = 1200; // each site's requests a minute

/** @param {string[]} args @param {Record<string, string>} env */
function cli(args, env) {
  return new Promise((resolve) => {
    execFile(process.execPath, [SYNC, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }));
  });
}

/** @param {Record<string, string>} env @param {string} name */
function startWorker(env, name) {
  const child = spawn(process.execPath, [SYNC, "worker", "--concurrency", "3", "--lease", "4"], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const out = { text: "" };
  child.stdout.on("data", (d) => (out.text += d));
  child.stderr.on("data", (d) => (out.text += d));
  const exited = new Promise((r) => child.on("exit", (code, signal) => r({ code, signal })));
  return { child, out, name, exited: /** @type {Promise<{ code: number | null, signal: string | null }>} */ (exited) };
}

test("3 workers × 20 tenants, one killed and one stalled past its lease: every tenant synced, no twin, no doubled link, no two runs of a flow at once, no 429", { skip: PG ? false : "workers share their work through PostgreSQL (SYNC_TEST_PG)", timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "host-example-workers-"));
  const db = await testDb(dir);
  const env = { SYNC_DB: db, CB_KEY: LOCAL_API_KEY, CP_TOKEN: LOCAL_TOKEN };
  /** @type {{ id: string, servers: import("../src/local/servers.mjs").LocalServers }[]} */
  const tenants = [];
  /** @type {ReturnType<typeof startWorker>[]} */
  const workers = [];
  try {
    const config = join(dir, "tenant.json");
    writeFileSync(config, JSON.stringify({ chargebeeRateLimit: LIMIT, concurrency: 4 }));
    for (let i = 0; i < TENANTS; i++) {
      const servers = await startLocalServers({ rateLimit: { limit: LIMIT, windowMs: 60_000 } });
      for (let k = 0; k < EXTRA; k++) servers.customerp.db.create("contacts", { first_name: "Åse", last_name: `Tenant ${i} ${k}`, email: `t${i}.c${k}@example.no`, is_active: true });
      const id = `t${String(i).padStart(2, "0")}`;
      const r = /** @type {any} */ (await cli(["tenant", "add", id, "--chargebee-site", servers.chargebee.url, "--chargebee-key-env", "CB_KEY",
        "--customerp-url", servers.customerp.url, "--customerp-token-env", "CP_TOKEN", "--poll", "3", "--config", config,
        "--options", JSON.stringify({ timeZone: "Europe/Oslo", ownCompanyName: "Fjordvik Handel AS", itemFamilyId: "customerp-products" })], env));
      assert.equal(r.code, 0, r.stderr);
      tenants.push({ id, servers });
    }
    for (const n of ["a", "b", "c"]) workers.push(startWorker(env, n));
    // Worker a is killed once tenants are being written; worker b stalls past its lease, then wakes.
    const store = await Store.open(db);
    const written = async () => Number((await rows(store, "SELECT count(*) AS n FROM journal WHERE outcome = 'ok'"))[0].n);
    for (const end = Date.now() + 60_000; (await written()) < 200 && Date.now() < end;) await sleep(100);
    workers[0].child.kill("SIGKILL");
    await sleep(300);
    workers[1].child.kill("SIGSTOP");
    await sleep(6_000); // past the 4 s lease: another worker takes its tenants over
    workers[1].child.kill("SIGCONT");
    // Every tenant's flows synced after the disruption, by some worker.
    const since = Date.now();
    for (const end = since + 120_000; Date.now() < end;) {
      const okTenants = await rows(store, `SELECT tenant, count(DISTINCT flow) AS n FROM run_flows WHERE outcome = 'ok' AND started > ${since + 2000} GROUP BY tenant`);
      if (okTenants.filter((r) => Number(r.n) === 6).length === TENANTS) break;
      await sleep(500);
    }
    const okTenants = await rows(store, `SELECT tenant, count(DISTINCT flow) AS n FROM run_flows WHERE outcome = 'ok' AND started > ${since + 2000} GROUP BY tenant`);
    assert.equal(okTenants.filter((r) => Number(r.n) === 6).length, TENANTS, "every tenant ran every flow after the disruption");
    for (const w of workers.slice(1)) w.child.kill("SIGTERM");
    for (const w of workers.slice(1)) assert.equal((await w.exited).code, 0, `worker ${w.name} stops cleanly on SIGTERM:\n${w.out.text.slice(-2000)}`);
    const abandoned = await rows(store, "SELECT count(*) AS n FROM run_flows WHERE outcome = 'abandoned'");
    assert.ok(Number(abandoned[0].n) >= 1, "the killed worker's runs were taken over (the run table says abandoned)");
    const fenced = (workers[1].out.text.match(/no longer this run's/g) ?? []).length;
    console.log(`# ${TENANTS} tenants: ${abandoned[0].n} flow runs taken over from a dead or stalled worker; the stalled worker found ${fenced} of its runs fenced`);

    // Never two runs of one tenant's flow at once.
    const runs = await rows(store, "SELECT tenant, flow, started, finished, outcome, worker FROM run_flows ORDER BY tenant, flow, started");
    /** @type {Map<string, any[]>} */
    const byKey = new Map();
    for (const r of runs) byKey.set(`${r.tenant} ${r.flow}`, [...(byKey.get(`${r.tenant} ${r.flow}`) ?? []), r]);
    for (const [key, list] of byKey) {
      for (let i = 1; i < list.length; i++) {
        const prev = list[i - 1];
        assert.ok(prev.finished !== null && Number(prev.finished) <= Number(list[i].started), `${key}: run of ${prev.worker} (${prev.started}–${prev.finished}, ${prev.outcome}) overlaps ${list[i].worker} from ${list[i].started}`);
      }
    }
    // Per site: no twin, every contact once, no 429; per tenant: links as a fault-free tenant has them, and a dry run lists no write.
    /** @type {Record<string, number> | null} */
    let expected = null;
    for (const t of tenants) {
      const site = t.servers.chargebee.site;
      const tags = live(site, "customer").map((c) => c.meta_data?.customerp).filter(Boolean).map((g) => `${g.type}:${g.id}`);
      assert.equal(new Set(tags).size, tags.length, `${t.id}: no twin customer`);
      const mine = live(site, "customer").filter((c) => /^t\d+\.c\d+@/.test(c.email ?? ""));
      assert.equal(mine.length, EXTRA, `${t.id}: every added contact once in Chargebee`);
      assert.equal(t.servers.chargebee.requests.filter((r) => r.status === 429).length, 0, `${t.id}: the site never answered 429`);
      const mineStore = store.forTenant(t.id);
      /** @type {Record<string, number>} */
      const links = {};
      for (const f of ["customer-business_entity", "product-item", "contact-customer", "employee-customer", "quote-order", "order-order"]) links[f] = await mineStore.linkCount(f);
      expected ??= links;
      assert.deepEqual(links, expected, `${t.id}: the same links as every other tenant`);
      const dry = /** @type {any} */ (await cli(["run", "--dry-run", "--tenant", t.id, "--json", join(dir, `${t.id}.json`)], env));
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /planned writes(: none| \(0 requests\))/, `${t.id}: a dry run lists no write:\n${dry.stdout.slice(-3000)}`);
    }
    assert.ok((/** @type {Record<string, number>} */ (expected))["contact-customer"] >= EXTRA + 6);
    // tenant list: every tenant with its flows' last runs
    const list = /** @type {any} */ (await cli(["tenant", "list", "--json"], env));
    const overview = JSON.parse(list.stdout);
    assert.equal(overview.length, TENANTS);
    assert.ok(overview.every((/** @type {any} */ o) => Object.keys(o.flows).length === 6));
    await store.close();
  } finally {
    for (const w of workers) {
      w.child.kill("SIGCONT");
      w.child.kill("SIGKILL");
    }
    for (const t of tenants) await t.servers.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tenant add, list and remove; --tenant on a command; secrets kept as references only", { skip: PG ? false : "a tenants' store on PostgreSQL (SYNC_TEST_PG); the commands are the same on SQLite", timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "host-example-tenants-"));
  const servers = await startLocalServers({ rateLimit: { limit: 100_000, windowMs: 60_000 } });
  try {
    const env = { SYNC_DB: await testDb(dir), CB_KEY: LOCAL_API_KEY, CHARGEBEE_RATE_LIMIT: "100000" };
    writeFileSync(join(dir, "token"), `${LOCAL_TOKEN}\n`);
    const add = /** @type {any} */ (await cli(["tenant", "add", "acme", "--chargebee-site", servers.chargebee.url, "--chargebee-key-env", "CB_KEY",
      "--customerp-url", servers.customerp.url, "--customerp-token-file", join(dir, "token"),
      "--options", JSON.stringify({ timeZone: "Europe/Oslo", ownCompanyName: "Fjordvik Handel AS", itemFamilyId: "customerp-products" })], env));
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /secrets: Chargebee key \$CB_KEY, Customerp token \S+token/);
    const store = await Store.open(env.SYNC_DB);
    const spec = await rows(store, "SELECT spec FROM tenants");
    assert.ok(!spec[0].spec.includes(LOCAL_API_KEY) && !spec[0].spec.includes(LOCAL_TOKEN), "the store holds references, never the secrets");
    const run = /** @type {any} */ (await cli(["run", "--tenant", "acme"], env));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /contact-customer +read 9\/9/);
    assert.equal(live(servers.chargebee.site, "customer").length, 14);
    const inbox = /** @type {any} */ (await cli(["inbox", "--json", "--tenant", "acme"], env));
    assert.ok(JSON.parse(inbox.stdout).length > 0, "the tenant's inbox");
    const none = /** @type {any} */ (await cli(["inbox", "--json"], env));
    assert.deepEqual(JSON.parse(none.stdout), [], "the store's own (tenant '') inbox is another");
    const missing = /** @type {any} */ (await cli(["run", "--tenant", "acme"], { ...env, CB_KEY: "" }));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /tenant acme: the Chargebee API key comes from the environment variable CB_KEY, which is not set/);
    const list = /** @type {any} */ (await cli(["tenant", "list"], env));
    assert.match(list.stdout, /^acme +Chargebee/m);
    assert.match(list.stdout, /contact-customer +run \d+ ok/);
    assert.equal((/** @type {any} */ (await cli(["tenant", "remove", "acme"], env))).code, 0);
    assert.deepEqual(await rows(store, "SELECT tenant FROM links WHERE tenant = 'acme'"), [], "its rows went with it");
    assert.equal((/** @type {any} */ (await cli(["run", "--tenant", "acme"], env))).code, 2);
    await store.close();
  } finally {
    await servers.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("fencing: a run that stalled past its lease, after another took the flow over, sends and stores nothing more", { timeout: 60_000 }, async () => {
  const { setup } = await import("./helpers.mjs");
  const { acquireLock } = await import("../src/app/lock.mjs");
  const { FencedError } = await import("../src/app/store/store.mjs");
  const dir = mkdtempSync(join(tmpdir(), "host-example-fence-"));
  const db = await testDb(dir);
  let stalled = false;
  /** @type {any} */
  let other = null;
  let takenOverAt = -1;
  /** @type {Awaited<ReturnType<typeof setup>>} */
  // eslint-disable-next-line prefer-const
  let t;
  t = await setup({
    db, concurrency: 1,
    hooks: {
      // The first write of contact-customer: the process stalls here past its lease, and another takes the flow over.
      beforeExecute: async (/** @type {{ flow: string }} */ e) => {
        if (stalled || e.flow !== "contact-customer") return;
        stalled = true;
        await sleep(600);
        other = await Store.open(db);
        await acquireLock(other, { flows: ["contact-customer"], staleMs: 300, pid: 1 });
        takenOverAt = t.servers.chargebee.requests.length;
      },
    },
  });
  try {
    const release = await acquireLock(t.host.store, { flows: ["contact-customer"], staleMs: 300, heartbeatMs: 60_000 });
    const err = await t.host.sync.run().then(() => null, (e) => e);
    assert.ok(err instanceof FencedError, `the run stops with FencedError, not ${err}`);
    assert.ok(takenOverAt > 0);
    assert.deepEqual(t.servers.chargebee.requests.slice(takenOverAt).filter((r) => r.method === "POST"), [], "no write was sent after the takeover");
    assert.deepEqual(await rows(t.host.store, "SELECT customerp_id FROM links WHERE flow = 'contact-customer' AND base IS NOT NULL"), [],
      "no pair stored by the fenced run (the links matching found before, without a base, are all there is)");
    const row = await rows(t.host.store, "SELECT outcome FROM run_flows WHERE flow = 'contact-customer'");
    assert.ok(row.every((r) => r.outcome !== "ok"), "its part of the run is not recorded as ok");
    await release();
  } finally {
    await other?.close();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a worker whose queue loses its database connections says so (pg-boss errors are printed, redacted, once a minute per message)", { skip: PG ? false : "the queue is in PostgreSQL (SYNC_TEST_PG)", timeout: 60_000 }, async () => {
  const pg = (await import("pg")).default;
  const { startQueue, queueSchema } = await import("../src/tenants/worker.mjs");
  const url = await testDb();
  const root = await Store.open(url);
  /** @type {string[]} */
  const lines = [];
  const boss = await startQueue(url, await queueSchema(root), (l) => lines.push(l));
  try {
    // Another session ends the queue's connections, as a database restart or a network cut would.
    const admin = new pg.Client({ connectionString: PG ?? "" });
    await admin.connect();
    try {
      for (let i = 0; i < 100 && !lines.some((l) => /^queue error \(pg-boss\): /.test(l)); i++) {
        await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'customerp-chargebee' AND pid <> pg_backend_pid()");
        await sleep(100);
      }
    } finally {
      await admin.end();
    }
    assert.ok(lines.some((l) => /^queue error \(pg-boss\): /.test(l)), `a queue error line, got ${JSON.stringify(lines)}`);
    const password = new URL(PG ?? "").password;
    assert.ok(!lines.some((l) => password && l.includes(password)), "no password in the lines");
    assert.equal(new Set(lines).size, lines.length, "each message once a minute");
  } finally {
    await boss.stop({ graceful: false, wait: true }).catch(() => {});
    await root.close();
  }
});
