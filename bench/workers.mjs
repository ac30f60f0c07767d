// Many tenants on many workers: tenant-flows a minute with 1, 2 and 3 `sync.mjs worker` processes on one
// PostgreSQL store. N tenants, each with its own emulated Chargebee site and its own Customerp server (the
// local stand-ins, each answer after a delay, in this process), are added to a fresh schema; then K worker
// processes (`node host-example/bin/sync.mjs worker --concurrency C`) start together and run them all:
//   - first sync: from the first flow run started to every tenant's six flows synced once (the demo data
//     and --contacts more contacts per tenant: creates on both sides), as tenant-flows a minute;
//   - steady state: every tenant due again each second (--poll 1), the flow runs that end ok in a window
//     of --window seconds (reruns: each reads its feeds and finds little or nothing to write).
// Each case is measured in the same run on the same machine, 1 worker first: the ratio is against it. A last
// case, 1 worker running as many jobs at once as 3 workers do, tells what the processes add beyond the slots.
// Also printed: flow runs that failed (or were fenced or stopped by the guard), those SIGTERM stopped at the end
// (after their record in hand), two runs of one tenant's flow at once, the 429s the sites answered, twin
// customers (none expected).
// PostgreSQL is started by scripts/postgres.sh in a folder of its own (and stopped at the end), unless
// --pg URL names a running server. Prints figures; asserts nothing about speed.
//
//   node bench/workers.mjs [--tenants 12] [--cases 1x2,2x2,3x2,1x6] [--contacts 40]
//     [--latency 40,20] [--customerp-latency 20,10] [--window 40] [--pg URL] [--out FILE] [--quick]
//
// --cases: workers × jobs at once per worker (`worker --concurrency`), in order; the first is the baseline.
// --latency / --customerp-latency MS[,JITTER]: each Chargebee / Customerp answer comes MS plus up to JITTER ms
// after its request. --quick: 4 tenants, 10 more contacts each, a 10 s window (a smoke run for CI).
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { benchArgs } from "./lib/args.mjs";

const HERE = path.dirname(new URL(import.meta.url).pathname);
const ROOT = path.resolve(HERE, "..");
const HOST = path.join(ROOT, "host-example");
const SYNC = path.join(HOST, "bin", "sync.mjs");
const FLOWS = 6;

// ---- arguments --------------------------------------------------------------------------------

/** @type {Record<string, string>} the last value of each key */
const given = Object.fromEntries(Object.entries(benchArgs(process.argv.slice(2), ["quick"])).map(([k, v]) => [k, /** @type {string} */ (v.at(-1))]));
const quick = given.quick === "true";
const nums = (/** @type {string} */ s) => s.split(",").map((x) => Number(x.trim()));
/** @param {string} s */
const latencyOf = (s) => {
  const [fixedMs, jitterMs = 0] = nums(s);
  return { fixedMs, jitterMs };
};
const tenants = Number(given.tenants ?? (quick ? 4 : 12));
const cases = (given.cases ?? (quick ? "1x2,2x2,3x2" : "1x2,2x2,3x2,1x6")).split(",").map((c) => {
  const m = /^(\d+)x(\d+)$/.exec(c.trim());
  if (!m) throw new Error(`--cases takes WORKERSxCONCURRENCY,… (e.g. 1x2,2x2), not ${c}`);
  return { workers: Number(m[1]), concurrency: Number(m[2]) };
});
const contacts = Number(given.contacts ?? (quick ? 10 : 40));
const latency = latencyOf(given.latency ?? "40,20");
const customerpLatency = latencyOf(given["customerp-latency"] ?? "20,10");
const windowS = Number(given.window ?? (quick ? 10 : 40));
const outFile = given.out;
const LIMIT = 100_000; // each site's requests a minute: no pacing here (bench/scale.mjs measures that)

const log = (/** @type {string} */ s) => process.stderr.write(`workers: ${s}\n`);
const { LOCAL_API_KEY, LOCAL_TOKEN, startLocalServers } = await import(path.join(HOST, "src/local/servers.mjs"));
const { Store } = await import(path.join(HOST, "src/app/store/store.mjs"));
const { addTenant } = await import(path.join(HOST, "src/tenants/tenants.mjs"));
// kysely and pg as host-example has them (bench/ installs neither)
const hostRequire = createRequire(path.join(HOST, "package.json"));
const { sql } = hostRequire("kysely");
const pg = hostRequire("pg");

// ---- PostgreSQL -------------------------------------------------------------------------------

const pgDir = given.pg ? null : mkdtempSync(path.join(os.tmpdir(), "customerp-chargebee-workers-pg-"));
/** @type {string} */
let pgUrl;
if (given.pg) pgUrl = given.pg;
else {
  log(`starting PostgreSQL in ${pgDir} (scripts/postgres.sh)`);
  const printed = execFileSync("bash", [path.join(ROOT, "scripts/postgres.sh"), "start", /** @type {string} */ (pgDir)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  pgUrl = printed.trim().split("\n").at(-1) ?? "";
  if (!/^postgres:\/\//.test(pgUrl)) throw new Error(`scripts/postgres.sh printed no URL:\n${printed}`);
}
const stopPg = () => {
  if (!pgDir) return;
  try {
    execFileSync("bash", [path.join(ROOT, "scripts/postgres.sh"), "stop", pgDir], { stdio: ["ignore", "ignore", "inherit"] });
  } catch {
    // already stopped
  }
  rmSync(pgDir, { recursive: true, force: true });
};
const pgVersion = await (async () => {
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  try {
    return String((await c.query("SHOW server_version")).rows[0].server_version);
  } finally {
    await c.end();
  }
})();

/** A fresh schema on the server, and SYNC_DB selecting it. */
async function freshDb() {
  const schema = `bench_${randomBytes(5).toString("hex")}`;
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  try {
    await c.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await c.end();
  }
  const u = new URL(pgUrl);
  u.searchParams.set("options", `-c search_path=${schema}`);
  return u.toString();
}

// ---- the workers ------------------------------------------------------------------------------

/** @type {Set<import("node:child_process").ChildProcess>} */
const children = new Set();
for (const sig of /** @type {const} */ (["SIGINT", "SIGTERM"])) {
  process.once(sig, () => {
    for (const c of children) c.kill("SIGKILL");
    stopPg();
    process.exit(130);
  });
}

/** @param {string} db @param {number} concurrency */
function startWorker(db, concurrency) {
  const child = spawn(process.execPath, [SYNC, "worker", "--concurrency", String(concurrency), "--lease", "30"], {
    env: { PATH: process.env.PATH ?? "", SYNC_DB: db, CB_KEY: LOCAL_API_KEY, CP_TOKEN: LOCAL_TOKEN }, stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let text = "";
  child.stdout?.on("data", (d) => (text = (text + d).slice(-20_000)));
  child.stderr?.on("data", (d) => (text = (text + d).slice(-20_000)));
  const exited = new Promise((r) => child.on("exit", (code, signal) => {
    children.delete(child);
    r({ code, signal });
  }));
  return {
    child, out: () => text,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return /** @type {Promise<{ code: number | null, signal: string | null }>} */ (exited);
    },
  };
}

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));
const int = (/** @type {number} */ n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");
const fix = (/** @type {number} */ n, d = 1) => (Number.isFinite(n) ? n.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }) : "–");

/**
 * One case: N tenants with fresh stand-ins on a fresh schema, K workers from their start to the end of the window.
 * @param {{ workers: number, concurrency: number }} c
 */
async function measure(c) {
  const k = c.workers;
  const concurrency = c.concurrency;
  const db = await freshDb();
  const store = await Store.open(db);
  /** @type {any[]} */
  const servers = [];
  /** @type {ReturnType<typeof startWorker>[]} */
  const workers = [];
  try {
    for (let i = 0; i < tenants; i++) {
      const s = await startLocalServers({ rateLimit: { limit: LIMIT, windowMs: 60_000 }, latency, customerpLatency });
      for (let n = 0; n < contacts; n++) s.customerp.db.create("contacts", { first_name: "Åse", last_name: `Tenant ${i} ${n}`, email: `t${i}.c${n}@example.no`, is_active: true });
      servers.push(s);
      await addTenant(store, `t${String(i).padStart(2, "0")}`, {
        chargebeeSite: s.chargebee.url, chargebeeKey: { env: "CB_KEY" }, customerpSource: "rest", customerpUrl: s.customerp.url, customerpToken: { env: "CP_TOKEN" },
        options: { timeZone: "Europe/Oslo", ownCompanyName: "Fjordvik Handel AS", itemFamilyId: "customerp-products" },
        config: { chargebeeRateLimit: LIMIT, concurrency: 4 }, pollSeconds: 1,
      });
    }
    const q = async (/** @type {string} */ text) => /** @type {any[]} */ ((await sql.raw(text).execute(store.k)).rows);
    log(`${k} worker${k === 1 ? "" : "s"} × ${concurrency} jobs at once, ${tenants} tenants: starting`);
    for (let i = 0; i < k; i++) workers.push(startWorker(db, concurrency));
    // first sync: until every tenant's six flows have ended ok once
    const deadline = Date.now() + 15 * 60_000;
    for (;;) {
      const done = Number((await q("SELECT count(*) AS n FROM (SELECT DISTINCT tenant, flow FROM run_flows WHERE outcome = 'ok') d"))[0].n);
      if (done >= tenants * FLOWS) break;
      if (Date.now() > deadline) throw new Error(`the first sync did not end in 15 minutes (${done} of ${tenants * FLOWS} tenant-flows)`);
      if (workers.some((w) => w.child.exitCode !== null)) throw new Error(`a worker exited:\n${workers.map((w) => w.out()).join("\n")}`);
      await sleep(200);
    }
    const last = (await q("SELECT max(f) AS b FROM (SELECT min(finished) AS f FROM run_flows WHERE outcome = 'ok' GROUP BY tenant, flow) d"))[0].b;
    const firstMs = Number(last) - Number((await q("SELECT min(started) AS a FROM run_flows"))[0].a);
    // steady state: the flow runs that end ok within the window
    const from = Date.now();
    await sleep(windowS * 1000);
    const to = Date.now();
    const steady = Number((await q(`SELECT count(*) AS n FROM run_flows WHERE outcome = 'ok' AND finished >= ${from} AND finished < ${to}`))[0].n);
    // how the window's flow runs spread over the workers (by the name each gives its runs), most first
    const perWorker = (await q(`SELECT worker, count(*) AS n FROM run_flows WHERE outcome = 'ok' AND finished >= ${from} AND finished < ${to} GROUP BY worker`))
      .map((r) => Number(r.n)).sort((a, b) => b - a);
    while (perWorker.length < k) perWorker.push(0);
    const names = new Set((await q(`SELECT DISTINCT worker FROM run_flows WHERE finished >= ${from} AND finished < ${to}`)).map((r) => String(r.worker)));
    for (const w of workers) {
      const name = /worker (\S+): \d+ jobs at once/.exec(w.out())?.[1];
      if (!name || !names.has(name)) log(`  a worker ran no flow in the window (${name ?? "no start line"}); its output:\n${w.out().split("\n").slice(-15).join("\n")}`);
    }
    const exits = await Promise.all(workers.map((w) => w.stop()));
    // failed, fenced, guard: none expected; stopped: the flow runs SIGTERM ended after their record in hand
    const notOk = Number((await q("SELECT count(*) AS n FROM run_flows WHERE outcome NOT IN ('ok', 'stopped') AND finished IS NOT NULL"))[0].n);
    const stopped = Number((await q("SELECT count(*) AS n FROM run_flows WHERE outcome = 'stopped'"))[0].n);
    const overlap = Number((await q(`SELECT count(*) AS n FROM run_flows a JOIN run_flows b ON a.tenant = b.tenant AND a.flow = b.flow AND a.run < b.run
      AND b.started < COALESCE(a.finished, 9e15) AND a.started < COALESCE(b.finished, 9e15)`))[0].n);
    let r429 = 0;
    let twins = 0;
    for (const s of servers) {
      r429 += s.chargebee.requests.filter((/** @type {any} */ r) => r.status === 429).length;
      const emails = [...s.chargebee.site.tables.customer.values()].map((e) => e.data).filter((d) => !d.deleted && d.email).map((d) => String(d.email).toLowerCase());
      twins += emails.length - new Set(emails).size;
    }
    // the machine's 1-minute load average at the window's end: other work on a shared machine shows here
    const load = os.loadavg()[0];
    const result = { k, concurrency, firstMs, steady, perWorker, windowMs: to - from, notOk, stopped, overlap, r429, twins, exits, load };
    log(`  first sync ${fix(firstMs / 1000)} s (${fix((tenants * FLOWS) / (firstMs / 60_000))} tenant-flows/min); ${steady} flow runs in ${fix((to - from) / 1000)} s; ` +
      `per worker ${perWorker.join(", ")}; failed ${notOk}, stopped by SIGTERM ${stopped}, overlapping runs ${overlap}, 429s ${r429}, twins ${twins}; exits ${exits.map((e) => e.code ?? e.signal).join(", ")}`);
    return result;
  } finally {
    for (const w of workers) await w.stop();
    await store.close();
    for (const s of servers) await s.close();
  }
}

const machine = {
  cpus: os.cpus().length, model: os.cpus()[0]?.model?.trim() ?? "?", ramGiB: os.totalmem() / 2 ** 30, node: process.version,
  commit: (() => {
    try {
      const c = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
      const dirty = execFileSync("git", ["status", "--porcelain"], { cwd: ROOT, encoding: "utf8" }).trim();
      return dirty ? `${c} (with uncommitted changes)` : c;
    } catch {
      return "unknown";
    }
  })(),
};

/** @type {Awaited<ReturnType<typeof measure>>[]} */
const results = [];
try {
  for (const c of cases) results.push(await measure(c));
} finally {
  stopPg();
}

const base = results[0];
const firstRate = (/** @type {typeof base} */ r) => (tenants * FLOWS) / (r.firstMs / 60_000);
const steadyRate = (/** @type {typeof base} */ r) => r.steady / (r.windowMs / 60_000);
const lat = (/** @type {{ fixedMs: number, jitterMs: number }} */ l) => `${l.fixedMs}${l.jitterMs ? `+${l.jitterMs}` : ""} ms`;
/** @type {string[]} */
const out = [];
out.push(`Machine: ${machine.model}, ${machine.cpus} cores, ${fix(machine.ramGiB)} GiB RAM; Node ${machine.node}; PostgreSQL ${pgVersion}; commit ${machine.commit}`);
out.push(`${tenants} tenants, each its own emulated Chargebee site (answers after ${lat(latency)}) and Customerp server (${lat(customerpLatency)}), in the bench's process; ` +
  `the demo data and ${contacts} more contacts each; every tenant due each second. Workers: \`node host-example/bin/sync.mjs worker --concurrency C\`, all on this machine; ` +
  `ratios against the first row, measured in this run.`);
out.push("");
out.push(`| workers | jobs at once (C each) | first sync of ${tenants} tenants | tenant-flows/min | × 1 worker | steady state: flow runs in ${windowS} s | by worker | tenant-flows/min | × 1 worker | runs failed | stopped by SIGTERM | overlapping runs | 429s | twins | exits | load (1 min) |`);
out.push("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
for (const r of results) {
  out.push(`| ${r.k} | ${r.k * r.concurrency} (${r.concurrency}) | ${fix(r.firstMs / 1000)} s | ${int(firstRate(r))} | ${fix(firstRate(r) / firstRate(base), 2)}× | ${int(r.steady)} | ${r.perWorker.map(int).join(", ")} | ${int(steadyRate(r))} | ` +
    `${fix(steadyRate(r) / steadyRate(base), 2)}× | ${r.notOk} | ${r.stopped} | ${r.overlap} | ${r.r429} | ${r.twins} | ${r.exits.map((e) => e.code ?? e.signal).join(", ")} | ${fix(r.load)} |`);
}
const text = out.join("\n") + "\n";
process.stdout.write(text);
if (outFile) writeFileSync(outFile, text);
