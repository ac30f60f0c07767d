// src/ops/health.mjs driven through a HostEvents instance and a clock of the test's own: each readiness
// check, named, with why it failed; the store's check with its error (redacted) and its timeout.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HostEvents } from "../src/app/events.mjs";
import { FLOWS } from "../src/app/flows.mjs";
import { addSecret } from "../src/app/redact.mjs";
import { attachHealth, ago } from "../src/ops/health.mjs";

const FLOW_IDS = FLOWS.map((f) => f.id);
const MIN = 60_000;

/** A health on a clock the test moves. @param {Partial<import("../src/ops/health.mjs").HealthOptions>} [o] */
function setup(o = {}) {
  const events = new HostEvents();
  const clock = { t: Date.UTC(2026, 11, 7, 9, 0, 0) };
  const health = attachHealth(events, { intervalMs: 10 * MIN, intervals: 3, graceMs: MIN, now: () => clock.t, store: () => 4, ...o });
  const reach = (/** @type {"customerp" | "chargebee"} */ system, ok = true, tenant = "", /** @type {string | undefined} */ error = undefined) =>
    events.emit("reach", { system, tenant, ok, at: clock.t, ...(error ? { error } : {}) });
  const run = (/** @type {string} */ flow, /** @type {"ok" | "failed" | "guard" | "fenced"} */ outcome = "ok", n = 1, tenant = "") =>
    events.run({ flow, outcome, run: n, tenant, at: clock.t, counts: {} });
  return { events, clock, health, reach, run };
}

/** @param {{ checks: import("../src/ops/health.mjs").Check[] }} r @param {string} name */
const check = (r, name) => {
  const c = r.checks.find((x) => x.name === name);
  assert.ok(c, `check ${name}`);
  return c;
};

test("alive always; ready only when the store opens, both systems answered within the interval and every flow's last run was ok", async () => {
  const { health, reach, run, clock } = setup();
  assert.deepEqual(health.live(), { ok: true });

  let r = await health.ready();
  assert.equal(r.ok, false);
  assert.deepEqual(check(r, "store"), { name: "store", ok: true, why: "schema version 4" });
  for (const system of ["customerp", "chargebee"]) {
    const c = check(r, `reach:${system}`);
    assert.equal(c.ok, false);
    assert.match(/** @type {string} */ (c.why), /^not yet checked: (Customerp|Chargebee) has not been contacted since the start/);
  }
  for (const flow of FLOW_IDS) assert.match(/** @type {string} */ (check(r, `run:${flow}`).why), /^not yet run since the start/);
  assert.deepEqual(r.failed, ["reach:customerp", "reach:chargebee", ...FLOW_IDS.map((f) => `run:${f}`)]);

  reach("customerp");
  reach("chargebee");
  for (const flow of FLOW_IDS) run(flow);
  r = await health.ready();
  assert.equal(r.ok, true, JSON.stringify(r.failed));
  assert.deepEqual(r.failed, []);

  // one interval (and the grace) later without an answer: not ready, and it says since when
  clock.t += 10 * MIN + MIN + 1000;
  r = await health.ready();
  assert.deepEqual(r.failed, ["reach:customerp", "reach:chargebee"]);
  assert.match(/** @type {string} */ (check(r, "reach:chargebee").why), /^Chargebee last answered 11 min ago \(2026-12-07T09:00:00.000Z\), more than 11 min$/);

  // the last attempt failed, but an answer within the interval counts; past it, the failure is named
  reach("customerp");
  reach("chargebee");
  clock.t += MIN;
  reach("chargebee", false, "", "connect ECONNREFUSED 10.0.0.7:443");
  r = await health.ready();
  assert.equal(r.ok, true);
  assert.match(/** @type {string} */ (check(r, "reach:chargebee").why), /answered 60 s ago; the last attempt at .* got no answer: connect ECONNREFUSED/);
  clock.t += 10 * MIN + 1000;
  r = await health.ready();
  assert.equal(check(r, "reach:chargebee").ok, false);
  assert.match(/** @type {string} */ (check(r, "reach:chargebee").why), /^Chargebee last answered 11 min ago \(2026-12-07T09:11:01.000Z\), more than 11 min; the last attempt at 2026-12-07T09:12:01.000Z got no answer: connect ECONNREFUSED 10.0.0.7:443$/);
});

test("a flow's last run: failed, stopped by the guard, fenced, or ok but older than N intervals", async () => {
  const { health, reach, run, clock } = setup();
  const fresh = () => {
    reach("customerp");
    reach("chargebee");
  };
  fresh();
  for (const flow of FLOW_IDS) run(flow, "ok", 1);
  run("product-item", "failed", 2);
  run("quote-order", "guard", 2);
  run("order-order", "fenced", 2);
  let r = await health.ready();
  assert.deepEqual(r.failed, ["run:product-item", "run:quote-order", "run:order-order"]);
  assert.match(/** @type {string} */ (check(r, "run:product-item").why), /^the last run \(2\) ended failed \(see the inbox's error items\) at 2026-12-07T09:00:00.000Z$/);
  assert.match(/** @type {string} */ (check(r, "run:quote-order").why), /stopped by the guard/);
  assert.match(/** @type {string} */ (check(r, "run:order-order").why), /fenced/);

  // ok again; then 3 intervals (and the grace) pass with answers but no run
  for (const flow of ["product-item", "quote-order", "order-order"]) run(flow, "ok", 3);
  assert.equal((await health.ready()).ok, true);
  for (let i = 0; i < 3; i++) {
    clock.t += 10 * MIN;
    fresh();
  }
  assert.equal((await health.ready()).ok, true, "within 3 intervals and the grace");
  clock.t += MIN + 1000;
  fresh();
  r = await health.ready();
  assert.equal(r.failed.length, FLOW_IDS.length);
  assert.match(/** @type {string} */ (check(r, "run:contact-customer").why), /^the last run ended ok 31 min ago \(2026-12-07T09:00:00.000Z\), more than 3 intervals \(31 min\)$/);
});

test("only the enabled flows and the tenants given are checked; each tenant's checks are named for it", async () => {
  const { health, reach, run } = setup({ flows: ["contact-customer"], tenants: ["acme", "nordlys"] });
  reach("customerp", true, "acme");
  reach("chargebee", true, "acme");
  run("contact-customer", "ok", 1, "acme");
  run("order-order", "failed", 1, "acme"); // not enabled: not checked
  reach("chargebee", true, "someone-else");
  const r = await health.ready();
  assert.deepEqual(r.failed, ["reach:customerp@nordlys", "reach:chargebee@nordlys", "run:contact-customer@nordlys"]);
  assert.equal(check(r, "run:contact-customer@acme").tenant, "acme");
  assert.equal(r.checks.length, 1 + 2 * 3);
});

test("the store: a failure says why, without a secret; one that hangs fails at its timeout; events that throw are contained", async () => {
  const secret = "pg-password-Vq8sLr2Xn4";
  addSecret(secret);
  let r = await setup({ store: () => Promise.reject(new Error(`connect to postgres://sync:${secret}@db.internal/sync refused`)) }).health.ready();
  const c = check(r, "store");
  assert.equal(c.ok, false);
  assert.ok(!JSON.stringify(r).includes(secret));
  assert.match(/** @type {string} */ (c.why), /^the store does not open: connect to postgres:\/\/\[redacted\]@db.internal\/sync refused$/);

  r = await setup({ store: () => new Promise(() => {}), storeTimeoutMs: 50 }).health.ready();
  assert.equal(check(r, "store").why, "the store does not open: no answer within 50 ms");

  r = await setup({ store: () => { throw new Error("SQLITE_CANTOPEN"); } }).health.ready();
  assert.equal(check(r, "store").why, "the store does not open: SQLITE_CANTOPEN");

  /** @type {string[]} */
  const errors = [];
  const { events, health } = setup({ onError: (w) => errors.push(w) });
  assert.doesNotThrow(() => events.emit("run", undefined));
  assert.deepEqual(errors, ["health (run)"]);
  health.detach();
  assert.equal(events.listenerCount("run") + events.listenerCount("reach"), 0);
});

test("options are checked, and durations read as people say them", () => {
  assert.throws(() => setup({ intervalMs: 0 }), /intervalMs/);
  assert.throws(() => setup({ intervals: 0.5 }), /intervals/);
  assert.deepEqual([ago(50), ago(45_000), ago(12 * MIN), ago(3 * 60 * MIN)], ["50 ms", "45 s", "12 min", "3 h"]);
});
