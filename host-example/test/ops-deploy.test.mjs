// Deployment: the npm package (packed, installed into an empty folder, its command run from another
// directory), the systemd unit (`systemd-analyze verify` and its hardening), the Containerfile (what it
// copies exists and covers what the command imports; the ports agree), and the Prometheus alert rules
// (YAML whose metrics, labels and values exist in the registry; `promtool check rules` where installed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { HostEvents } from "../src/app/events.mjs";
import { KINDS } from "../src/app/inbox.mjs";
import { FLOWS } from "../src/app/flows.mjs";
import { attachMetrics, METRICS, PREFIX, RUN_OUTCOMES, WRITE_OUTCOMES, WEBHOOK_OUTCOMES } from "../src/ops/metrics.mjs";
import { shutdownBoundMs } from "../src/ops/ops.mjs";
import { DEFAULT_PORT } from "../src/ops/server.mjs";
import { PG } from "./helpers.mjs";

const HERE = fileURLToPath(new URL("..", import.meta.url)); // host-example/
const ROOT = resolve(HERE, ".."); // the repository (the container build's context)
const UNIT = join(HERE, "deploy/customerp-chargebee.service");
const CONTAINERFILE = join(HERE, "deploy/Containerfile");
const RULES = join(HERE, "deploy/alerts.yml");
const README = readFileSync(join(HERE, "README.md"), "utf8");

/** Runs a command; status, stdout and stderr. @param {string} cmd @param {string[]} args @param {import("node:child_process").SpawnSyncOptions} [o] */
function run(cmd, args, o = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 600_000, ...o });
  return { status: r.status, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? ""), error: r.error };
}

/** A program on PATH, or null. @param {string} name */
function which(name) {
  const r = run("sh", ["-c", `command -v ${name}`]);
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * The local files a module needs, following static imports, `import("…")` with a literal, and
 * `new URL("…", import.meta.url)` (the console's assets, the transform's worker).
 * @param {string} entry an absolute path
 */
function localFiles(entry) {
  /** @type {Set<string>} */
  const seen = new Set();
  const todo = [entry];
  while (todo.length) {
    const file = /** @type {string} */ (todo.pop());
    if (seen.has(file)) continue;
    seen.add(file);
    if (!/\.m?js$/.test(file)) continue;
    const text = readFileSync(file, "utf8");
    const refs = [
      ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["'](\.{1,2}\/[^"']+)["']/g),
      ...text.matchAll(/import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g),
      ...text.matchAll(/new URL\(\s*["'](\.{1,2}\/[^"']+)["']\s*,\s*import\.meta\.url\s*\)/g),
    ].map((m) => m[1]);
    for (const ref of refs) {
      const target = resolve(dirname(file), ref);
      assert.ok(existsSync(target), `${relative(HERE, file)} refers to ${ref}, which exists`);
      todo.push(target);
    }
  }
  return [...seen].map((f) => relative(HERE, f)).sort();
}

const COMMAND_FILES = localFiles(join(HERE, "bin/sync.mjs"));

// ---------------------------------------------------------------------------------------------------------
// the systemd unit

/** @param {string} text @returns {Record<string, Array<[string, string]>>} section → [key, value] in order */
function parseUnit(text) {
  /** @type {Record<string, Array<[string, string]>>} */
  const out = {};
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1];
      out[section] = [];
      continue;
    }
    const i = line.indexOf("=");
    assert.ok(i > 0 && section, `a key=value line in a section: ${line}`);
    out[section].push([line.slice(0, i), line.slice(i + 1)]);
  }
  return out;
}

test("the systemd unit: runs `run --watch --webhooks --metrics`, secrets as credentials, hardened, a stop timeout that covers a clean stop; systemd-analyze verify passes", (t) => {
  const text = readFileSync(UNIT, "utf8");
  const unit = parseUnit(text);
  const svc = unit.Service;
  const one = (/** @type {string} */ key) => {
    const v = svc.filter(([k]) => k === key).map(([, x]) => x);
    assert.equal(v.length, 1, `one ${key}=`);
    return v[0];
  };
  const exec = /^\/usr\/bin\/customerp-chargebee-sync run --watch (\d+) --webhooks (\d+) --metrics (\d+)$/.exec(one("ExecStart"));
  assert.ok(exec, `ExecStart: ${one("ExecStart")}`);
  assert.equal(Number(exec[3]), DEFAULT_PORT);
  assert.equal(exec[2], "8484");
  assert.equal(one("EnvironmentFile"), "/etc/customerp-chargebee/env");
  const creds = svc.filter(([k]) => k === "LoadCredential").map(([, v]) => v.split(":"));
  assert.deepEqual(creds.map(([id]) => id).slice(0, 2), ["CHARGEBEE_API_KEY", "CUSTOMERP_TOKEN"]);
  for (const [id, path] of creds) assert.equal(path, `/etc/customerp-chargebee/credentials/${id}`);
  assert.ok(!/^Environment=.*(KEY|TOKEN|SECRET|PASSWORD)=/m.test(text), "no secret in Environment=");
  assert.equal(one("DynamicUser"), "yes");
  assert.equal(one("StateDirectory"), "customerp-chargebee");
  assert.equal(one("WorkingDirectory"), "%S/customerp-chargebee");
  assert.equal(one("ProtectSystem"), "strict");
  assert.equal(one("NoNewPrivileges"), "yes");
  assert.equal(one("Restart"), "on-failure");
  assert.equal(one("RestartPreventExitStatus"), "2", "a configuration error is not restarted");
  assert.equal(one("KillSignal"), "SIGTERM");
  assert.ok(!svc.some(([k]) => k === "MemoryDenyWriteExecute"), "Node's JIT needs W+X pages");
  const stop = Number(/^(\d+)s?$/.exec(one("TimeoutStopSec"))?.[1]);
  assert.ok(stop * 1000 >= shutdownBoundMs() && stop * 1000 <= shutdownBoundMs() + 30_000, `TimeoutStopSec=${stop} covers the ${shutdownBoundMs() / 1000} s clean stop, with < 30 s to spare`);
  assert.deepEqual(unit.Install, [["WantedBy", "multi-user.target"]]);

  const analyze = which("systemd-analyze");
  if (!analyze) {
    t.skip("systemd-analyze is not installed (scripts/setup.sh installs Debian's systemd): the unit was not verified");
    return;
  }
  // verify checks that ExecStart's program exists: point it at this checkout's command, the same file `npm
  // install -g` links as /usr/bin/customerp-chargebee-sync
  const bin = join(HERE, "bin/sync.mjs");
  assert.ok(statSync(bin).mode & 0o111, "bin/sync.mjs is executable");
  const dir = mkdtempSync(join(tmpdir(), "cpcb-unit-"));
  try {
    const copy = join(dir, "customerp-chargebee.service");
    writeFileSync(copy, text.replace(/^ExecStart=\/usr\/bin\/customerp-chargebee-sync /m, `ExecStart=${bin} `));
    const v = run(analyze, ["verify", copy]);
    assert.equal(v.status, 0, `systemd-analyze verify:\n${v.stdout}${v.stderr}`);
    assert.equal(`${v.stdout}${v.stderr}`.trim(), "", "no warning either");
    const s = run(analyze, ["security", "--offline=yes", copy]);
    const level = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(`${s.stdout}${s.stderr}`)?.[1]);
    assert.ok(level <= 2, `systemd-analyze security: exposure ${level} ≤ 2.0 ("OK")`);
    // a misspelt key is reported, so the check above means something
    writeFileSync(copy, text.replace("ProtectSystem=strict", "ProtectSystm=strict").replace(/^ExecStart=\/usr\/bin\/customerp-chargebee-sync /m, `ExecStart=${bin} `));
    assert.match(run(analyze, ["verify", copy]).stderr, /Unknown key 'ProtectSystm'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------------------
// the Containerfile

/** Instructions with continuation lines joined; comments left out. @param {string} text */
function instructions(text) {
  const joined = text.split("\n").filter((l) => !/^\s*#/.test(l)).join("\n").replace(/\\\n/g, " ");
  return joined.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
    const m = /^(\S+)\s+(.*)$/.exec(l);
    assert.ok(m, `an instruction: ${l}`);
    return { op: m[1].toUpperCase(), args: m[2] };
  });
}

test("the Containerfile: Node 20, npm ci --omit=dev, a user that is not root, the store on a volume, a HEALTHCHECK on /healthz; every file it copies exists and the command's imports are all copied", () => {
  const ins = instructions(readFileSync(CONTAINERFILE, "utf8"));
  const froms = ins.filter((i) => i.op === "FROM").map((i) => i.args);
  assert.equal(froms.length, 2);
  for (const f of froms) assert.match(f, /^node:20-bookworm(-slim)?\b/);
  const stages = ins.reduce((/** @type {typeof ins[]} */ acc, i) => (i.op === "FROM" ? [...acc, [i]] : (acc[acc.length - 1].push(i), acc)), []);
  const [build, final] = stages;
  assert.ok(build.some((i) => i.op === "RUN" && /\bnpm ci --omit=dev\b/.test(i.args)), "npm ci --omit=dev");
  assert.match(final[0].args, /^node:20-bookworm-slim$/);

  // the final stage: a user of its own, the store's directory as the volume and SYNC_DB in it
  const user = final.filter((i) => i.op === "USER").at(-1)?.args;
  assert.ok(user && !["root", "0", "0:0"].includes(user), `USER ${user}`);
  const env = Object.fromEntries(final.filter((i) => i.op === "ENV").flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]])));
  const volume = final.find((i) => i.op === "VOLUME")?.args;
  assert.equal(volume, "/var/lib/customerp-chargebee");
  assert.equal(dirname(env.SYNC_DB), volume);
  assert.equal(final.find((i) => i.op === "WORKDIR")?.args, volume);
  assert.equal(env.NODE_ENV, "production");
  assert.equal(env.LOG_FORMAT, "json");

  // the command and its ports: EXPOSE and the HEALTHCHECK agree with CMD; the ports are in the README
  const entry = JSON.parse(/** @type {string} */ (final.find((i) => i.op === "ENTRYPOINT")?.args));
  const cmd = JSON.parse(/** @type {string} */ (final.find((i) => i.op === "CMD")?.args));
  assert.deepEqual(entry, ["customerp-chargebee-sync"]);
  assert.ok(final.some((i) => i.op === "RUN" && i.args === "ln -s /app/host-example/bin/sync.mjs /usr/local/bin/customerp-chargebee-sync"));
  const port = (/** @type {string} */ flag) => cmd[cmd.indexOf(flag) + 1];
  assert.deepEqual(cmd.slice(0, 2), ["run", "--watch"]);
  const exposed = /** @type {string} */ (final.find((i) => i.op === "EXPOSE")?.args).split(/\s+/);
  assert.deepEqual(exposed, [port("--webhooks"), port("--metrics")]);
  const health = /** @type {string} */ (final.find((i) => i.op === "HEALTHCHECK")?.args);
  assert.match(health, new RegExp(`CMD .*http://127\\.0\\.0\\.1:${port("--metrics")}/healthz`));
  const section = README.slice(README.indexOf("## Run it in production"));
  for (const p of exposed) assert.ok(section.includes(p), `the README's production section names port ${p}`);
  assert.ok(section.includes("Containerfile") && /no container engine|cannot be built here/i.test(section), "the README says the image is not built here");

  // every COPY from the build context exists; the command's own files are all copied
  /** @type {string[]} */
  const copied = [];
  for (const i of build.filter((x) => x.op === "COPY")) {
    const parts = i.args.split(/\s+/).filter((p) => !p.startsWith("--"));
    const dest = /** @type {string} */ (parts.pop());
    for (const src of parts) {
      assert.ok(existsSync(join(ROOT, src)), `COPY ${src}: exists in the repository`);
      assert.ok(dest.endsWith("/"), `COPY … ${dest}: a directory`);
      copied.push(src);
    }
  }
  for (const f of COMMAND_FILES) {
    const path = `host-example/${f}`;
    assert.ok(copied.some((c) => (c.endsWith("/") ? path.startsWith(c) : path === c)), `${path}, which bin/sync.mjs needs, is copied`);
  }
  const pkgFiles = execFileSync("git", ["ls-files", "pkg"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
  for (const f of pkgFiles) assert.ok(copied.includes(f) || copied.some((c) => c.endsWith("/") && f.startsWith(c)), `${f} (the package) is copied`);
  assert.ok(copied.includes("pkg/dist/") && copied.includes("host-example/package-lock.json"));
});

// ---------------------------------------------------------------------------------------------------------
// the Prometheus alert rules

test("deploy/alerts.yml: YAML rules whose metrics, labels and label values all exist in the registry; promtool agrees where installed", async (t) => {
  const doc = YAML.parse(readFileSync(RULES, "utf8"));
  const rules = doc.groups.flatMap((/** @type {any} */ g) => g.rules);
  assert.ok(rules.length >= 10);
  assert.equal(new Set(rules.map((/** @type {any} */ r) => r.alert)).size, rules.length, "alert names are unique");
  /** @type {Record<string, string[]>} */
  const labelsOf = {};
  for (const m of METRICS) {
    labelsOf[PREFIX + m.name] = m.labels;
    if (m.type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) labelsOf[PREFIX + m.name + s] = [...m.labels, ...(s === "_bucket" ? ["le"] : [])];
  }
  /** @type {Record<string, string[]>} label → the values the host gives it */
  const values = {
    outcome: [...RUN_OUTCOMES, ...WRITE_OUTCOMES, ...WEBHOOK_OUTCOMES], kind: [...KINDS], system: ["customerp", "chargebee"],
    source: ["customerp", "chargebee"], flow: FLOWS.map((f) => f.id),
  };
  const extra = ["instance", "job"]; // Prometheus adds these to every series it scrapes
  /** @type {Set<string>} */
  const used = new Set();
  for (const r of rules) {
    assert.equal(typeof r.alert, "string");
    assert.equal(typeof r.expr, "string", r.alert);
    assert.ok(["critical", "warning", "info"].includes(r.labels?.severity), `${r.alert}: severity`);
    assert.ok(typeof r.annotations?.summary === "string" && r.annotations.summary.length > 10, `${r.alert}: summary`);
    if (r.for !== undefined) assert.match(r.for, /^\d+[smh]$/);
    for (const m of r.expr.matchAll(/\b(customerp_chargebee_[a-z_]+)(\{[^}]*\})?/g)) {
      const [, name, selector] = m;
      assert.ok(labelsOf[name], `${r.alert}: ${name} is a metric of the registry`);
      used.add(name);
      for (const lm of (selector ?? "").matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)) {
        const [, label, op, value] = lm;
        assert.ok(labelsOf[name].includes(label) || extra.includes(label), `${r.alert}: ${name} has the label ${label}`);
        if (values[label]) {
          const wanted = op === "=" ? [value] : value.split("|");
          for (const v of wanted) assert.ok(values[label].includes(v), `${r.alert}: ${label}="${v}" is a value the host gives`);
        }
      }
    }
    for (const b of r.expr.matchAll(/\bby\s*\(([^)]*)\)\s*\((?:rate|increase)\((customerp_chargebee_[a-z_]+)/g)) {
      for (const label of b[1].split(",").map((/** @type {string} */ s) => s.trim())) {
        assert.ok(labelsOf[b[2]].includes(label) || extra.includes(label), `${r.alert}: by (${label}) is a label of ${b[2]}`);
      }
    }
  }
  // status="5..|0": the statuses the registry writes are three digits, or 0 without an answer
  for (const name of ["runs_total", "last_success_timestamp_seconds", "system_reachable", "requests_total", "rate_limited_total",
    "request_duration_seconds_bucket", "writes_total", "inbox_open", "webhook_events_total"]) {
    assert.ok(used.has(PREFIX + name), `a rule watches ${name}`);
  }

  // the registry exposes exactly these names
  const events = new HostEvents();
  const { registry, detach } = attachMetrics(events, { defaultMetrics: false });
  const exposed = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
  detach();
  for (const name of used) assert.ok(exposed.has(name.replace(/_(bucket|sum|count)$/, "")), `${name} is exposed`);

  const promtool = process.env.PROMTOOL || which("promtool");
  if (!promtool) {
    t.diagnostic("promtool is not installed (Debian's prometheus package has it; PROMTOOL=/path/to/promtool): the rules were checked as YAML against the registry, not as PromQL");
    return;
  }
  const rc = run(promtool, ["check", "rules", RULES]);
  assert.equal(rc.status, 0, `promtool check rules:\n${rc.stdout}${rc.stderr}`);
  assert.match(rc.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
  // and promtool's lint of the exposition finds nothing in the host's own metrics (prom-client's defaults
  // have their own names)
  const full = attachMetrics(new HostEvents());
  const lint = run(promtool, ["check", "metrics"], { input: await full.registry.metrics() });
  full.detach();
  const complaints = `${lint.stdout}${lint.stderr}`.split("\n").filter(Boolean);
  assert.deepEqual(complaints.filter((l) => l.includes(PREFIX)), [], "promtool check metrics");
});

// ---------------------------------------------------------------------------------------------------------
// the npm package

test("the npm package: packed with the plugin bundled, installed into an empty folder, its command runs from any directory", { timeout: 900_000 }, (t) => {
  if (PG) {
    t.skip("the package does not depend on the store's back end: it is packed and installed in the SQLite pass");
    return;
  }
  const pkg = JSON.parse(readFileSync(join(HERE, "package.json"), "utf8"));
  // package.json's files cover everything the command needs
  for (const f of COMMAND_FILES) assert.ok(pkg.files.some((/** @type {string} */ p) => (p.endsWith("/") ? f.startsWith(p) : f === p)), `files covers ${f}`);
  assert.deepEqual(pkg.bin, { "customerp-chargebee-sync": "bin/sync.mjs" });
  assert.ok(pkg.bundleDependencies.includes("customerp-chargebee"), "the plugin (file:../pkg) travels inside the package");

  const dir = mkdtempSync(join(tmpdir(), "cpcb-pack-"));
  try {
    const packed = run("npm", ["pack", "--json", "--pack-destination", dir], { cwd: HERE });
    assert.equal(packed.status, 0, packed.stderr);
    const [info] = JSON.parse(packed.stdout);
    const names = info.files.map((/** @type {{ path: string }} */ f) => f.path);
    for (const f of ["bin/sync.mjs", "src/ops/ops.mjs", "deploy/customerp-chargebee.service", "deploy/Containerfile", "deploy/alerts.yml", "README.md"]) {
      assert.ok(names.includes(f), `the tarball has ${f}`);
    }
    for (const f of names) assert.ok(!/^(test|bench|src\/local|node_modules\/(?!customerp-chargebee\/))/.test(f), `the tarball leaves out ${f}`);
    const tarball = join(dir, info.filename);
    const tar = run("tar", ["tzf", tarball]);
    assert.match(tar.stdout, /package\/node_modules\/customerp-chargebee\/dist\/customerp_chargebee_bg\.wasm/);

    // an empty project installs it (better-sqlite3 builds or downloads its binary as for any install)
    const app = join(dir, "app");
    execFileSync("mkdir", ["-p", app]);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "install-check", version: "1.0.0", private: true }));
    const inst = run("npm", ["install", "--no-audit", "--no-fund", "--omit=dev", "--loglevel=error", tarball], { cwd: app });
    assert.equal(inst.status, 0, `npm install:\n${inst.stdout}${inst.stderr}`);
    const binDir = join(app, "node_modules/.bin");
    assert.ok(readdirSync(binDir).includes("customerp-chargebee-sync"));

    // from another directory, by name on PATH
    const elsewhere = mkdtempSync(join(tmpdir(), "cpcb-cwd-"));
    /** @type {NodeJS.ProcessEnv} */
    const env = { ...process.env, PATH: `${binDir}:${process.env.PATH}`, SYNC_DB: join(elsewhere, "store.sqlite") };
    delete env.SYNC_CONFIG;
    delete env.SYNC_TEST_PG;
    try {
      const help = run("customerp-chargebee-sync", ["--help"], { cwd: elsewhere, env });
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout, /^usage: node bin\/sync\.mjs \[command\] \[options\]/);
      assert.match(help.stdout, /inbox \[--json\]/);
      const runHelp = run("customerp-chargebee-sync", ["run", "--help"], { cwd: "/", env });
      assert.equal(runHelp.status, 0, runHelp.stderr);
      // a command that opens the store: the native SQLite module and the migrations came along
      const inbox = run("customerp-chargebee-sync", ["inbox", "--json"], { cwd: "/", env });
      assert.equal(inbox.status, 0, inbox.stderr);
      assert.deepEqual(JSON.parse(inbox.stdout), []);
      assert.ok(existsSync(join(elsewhere, "store.sqlite")));
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
