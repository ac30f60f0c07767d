// src/ops/metrics.mjs driven through a HostEvents instance: every series exists with its labels, starts
// at 0 where a counter should, and moves exactly as events say; read back through a strict parser of
// Prometheus' text format.
import { test } from "node:test";
import assert from "node:assert/strict";
import client from "prom-client";
import { HostEvents } from "../src/app/events.mjs";
import { FLOWS } from "../src/app/flows.mjs";
import { KINDS } from "../src/app/inbox.mjs";
import { attachMetrics, METRICS, PREFIX, DURATION_BUCKETS, RUN_OUTCOMES, WRITE_OUTCOMES, WEBHOOK_OUTCOMES } from "../src/ops/metrics.mjs";
import { parsePrometheus, valueOf } from "./ops-helpers.mjs";

const FLOW_IDS = FLOWS.map((f) => f.id);
const read = async (/** @type {client.Registry} */ r) => parsePrometheus(await r.metrics());

test("every metric is there from the start, typed, with its help, and the counters of every flow, system and outcome start at 0", async () => {
  const events = new HostEvents();
  const { registry, detach } = attachMetrics(events);
  try {
    const fams = await read(registry);
    for (const m of METRICS) {
      const f = fams.get(PREFIX + m.name);
      assert.ok(f, `${PREFIX}${m.name} is exposed`);
      assert.equal(f.type, m.type, m.name);
      assert.ok(f.help && f.help.length > 10, `${m.name} has a help text`);
    }
    for (const flow of FLOW_IDS) {
      for (const outcome of RUN_OUTCOMES) assert.equal(valueOf(fams, `${PREFIX}runs_total`, { tenant: "", flow, outcome }), 0, `${flow} ${outcome}`);
      for (const system of ["customerp", "chargebee"]) {
        for (const outcome of WRITE_OUTCOMES) assert.equal(valueOf(fams, `${PREFIX}writes_total`, { tenant: "", system, flow, outcome }), 0);
      }
    }
    for (const system of ["customerp", "chargebee"]) {
      assert.equal(valueOf(fams, `${PREFIX}rate_limited_total`, { tenant: "", system }), 0);
      assert.equal(valueOf(fams, `${PREFIX}request_duration_seconds_count`, { tenant: "", system }), 0);
      for (const outcome of WEBHOOK_OUTCOMES) assert.equal(valueOf(fams, `${PREFIX}webhook_events_total`, { tenant: "", source: system, outcome }), 0);
    }
    // buckets fit for 50 ms – 60 s
    const les = fams.get(`${PREFIX}request_duration_seconds`)?.samples.filter((s) => s.name.endsWith("_bucket") && s.labels.system === "chargebee").map((s) => s.labels.le);
    assert.deepEqual(les, [...DURATION_BUCKETS.map(String), "+Inf"]);
    assert.equal(DURATION_BUCKETS[0], 0.05);
    assert.equal(DURATION_BUCKETS.at(-1), 60);
    // the default process metrics, in this registry (not prom-client's global one)
    for (const name of ["process_cpu_user_seconds_total", "process_start_time_seconds", "nodejs_heap_size_used_bytes", "nodejs_eventloop_lag_seconds"]) {
      assert.ok(fams.has(name), name);
    }
    assert.ok(!(await client.register.metrics()).includes(PREFIX), "nothing in prom-client's global registry");
  } finally {
    detach();
  }
});

test("each event moves its series: requests and their durations, 429s, writes, runs, webhooks, the inbox, reachability", async () => {
  const events = new HostEvents();
  const { registry, detach } = attachMetrics(events);
  try {
    events.request({ system: "chargebee", method: "GET", status: 200, ms: 120, tenant: "" });
    events.request({ system: "chargebee", method: "POST", status: 200, ms: 700, tenant: "" });
    events.request({ system: "chargebee", method: "GET", status: 429, ms: 40, tenant: "" });
    events.request({ system: "customerp", method: "GET", status: 0, ms: 30_000, tenant: "" });
    events.request({ system: "customerp", method: "PATCH", status: 204, ms: 75_000, tenant: "" });
    events.rateLimited({ system: "chargebee", tenant: "", retryAfterMs: 1000 });
    events.write({ system: "chargebee", flow: "contact-customer", outcome: "ok", tenant: "" });
    events.write({ system: "chargebee", flow: "contact-customer", outcome: "ok", tenant: "" });
    events.write({ system: "customerp", flow: "quote-order", outcome: "replanned", tenant: "" });
    events.write({ system: "chargebee", flow: "product-item", outcome: "failed", tenant: "" });
    const at = Date.UTC(2026, 11, 7, 12, 0, 0);
    events.run({ flow: "contact-customer", outcome: "ok", run: 7, tenant: "", at, counts: { read: 10 } });
    events.run({ flow: "product-item", outcome: "failed", run: 7, tenant: "", at: at + 1000, counts: { errors: 1 } });
    events.run({ flow: "quote-order", outcome: "guard", run: 7, tenant: "", at: at + 2000, counts: {} });
    events.webhook({ source: "chargebee", outcome: "accepted", tenant: "" });
    events.webhook({ source: "customerp", outcome: "refused", tenant: "" });
    events.inbox({ tenant: "", counts: { error: 3, ambiguous: 1 } });

    let f = await read(registry);
    const v = (/** @type {string} */ name, /** @type {Record<string, string>} */ labels) => valueOf(f, PREFIX + name, labels);
    assert.equal(v("requests_total", { tenant: "", system: "chargebee", status: "200" }), 2);
    assert.equal(v("requests_total", { tenant: "", system: "chargebee", status: "429" }), 1);
    assert.equal(v("requests_total", { tenant: "", system: "customerp", status: "0" }), 1);
    assert.equal(v("requests_total", { tenant: "", system: "customerp", status: "204" }), 1);
    assert.equal(v("request_duration_seconds_count", { tenant: "", system: "chargebee" }), 3);
    assert.equal(v("request_duration_seconds_bucket", { tenant: "", system: "chargebee", le: "0.05" }), 1);
    assert.equal(v("request_duration_seconds_bucket", { tenant: "", system: "chargebee", le: "0.25" }), 2);
    assert.equal(v("request_duration_seconds_bucket", { tenant: "", system: "chargebee", le: "1" }), 3);
    assert.ok(Math.abs(/** @type {number} */ (v("request_duration_seconds_sum", { tenant: "", system: "chargebee" })) - 0.86) < 1e-9);
    assert.equal(v("request_duration_seconds_bucket", { tenant: "", system: "customerp", le: "30" }), 1);
    assert.equal(v("request_duration_seconds_bucket", { tenant: "", system: "customerp", le: "60" }), 1, "75 s is past the last bucket");
    assert.equal(v("request_duration_seconds_bucket", { tenant: "", system: "customerp", le: "+Inf" }), 2);
    assert.equal(v("rate_limited_total", { tenant: "", system: "chargebee" }), 1);
    assert.equal(v("rate_limited_total", { tenant: "", system: "customerp" }), 0);
    assert.equal(v("writes_total", { tenant: "", system: "chargebee", flow: "contact-customer", outcome: "ok" }), 2);
    assert.equal(v("writes_total", { tenant: "", system: "customerp", flow: "quote-order", outcome: "replanned" }), 1);
    assert.equal(v("writes_total", { tenant: "", system: "chargebee", flow: "product-item", outcome: "failed" }), 1);
    assert.equal(v("runs_total", { tenant: "", flow: "contact-customer", outcome: "ok" }), 1);
    assert.equal(v("runs_total", { tenant: "", flow: "product-item", outcome: "failed" }), 1);
    assert.equal(v("runs_total", { tenant: "", flow: "quote-order", outcome: "guard" }), 1);
    assert.equal(v("last_success_timestamp_seconds", { tenant: "", flow: "contact-customer" }), at / 1000);
    assert.equal(v("last_success_timestamp_seconds", { tenant: "", flow: "product-item" }), undefined, "no ok run of product-item yet");
    assert.equal(v("webhook_events_total", { tenant: "", source: "chargebee", outcome: "accepted" }), 1);
    assert.equal(v("webhook_events_total", { tenant: "", source: "customerp", outcome: "refused" }), 1);
    for (const kind of KINDS) assert.equal(v("inbox_open", { tenant: "", kind }), kind === "error" ? 3 : kind === "ambiguous" ? 1 : 0, kind);
    // HostEvents.request also emits reach: chargebee answered; customerp's last request (204) answered too
    assert.equal(v("system_reachable", { tenant: "", system: "chargebee" }), 1);
    assert.equal(v("system_reachable", { tenant: "", system: "customerp" }), 1);
    assert.ok(/** @type {number} */ (v("last_answer_timestamp_seconds", { tenant: "", system: "customerp" })) > at / 1000 - 86400 * 365);

    // a later inbox without a kind puts it back to 0; a refused connection makes a system unreachable
    events.inbox({ tenant: "", counts: { ambiguous: 2 } });
    events.request({ system: "customerp", method: "GET", status: 0, ms: 5, tenant: "" });
    events.run({ flow: "product-item", outcome: "ok", run: 8, tenant: "", at: at + 60_000, counts: {} });
    f = await read(registry);
    assert.equal(v("inbox_open", { tenant: "", kind: "error" }), 0);
    assert.equal(v("inbox_open", { tenant: "", kind: "ambiguous" }), 2);
    assert.equal(v("system_reachable", { tenant: "", system: "customerp" }), 0);
    assert.equal(v("last_success_timestamp_seconds", { tenant: "", flow: "product-item" }), (at + 60_000) / 1000);
    assert.equal(v("runs_total", { tenant: "", flow: "product-item", outcome: "failed" }), 1, "counters only go up");
  } finally {
    detach();
  }
});

test("tenants: each has its own series, started at 0 when first seen; detach stops counting; a bad event never reaches the host", async () => {
  const events = new HostEvents();
  /** @type {string[]} */
  const errors = [];
  const { registry, detach } = attachMetrics(events, { tenants: ["acme"], onError: (where) => errors.push(where) });
  const f0 = await read(registry);
  assert.equal(valueOf(f0, `${PREFIX}runs_total`, { tenant: "acme", flow: "order-order", outcome: "failed" }), 0);
  assert.equal(valueOf(f0, `${PREFIX}runs_total`, { tenant: "", flow: "order-order", outcome: "failed" }), undefined, "only the tenants given");

  events.run({ flow: "order-order", outcome: "ok", run: 1, tenant: "nordlys", at: Date.now(), counts: {} });
  events.request({ system: "chargebee", method: "GET", status: 200, ms: 80, tenant: "acme" });
  let f = await read(registry);
  assert.equal(valueOf(f, `${PREFIX}runs_total`, { tenant: "nordlys", flow: "order-order", outcome: "ok" }), 1);
  assert.equal(valueOf(f, `${PREFIX}runs_total`, { tenant: "nordlys", flow: "order-order", outcome: "failed" }), 0, "a new tenant's counters start at 0");
  assert.equal(valueOf(f, `${PREFIX}requests_total`, { tenant: "acme", system: "chargebee", status: "200" }), 1);
  assert.equal(valueOf(f, `${PREFIX}requests_total`, { tenant: "nordlys", system: "chargebee", status: "200" }), undefined);

  // a malformed event: the listener fails, the emitter (the host's loop) does not
  assert.doesNotThrow(() => events.emit("run", null));
  assert.doesNotThrow(() => events.emit("inbox", { tenant: "acme", counts: null }));
  assert.equal(errors.length, 1);
  assert.match(errors[0], /metrics \(run\)/);

  detach();
  events.request({ system: "chargebee", method: "GET", status: 200, ms: 80, tenant: "acme" });
  f = await read(registry);
  assert.equal(valueOf(f, `${PREFIX}requests_total`, { tenant: "acme", system: "chargebee", status: "200" }), 1, "not counted after detach");
  assert.equal(events.listenerCount("request") + events.listenerCount("run") + events.listenerCount("inbox"), 0);
});

test("the series a tenant costs: 100 at its first event, then one per system and status seen, one per inbox kind, and per flow its last success", async () => {
  const events = new HostEvents();
  const { registry, detach } = attachMetrics(events, { defaultMetrics: false });
  const count = async () => [...(await read(registry)).values()].reduce((n, fam) => n + fam.samples.length, 0);
  try {
    // 6 flows × 4 run outcomes + 6 × 2 systems × 3 write outcomes + 2 × 5 webhook outcomes + 2 rate-limited + 2 × 14 histogram
    assert.equal(await count(), 24 + 36 + 10 + 2 + 28);
    // a run of every flow: 5,000 requests of 6 statuses on two systems, writes, the inbox
    const statuses = [200, 201, 204, 404, 429, 0];
    for (let i = 0; i < 5000; i++) {
      events.request({ system: i % 2 ? "chargebee" : "customerp", method: "GET", status: statuses[i % statuses.length], ms: i % 700, tenant: "" });
    }
    for (const flow of FLOW_IDS) events.run({ flow, outcome: "ok", run: 1, tenant: "", at: Date.now(), counts: {} });
    events.inbox({ tenant: "", counts: { error: 1 } });
    const statusSeries = 6; // i % 2 and i % 6 pair each system with three statuses
    assert.equal(await count(), 100 + statusSeries + KINDS.length + FLOW_IDS.length + 2 + 2);
  } finally {
    detach();
  }
});

test("the test's parser is strict: it refuses what Prometheus refuses", () => {
  const ok = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 2\n\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n";
  const fams = parsePrometheus(ok);
  assert.equal(valueOf(fams, "a_total", { x: "1" }), 2);
  assert.equal(valueOf(fams, "h_count", {}), 2);
  assert.equal(parsePrometheus('# TYPE g gauge\ng{l="a\\"b\\\\c\\nd"} NaN\n').get("g")?.samples[0].labels.l, 'a"b\\c\nd');
  for (const [bad, why] of [
    ["a_total 1\n", /no TYPE/],
    ["# TYPE a counter\na 1", /newline/],
    ["# TYPE a counter\na 1\na 2\n", /same series twice/],
    ['# TYPE a counter\na{x="1} 1\n', /unterminated|expected/],
    ['# TYPE a counter\na{x="\\t"} 1\n', /bad escape/],
    ["# TYPE a counter\na one\n", /bad value/],
    ['# TYPE a counter\na{1x="1"} 1\n', /bad label/],
    ["# TYPE a counter\n# TYPE a counter\n", /second TYPE/],
    ["# TYPE a counter\n# TYPE b counter\na 1\nb 1\na{x=\"2\"} 1\n", /not together/],
    ['# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', /not cumulative/],
    ['# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', /\+Inf/],
    ['# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n', /_count/],
  ]) assert.throws(() => parsePrometheus(/** @type {string} */ (bad)), /** @type {RegExp} */ (why), JSON.stringify(bad));
});
