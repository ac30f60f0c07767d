// The Sesam-style transform endpoint: plans, and everything it refuses.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import http from "node:http";
import fc from "fast-check";
import { startTransformServer } from "../src/app/transform.mjs";
import { firstBadUtf8 } from "../src/lib/http.mjs";

const TOKEN = "transform-test-token-Ø";
const AUTH = { authorization: `Bearer ${TOKEN}` };

/** @type {Awaited<ReturnType<typeof startTransformServer>>} */
let server;
before(async () => {
  server = await startTransformServer({ options: { timeZone: "Europe/Oslo" }, token: TOKEN, limits: { body: 64 * 1024, batch: 50, output: 100 * 1024 }, workers: 1 });
});
after(() => server.close());

/** @param {string} path @param {string | Uint8Array} body @param {Record<string, string>} [headers] */
const post = (path, body, headers = {}) =>
  fetch(`${server.url}${path}`, { method: "POST", body: /** @type {BodyInit} */ (body), headers: { "content-type": "application/json", ...AUTH, ...headers } });

const contact = { id: "17", first_name: "Åse", email: "ase@example.no", updated: "2026-03-01T10:00:00+01:00" };

test("POST /transform/<flow> answers one plan per entity, errors in their own slot", async () => {
  const res = await post("/transform/contact-customer", JSON.stringify([
    { _id: "a", customerp: contact, chargebee: null, base: null },
    { _id: "b", customerp: { ...contact, id: "18", email: "not-an-email" }, chargebee: null, base: null },
  ]));
  assert.equal(res.status, 200);
  const [a, b] = await res.json();
  assert.equal(a._id, "a");
  assert.equal(a.ok, true);
  assert.equal(a.plan.chargebee.action, "create");
  assert.equal(a.plan.chargebee.requests[0].path, "/customers");
  assert.equal(b._id, "b");
  assert.equal(b.ok, false);
  assert.equal(b.error.name, "SyncError");
  assert.equal(b.error.code, "invalid_value");
});

test("options in the query; unknown flows and bad bodies are refused", async () => {
  const ok = await post(`/transform/employee-customer?options=${encodeURIComponent(JSON.stringify({ ownCompanyName: "Fjordvik Handel AS" }))}`,
    JSON.stringify([{ _id: "e1", customerp: { id: "1", email: "kari@example.no", updated: "2026-03-01T10:00:00+01:00" }, chargebee: null, base: null }]));
  const [r] = await ok.json();
  assert.equal(r.plan.chargebee.requests[0].params.company, "Fjordvik Handel AS");
  const unknown = await post("/transform/nope", "[]");
  assert.equal(unknown.status, 404);
  assert.equal((await unknown.json()).error.code, "unknown_flow");
  assert.equal((await post("/transform/contact-customer", "{}")).status, 400);
  assert.equal((await post("/transform/contact-customer", "not json")).status, 400);
  const flows = await fetch(`${server.url}/transform`, { headers: AUTH }).then((x) => x.json());
  assert.ok(flows.includes("contact-customer"));
});

test("without the Bearer token every request is 401", async () => {
  for (const headers of [/** @type {Record<string, string>} */ ({}), { authorization: "Bearer wrong" }, { authorization: `Basic ${Buffer.from(`${TOKEN}:`).toString("base64")}` }]) {
    const res = await fetch(`${server.url}/transform/contact-customer`, { method: "POST", body: "[]", headers: { "content-type": "application/json", ...headers } });
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, "unauthorized");
    assert.equal(res.headers.get("www-authenticate"), "Bearer");
  }
  assert.equal((await fetch(`${server.url}/transform`)).status, 401);
});

test("only application/json in UTF-8 is taken: a text/plain POST (no CORS preflight) is 415, another origin 403", async () => {
  const body = JSON.stringify([{ _id: "a", customerp: contact, chargebee: null, base: null }]);
  for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1"]) {
    const res = await post("/transform/contact-customer", body, { "content-type": type });
    assert.equal(res.status, 415, type);
    assert.equal((await res.json()).error.code, "unsupported_media_type");
  }
  assert.equal((await post("/transform/contact-customer", body, { "content-type": "application/json; charset=utf-8" })).status, 200);
  const foreign = await post("/transform/contact-customer", body, { origin: "https://evil.example" });
  assert.equal(foreign.status, 403);
  const preflight = await fetch(`${server.url}/transform/contact-customer`, { method: "OPTIONS", headers: { ...AUTH, origin: "https://evil.example" } });
  assert.equal(preflight.status, 403);
  assert.equal(preflight.headers.get("access-control-allow-origin"), null);
});

/** A raw POST that reports the status, or the error if the connection was cut. @param {Buffer} body @param {Record<string, string>} headers */
function rawPost(body, headers) {
  return new Promise((resolve) => {
    const req = http.request(`${server.url}/transform/contact-customer`, { method: "POST", headers: { "content-type": "application/json", ...AUTH, ...headers } }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode, body: JSON.parse(text) }));
    });
    req.on("error", (e) => resolve({ error: e.message }));
    req.end(body);
  });
}

test("a body over the limit gets 413 with a JSON error, declared or chunked, never a reset", async () => {
  const big = Buffer.from(`[${"1,".repeat(40_000)}1]`);
  const declared = /** @type {any} */ (await rawPost(big, { "content-length": String(big.length) }));
  assert.equal(declared.status, 413, JSON.stringify(declared));
  assert.equal(declared.body.error.code, "body_too_large");
  assert.equal(declared.body.error.limit, 64 * 1024);
  const chunked = /** @type {any} */ (await rawPost(big, { "transfer-encoding": "chunked" }));
  assert.equal(chunked.status, 413, JSON.stringify(chunked));
  assert.equal(chunked.body.error.code, "body_too_large");
});

test("too many entities is 413 batch_too_large; an answer over the output limit is 413 output_too_large", async () => {
  const many = await post("/transform/contact-customer", JSON.stringify(Array.from({ length: 51 }, (_, i) => ({ _id: `x${i}`, customerp: null, chargebee: null, base: null }))));
  assert.equal(many.status, 413);
  assert.deepEqual(((await many.json()).error), { code: "batch_too_large", message: "51 entities; at most 50 per request", limit: 50 });
  // 50 creates of long names: each plan carries its name in the request and the base, past 100 KiB in all.
  const long = Array.from({ length: 50 }, (_, i) => ({ _id: `c${i}`, customerp: { ...contact, id: String(i), email: `p${i}@example.no`, first_name: "Å".repeat(100), last_name: "Ø".repeat(100), address: { street_1: "ß".repeat(100), street_2: "é".repeat(100), city: "Zürich" } }, chargebee: null, base: null }));
  const out = await post("/transform/contact-customer", JSON.stringify(long));
  assert.equal(out.status, 413);
  assert.equal((await out.json()).error.code, "output_too_large");
});

test("malformed JSON is 400 with its line and column", async () => {
  const res = await post("/transform/contact-customer", '[\n  {"_id": "a",\n   "customerp": {"id": "1",, }\n]');
  assert.equal(res.status, 400);
  const { error } = await res.json();
  assert.equal(error.code, "invalid_json");
  assert.equal(error.line, 3);
  assert.equal(error.column, 28);
  assert.match(error.message, /line 3, column 28/);
  const end = await (await post("/transform/contact-customer", "[1,")).json();
  assert.deepEqual([end.error.line, end.error.column], [1, 4]);
  const opts = await (await post("/transform/contact-customer?options=%7Bx", "[]")).json();
  assert.equal(opts.error.code, "invalid_json");
  assert.equal(opts.error.where, "options");
});

test("a body that is not UTF-8 is refused with the offset of its first bad byte, not replaced by U+FFFD", async () => {
  const prefix = Buffer.from(`[{"_id":"a","customerp":{"id":"1","email":"a@example.no","first_name":"`);
  const body = Buffer.concat([prefix, Buffer.from([0xc3, 0x28]), Buffer.from(`","updated":"2026-03-01T10:00:00+01:00"},"chargebee":null,"base":null}]`)]);
  const res = await post("/transform/contact-customer", body);
  assert.equal(res.status, 400);
  const { error } = await res.json();
  assert.equal(error.code, "invalid_utf8");
  assert.equal(error.position, prefix.length);
  // The validator agrees with the platform's on overlongs, surrogates and code points past U+10FFFF.
  for (const bytes of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xff]]) {
    assert.equal(firstBadUtf8(Buffer.from([0x41, ...bytes])), 1, bytes.join(","));
  }
  assert.equal(firstBadUtf8(Buffer.from("Åse 山田 🎉", "utf8")), -1);
});

test("an element that is not {_id, customerp, chargebee, base} gets its own invalid_type slot; a missing _id is an error, not \"0\"", async () => {
  const res = await post("/transform/contact-customer", JSON.stringify([
    1,
    [contact],
    { _id: "flat", ...contact },
    { customerp: contact, chargebee: null, base: null },
    { _id: "typo", customerp: contact, chargebe: null, base: null },
    { _id: "ok", customerp: contact, chargebee: null, base: null },
    { _id: 7, customerp: null, chargebee: null },
  ]));
  assert.equal(res.status, 200);
  const out = await res.json();
  assert.equal(out.length, 7);
  assert.deepEqual(out.map((/** @type {any} */ r) => [r._id, r.ok, r.error?.code, r.error?.path]), [
    [null, false, "invalid_type", "/0"],
    [null, false, "invalid_type", "/1"],
    ["flat", false, "invalid_type", "/2/id"],
    [null, false, "missing_field", "/3/_id"],
    ["typo", false, "invalid_type", "/4/chargebe"],
    ["ok", true, undefined, undefined],
    ["7", true, undefined, undefined],
  ]);
  assert.equal(out[5].plan.chargebee.action, "create");
});

test("a number past JSON's range (1e309) is invalid_value naming the field, not silently absent", async () => {
  const text = `[{"_id":"p","customerp":{"id":"9","sku":"Å-1","name":"Ålesund","kind":"service","price":1e309,"currency":"NOK","updated":"2026-03-01T10:00:00+01:00"},"chargebee":null,"base":null}]`;
  const [r] = await (await post("/transform/product-item", text)).json();
  assert.equal(r.ok, false);
  assert.equal(r.error.code, "invalid_value");
  assert.equal(r.error.path, "/0/customerp/price");
});

test("one large request does not stall a small one: planning runs in a worker", async () => {
  // With one worker the small request queues behind the large one, but the event loop stays free to accept
  // and refuse others at once.
  const heavy = JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ _id: `h${i}`, customerp: { ...contact, id: String(i), email: `h${i}@example.no` }, chargebee: null, base: null })));
  const started = Date.now();
  const pending = Array.from({ length: 4 }, () => post("/transform/contact-customer", heavy));
  const refused = await fetch(`${server.url}/transform`);
  const refusedAfter = Date.now() - started;
  assert.equal(refused.status, 401);
  for (const r of await Promise.all(pending)) assert.equal(r.status, 200);
  // Answered while four batches were being planned (a blocked loop would answer after all of them).
  assert.ok(refusedAfter < 2000, `401 took ${refusedAfter} ms`);
});

test("random bodies: every answer is JSON with a known status and the server keeps serving", async () => {
  const statuses = new Set([200, 400, 404, 413, 415]);
  const entity = fc.record({
    _id: fc.oneof(fc.string(), fc.integer(), fc.constant(undefined)),
    customerp: fc.oneof(fc.constant(null), fc.record({ id: fc.oneof(fc.string(), fc.integer()), email: fc.string(), updated: fc.string() }, { requiredKeys: [] })),
    chargebee: fc.oneof(fc.constant(null), fc.jsonValue()),
    base: fc.oneof(fc.constant(null), fc.jsonValue()),
  }, { requiredKeys: [] });
  const bodies = fc.oneof(
    fc.array(fc.oneof(entity, fc.jsonValue()), { maxLength: 8 }).map((a) => JSON.stringify(a)),
    fc.string({ maxLength: 200 }),
    fc.jsonValue().map((v) => JSON.stringify(v) ?? "null"),
  );
  await fc.assert(
    fc.asyncProperty(bodies, fc.constantFrom("contact-customer", "order-order", "product-item", "nope"), async (body, flow) => {
      const res = await post(`/transform/${flow}`, body);
      assert.ok(statuses.has(res.status), `${res.status} for ${body}`);
      const answer = await res.json();
      if (res.status === 200) {
        assert.ok(Array.isArray(answer));
        assert.equal(answer.length, JSON.parse(body).length);
      } else assert.equal(typeof answer.error.code, "string");
    }),
    { numRuns: 150, seed: 20261201 },
  );
  assert.equal((await post("/transform/contact-customer", JSON.stringify([{ _id: "a", customerp: contact, chargebee: null, base: null }]))).status, 200);
});

const TRANSFORM = fileURLToPath(new URL("../bin/transform.mjs", import.meta.url));

/** @param {string[]} args @param {Record<string, string>} env */
function runTransform(args, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TRANSFORM, ...args], { env: { ...process.env, TRANSFORM_TOKEN: "", ...env } });
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
      if (out.includes("transform endpoint")) child.kill("SIGTERM");
    });
    child.stderr.on("data", (c) => (out += c));
    child.on("exit", (code) => resolve({ code, out }));
  });
}

test("bin/transform.mjs will not start without a token unless --no-auth, and --no-auth only on loopback", async () => {
  const none = /** @type {any} */ (await runTransform(["--port", "0"], {}));
  assert.equal(none.code, 2);
  assert.match(none.out, /needs a token \(TRANSFORM_TOKEN\) unless started with --no-auth/);
  const open = /** @type {any} */ (await runTransform(["--port", "0", "--host", "0.0.0.0", "--no-auth"], {}));
  assert.equal(open.code, 2);
  assert.match(open.out, /--no-auth is for loopback only/);
  const local = /** @type {any} */ (await runTransform(["--port", "0", "--no-auth"], {}));
  assert.match(local.out, /transform endpoint http:\/\/127\.0\.0\.1:\d+\/transform\/<flow>.*no authentication: loopback only/);
  const withToken = /** @type {any} */ (await runTransform(["--port", "0"], { TRANSFORM_TOKEN: "t0k3n" }));
  assert.match(withToken.out, /Bearer token required/);
  assert.doesNotMatch(withToken.out, /t0k3n/);
});
