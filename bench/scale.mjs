// The host at production scale, measured as a user runs it: the stand-ins (Chargebee emulator and Customerp
// server) in a process of their own, seeded with N contacts (lib/scale-data.mjs), and the host as its own
// process, `node host-example/bin/sync.mjs run --flows contact-customer`, under /usr/bin/time -v for its peak
// RSS. Prints figures, asserts nothing about speed (a baseline measured in the same run, for the host as it is).
//
// Per size, four runs on one store: the first sync, a rerun with no change, a run after 1% edits on both
// sides, and `run --full`; sizes above --dry-run-above run `--dry-run` instead (a first sync's reading,
// matching and planning, nothing written). Then pacing: M creates against a site with a per-request delay
// and a rate limit, the sustained writes a second against the limit and the 429s answered.
//
//   node bench/scale.mjs [--sizes 10000,100000,1000000] [--dry-run-above 100000] [--latency MS[,JITTER]]
//     [--customerp-latency MS[,JITTER]] [--rate-limit N] [--concurrency N[,GET,POST]|off]
//     [--pacing 200,2000] [--pacing-limits 1200,3500] [--pacing-latency 150[,JITTER]] [--no-pacing]
//     [--host-env K=V]... [--host-args "..."] [--timeout-minutes 180] [--seed 1] [--out FILE] [--quick]
//
// --rate-limit N: the site's limit a minute (the emulator's sliding window) and CHARGEBEE_RATE_LIMIT for the
// host; default none (the emulator lets 100M a minute through and the host is told so). --host-env and
// --host-args add to the host's environment and command line (e.g. a --concurrency the host learns later).
// --quick: 10k contacts and one pacing case (100 creates, 1,200 a minute, 150 ms), a smoke run for CI.
import { spawn, fork, execFileSync } from "node:child_process";
import { createInterface } from "node:readline";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { benchArgs } from "./lib/args.mjs";

const HERE = path.dirname(new URL(import.meta.url).pathname);
const ROOT = path.resolve(HERE, "..");
const SYNC = path.join(ROOT, "host-example", "bin", "sync.mjs");
const FLOW = "contact-customer";
const UNLIMITED = 100_000_000;
// The most CHARGEBEE_RATE_LIMIT takes: with no site limit, the host is told that (it paces nothing at these sizes).
const HOST_MOST = 1_000_000;

// ---- arguments --------------------------------------------------------------------------------

const given = benchArgs(process.argv.slice(2), ["quick", "no-pacing"]);
const opt = (/** @type {string} */ k, /** @type {string | undefined} */ d) => given[k]?.at(-1) ?? d;
const quick = opt("quick") === "true";
const nums = (/** @type {string} */ s) => s.split(",").map((x) => Number(x.replace(/_/g, "").trim()));
/** @param {string | undefined} s @returns {{ fixedMs: number, jitterMs: number } | null} */
const latencyOf = (s) => {
  if (!s) return null;
  const [fixedMs, jitterMs = 0] = nums(s);
  return fixedMs || jitterMs ? { fixedMs, jitterMs } : null;
};
/** @param {string | undefined} s */
const concurrencyOf = (s) => {
  if (!s || s === "off") return null;
  const [limit, get, post] = nums(s);
  return { limit, get, post };
};

const sizes = nums(opt("sizes", quick ? "10000" : "10000,100000,1000000"));
const dryRunAbove = Number(opt("dry-run-above", "100000"));
const latency = latencyOf(opt("latency", "0"));
const customerpLatency = latencyOf(opt("customerp-latency", "0"));
const rateLimit = Number(opt("rate-limit", "0")) || null;
const concurrency = concurrencyOf(opt("concurrency", "off"));
const pacingCounts = opt("no-pacing") === "true" ? [] : nums(opt("pacing", quick ? "100" : "200,2000"));
const pacingLimits = nums(opt("pacing-limits", quick ? "1200" : "1200,3500"));
const pacingLatency = latencyOf(opt("pacing-latency", "150")) ?? { fixedMs: 0, jitterMs: 0 };
// Chargebee's live-site limit of requests in flight (150, of which 50 GETs and 100 POSTs) while pacing
const pacingConcurrency = concurrencyOf(opt("pacing-concurrency", "150,50,100"));
const seed = Number(opt("seed", "1"));
const timeoutMs = Number(opt("timeout-minutes", "180")) * 60_000;
const outFile = opt("out");
const hostArgs = (opt("host-args", "") ?? "").split(/\s+/).filter(Boolean);
/** @type {Record<string, string>} */
const hostEnv = Object.fromEntries((given["host-env"] ?? []).map((kv) => {
  const i = kv.indexOf("=");
  if (i < 1) throw new Error(`--host-env takes K=V, not ${kv}`);
  return [kv.slice(0, i), kv.slice(i + 1)];
}));

const TIME = "/usr/bin/time";
if (!existsSync(TIME)) throw new Error("/usr/bin/time is missing (Debian package `time`; bash scripts/setup.sh installs it)");
if (!existsSync(path.join(ROOT, "host-example", "node_modules"))) throw new Error("host-example/node_modules is missing: cd host-example && npm ci");

const log = (/** @type {string} */ s) => process.stderr.write(`scale: ${s}\n`);

// ---- the stand-ins' process -------------------------------------------------------------------

/**
 * Forks bench/lib/stand-ins.mjs and talks to it. @param {number} contacts heap room for them
 * @returns {{ call: (cmd: string, args?: Record<string, unknown>) => Promise<any>, stop: () => Promise<void> }}
 */
function standIns(contacts) {
  // a real run's writes stay in the emulator (its events, its idempotency keys): about 2 kB each
  const heapMb = Math.min(Math.floor(os.totalmem() / 2 ** 20 * 0.6), Math.max(4096, Math.ceil(contacts / 1_000_000 * 12_288)));
  const child = fork(path.join(HERE, "lib", "stand-ins.mjs"), [], { execArgv: ["--expose-gc", `--max-old-space-size=${heapMb}`], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let next = 0;
  /** @type {Map<number, { resolve: (v: any) => void, reject: (e: Error) => void }>} */
  const waiting = new Map();
  child.on("message", (/** @type {any} */ m) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.ok) w?.resolve(m.result);
    else w?.reject(new Error(`stand-ins: ${m.error}`));
  });
  child.on("exit", (code) => {
    for (const w of waiting.values()) w.reject(new Error(`the stand-ins' process exited (${code})`));
    waiting.clear();
  });
  const call = (/** @type {string} */ cmd, /** @type {Record<string, unknown>} */ args = {}) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      waiting.set(id, { resolve, reject });
      child.send({ id, cmd, ...args });
    });
  return {
    call,
    async stop() {
      try {
        await call("stop");
      } catch {
        // gone already
      }
      if (child.exitCode === null) await new Promise((r) => child.once("exit", r));
    },
  };
}

// ---- one run of the host ----------------------------------------------------------------------

/** @type {Set<import("node:child_process").ChildProcess>} */
const running = new Set();
for (const sig of /** @type {const} */ (["SIGINT", "SIGTERM"])) {
  process.once(sig, () => {
    for (const c of running) if (c.pid) process.kill(-c.pid, "SIGTERM");
    process.exit(130);
  });
}

/**
 * `node host-example/bin/sync.mjs run --flows contact-customer …` under /usr/bin/time -v, as its own process
 * group. Returns wall time, peak RSS, exit code, the summary (--json for a real run; a dry run's summary row
 * is read from its output, whose planned writes are not kept), and the last lines of stderr.
 * @param {Record<string, string>} env @param {string[]} args @param {string} jsonFile
 */
async function runHost(env, args, jsonFile) {
  const dry = args.includes("--dry-run");
  const argsFull = [...args, ...hostArgs, ...(dry ? [] : ["--json", jsonFile])];
  const report = `${jsonFile}.time`;
  const t0 = performance.now();
  // time's report goes to its own file (-o), apart from what the host writes on stderr
  const child = spawn(TIME, ["-v", "-o", report, process.execPath, SYNC, "run", "--flows", FLOW, ...argsFull], {
    cwd: ROOT, env: { ...process.env, ...env, ...hostEnv }, stdio: ["ignore", "pipe", "pipe"], detached: true,
  });
  running.add(child);
  const timer = setTimeout(() => child.pid && process.kill(-child.pid, "SIGTERM"), timeoutMs);
  /** @type {string[]} */
  const summaryLines = [];
  let header = false;
  createInterface({ input: /** @type {any} */ (child.stdout) }).on("line", (l) => {
    if (/^\s+flow\s+read CP\/CB/.test(l)) header = true;
    else if (header && l.startsWith(`  ${FLOW} `)) summaryLines.push(l);
    else if (/^\s+requests sent:/.test(l)) summaryLines.push(l);
  });
  let stderr = "";
  let oom = false;
  /** @type {any} */ (child.stderr).on("data", (/** @type {Buffer} */ d) => {
    const t = d.toString();
    if (/heap out of memory|Allocation failed/.test(t)) oom = true;
    stderr = (stderr + t).slice(-20_000);
  });
  const code = await new Promise((r) => child.on("close", (c, sig) => r(c ?? (sig ? 128 : 1))));
  clearTimeout(timer);
  running.delete(child);
  const wallMs = performance.now() - t0;
  const timed = existsSync(report) ? readFileSync(report, "utf8") : "";
  rmSync(report, { force: true });
  const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(timed)?.[1] ?? NaN);
  const signal = /Command terminated by signal (\d+)/.exec(timed)?.[1];
  const status = /Exit status: (\d+)/.exec(timed)?.[1];
  const exit = signal !== undefined ? 128 + Number(signal) : status !== undefined ? Number(status) : Number(code);
  const timedOut = wallMs >= timeoutMs;
  /** @type {any} */
  let summary = null;
  if (!dry && existsSync(jsonFile)) {
    try {
      summary = JSON.parse(readFileSync(jsonFile, "utf8"));
    } catch {
      summary = null;
    }
    rmSync(jsonFile, { force: true });
  }
  if (!summary && summaryLines.length) summary = fromPrinted(summaryLines);
  const stderrTail = stderr.split("\n").filter((l) => l.trim()).slice(-5);
  return { wallMs, rssKb, code: exit, oom, timedOut, summary, stderrTail };
}

/** A summary from the printed table row (a dry run). @param {string[]} lines */
function fromPrinted(lines) {
  const row = lines.find((l) => l.startsWith(`  ${FLOW} `));
  if (!row) return null;
  const c = row.trim().split(/\s+/);
  const pair = (/** @type {string} */ s) => {
    const [customerp, chargebee] = s.split("/").map(Number);
    return { customerp, chargebee };
  };
  return {
    flows: { [FLOW]: { read: pair(c[1]), matched: Number(c[2]), created: pair(c[3]), updated: pair(c[4]), deleted: pair(c[5]),
      conflicts: Number(c[6]), warnings: Number(c[7]), waiting: Number(c[8]), manual: Number(c[9]), errors: Number(c[10]) } },
  };
}

// ---- formatting -------------------------------------------------------------------------------

const int = (/** @type {number} */ n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");
const fix = (/** @type {number} */ n, d = 1) => (Number.isFinite(n) ? n.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }) : "–");
const secs = (/** @type {number} */ ms) => (ms >= 100_000 ? `${int(ms / 1000)} s` : `${fix(ms / 1000, ms < 10_000 ? 2 : 1)} s`);
const mib = (/** @type {number} */ kb) => (Number.isFinite(kb) ? `${int(kb / 1024)} MiB` : "–");
const pct = (/** @type {number} */ x) => (Number.isFinite(x) ? `${x >= 10 ? int(x) : fix(x)}%` : "–");
const perMinute = (/** @type {number | null} */ l) => (l ? `${int(l)}/min` : "none");

/** The run's own summary in one cell. @param {any} s */
function summaryCell(s) {
  const f = s?.flows?.[FLOW];
  if (!f || "skipped" in f) return "–";
  const b = (/** @type {any} */ x) => `${int(x.customerp)}/${int(x.chargebee)}`;
  return `read ${b(f.read)} · matched ${int(f.matched)} · created ${b(f.created)} · updated ${b(f.updated)} · conflicts ${int(f.conflicts)}` +
    (f.ambiguous ? ` · ambiguous ${int(f.ambiguous)}` : "") + ` · errors ${int(f.errors)}`;
}

/** @param {{ code: number, oom: boolean, timedOut: boolean }} r */
function exitCell(r) {
  if (r.timedOut) return "timed out";
  if (r.code === 0) return "0";
  return `${r.code}${r.oom ? " (out of memory)" : r.code > 128 ? ` (signal ${r.code - 128})` : ""}`;
}

// ---- the scale table --------------------------------------------------------------------------

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

const tmp = mkdtempSync(path.join(os.tmpdir(), "customerp-chargebee-scale-"));
/** @type {string[]} */
const out = [];
const emit = (/** @type {string} */ s = "") => out.push(s);

/** @type {any[]} */
const standInRows = [];
/** @type {string[]} */
const scaleRows = [];
try {
  for (const n of sizes) {
    const dry = n > dryRunAbove;
    log(`${int(n)} contacts: seeding the stand-ins${dry ? " (dry runs: above --dry-run-above)" : ""}`);
    const s = standIns(n);
    try {
      const started = await s.call("start", {
        n, seed, latency, customerpLatency, concurrency, paging: true,
        rateLimit: { limit: rateLimit ?? UNLIMITED, windowMs: 60_000, sliding: true },
      });
      standInRows.push({ n, ...started });
      log(`  seeded in ${secs(started.seedMs.customerp + started.seedMs.chargebee)}: ${int(started.contacts)} contacts, ${int(started.customers)} customers`);
      const dir = path.join(tmp, `n${n}`);
      rmSync(dir, { recursive: true, force: true });
      execFileSync("mkdir", ["-p", dir]);
      /** @type {Record<string, string>} */
      const env = {
        CHARGEBEE_SITE: started.chargebee, CHARGEBEE_API_KEY: started.apiKey, CUSTOMERP_URL: started.customerp, CUSTOMERP_TOKEN: started.token,
        SYNC_DB: path.join(dir, "sync.sqlite"), SYNC_OPTIONS: JSON.stringify({ timeZone: "Europe/Oslo" }),
        CHARGEBEE_RATE_LIMIT: String(Math.min(rateLimit ?? UNLIMITED, HOST_MOST)),
      };
      const runs = dry
        ? [{ label: "first sync (dry run)", args: ["--dry-run"] }]
        : [
          { label: "first sync", args: [] },
          { label: "rerun, no change", args: [] },
          { label: "after 1% edits on both sides", args: [], edit: 0.01 },
          { label: "--full", args: ["--full"] },
        ];
      for (const [k, run] of runs.entries()) {
        if (run.edit) {
          const e = await s.call("edit", { share: run.edit, round: k });
          log(`  edited ${int(e.customerp)} contacts and ${int(e.chargebee)} customers`);
        }
        await s.call("resetStats");
        log(`  ${run.label}: node host-example/bin/sync.mjs run --flows ${FLOW} ${[...run.args, ...hostArgs].join(" ")}`.trimEnd());
        const r = await runHost(env, run.args, path.join(dir, `run${k}.json`));
        const st = await s.call("stats");
        const cb = st.chargebee;
        const cp = st.customerp;
        const f = r.summary?.flows?.[FLOW];
        const records = f && !("skipped" in f) ? f.read.customerp + f.read.chargebee : NaN;
        const wallS = r.wallMs / 1000;
        const cbRate = (cb.reads + cb.writes) / wallS;
        const limit = rateLimit;
        const against = limit ? ` · peak ${int(cb.peakPerMinute)}/min, ${pct((cb.peakPerMinute / limit) * 100)} of ${int(limit)}` : ` · peak ${int(cb.peakPerMinute)}/min`;
        log(`    ${exitCell(r)} in ${secs(r.wallMs)}, peak RSS ${mib(r.rssKb)}; ${summaryCell(r.summary)}`);
        if (r.code !== 0) for (const l of r.stderrTail) log(`    ${l}`);
        scaleRows.push(`| ${int(n)} | ${run.label} | ${mib(r.rssKb)} | ${secs(r.wallMs)} | ${int(records / wallS)} | ${int(cb.writes)} / ${int(cp.writes)} | ` +
          `${fix(cbRate)}/s${against} | ${int(cb.statuses["429"] ?? 0)} | ${int(cb.maxInFlight)} | ${exitCell(r)} | ${summaryCell(r.summary)} |`);
      }
    } finally {
      await s.stop();
    }
  }

  // ---- pacing ---------------------------------------------------------------------------------

  /** @type {string[]} */
  const pacingRows = [];
  for (const m of pacingCounts) {
    for (const limit of pacingLimits) {
      log(`pacing: ${int(m)} creates, ${int(limit)} a minute, ${pacingLatency.fixedMs} ms a request`);
      const s = standIns(m);
      try {
        const started = await s.call("start", {
          n: m, seed, customers: false, latency: pacingLatency, concurrency: pacingConcurrency,
          rateLimit: { limit, windowMs: 60_000, sliding: true },
        });
        const dir = path.join(tmp, `pacing-${m}-${limit}`);
        execFileSync("mkdir", ["-p", dir]);
        const env = {
          CHARGEBEE_SITE: started.chargebee, CHARGEBEE_API_KEY: started.apiKey, CUSTOMERP_URL: started.customerp, CUSTOMERP_TOKEN: started.token,
          SYNC_DB: path.join(dir, "sync.sqlite"), SYNC_OPTIONS: JSON.stringify({ timeZone: "Europe/Oslo" }), CHARGEBEE_RATE_LIMIT: String(limit),
        };
        await s.call("resetStats");
        const r = await runHost(env, [], path.join(dir, "run.json"));
        const cb = (await s.call("stats")).chargebee;
        const span = (cb.lastWriteAt ?? 0) - (cb.firstWriteAt ?? 0);
        const sustained = cb.writes > 1 && span > 0 ? ((cb.writes - 1) / span) * 1000 : NaN;
        log(`  ${exitCell(r)} in ${secs(r.wallMs)}: ${int(cb.writes)} writes, ${fix(sustained)}/s sustained, ${int(cb.statuses["429"] ?? 0)} answered 429`);
        pacingRows.push(`| ${int(m)} | ${int(limit)}/min (${fix(limit / 60)}/s) | ${pacingLatency.fixedMs}${pacingLatency.jitterMs ? `+${pacingLatency.jitterMs}` : ""} ms | ${secs(r.wallMs)} | ` +
          `${int(cb.writes)} | ${fix(sustained)}/s | ${pct((sustained / (limit / 60)) * 100)} | ${int(cb.peakPerMinute)} | ${int(cb.statuses["429"] ?? 0)} | ${int(cb.maxInFlight)} | ${exitCell(r)} |`);
      } finally {
        await s.stop();
      }
    }
  }

  // ---- the tables -----------------------------------------------------------------------------

  emit(`Machine: ${machine.model}, ${machine.cpus} cores, ${fix(machine.ramGiB)} GiB RAM; Node ${machine.node}; commit ${machine.commit}`);
  emit(`Host: \`node host-example/bin/sync.mjs run --flows ${FLOW}${hostArgs.length ? ` ${hostArgs.join(" ")}` : ""}\` against the stand-ins in their own process; ` +
    `Chargebee latency ${latency ? `${latency.fixedMs}${latency.jitterMs ? `+${latency.jitterMs}` : ""} ms` : "none"}, ` +
    `Customerp latency ${customerpLatency ? `${customerpLatency.fixedMs}${customerpLatency.jitterMs ? `+${customerpLatency.jitterMs}` : ""} ms` : "none"}, ` +
    `rate limit ${perMinute(rateLimit)}, requests in flight ${concurrency ? `≤ ${concurrency.limit ?? "∞"}` : "unlimited"}; seed ${seed}.`);
  emit("");
  emit("The stand-ins (their own process; heap after a full GC, per record seeded; the cost of one page of each list the host sends, median at 10/50/90% into the table):");
  emit("");
  emit("| contacts / customers | seeded in | bytes a contact (Customerp) | bytes a customer (Chargebee) | feed page (`since`) | `ids=` 100 | customers page, first sync (`offset`) | customers page, rerun (`updated_at[after]`) | `id[in]` 100 |");
  emit("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of standInRows) {
    const p = r.paging;
    const ms = (/** @type {number} */ x) => `${x < 1 ? fix(x * 1000, 0) + " µs" : fix(x, 1) + " ms"}`;
    emit(`| ${int(r.contacts)} / ${int(r.customers)} | ${secs(r.seedMs.customerp + r.seedMs.chargebee)} | ${int(r.memory.bytesPerContact)} | ${int(r.memory.bytesPerCustomer)} | ` +
      `${ms(p.customerpFeedMs)} | ${ms(p.customerpIdsMs)} | ${ms(p.chargebeeFirstSyncMs)} | ${ms(p.chargebeeRerunMs)} | ${ms(p.chargebeeIdInMs)} |`);
  }
  emit("");
  emit(`The host, per run (contacts: Customerp contacts seeded; Chargebee starts with half as many customers, a fifth of them matching a contact by e-mail; dry runs above ${int(dryRunAbove)}):`);
  emit("");
  emit("| contacts | run | host peak RSS | wall | records/s | writes sent CB / CP | Chargebee requests | 429s | most in flight | exit | the run's summary (CP/CB) |");
  emit("| ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- | --- |");
  scaleRows.forEach((r) => emit(r));
  if (pacingRows.length) {
    emit("");
    emit(`Pacing: a first sync of M contacts into an empty site (M creates), each Chargebee request answered after the delay, the site's rate limit over a sliding minute${pacingConcurrency ? ` and at most ${pacingConcurrency.limit} requests in flight (${pacingConcurrency.get} GETs, ${pacingConcurrency.post} POSTs), Chargebee's live-site limits` : ""}; CHARGEBEE_RATE_LIMIT tells the host the limit:`);
    emit("");
    emit("| creates | site limit | latency | wall | writes sent | sustained writes/s | of the limit | peak requests in a minute | 429s | most in flight | exit |");
    emit("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    pacingRows.forEach((r) => emit(r));
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const text = out.join("\n") + "\n";
process.stdout.write(text);
if (outFile) writeFileSync(outFile, text);
