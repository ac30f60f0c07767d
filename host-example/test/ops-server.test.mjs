// src/ops/server.mjs over real HTTP on loopback: /metrics in Prometheus' text format (parsed strictly)
// moving with the host's events, /healthz, /readyz with its failed checks, the token, the Host check,
// the refusal to listen beyond loopback without a token, secrets kept out, and a clean close.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HostEvents } from "../src/app/events.mjs";
import { FLOWS } from "../src/app/flows.mjs";
import { addSecret } from "../src/app/redact.mjs";
import { attachMetrics, PREFIX } from "../src/ops/metrics.mjs";
import { attachHealth } from "../src/ops/health.mjs";
import { startOpsServer, isLoopback, DEFAULT_PORT } from "../src/ops/server.mjs";
import { get, parsePrometheus, valueOf } from "./ops-helpers.mjs";

const FLOW_IDS = FLOWS.map((f) => f.id);

/** @param {Partial<import("../src/ops/server.mjs").OpsServerOptions>} [o] @param {Partial<import("../src/ops/health.mjs").HealthOptions>} [h] */
async function setup(o = {}, h = {}) {
  const events = new HostEvents();
  const metrics = attachMetrics(events);
  const health = attachHealth(events, { intervalMs: 600_000, store: () => 4, ...h });
  const server = await startOpsServer({ registry: metrics.registry, health, port: 0, ...o });
  return {
    events, server, health,
    async close() {
      await server.close();
      metrics.detach();
      health.detach();
    },
  };
}

/** Everything a good run says: both systems answered, every flow ended ok. @param {HostEvents} events */
function goodRun(events) {
  events.request({ system: "customerp", method: "GET", status: 200, ms: 90, tenant: "" });
  events.request({ system: "chargebee", method: "GET", status: 200, ms: 150, tenant: "" });
  for (const flow of FLOW_IDS) events.run({ flow, outcome: "ok", run: 1, tenant: "", at: Date.now(), counts: {} });
}

test("/metrics, /healthz and /readyz on 127.0.0.1: the text format with its content type, moving with events; 503 naming each failed check, then 200", async () => {
  const s = await setup();
  try {
    assert.match(s.server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    let r = await get(`${s.server.url}/healthz`);
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { ok: true });
    assert.equal(r.headers["cache-control"], "no-store");

    r = await get(`${s.server.url}/readyz`);
    assert.equal(r.status, 503);
    let body = JSON.parse(r.body);
    assert.equal(body.ok, false);
    assert.deepEqual(body.failed, ["reach:customerp", "reach:chargebee", ...FLOW_IDS.map((f) => `run:${f}`)]);
    assert.match(body.checks.find((/** @type {any} */ c) => c.name === "reach:chargebee").why, /^not yet checked/);

    r = await get(`${s.server.url}/metrics`);
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    let fams = parsePrometheus(r.body);
    assert.equal(valueOf(fams, `${PREFIX}runs_total`, { tenant: "", flow: "contact-customer", outcome: "ok" }), 0);
    assert.equal(valueOf(fams, `${PREFIX}requests_total`, { tenant: "", system: "chargebee", status: "200" }), undefined);
    assert.ok(fams.has("process_resident_memory_bytes") || fams.has("process_cpu_seconds_total"));

    goodRun(s.events);
    r = await get(`${s.server.url}/readyz`);
    assert.equal(r.status, 200, r.body);
    body = JSON.parse(r.body);
    assert.deepEqual(body.failed, []);
    assert.equal(body.checks.find((/** @type {any} */ c) => c.name === "store").why, "schema version 4");

    fams = parsePrometheus((await get(`${s.server.url}/metrics`)).body);
    assert.equal(valueOf(fams, `${PREFIX}runs_total`, { tenant: "", flow: "contact-customer", outcome: "ok" }), 1);
    assert.equal(valueOf(fams, `${PREFIX}requests_total`, { tenant: "", system: "chargebee", status: "200" }), 1);
    assert.equal(valueOf(fams, `${PREFIX}request_duration_seconds_bucket`, { tenant: "", system: "chargebee", le: "0.25" }), 1);

    // HEAD, other methods, other paths
    r = await get(`${s.server.url}/metrics`, { method: "HEAD" });
    assert.equal(r.status, 200);
    assert.equal(r.body, "");
    assert.ok(Number(r.headers["content-length"]) > 1000);
    r = await get(`${s.server.url}/metrics`, { method: "POST" });
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, "GET, HEAD");
    r = await get(`${s.server.url}/`);
    assert.equal(r.status, 404);
    assert.deepEqual(JSON.parse(r.body).paths, ["/healthz", "/readyz", "/metrics"]);
  } finally {
    await s.close();
  }
});

test("on loopback it answers only its own Host (421 otherwise, against DNS rebinding)", async () => {
  const s = await setup();
  try {
    for (const host of [`127.0.0.1:${s.server.port}`, `localhost:${s.server.port}`]) {
      assert.equal((await get(`${s.server.url}/healthz`, { headers: { host } })).status, 200, host);
    }
    for (const host of ["attacker.example", `attacker.example:${s.server.port}`, "127.0.0.1:1"]) {
      const r = await get(`${s.server.url}/metrics`, { headers: { host } });
      assert.equal(r.status, 421, host);
      assert.ok(!r.body.includes(PREFIX));
    }
  } finally {
    await s.close();
  }
});

test("METRICS_TOKEN: /metrics and /readyz want the bearer token, /healthz never; beyond loopback no start without one", async () => {
  const token = "mt_4fQw9Zr2Lx8Vb7Nc";
  const s = await setup({ token });
  try {
    for (const path of ["/metrics", "/readyz"]) {
      for (const authorization of [undefined, "Bearer wrong-token-000000", `Basic ${Buffer.from(`x:${token}`).toString("base64")}`, token]) {
        const r = await get(`${s.server.url}${path}`, { headers: authorization ? { authorization } : {} });
        assert.equal(r.status, 401, `${path} with ${authorization}`);
        assert.equal(r.headers["www-authenticate"], 'Bearer realm="customerp-chargebee"');
        assert.ok(!r.body.includes(token));
      }
      const r = await get(`${s.server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      assert.notEqual(r.status, 401, path);
    }
    assert.equal((await get(`${s.server.url}/healthz`)).status, 200);
  } finally {
    await s.close();
  }

  for (const host of ["0.0.0.0", "::", "192.0.2.10", "sync.example.com"]) {
    await assert.rejects(startOpsServer({ port: 0, host }), (e) => {
      assert.equal(/** @type {any} */ (e).name, "UsageError");
      assert.match(/** @type {Error} */ (e).message, new RegExp(`--metrics-host ${host.replace(/\./g, "\\.")} listens beyond this machine: set METRICS_TOKEN`));
      return true;
    });
  }
  await assert.rejects(startOpsServer({ port: 0, token: "short" }), /METRICS_TOKEN must be at least 16 characters/);
  assert.ok(isLoopback("127.0.0.1") && isLoopback("::1") && isLoopback("localhost") && isLoopback("127.1.2.3"));
  assert.ok(!isLoopback("0.0.0.0") && !isLoopback("10.0.0.1"));
  assert.equal(DEFAULT_PORT, 9484);
});

test("no secret reaches /metrics or /readyz, not in a label nor in a failed check", async () => {
  const secret = "cb_live_Hx72KqPz9WmR";
  addSecret(secret);
  const s = await setup({}, { store: () => Promise.reject(new Error(`login failed for key ${secret}`)) });
  try {
    s.events.run({ flow: "contact-customer", outcome: "ok", run: 1, tenant: `t-${secret}`, at: Date.now(), counts: {} });
    const m = await get(`${s.server.url}/metrics`);
    assert.ok(!m.body.includes(secret));
    const fams = parsePrometheus(m.body);
    assert.equal(valueOf(fams, `${PREFIX}runs_total`, { tenant: "t-[redacted]", flow: "contact-customer", outcome: "ok" }), 1);
    const r = await get(`${s.server.url}/readyz`);
    assert.equal(r.status, 503);
    assert.ok(!r.body.includes(secret));
    assert.match(r.body, /login failed for key \[redacted\]/);
  } finally {
    await s.close();
  }
});

test("close lets an answer under way finish, then the port is closed; a second close is the same promise", async () => {
  /** @type {(v: number) => void} */
  let release = () => {};
  let asked = false;
  const slowStore = () => new Promise((resolve) => {
    release = resolve;
    asked = true;
  });
  const s = await setup({}, { store: slowStore, storeTimeoutMs: 60_000 });
  const pending = get(`${s.server.url}/readyz`);
  for (let i = 0; i < 500 && !asked; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(asked, "the request reached the store's check");
  const closing = s.server.close();
  assert.equal(s.server.close(), closing);
  release(4);
  const r = await pending;
  assert.equal(r.status, 503);
  assert.equal(JSON.parse(r.body).checks[0].why, "schema version 4");
  await closing;
  await assert.rejects(get(`${s.server.url}/healthz`), /ECONNREFUSED/);
  await s.close();
});

test("a port in use is a usage error that names it", async () => {
  const s = await setup();
  try {
    await assert.rejects(startOpsServer({ port: s.server.port }), /the metrics port \d+ is in use on 127\.0\.0\.1: pick another \(--metrics P\)/);
  } finally {
    await s.close();
  }
});
