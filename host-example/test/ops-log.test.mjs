// src/ops/log.mjs: JSON lines through pino (time, level, msg and fields), the text lines the commands
// print today, LOG_LEVEL, and the redactor on every line: a registered secret in the message, in a
// nested field, in child fields, in an Error's message and stack never reaches the stream.
import { test } from "node:test";
import assert from "node:assert/strict";
import { addSecret } from "../src/app/redact.mjs";
import { HostEvents } from "../src/app/events.mjs";
import { createLogger, loggerFromEnv, logEvents } from "../src/ops/log.mjs";

/** A stream that keeps what is written. */
function sink() {
  /** @type {string[]} */
  const chunks = [];
  return { chunks, write: (/** @type {string} */ s) => chunks.push(String(s)), text: () => chunks.join(""), lines: () => chunks.join("").split("\n").filter(Boolean) };
}

test("LOG_FORMAT=json: one JSON object a line with time, level, msg and the fields given; LOG_LEVEL filters", () => {
  const out = sink();
  const log = createLogger({ format: "json", level: "info", out });
  log.info({ run: 12, flow: "contact-customer", tenant: "", counts: { read: 9, created: 2 } }, "flow ended");
  log.debug({ run: 12 }, "not shown at info");
  log.warn("a plain message");
  log.child({ tenant: "acme", run: 13 }).error({ flow: "order-order" }, "flow failed");
  log.line("  flow                      read CP/CB  matched");
  log.line("");
  const lines = out.lines().map((l) => JSON.parse(l));
  assert.equal(lines.length, 4);
  const [a, b, c, d] = lines;
  assert.match(a.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(a.level, "info");
  assert.equal(a.msg, "flow ended");
  assert.deepEqual([a.run, a.flow, a.tenant, a.counts], [12, "contact-customer", "", { read: 9, created: 2 }]);
  assert.deepEqual([b.level, b.msg], ["warn", "a plain message"]);
  assert.deepEqual([c.level, c.msg, c.tenant, c.run, c.flow], ["error", "flow failed", "acme", 13, "order-order"]);
  assert.deepEqual([d.level, d.msg, d.report], ["info", "  flow                      read CP/CB  matched", true]);
  assert.ok(out.chunks.every((ch) => ch.endsWith("\n") && ch.indexOf("\n") === ch.length - 1), "each write is one whole line");

  const dbg = sink();
  createLogger({ format: "json", level: "debug", out: dbg }).debug({ run: 1 }, "shown at debug");
  assert.equal(JSON.parse(dbg.lines()[0]).level, "debug");
  const quiet = sink();
  const q = createLogger({ format: "json", level: "error", out: quiet });
  q.info("no");
  q.warn("no");
  q.line("no");
  q.error("yes");
  assert.deepEqual(quiet.lines().map((l) => JSON.parse(l).msg), ["yes"]);
});

test("a registered secret never reaches a line: in the message, a nested field, child fields, an Error's message and stack", () => {
  const secret = "cbk_test_9fJ2mQ7xLp4Rz";
  addSecret(secret);
  const basic = Buffer.from(`${secret}:`).toString("base64");
  for (const format of ["json", "text"]) {
    const out = sink();
    const log = createLogger({ format, level: "debug", out });
    log.info(`the key is ${secret}`);
    log.warn({ request: { headers: [{ authorization: `Basic ${basic}` }], url: `https://ops:${secret}@erp.example.com/api` } }, "nested");
    log.child({ apiKey: secret }).info({ n: 1 }, "child");
    const err = new Error(`Chargebee said: invalid api key ${secret}`);
    log.error(err);
    log.error({ err, flow: "product-item" }, "flow failed");
    log.debug({ cause: { message: secret } }, `debug ${encodeURIComponent(secret)}`);
    log.line(`report ${secret}`);
    const text = out.text();
    for (const form of [secret, basic, basic.replace(/=+$/, ""), "ops:"]) assert.ok(!text.includes(form), `${format}: ${form} leaked:\n${text}`);
    assert.ok(text.includes("[redacted]"), format);
    if (format === "json") {
      const lines = out.lines().map((l) => JSON.parse(l));
      assert.equal(lines.length, 7);
      assert.equal(lines[0].msg, "the key is [redacted]");
      assert.equal(lines[1].request.headers[0].authorization, "Basic [redacted]");
      assert.equal(lines[1].request.url, "https://[redacted]@erp.example.com/api");
      assert.equal(lines[2].apiKey, "[redacted]");
      assert.equal(lines[3].err.message, "Chargebee said: invalid api key [redacted]");
      assert.match(lines[3].err.stack, /^Error: Chargebee said: invalid api key \[redacted\]\n\s+at /);
      assert.equal(lines[3].msg, "Chargebee said: invalid api key [redacted]");
      assert.equal(lines[4].err.type, "Error");
      assert.equal(lines[4].flow, "product-item");
      assert.equal(lines[5].cause.message, "[redacted]");
    } else {
      assert.deepEqual(out.lines(), [
        "the key is [redacted]", "nested", "child", "Chargebee said: invalid api key [redacted]",
        "flow failed: Chargebee said: invalid api key [redacted]", "debug [redacted]", "report [redacted]",
      ]);
    }
  }
});

test("text (no LOG_FORMAT): the lines as the commands print them, warnings and errors on their own stream", () => {
  const out = sink();
  const err = sink();
  const log = createLogger({ out, err });
  assert.equal(log.json, false);
  log.line("  contact-customer          read 9/9 · matched 2 · created 3/4");
  log.info({ run: 1, flow: "contact-customer" }, "sync 2026-12-07T09:00:00.000Z");
  log.debug("hidden at info");
  log.warn({ flow: "x" }, "stopping after this run");
  log.error(new Error("sync failed: the store is locked"));
  assert.equal(out.text(), "  contact-customer          read 9/9 · matched 2 · created 3/4\nsync 2026-12-07T09:00:00.000Z\n");
  assert.equal(err.text(), "stopping after this run\nsync failed: the store is locked\n");
  assert.equal(log.child({ tenant: "acme" }), log);
  const both = sink();
  const l2 = createLogger({ out: both });
  l2.error({ err: new Error("gone") }, "flow failed");
  l2.error({ err: new Error("gone") }, "flow failed: gone");
  assert.equal(both.text(), "flow failed: gone\nflow failed: gone\n", "errors go to `out` when only `out` is given");
});

test("LOG_FORMAT and LOG_LEVEL from the environment, checked", () => {
  const out = sink();
  const log = loggerFromEnv({ LOG_FORMAT: "json", LOG_LEVEL: "warn" }, { out });
  assert.equal(log.json, true);
  assert.equal(log.level, "warn");
  log.info("no");
  log.warn("yes");
  assert.equal(out.lines().length, 1);
  assert.equal(loggerFromEnv({}, { out }).json, false);
  assert.equal(loggerFromEnv({ LOG_FORMAT: "" }, { out }).level, "info");
  assert.throws(() => loggerFromEnv({ LOG_FORMAT: "yaml" }), (e) => /** @type {any} */ (e).name === "UsageError" && /LOG_FORMAT must be one of json, text/.test(/** @type {Error} */ (e).message));
  assert.throws(() => loggerFromEnv({ LOG_LEVEL: "verbose" }), /LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, not "verbose"/);
});

test("logEvents: the host's events as JSON lines — flows' ends with counts, the inbox, a system going and coming back, failed writes, refused webhooks; requests at debug", () => {
  const out = sink();
  const events = new HostEvents();
  const stop = logEvents(events, createLogger({ format: "json", level: "info", out }));
  events.run({ flow: "contact-customer", outcome: "ok", run: 4, tenant: "", at: 1, counts: { read: 9, errors: 0 } });
  events.run({ flow: "product-item", outcome: "failed", run: 4, tenant: "acme", at: 1, counts: { errors: 2 } });
  events.run({ flow: "quote-order", outcome: "guard", run: 4, tenant: "", at: 1, counts: {} });
  events.inbox({ tenant: "", counts: { error: 2, waiting: 1 } });
  events.request({ system: "chargebee", method: "GET", status: 0, ms: 3, tenant: "" });
  events.request({ system: "chargebee", method: "GET", status: 0, ms: 3, tenant: "" });
  events.request({ system: "chargebee", method: "GET", status: 200, ms: 80, tenant: "" });
  events.write({ system: "customerp", flow: "order-order", outcome: "failed", tenant: "" });
  events.write({ system: "customerp", flow: "order-order", outcome: "ok", tenant: "" });
  events.webhook({ source: "customerp", outcome: "refused", tenant: "" });
  events.webhook({ source: "customerp", outcome: "accepted", tenant: "" });
  events.rateLimited({ system: "chargebee", tenant: "", retryAfterMs: 500 });
  const lines = out.lines().map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => [l.level, l.msg]), [
    ["info", "contact-customer ended ok"],
    ["error", "product-item ended failed"],
    ["warn", "quote-order ended guard"],
    ["info", "inbox: 3 open"],
    ["warn", "Chargebee did not answer"],
    ["info", "Chargebee answers again"],
    ["warn", "order-order: a write to Customerp failed"],
    ["warn", "a webhook from Customerp: refused"],
  ]);
  assert.deepEqual([lines[0].run, lines[0].flow, lines[0].tenant, lines[0].outcome, lines[0].counts], [4, "contact-customer", "", "ok", { read: 9, errors: 0 }]);
  assert.equal(lines[1].tenant, "acme");
  assert.deepEqual(lines[3].inbox, { error: 2, waiting: 1 });

  const dbg = sink();
  const stop2 = logEvents(events, createLogger({ format: "json", level: "debug", out: dbg }));
  events.request({ system: "customerp", method: "PATCH", status: 412, ms: 41, tenant: "" });
  assert.deepEqual(dbg.lines().map((l) => JSON.parse(l).msg), ["Customerp PATCH 412 (41 ms)"]);
  stop();
  stop2();
  assert.equal(events.eventNames().length, 0);
  assert.doesNotThrow(() => events.emit("run", null));
});
