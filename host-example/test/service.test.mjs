// The host as a service, through its command line as an operator runs it: /metrics read back with a
// Prometheus text parser while runs write, /healthz and /readyz (unready while Chargebee is down, ready
// again after), JSON log lines that parse and hold no secret, one alert per cause, a clean stop on
// SIGTERM in the middle of a run (exit 0; the next run finishes without a twin), a backup restored and
// used by a run that writes nothing, and the store of the first release migrated.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { LOCAL_API_KEY, LOCAL_TOKEN, startLocalServers } from "../src/local/servers.mjs";
import { Store, } from "../src/app/store/store.mjs";
import { MIGRATIONS, StoreVersionError } from "../src/app/store/schema.mjs";
import { PG, testDb, live } from "./helpers.mjs";
import { parsePrometheus, valueOf } from "./ops-helpers.mjs";
import { sleep } from "../src/lib/http.mjs";

const SYNC = fileURLToPath(new URL("../bin/sync.mjs", import.meta.url));

/**
 * A TCP forwarder on loopback that can be taken down (new connections refused, open ones cut) and
 * brought back on the same port: a system that goes away and comes back.
 * @param {string} target an http origin
 */
async function switchable(target) {
  const to = new URL(target);
  /** @type {Set<net.Socket>} */
  const sockets = new Set();
  const make = () => net.createServer((c) => {
    const up = net.connect(Number(to.port), to.hostname);
    sockets.add(c);
    sockets.add(up);
    c.pipe(up).pipe(c);
    const end = () => {
      c.destroy();
      up.destroy();
      sockets.delete(c);
      sockets.delete(up);
    };
    c.on("error", end);
    up.on("error", end);
    c.on("close", end);
    up.on("close", end);
  });
  let server = make();
  await new Promise((r) => server.listen(0, "127.0.0.1", () => r(undefined)));
  const port = /** @type {net.AddressInfo} */ (server.address()).port;
  return {
    url: `http://127.0.0.1:${port}`,
    async down() {
      const closed = new Promise((r) => server.close(() => r(undefined)));
      for (const s of sockets) s.destroy();
      await closed;
    },
    async up() {
      server = make();
      await new Promise((r) => server.listen(port, "127.0.0.1", () => r(undefined)));
    },
    async close() {
      const closed = new Promise((r) => (server.listening ? server.close(() => r(undefined)) : r(undefined)));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/**
 * The command as a child process: its output as it comes, lines on demand.
 * @param {string[]} args @param {Record<string, string>} env
 */
function startCli(args, env) {
  const child = spawn(process.execPath, [SYNC, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const out = { text: "", err: "" };
  child.stdout.on("data", (d) => (out.text += d));
  child.stderr.on("data", (d) => (out.err += d));
  const exited = new Promise((r) => child.on("exit", (code, signal) => r({ code, signal })));
  return {
    child, out, exited: /** @type {Promise<{ code: number | null, signal: string | null }>} */ (exited),
    /** Waits for a line matching `re` (bounded). @param {RegExp} re @param {number} [ms] */
    async line(re, ms = 30_000) {
      const end = Date.now() + ms;
      for (;;) {
        const m = re.exec(out.text);
        if (m) return m;
        if (Date.now() > end) throw new Error(`no line ${re} in:\n${out.text}\n${out.err}`);
        await sleep(20);
      }
    },
  };
}

/** @param {string} url @param {Record<string, string>} [headers] */
async function get(url, headers = {}) {
  const r = await fetch(url, { headers });
  return { status: r.status, text: await r.text() };
}

/** Local servers, a store for a CLI run, and its environment. @param {{ chargebeeUrl?: (real: string) => string }} [o] */
async function service(o = {}) {
  const servers = await startLocalServers({ rateLimit: { limit: 100_000, windowMs: 60_000 } });
  const dir = mkdtempSync(join(tmpdir(), "host-example-service-"));
  const db = await testDb(dir);
  const env = {
    CHARGEBEE_SITE: o.chargebeeUrl ? o.chargebeeUrl(servers.chargebee.url) : servers.chargebee.url, CHARGEBEE_API_KEY: LOCAL_API_KEY,
    CHARGEBEE_RATE_LIMIT: "100000", CUSTOMERP_URL: servers.customerp.url, CUSTOMERP_TOKEN: LOCAL_TOKEN, SYNC_DB: db,
    SYNC_TIME_ZONE: "Europe/Oslo", SYNC_OWN_COMPANY_NAME: "Fjordvik Handel AS", SYNC_ITEM_FAMILY_ID: "customerp-products",
  };
  return {
    servers, dir, db, env,
    async close() {
      await servers.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test("metrics and health: /metrics moves as runs write; /readyz is unready while Chargebee is down, ready again after", { timeout: 120_000 }, async () => {
  /** @type {Awaited<ReturnType<typeof switchable>> | null} */
  let cb = null;
  const s = await service();
  cb = await switchable(s.servers.chargebee.url);
  const config = join(s.dir, "sync.json");
  writeFileSync(config, JSON.stringify({ health: { interval: 1, intervals: 2, grace: 0 } }));
  const cli = startCli(["run", "--watch", "1", "--metrics", "0"], { ...s.env, CHARGEBEE_SITE: cb.url, SYNC_CONFIG: config });
  try {
    const [, base] = await cli.line(/metrics +(http:\/\/127\.0\.0\.1:\d+)\/metrics/);
    assert.deepEqual(JSON.parse((await get(`${base}/healthz`)).text), { ok: true });
    await cli.line(/order-order +read/);
    // After the first run: every series is there, and writes were counted.
    const families = parsePrometheus((await get(`${base}/metrics`)).text);
    const written = /** @type {number} */ (valueOf(families, "customerp_chargebee_writes_total", { tenant: "", system: "chargebee", flow: "contact-customer", outcome: "ok" }));
    assert.ok(written > 0, "Chargebee writes of contact-customer are counted");
    assert.ok((valueOf(families, "customerp_chargebee_runs_total", { tenant: "", flow: "contact-customer", outcome: "ok" }) ?? 0) >= 1);
    assert.ok((valueOf(families, "customerp_chargebee_requests_total", { tenant: "", system: "chargebee", status: "200" }) ?? 0) > 0);
    assert.ok((valueOf(families, "customerp_chargebee_last_success_timestamp_seconds", { tenant: "", flow: "order-order" }) ?? 0) > 0);
    assert.ok(families.get("customerp_chargebee_request_duration_seconds"), "the request histogram");
    assert.ok(families.get("customerp_chargebee_inbox_open"), "the open items by kind");
    // An edit: the next run writes, and the counter moves.
    s.servers.customerp.db.update("contacts", "1", { phone: "+47 913 00 001" }, undefined);
    const until = Date.now() + 20_000;
    for (;;) {
      const now = valueOf(parsePrometheus((await get(`${base}/metrics`)).text), "customerp_chargebee_writes_total", { tenant: "", system: "chargebee", flow: "contact-customer", outcome: "ok" });
      if ((now ?? 0) > written) break;
      assert.ok(Date.now() < until, "the write after the edit was counted");
      await sleep(200);
    }
    const ready = await waitFor(async () => (await get(`${base}/readyz`)).status === 200, 20_000);
    assert.ok(ready, "ready once both systems answered and every flow ran");
    // Chargebee goes away: runs fail (the loop goes on), and /readyz says which check failed.
    await cb.down();
    const unready = await waitFor(async () => (await get(`${base}/readyz`)).status === 503, 20_000);
    assert.ok(unready, "unready while Chargebee is down");
    const body = JSON.parse((await get(`${base}/readyz`)).text);
    assert.ok(body.failed.includes("reach:chargebee") || body.failed.some((/** @type {string} */ f) => f.startsWith("run:")), JSON.stringify(body));
    const cbCheck = body.checks.find((/** @type {any} */ c) => c.name === "reach:chargebee");
    if (!cbCheck.ok) assert.match(cbCheck.why, /Chargebee/, "the failed check says which system");
    await cb.up();
    assert.ok(await waitFor(async () => (await get(`${base}/readyz`)).status === 200, 30_000), "ready again after Chargebee is back");
    cli.child.kill("SIGTERM");
    const { code } = await cli.exited;
    assert.equal(code, 0, cli.out.err);
  } finally {
    cli.child.kill("SIGKILL");
    await cb?.close();
    await s.close();
  }
});

/** Polls `fn` until it holds (bounded). @param {() => Promise<boolean>} fn @param {number} ms */
async function waitFor(fn, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return true;
    await sleep(200);
  }
  return false;
}

test("JSON logs: every line a run prints is a JSON object with time, level and msg, and none holds a secret", { timeout: 60_000 }, async () => {
  const s = await service();
  try {
    const out = await new Promise((resolve) => {
      execFile(process.execPath, [SYNC, "run", "--watch", "1", "--runs", "2"], { env: { PATH: process.env.PATH ?? "", ...s.env, LOG_FORMAT: "json" }, timeout: 60_000 },
        (err, stdout, stderr) => resolve({ code: err?.code ?? 0, stdout, stderr }));
    });
    const { code, stdout, stderr } = /** @type {any} */ (out);
    assert.equal(code, 0, stderr);
    const lines = String(stdout).split("\n").filter((l) => l.trim());
    assert.ok(lines.length > 20);
    for (const l of lines) {
      const o = JSON.parse(l);
      assert.ok(typeof o.time === "string" && typeof o.level === "string" && typeof o.msg === "string", l);
      for (const secret of [LOCAL_API_KEY, LOCAL_TOKEN, Buffer.from(`${LOCAL_API_KEY}:`).toString("base64")]) assert.ok(!l.includes(secret), l);
    }
    assert.ok(lines.some((l) => /contact-customer/.test(JSON.parse(l).msg)), "the report's lines are there");
  } finally {
    await s.close();
  }
});

test("alerts: a run that fails posts one alert to ALERT_WEBHOOK_URL, not one per run", { timeout: 60_000 }, async () => {
  /** @type {any[]} */
  const posted = [];
  const receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      posted.push(JSON.parse(body));
      res.writeHead(200).end("ok");
    });
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", () => r(undefined)));
  const hook = `http://127.0.0.1:${/** @type {net.AddressInfo} */ (receiver.address()).port}/hooks/T000/B000/secretpart`;
  // Chargebee at a port nothing listens on: every run fails at once.
  const closed = net.createServer();
  await new Promise((r) => closed.listen(0, "127.0.0.1", () => r(undefined)));
  const deadPort = /** @type {net.AddressInfo} */ (closed.address()).port;
  await new Promise((r) => closed.close(() => r(undefined)));
  const s = await service({ chargebeeUrl: () => `http://127.0.0.1:${deadPort}` });
  try {
    const out = await new Promise((resolve) => {
      execFile(process.execPath, [SYNC, "run", "--watch", "1", "--runs", "3"], { env: { PATH: process.env.PATH ?? "", ...s.env, ALERT_WEBHOOK_URL: hook }, timeout: 60_000 },
        (err, stdout, stderr) => resolve({ code: err?.code ?? 0, stdout, stderr }));
    });
    const { code, stdout, stderr } = /** @type {any} */ (out);
    assert.equal(code, 0, `a loop goes on after a failed run (no --exit-on-error): ${stderr}`);
    assert.ok(!String(stdout + stderr).includes("secretpart"), "the webhook URL is never printed");
    const failed = posted.filter((p) => /fail/i.test(p.text));
    assert.ok(failed.length >= 1, JSON.stringify(posted));
    const byCause = new Map();
    for (const p of failed) byCause.set(p.cause ?? p.text, (byCause.get(p.cause ?? p.text) ?? 0) + 1);
    for (const [cause, n] of byCause) assert.equal(n, 1, `one alert for ${cause}`);
    // --exit-on-error: the same loop ends with the run's exit code.
    const ended = await new Promise((resolve) => {
      execFile(process.execPath, [SYNC, "run", "--watch", "1", "--runs", "3", "--exit-on-error"], { env: { PATH: process.env.PATH ?? "", ...s.env }, timeout: 60_000 },
        (err) => resolve(err?.code ?? 0));
    });
    assert.equal(ended, 5, "unreachable: exit 5");
  } finally {
    await new Promise((r) => receiver.close(() => r(undefined)));
    await s.close();
  }
});

test("SIGTERM in the middle of a run: exit 0 within the bound; the next run finishes the work, without a twin", { timeout: 120_000 }, async () => {
  const s = await service();
  try {
    const db = s.servers.customerp.db;
    for (let i = 0; i < 400; i++) db.create("contacts", { first_name: "Ståle", last_name: `Kontakt ${i}`, email: `stale${i}@example.com`, is_active: true, language: "nb-NO" });
    const before = live(s.servers.chargebee.site, "customer").length;
    const cli = startCli(["run", "--flows", "contact-customer"], { ...s.env, SYNC_CONCURRENCY: "4", CHARGEBEE_RATE_LIMIT: "6000" });
    // Stopped once some of the 400 creates are in.
    assert.ok(await waitFor(async () => live(s.servers.chargebee.site, "customer").length >= before + 40, 30_000), "the run was writing");
    const t0 = Date.now();
    cli.child.kill("SIGTERM");
    const { code } = await cli.exited;
    assert.equal(code, 0, cli.out.err);
    assert.ok(Date.now() - t0 < 10_000, "stopped within the bound");
    assert.match(cli.out.text, /SIGTERM: stopping/);
    const midway = live(s.servers.chargebee.site, "customer").length;
    assert.ok(midway < before + 400, `it stopped before the end (${midway - before} of 400)`);
    // The next run does the rest: every contact once in Chargebee.
    const rest = await new Promise((resolve) => {
      execFile(process.execPath, [SYNC, "run", "--flows", "contact-customer"], { env: { PATH: process.env.PATH ?? "", ...s.env }, timeout: 60_000 },
        (err, stdout, stderr) => resolve({ code: err?.code ?? 0, stdout, stderr }));
    });
    assert.equal(/** @type {any} */ (rest).code, 0, /** @type {any} */ (rest).stderr);
    const emails = live(s.servers.chargebee.site, "customer").map((c) => c.email).filter((e) => /^stale\d+@/.test(e ?? ""));
    assert.equal(emails.length, 400, "every contact in Chargebee");
    assert.equal(new Set(emails).size, 400, "no twin");
  } finally {
    await s.close();
  }
});

test("backup: an online copy, restored and used by a run that writes nothing", { timeout: 120_000 }, async () => {
  const s = await service();
  try {
    const run = (/** @type {Record<string, string>} */ env) => new Promise((resolve) => {
      execFile(process.execPath, [SYNC, "run", "--json", join(s.dir, "run.json")], { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000 },
        (err, stdout, stderr) => resolve({ code: err?.code ?? 0, stdout, stderr }));
    });
    await run(s.env);
    await run(s.env);
    const file = join(s.dir, PG ? "backup.dump" : "backup.sqlite");
    const b = await new Promise((resolve) => {
      execFile(process.execPath, [SYNC, "backup", file], { env: { PATH: process.env.PATH ?? "", ...s.env }, timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err?.code ?? 0, stdout, stderr }));
    });
    assert.equal(/** @type {any} */ (b).code, 0, /** @type {any} */ (b).stderr);
    assert.match(/** @type {any} */ (b).stdout, new RegExp(`schema version ${MIGRATIONS.length}`));
    let restored = file;
    if (PG) {
      // Restored into a new database of the same server.
      const name = `restore_${Date.now()}`;
      const admin = new pg.Client({ connectionString: PG });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const u = new URL(s.db);
      const target = new URL(PG);
      target.pathname = `/${name}`;
      await new Promise((resolve, reject) => execFile("pg_restore", ["--no-owner", `--dbname=${target.toString().replace(/:[^:@/]*@/, "@")}`, file],
        { env: { ...process.env, PGPASSWORD: decodeURIComponent(target.password) } }, (err, _o, stderr) => (err ? reject(new Error(stderr)) : resolve(undefined))));
      target.searchParams.set("options", /** @type {string} */ (u.searchParams.get("options")));
      restored = target.toString();
    } else {
      restored = join(s.dir, "restored.sqlite");
      copyFileSync(file, restored);
    }
    const after = /** @type {any} */ (await run({ ...s.env, SYNC_DB: restored }));
    assert.equal(after.code, 0, after.stderr);
    assert.match(after.stdout, /requests sent: Customerp \d+ reads, 0 writes · Chargebee \d+ reads, 0 writes/);
  } finally {
    await s.close();
  }
});

test("the store of the first release (no schema version) is migrated; a store written by a newer host is refused, naming both versions", { skip: PG ? "the first release stored in SQLite only" : false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "host-example-migrate-"));
  try {
    const file = join(dir, "released.sqlite");
    copyFileSync(fileURLToPath(new URL("./fixtures/store-released.sqlite", import.meta.url)), file);
    const old = new Database(file, { readonly: true });
    const links = /** @type {any[]} */ (old.prepare("SELECT flow, customerp_id, chargebee_id, base FROM links ORDER BY flow, customerp_id").all());
    const items = /** @type {{ n: number }} */ (old.prepare("SELECT count(*) AS n FROM inbox").get()).n;
    const runs = /** @type {{ n: number }} */ (old.prepare("SELECT count(*) AS n FROM runs").get()).n;
    old.close();
    assert.ok(links.length > 10 && items > 0 && runs === 2);
    const store = await Store.open(file);
    assert.equal(await store.schemaVersion(), MIGRATIONS.length);
    for (const l of links) {
      const now = await store.linkByCustomerp(l.flow, l.customerp_id);
      assert.equal(now?.chargebee_id, l.chargebee_id);
      assert.equal(now?.base, l.base, "the base is kept as it was");
    }
    assert.equal((await store.runs()).length, runs);
    await store.close();
    // A newer host's migration in the store: this host refuses it.
    const raw = new Database(file);
    raw.prepare("INSERT INTO kysely_migration (name, timestamp) VALUES (?, ?)").run("999_from_a_newer_host", new Date().toISOString());
    raw.close();
    await assert.rejects(() => Store.open(file), (e) => e instanceof StoreVersionError && new RegExp(`schema version ${MIGRATIONS.length + 1}`).test(e.message) && new RegExp(`up to ${MIGRATIONS.length}`).test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
