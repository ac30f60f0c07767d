// The operations side as a service starts it: SYNC_CONFIG's ops keys (checked like the rest of the file),
// secrets from systemd credentials or NAME_FILE, and startOps with the endpoint and the alerts over real
// HTTP on loopback, closed within its bound.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HostEvents } from "../src/app/events.mjs";
import { FLOWS } from "../src/app/flows.mjs";
import { redact } from "../src/app/redact.mjs";
import { opsConfigOf, readOpsConfig, OPS_KEYS } from "../src/ops/config.mjs";
import { loadCredentials, CREDENTIALS } from "../src/ops/credentials.mjs";
import { startOps, SHUTDOWN_MS, shutdownBoundMs } from "../src/ops/ops.mjs";
import { createLogger } from "../src/ops/log.mjs";
import { close, listen, readBody } from "../src/lib/http.mjs";
import { get, parsePrometheus, valueOf } from "./ops-helpers.mjs";

test("SYNC_CONFIG's metrics, health and alerts keys: seconds become ms, every bad key is named with what is allowed", () => {
  assert.deepEqual(OPS_KEYS, ["metrics", "health", "alerts"]);
  const c = opsConfigOf({
    defaults: {}, metrics: { port: 9500, host: "0.0.0.0" },
    health: { interval: 300, intervals: 2, grace: 30, storeTimeout: 2.5 },
    alerts: { interval: 1800, runFailed: true, guard: false, unreachableAfter: 600, inbox: { error: 5, ambiguous: 20 }, retries: 2, timeout: 5 },
  }, "/etc/sync.json");
  assert.deepEqual(c, {
    metrics: { port: 9500, host: "0.0.0.0" },
    health: { intervalMs: 300_000, intervals: 2, graceMs: 30_000, storeTimeoutMs: 2500 },
    alerts: { intervalMs: 1_800_000, runFailed: true, guard: false, unreachableMs: 600_000, inbox: { error: 5, ambiguous: 20 }, retries: 2, timeoutMs: 5000 },
  });
  assert.deepEqual(opsConfigOf({}, "x"), { metrics: {}, health: {}, alerts: {} });
  for (const [json, message] of /** @type {Array<[Record<string, unknown>, string]>} */ ([
    [{ metrics: 9484 }, "SYNC_CONFIG /etc/sync.json: metrics: expected an object with port, host"],
    [{ metrics: { port: 70000 } }, "SYNC_CONFIG /etc/sync.json: metrics.port: expected a port (a whole number from 0 to 65535)"],
    [{ metrics: { token: "abc" } }, "SYNC_CONFIG /etc/sync.json: metrics.token: the token is a credential: set METRICS_TOKEN (or the credential of that name), not SYNC_CONFIG"],
    [{ health: { interval: 0 } }, "SYNC_CONFIG /etc/sync.json: health.interval: expected seconds between polls: both systems must have answered within it (a number ≥ 1)"],
    [{ health: { every: 5 } }, "SYNC_CONFIG /etc/sync.json: health.every: unknown key; allowed: interval, intervals, grace, storeTimeout"],
    [{ alerts: { url: "https://hooks.example.com/x" } }, "SYNC_CONFIG /etc/sync.json: alerts.url: the webhook URL is a credential: set ALERT_WEBHOOK_URL (or the credential of that name), not SYNC_CONFIG"],
    [{ alerts: { inbox: { errors: 1 } } }, "SYNC_CONFIG /etc/sync.json: alerts.inbox.errors: unknown inbox kind; kinds: ambiguous, manual, conflict, error, waiting, guard, drift, undo"],
    [{ alerts: { inbox: { error: 0 } } }, "SYNC_CONFIG /etc/sync.json: alerts.inbox.error: expected the open items that make an alert (a whole number ≥ 1)"],
    [{ alerts: { guard: "yes" } }, "SYNC_CONFIG /etc/sync.json: alerts.guard: expected true or false"],
    [{ alerts: { retries: 11 } }, "SYNC_CONFIG /etc/sync.json: alerts.retries: expected retries of a failed POST (a whole number from 0 to 10)"],
  ])) assert.throws(() => opsConfigOf(json, "/etc/sync.json"), (e) => /** @type {any} */ (e).name === "UsageError" && /** @type {Error} */ (e).message === message, message);

  assert.deepEqual(readOpsConfig(null, () => ""), { metrics: {}, health: {}, alerts: {} });
  assert.deepEqual(readOpsConfig("/c.json", () => '{"health":{"interval":60}}').health, { intervalMs: 60_000 });
  assert.throws(() => readOpsConfig("/c.json", () => "{"), /SYNC_CONFIG \/c\.json: not JSON/);
  assert.throws(() => readOpsConfig("/c.json", () => { throw Object.assign(new Error("x"), { code: "ENOENT" }); }), /SYNC_CONFIG \/c\.json: cannot be read \(ENOENT\)/);
});

test("credentials: systemd's $CREDENTIALS_DIRECTORY and NAME_FILE become the variables, redacted; twice given is refused", () => {
  const dir = mkdtempSync(join(tmpdir(), "cpcb-creds-"));
  try {
    writeFileSync(join(dir, "CHARGEBEE_API_KEY"), "cb_live_Wq2mZ8rTx5Lp\n");
    writeFileSync(join(dir, "METRICS_TOKEN"), "mt_Jd7Lq2Vx9Rn4Kc8B");
    writeFileSync(join(dir, "SYNC_DB"), "postgres://sync:pg_Ye3Vb8Qn1Mz@db.internal/sync\n");
    writeFileSync(join(dir, "ignored"), "whatever");
    const secretFile = join(dir, "alert-url");
    writeFileSync(secretFile, "https://hooks.example.com/services/T1/B2/Zk8QpWm3Rt6Ls\r\n");
    /** @type {NodeJS.ProcessEnv} */
    const env = { CREDENTIALS_DIRECTORY: dir, ALERT_WEBHOOK_URL_FILE: secretFile, CUSTOMERP_TOKEN: "cp_plain_env_token" };
    const loaded = loadCredentials(env);
    assert.deepEqual(loaded, [
      { name: "CHARGEBEE_API_KEY", from: "credential" }, { name: "METRICS_TOKEN", from: "credential" },
      { name: "ALERT_WEBHOOK_URL", from: "file" }, { name: "SYNC_DB", from: "credential" },
    ]);
    assert.equal(env.CHARGEBEE_API_KEY, "cb_live_Wq2mZ8rTx5Lp");
    assert.equal(env.ALERT_WEBHOOK_URL, "https://hooks.example.com/services/T1/B2/Zk8QpWm3Rt6Ls");
    assert.equal(env.CUSTOMERP_TOKEN, "cp_plain_env_token");
    assert.equal(redact("key cb_live_Wq2mZ8rTx5Lp, token mt_Jd7Lq2Vx9Rn4Kc8B"), "key [redacted], token [redacted]");
    assert.equal(redact("db password pg_Ye3Vb8Qn1Mz"), "db password [redacted]");
    assert.equal(redact("store /var/lib/customerp-chargebee/sync.sqlite"), "store /var/lib/customerp-chargebee/sync.sqlite");
    assert.ok(CREDENTIALS.includes("CONSOLE_TOKEN") && CREDENTIALS.includes("CUSTOMERP_WEBHOOK_SECRET"));

    assert.throws(() => loadCredentials({ CREDENTIALS_DIRECTORY: dir, CHARGEBEE_API_KEY: "x" }),
      /^UsageError: CHARGEBEE_API_KEY is given twice, in the environment and as the credential CHARGEBEE_API_KEY: keep one$/);
    assert.throws(() => loadCredentials({ CREDENTIALS_DIRECTORY: dir, METRICS_TOKEN_FILE: secretFile }), /METRICS_TOKEN is given twice, as the credential METRICS_TOKEN and in METRICS_TOKEN_FILE/);
    assert.throws(() => loadCredentials({ CUSTOMERP_TOKEN_FILE: join(dir, "missing") }), /CUSTOMERP_TOKEN: CUSTOMERP_TOKEN_FILE .*missing cannot be read \(ENOENT\)/);
    writeFileSync(join(dir, "empty"), "\n");
    assert.throws(() => loadCredentials({ CUSTOMERP_TOKEN_FILE: join(dir, "empty") }), /is empty/);
    assert.deepEqual(loadCredentials({}), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("startOps: the endpoint with its token, readiness and alerts from the environment and SYNC_CONFIG, fed by events; close within its bound", async () => {
  /** @type {any[]} */
  const posted = [];
  const hook = http.createServer(async (req, res) => {
    posted.push(JSON.parse(await readBody(req)));
    res.end("ok");
  });
  const { origin } = await listen(hook);
  const events = new HostEvents();
  /** @type {string[]} */
  const lines = [];
  const logged = { write: (/** @type {string} */ s) => lines.push(s) };
  const token = "mt_Qs8Vn2Kx7Lp4Zr9W";
  const flows = ["contact-customer", "product-item"];
  const ops = await startOps({
    events, flows, metricsPort: 0, watchSeconds: 60, store: () => 2,
    env: { METRICS_TOKEN: token, ALERT_WEBHOOK_URL: `${origin}/services/T9/B9/Hk2Jq7Wm4Xz8` },
    config: { metrics: {}, health: { intervals: 2 }, alerts: { inbox: { error: 2 } } },
    log: createLogger({ format: "json", out: logged }),
  });
  try {
    assert.match(ops.lines[0], /^ {2}metrics {4}http:\/\/127\.0\.0\.1:\d+\/metrics, \/healthz, \/readyz {2}\(METRICS_TOKEN: set, not shown; \/metrics and \/readyz want it\)$/);
    assert.equal(ops.lines[1], "  alerts     ALERT_WEBHOOK_URL: set, not shown; on a failed run, a guard stop, a system not answering for 15 min, 2+ open error items; at most one per cause every 60 min");
    assert.ok(!ops.lines.join("\n").includes("Hk2Jq7Wm4Xz8") && !ops.lines.join("\n").includes(token));
    const auth = { authorization: `Bearer ${token}` };

    let r = await get(`${ops.url}/readyz`, { headers: auth });
    assert.equal(r.status, 503);
    assert.deepEqual(JSON.parse(r.body).failed, ["reach:customerp", "reach:chargebee", "run:contact-customer", "run:product-item"]);
    assert.equal(ops.health.intervals, 2);
    assert.equal(ops.health.o.intervalMs, 60_000, "the poll interval");

    events.request({ system: "customerp", method: "GET", status: 200, ms: 50, tenant: "" });
    events.request({ system: "chargebee", method: "GET", status: 200, ms: 50, tenant: "" });
    events.run({ flow: "contact-customer", outcome: "ok", run: 1, tenant: "", at: Date.now(), counts: {} });
    events.run({ flow: "product-item", outcome: "failed", run: 1, tenant: "", at: Date.now(), counts: { errors: 1 } });
    events.inbox({ tenant: "", counts: { error: 2 } });
    r = await get(`${ops.url}/readyz`, { headers: auth });
    assert.deepEqual(JSON.parse(r.body).failed, ["run:product-item"]);
    const fams = parsePrometheus((await get(`${ops.url}/metrics`, { headers: auth })).body);
    assert.equal(valueOf(fams, "customerp_chargebee_runs_total", { tenant: "", flow: "product-item", outcome: "failed" }), 1);
    assert.equal(valueOf(fams, "customerp_chargebee_runs_total", { tenant: "", flow: "order-order", outcome: "ok" }), undefined, "only the enabled flows start at 0");
    assert.equal(valueOf(fams, "customerp_chargebee_inbox_open", { tenant: "", kind: "error" }), 2);
    assert.ok(await ops.alerts?.flush(5000));
    assert.deepEqual(posted.map((p) => p.alert.key), ["run_failed::product-item", "inbox::error"]);
    // a JSON logger gets the events as lines
    assert.deepEqual(lines.map((l) => JSON.parse(l).msg), ["contact-customer ended ok", "product-item ended failed", "inbox: 2 open"]);
  } finally {
    const closed = ops.close();
    assert.equal(ops.close(), closed);
    await closed;
    await close(hook);
  }
  assert.equal(events.listenerCount("run") + events.listenerCount("reach") + events.listenerCount("request") + events.listenerCount("inbox"), 0);
  await assert.rejects(get(`${ops.url}/healthz`), /ECONNREFUSED/);
  assert.deepEqual(SHUTDOWN_MS, { sync: 60_000, server: 5_000, alerts: 10_000 });
  assert.equal(shutdownBoundMs(), 75_000);
});

test("startOps refuses before it listens: a metrics host beyond loopback without METRICS_TOKEN, a bad ALERT_WEBHOOK_URL; without --metrics no port is taken", async () => {
  const events = new HostEvents();
  await assert.rejects(startOps({ events, metricsPort: 0, metricsHost: "0.0.0.0", env: {} }), /--metrics-host 0\.0\.0\.0 listens beyond this machine: set METRICS_TOKEN/);
  await assert.rejects(startOps({ events, metricsPort: 0, env: {}, config: { metrics: { host: "0.0.0.0" }, health: {}, alerts: {} } }), /set METRICS_TOKEN/);
  await assert.rejects(startOps({ events, metricsPort: 0, env: { ALERT_WEBHOOK_URL: "hooks.example.com/Sk3Lq" } }), /ALERT_WEBHOOK_URL is not a URL \(its value is not shown/);
  assert.equal(events.eventNames().length, 0, "nothing left listening");
  const ops = await startOps({ events, metricsPort: null, env: {} });
  assert.equal(ops.server, null);
  assert.equal(ops.alerts, null);
  assert.deepEqual(ops.lines, []);
  assert.ok((await ops.registry.metrics()).includes("customerp_chargebee_runs_total"));
  await ops.close();
  assert.equal(events.eventNames().length, 0);
});

test("every flow is checked for readiness unless told otherwise", async () => {
  const ops = await startOps({ events: new HostEvents(), metricsPort: null, env: {} });
  assert.deepEqual(ops.health.flows, FLOWS.map((f) => f.id));
  await ops.close();
});
