// src/ops/alerts.mjs driven through a HostEvents instance, posting to a webhook receiver on loopback that
// stands in for a Slack incoming webhook: each cause once per interval, a system down past the limit and
// back, inbox thresholds, bounded retries that never throw into the host, and the URL kept secret.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { HostEvents } from "../src/app/events.mjs";
import { redact } from "../src/app/redact.mjs";
import { attachAlerts, deliveryBoundMs, ALERT_DEFAULTS } from "../src/ops/alerts.mjs";
import { close, listen, readBody } from "../src/lib/http.mjs";

const MIN = 60_000;

/**
 * A webhook receiver: answers each POST with the next status of `plan` (then 200), keeps the bodies.
 * "hang" holds the request without answering until the receiver closes.
 * @param {Array<number | "hang" | [number, Record<string, string>]>} [plan]
 */
async function receiver(plan = []) {
  /** @type {Array<{ body: any, type: string | undefined, path: string | undefined }>} */
  const got = [];
  let requests = 0;
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    requests++;
    const step = plan.shift() ?? 200;
    if (step === "hang") return;
    const [status, headers] = Array.isArray(step) ? step : [step, {}];
    if (status === 200) got.push({ body: JSON.parse(body), type: req.headers["content-type"], path: req.url });
    res.writeHead(status, { "content-type": "text/plain", ...headers });
    res.end(status === 200 ? "ok" : "no");
  });
  const { origin } = await listen(server);
  return { got, url: `${origin}/services/T0ABC/B0DEF/xYz9SecretPart12345`, requests: () => requests, close: () => close(server) };
}

/** A logger that keeps its lines. */
function logSink() {
  /** @type {string[]} */
  const lines = [];
  const at = (/** @type {string} */ level) => (/** @type {any} */ fields, /** @type {string | undefined} */ msg) => {
    lines.push(redact(`${level} ${msg ?? (typeof fields === "string" ? fields : "")} ${typeof fields === "object" ? JSON.stringify(fields) : ""}`));
  };
  return { lines, warn: at("warn"), info: at("info"), debug: at("debug") };
}

/** Waits (bounded) until `cond` holds. @param {() => boolean} cond @param {string} what */
async function until(cond, what, ms = 10_000) {
  for (let i = 0; i < ms / 10 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `waited for ${what}`);
}

/** @param {Partial<import("../src/ops/alerts.mjs").AlertOptions> & { url: string }} o */
function setup(o) {
  const events = new HostEvents();
  const clock = { t: Date.UTC(2026, 11, 7, 9, 0, 0) };
  const log = logSink();
  const alerts = attachAlerts(events, { now: () => clock.t, checkEveryMs: 0, backoffMs: 10, timeoutMs: 2000, host: "sync-1", log, ...o });
  return { events, clock, alerts, log };
}

test("a failed run and a guard stop: one Slack-style POST each, with the cause's fields; the same cause again within the interval is held back and counted", async () => {
  const rx = await receiver();
  const { events, clock, alerts } = setup({ url: rx.url });
  try {
    events.run({ flow: "contact-customer", outcome: "failed", run: 12, tenant: "", at: clock.t, counts: { errors: 3, read: 40, note: "x" } });
    events.run({ flow: "quote-order", outcome: "guard", run: 12, tenant: "acme", at: clock.t, counts: {} });
    events.run({ flow: "order-order", outcome: "ok", run: 12, tenant: "", at: clock.t, counts: {} });
    events.run({ flow: "order-order", outcome: "fenced", run: 12, tenant: "", at: clock.t, counts: {} });
    assert.ok(await alerts.flush(5000));
    assert.equal(rx.got.length, 2);
    const [failed, guard] = rx.got;
    assert.equal(failed.type, "application/json");
    assert.equal(failed.body.text, "customerp-chargebee on sync-1: contact-customer failed in run 12 (3 records failed): the failed records are error items in the inbox (customerp-chargebee-sync inbox --kind error).");
    assert.deepEqual(failed.body.alert, { cause: "run_failed", key: "run_failed::contact-customer", tenant: "", flow: "contact-customer", run: 12,
      counts: { errors: 3, read: 40 }, at: "2026-12-07T09:00:00.000Z", host: "sync-1", heldBack: 0 });
    assert.match(guard.body.text, /^customerp-chargebee on sync-1 \(tenant acme\): the guard stopped quote-order in run 12: .*confirm it to let the next run through\.$/);
    assert.equal(guard.body.alert.key, "guard:acme:quote-order");

    // the same causes within the hour: held back; another flow: its own cause
    for (let i = 0; i < 3; i++) {
      clock.t += 10 * MIN;
      events.run({ flow: "contact-customer", outcome: "failed", run: 13 + i, tenant: "", at: clock.t, counts: { errors: 1 } });
    }
    events.run({ flow: "product-item", outcome: "failed", run: 15, tenant: "", at: clock.t, counts: {} });
    assert.ok(await alerts.flush(5000));
    assert.equal(rx.got.length, 3);
    assert.equal(rx.got[2].body.alert.flow, "product-item");
    assert.equal(alerts.stats.heldBack, 3);

    // an interval after the first: the next one goes out and says how many were held back
    clock.t += 31 * MIN;
    events.run({ flow: "contact-customer", outcome: "failed", run: 17, tenant: "", at: clock.t, counts: { errors: 1 } });
    assert.ok(await alerts.flush(5000));
    assert.equal(rx.got.length, 4);
    assert.equal(rx.got[3].body.alert.heldBack, 3);
    assert.match(rx.got[3].body.text, /\(1 record failed\).* \(3 more of this since the last alert, held back\)$/);
  } finally {
    alerts.detach();
    await rx.close();
  }
});

test("a system that has not answered for more than the limit: one alert (also from the timer, without events), and one when it answers again", async () => {
  const rx = await receiver();
  const { events, clock, alerts } = setup({ url: rx.url, unreachableMs: 15 * MIN });
  try {
    const t0 = clock.t;
    events.emit("reach", { system: "customerp", tenant: "", ok: false, at: clock.t, error: "connect ECONNREFUSED 10.1.2.3:443" });
    clock.t += 14 * MIN;
    events.emit("reach", { system: "customerp", tenant: "", ok: false, at: clock.t });
    events.emit("reach", { system: "chargebee", tenant: "", ok: true, at: clock.t });
    assert.ok(await alerts.flush(5000));
    assert.equal(rx.got.length, 0, "14 minutes: not yet");
    clock.t += 2 * MIN;
    events.emit("reach", { system: "customerp", tenant: "", ok: false, at: clock.t });
    assert.ok(await alerts.flush(5000));
    assert.equal(rx.got.length, 1);
    assert.equal(rx.got[0].body.text, `customerp-chargebee on sync-1: Customerp has not answered for 16 min (since ${new Date(t0).toISOString()}): connect ECONNREFUSED 10.1.2.3:443. Nothing is synced with it until it answers.`);
    assert.deepEqual([rx.got[0].body.alert.cause, rx.got[0].body.alert.system, rx.got[0].body.alert.key], ["unreachable", "customerp", "unreachable::customerp"]);

    events.emit("reach", { system: "customerp", tenant: "", ok: true, at: clock.t + 1000 });
    assert.ok(await alerts.flush(5000));
    assert.equal(rx.got.length, 2);
    assert.equal(rx.got[1].body.text, "customerp-chargebee on sync-1: Customerp answers again (it had not answered for 16 min).");
    // a short outage that never alerted says nothing when it ends
    events.emit("reach", { system: "chargebee", tenant: "", ok: false, at: clock.t });
    events.emit("reach", { system: "chargebee", tenant: "", ok: true, at: clock.t + 5000 });
    assert.ok(await alerts.flush(5000));
    assert.equal(rx.got.length, 2);
  } finally {
    alerts.detach();
  }

  // the timer: no event comes (the host stopped trying), the limit passes, the alert goes out
  const s = setup({ url: rx.url, unreachableMs: 15 * MIN, checkEveryMs: 20 });
  try {
    s.events.emit("reach", { system: "chargebee", tenant: "acme", ok: false, at: s.clock.t, error: "getaddrinfo ENOTFOUND acme.chargebee.com" });
    s.clock.t += 20 * MIN;
    await until(() => rx.got.length === 3, "the timer's alert");
    assert.equal(rx.got[2].body.alert.key, "unreachable:acme:chargebee");
    assert.match(rx.got[2].body.text, /^customerp-chargebee on sync-1 \(tenant acme\): Chargebee has not answered for 20 min/);
  } finally {
    s.alerts.detach();
    assert.equal(s.alerts.timer, null);
    await rx.close();
  }
});

test("open inbox items of a kind at a threshold: one alert per kind and tenant per interval; below it, none", async () => {
  const rx = await receiver();
  const { events, clock, alerts } = setup({ url: rx.url, inbox: { error: 1, ambiguous: 25 } });
  try {
    events.inbox({ tenant: "", counts: { error: 0, ambiguous: 24, manual: 400 } });
    assert.ok(await alerts.flush(5000));
    assert.equal(rx.got.length, 0);
    events.inbox({ tenant: "", counts: { error: 2, ambiguous: 25 } });
    events.inbox({ tenant: "", counts: { error: 3, ambiguous: 26 } });
    events.inbox({ tenant: "nordlys", counts: { error: 1 } });
    assert.ok(await alerts.flush(5000));
    assert.deepEqual(rx.got.map((g) => g.body.alert.key), ["inbox::error", "inbox::ambiguous", "inbox:nordlys:error"]);
    assert.equal(rx.got[0].body.text, "customerp-chargebee on sync-1: 2 open error items in the inbox (the alert is set at 1): customerp-chargebee-sync inbox --kind error.");
    assert.deepEqual([rx.got[1].body.alert.count, rx.got[1].body.alert.threshold], [25, 25]);
    clock.t += 61 * MIN;
    events.inbox({ tenant: "", counts: { error: 1 } });
    assert.ok(await alerts.flush(5000));
    assert.equal(rx.got.length, 4);
    assert.match(rx.got[3].body.text, /1 open error item in the inbox .* \(1 more of this since the last alert, held back\)$/);
  } finally {
    alerts.detach();
    await rx.close();
  }
});

test("delivery: 500s and 429 are retried with back-off, a 4xx is not; after the bound the alert is dropped and logged; nothing throws into the host", async () => {
  // two 500s, then delivered
  let rx = await receiver([500, 503]);
  let s = setup({ url: rx.url, retries: 3 });
  s.events.run({ flow: "order-order", outcome: "failed", run: 1, tenant: "", at: s.clock.t, counts: {} });
  assert.ok(await s.alerts.flush(10_000));
  assert.equal(rx.got.length, 1);
  assert.equal(rx.requests(), 3);
  assert.deepEqual([s.alerts.stats.sent, s.alerts.stats.failed, s.alerts.stats.attempts], [1, 0, 3]);
  assert.equal(s.log.lines.filter((l) => /retrying in/.test(l)).length, 2);
  s.alerts.detach();
  await rx.close();

  // a 429 with Retry-After, then delivered
  rx = await receiver([[429, { "retry-after": "1" }]]);
  s = setup({ url: rx.url });
  s.events.run({ flow: "order-order", outcome: "failed", run: 1, tenant: "", at: s.clock.t, counts: {} });
  assert.ok(await s.alerts.flush(10_000));
  assert.equal(rx.requests(), 2);
  assert.match(s.log.lines.join("\n"), /HTTP 429\); retrying in 1 s/);
  s.alerts.detach();
  await rx.close();

  // always 500: 1 + retries attempts, then dropped with a line in the log
  rx = await receiver([500, 500, 500, 500, 500]);
  s = setup({ url: rx.url, retries: 2 });
  s.events.run({ flow: "order-order", outcome: "failed", run: 1, tenant: "", at: s.clock.t, counts: {} });
  assert.ok(await s.alerts.flush(10_000));
  assert.equal(rx.requests(), 3);
  assert.deepEqual([s.alerts.stats.sent, s.alerts.stats.failed], [0, 1]);
  assert.match(s.log.lines.at(-1) ?? "", /run_failed::order-order not delivered after 3 attempts \(HTTP 500\); dropped/);
  s.alerts.detach();
  await rx.close();

  // 404 (a revoked Slack webhook): not retried
  rx = await receiver([404]);
  s = setup({ url: rx.url });
  s.events.run({ flow: "order-order", outcome: "failed", run: 1, tenant: "", at: s.clock.t, counts: {} });
  assert.ok(await s.alerts.flush(10_000));
  assert.equal(rx.requests(), 1);
  assert.match(s.log.lines.join("\n"), /refused run_failed::order-order \(HTTP 404\); not retried: check ALERT_WEBHOOK_URL/);
  s.alerts.detach();

  // no answer: each attempt ends at its timeout
  await rx.close();
  rx = await receiver(["hang", "hang"]);
  s = setup({ url: rx.url, retries: 1, timeoutMs: 100 });
  s.events.run({ flow: "order-order", outcome: "failed", run: 1, tenant: "", at: s.clock.t, counts: {} });
  assert.ok(await s.alerts.flush(10_000));
  assert.equal(rx.requests(), 2);
  assert.match(s.log.lines.at(-1) ?? "", /not delivered after 2 attempts \(no answer within 100 ms\); dropped/);
  s.alerts.detach();
  await rx.close();

  // nobody listens at all (the receiver is gone): retried, dropped, and the URL is in no line
  s = setup({ url: rx.url, retries: 1 });
  assert.doesNotThrow(() => s.events.run({ flow: "order-order", outcome: "failed", run: 1, tenant: "", at: s.clock.t, counts: {} }));
  assert.ok(await s.alerts.flush(10_000));
  assert.equal(s.alerts.stats.failed, 1);
  assert.match(s.log.lines.at(-1) ?? "", /not delivered after 2 attempts \(fetch failed \(connect ECONNREFUSED/);
  for (const l of s.log.lines) assert.ok(!l.includes("xYz9SecretPart12345"), l);
  s.alerts.detach();

  // a malformed event never reaches the emitter's caller
  assert.doesNotThrow(() => s.events.emit("run", null));
  assert.doesNotThrow(() => s.events.emit("inbox", 42));
});

test("a queue with a bound: past it the oldest alert is dropped, and said so", async () => {
  const rx = await receiver(["hang"]);
  const { events, clock, alerts, log } = setup({ url: rx.url, maxQueue: 2, retries: 0, timeoutMs: 300 });
  try {
    for (const flow of ["customer-business_entity", "product-item", "contact-customer", "employee-customer"]) {
      events.run({ flow, outcome: "failed", run: 1, tenant: "", at: clock.t, counts: {} });
    }
    assert.equal(alerts.stats.dropped, 1, "one in flight, two queued, one dropped");
    assert.match(log.lines.join("\n"), /more than 2 waiting to be sent; dropped the oldest \(run_failed::product-item\)/);
    assert.ok(await alerts.flush(10_000));
    assert.deepEqual(rx.got.map((g) => g.body.alert.flow), ["contact-customer", "employee-customer"]);
  } finally {
    alerts.detach();
    await rx.close();
  }
});

test("the URL is a credential: registered with the redactor, never in an error; a bad one is refused without its value", async () => {
  const url = "https://hooks.example.com/services/T01/B02/Q7mZr8TvK2pL9wXy";
  setup({ url });
  assert.equal(redact(`posting to ${url} failed`), "posting to [redacted] failed");
  assert.equal(redact("path /services/T01/B02/Q7mZr8TvK2pL9wXy"), "path [redacted]");
  for (const bad of ["not a url Q7mZr8", "ftp://files.example.com/Q7mZr8"]) {
    assert.throws(() => setup({ url: bad }), (e) => {
      assert.equal(/** @type {any} */ (e).name, "UsageError");
      assert.ok(!/** @type {Error} */ (e).message.includes("Q7mZr8"));
      return true;
    });
  }
  // options: defaults, and the longest a delivery can take (what a shutdown waits for at most)
  assert.deepEqual([ALERT_DEFAULTS.intervalMs, ALERT_DEFAULTS.unreachableMs, ALERT_DEFAULTS.retries], [3600_000, 900_000, 3]);
  assert.equal(deliveryBoundMs(), 4 * 10_000 + 1_000 + 4_000 + 16_000);
  assert.equal(deliveryBoundMs({ retries: 5, timeoutMs: 1000, backoffMs: 1000 }), 6 * 1000 + 1000 + 4000 + 16_000 + 30_000 + 30_000);
});
