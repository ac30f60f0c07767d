// Faults between the host and both servers, and the host dying at random points of a sync: after
// restarts on the same SQLite file and a final clean run, the end state equals a fault-free run.
//
// The network faults come from a small proxy in front of each server (the servers themselves are
// untouched): a slow answer past the client's timeout, a connection reset before or after the request
// reached the server, and 500s. The "kill" is a fatal throw at the Nth Chargebee write, Customerp
// write or store commit (before or after it), N drawn from a seeded PRNG; each round runs a new host
// on the same store file.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { close, listen } from "../src/lib/http.mjs";
import { crashOnce, live, setup, total, writes, testDb } from "./helpers.mjs";
import { forwarder } from "./proxy.mjs";

/** @typedef {Awaited<ReturnType<Awaited<ReturnType<typeof setup>>["connect"]>>} Host */
/** @typedef {Awaited<ReturnType<typeof setup>>} Env */

const TIMEOUT_MS = 250; // the client's per-attempt timeout in this test
const SLOW_MS = 400; // a slow answer: past the timeout
const RETRY = { baseDelayMs: 10, maxDelayMs: 100, maxAttempts: 5, timeoutMs: TIMEOUT_MS };

/** mulberry32: a small seeded PRNG in [0, 1). @param {number} seed */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** @typedef {"slow" | "resetBefore" | "resetAfter" | "status500"} FaultKind */
const KINDS = /** @type {FaultKind[]} */ (["slow", "resetBefore", "resetAfter", "status500"]);

/**
 * An HTTP proxy on 127.0.0.1 in front of `target` that injects faults into a share of the requests.
 * @param {string} target origin of the server
 * @param {() => number} rnd
 * @param {{ rate: number, budget: number }} o share of faulty requests, and a bound on faults in all
 */
async function faultProxy(target, rnd, o) {
  /** @type {Record<FaultKind, number>} */
  const counts = { slow: 0, resetBefore: 0, resetAfter: 0, status500: 0 };
  let passed = 0;
  const state = { on: true };
  /** @type {Set<NodeJS.Timeout>} */
  const timers = new Set();
  const forward = forwarder(target);
  /** @param {http.ServerResponse} res @param {{ status: number, headers: http.IncomingHttpHeaders, body: Buffer }} r */
  const reply = (res, r) => {
    if (res.destroyed || res.writableEnded) return;
    const { connection: _c, "keep-alive": _k, "transfer-encoding": _t, ...headers } = r.headers;
    res.writeHead(r.status, { ...headers, "content-length": r.body.length });
    res.end(r.body);
  };
  const total = () => KINDS.reduce((n, k) => n + counts[k], 0);

  const server = http.createServer(async (req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    for await (const c of req) chunks.push(/** @type {Buffer} */ (c));
    const body = Buffer.concat(chunks);
    /** @type {FaultKind | null} */
    let kind = null;
    if (state.on && total() < o.budget && rnd() < o.rate) kind = KINDS[Math.floor(rnd() * KINDS.length)];
    try {
      if (kind === null) {
        passed++;
        reply(res, await forward(req, body));
      } else if (kind === "status500") {
        counts.status500++;
        // both servers' error shapes: Chargebee's flat one and Customerp's { error }
        const text = JSON.stringify({ message: "injected fault", type: "temporary", api_error_code: "internal_error", http_status_code: 500,
          error: { code: "internal_error", message: "injected fault" } });
        reply(res, { status: 500, headers: { "content-type": "application/json" }, body: Buffer.from(text) });
      } else if (kind === "resetBefore") {
        counts.resetBefore++;
        req.socket.destroy(); // the server never sees the request
      } else if (kind === "resetAfter") {
        counts.resetAfter++;
        await forward(req, body); // the server did the work; its answer is lost
        req.socket.destroy();
      } else {
        counts.slow++;
        const r = await forward(req, body); // the server did the work; its answer comes too late
        await new Promise((resolve) => {
          const t = setTimeout(() => {
            timers.delete(t);
            resolve(undefined);
          }, SLOW_MS);
          timers.add(t);
        });
        reply(res, r);
      }
    } catch {
      req.socket.destroy();
    }
  });
  const { origin } = await listen(server);
  return {
    url: origin,
    counts,
    passed: () => passed,
    total,
    state,
    async close() {
      timers.forEach((t) => clearTimeout(t));
      forward.close();
      await close(server);
    },
  };
}

/**
 * Makes the host "die" at its nth crash point: before or after each Chargebee write (POST), each
 * Customerp write and each store commit (commitPair, finishFlow). Returns the points passed so far.
 * @param {Host} host @param {number} n 1-based; 0 = never @param {Record<string, number>} crashes counts by point
 */
function crashAt(host, n, crashes) {
  let i = 0;
  /** @param {string} where */
  const point = (where) => {
    if (++i === n) {
      crashes[where] = (crashes[where] ?? 0) + 1;
      throw Object.assign(new Error(`simulated crash at ${where} (point ${n})`), { fatal: true });
    }
  };
  const cb = host.chargebee;
  const send = cb.send.bind(cb);
  cb.send = async (method, path, params, o) => {
    if (method !== "POST") return send(method, path, params, o);
    point("before chargebee write");
    const r = await send(method, path, params, o);
    point("after chargebee write");
    return r;
  };
  const cp = host.customerp;
  const create = cp.create.bind(cp);
  const update = cp.update.bind(cp);
  const remove = cp.remove.bind(cp);
  cp.create = async (type, record, key) => {
    point("before customerp write");
    const r = await create(type, record, key);
    point("after customerp write");
    return r;
  };
  cp.update = async (type, id, changes, etag) => {
    point("before customerp write");
    const r = await update(type, id, changes, etag);
    point("after customerp write");
    return r;
  };
  cp.remove = async (type, id, etag) => {
    point("before customerp write");
    const r = await remove(type, id, etag);
    point("after customerp write");
    return r;
  };
  const store = host.store;
  const commitPair = store.commitPair.bind(store);
  const finishFlow = store.finishFlow.bind(store);
  store.commitPair = async (flow, previous, link, base, versions) => {
    point("before store commit");
    await commitPair(flow, previous, link, base, versions);
    point("after store commit");
  };
  store.finishFlow = async (flow, cursors, retry) => {
    point("before store commit");
    await finishFlow(flow, cursors, retry);
    point("after store commit");
  };
  return () => i;
}

/** The end state of both servers and of the host's store. @param {Env} t @param {Host} host */
async function endState(t, host) {
  const site = t.servers.chargebee.site;
  const ids = (/** @type {string} */ table) => live(site, table).map((r) => String(r.id)).sort();
  const flows = ["customer-business_entity", "product-item", "contact-customer", "employee-customer", "quote-order", "order-order"];
  return {
    chargebee: {
      customers: ids("customer"),
      items: ids("item"),
      itemPrices: ids("item_price"),
      orders: live(site, "order").length,
      invoices: site.tables.invoice.size,
    },
    customerp: Object.fromEntries([...t.servers.customerp.db.tables].map(([k, v]) => [k, v.size])),
    links: Object.fromEntries(await Promise.all(flows.map(async (f) => [f, await host.store.linkCount(f)]))),
  };
}

/** Conflicts logged, as "flow customerp chargebee property" with how often each was logged. @param {Host} host */
async function conflicts(host) {
  /** @type {Record<string, number>} */
  const seen = {};
  for (const c of await host.store.logEntries({ kind: "conflict" })) {
    const k = `${c.flow} ${c.customerp_id} ${c.chargebee_id} ${c.property}`;
    seen[k] = (seen[k] ?? 0) + 1;
  }
  return seen;
}

/** Runs until a run writes nothing (at most `max` runs); returns the runs' summaries. @param {Host} host @param {number} max */
async function settleRuns(host, max) {
  const runs = [];
  for (let i = 0; i < max; i++) {
    const s = await host.sync.run();
    runs.push(s);
    if (writes(s) === 0 && total(s, "errors") === 0) break;
  }
  return runs;
}

/** The fault-free reference: a fresh pair of servers with the same seed data, synced until quiet. */
async function reference() {
  const t = await setup({ retry: RETRY });
  try {
    const runs = await settleRuns(t.host, 4);
    assert.equal(writes(runs[runs.length - 1]), 0, "the fault-free sync settles");
    return { state: await endState(t, t.host), conflicts: await conflicts(t.host) };
  } finally {
    await t.close();
  }
}

for (const seed of [20260107, 7, 424242]) {
  test(`slow answers, resets, 500s and kills at random points (seed ${seed}): the end state equals a fault-free run`, { timeout: 60_000 }, async () => {
    const ref = await reference();
    assert.ok(Object.keys(ref.conflicts).length > 0, "the demo data has conflicts");
    assert.ok(Object.values(ref.conflicts).every((n) => n === 1));

    const rnd = prng(seed);
    const dir = mkdtempSync(join(tmpdir(), "host-example-faults-"));
    const db = (await testDb(dir));
    const t = await setup({ db, retry: RETRY });
    const cbProxy = await faultProxy(t.servers.chargebee.url, rnd, { rate: 0.12, budget: 60 });
    const cpProxy = await faultProxy(t.servers.customerp.url, rnd, { rate: 0.08, budget: 30 });
    /** @type {Record<string, number>} */
    const crashes = {};
    /** @type {Host | undefined} */
    let host;
    const restart = async () => {
      await host?.store.close();
      // setup's connect() spreads its argument over localSync's options: the URLs go to the proxies
      host = await t.connect(/** @type {Parameters<typeof t.connect>[0]} */ ({ db, chargebeeUrl: cbProxy.url, customerpUrl: cpProxy.url, hooks: {} }));
      return host;
    };
    let runErrors = 0;
    try {
      await t.host.store.close(); // setup's host is not used: every host below goes through the proxies
      // Rounds: a new host on the same file, killed at a random point among its first 40 (a full
      // first sync passes about 2 × (31 + 10 + 37 + 6) of them; each round gets a little further).
      const ROUNDS = 10;
      for (let round = 0; round < ROUNDS; round++) {
        const h = await restart();
        const n = 1 + Math.floor(rnd() * 40);
        crashAt(h, n, crashes);
        const outcome = await h.sync.run().then((s) => s, (e) => e);
        if (outcome instanceof Error) {
          assert.match(outcome.message, /simulated crash/, `round ${round}: only the simulated crash stops a run`);
        } else {
          runErrors += total(outcome, "errors");
        }
      }
      // Network faults, no kills: a few runs of a new host.
      const h = await restart();
      for (let i = 0; i < 3; i++) runErrors += total(await h.sync.run(), "errors");
      // The final clean runs: no faults, a new host on the same file.
      cbProxy.state.on = false;
      cpProxy.state.on = false;
      const last = await restart();
      const runs = await settleRuns(last, 4);
      const final = runs[runs.length - 1];
      assert.equal(total(final, "errors"), 0, JSON.stringify(await last.store.logEntries({ run: final.run, kind: "error" })));
      assert.equal(writes(final), 0, "the final clean run finds everything settled");

      assert.deepEqual(await endState(t, last), ref.state, "same records on both sides and same links as a fault-free run");
      // no twins: one Chargebee customer per Customerp record it was made for
      const tags = live(t.servers.chargebee.site, "customer").map((c) => c.meta_data?.customerp).filter(Boolean).map((g) => `${g.type}:${g.id}`);
      assert.equal(new Set(tags).size, tags.length);
      // every conflict of the fault-free run is logged, once, and no other
      assert.deepEqual(Object.keys(await conflicts(last)).sort(), Object.keys(ref.conflicts).sort());
      const twice = Object.entries(await conflicts(last)).filter(([, n]) => n > 1);
      assert.deepEqual(twice, [], "every conflict logged once");

      const faults = { chargebee: { ...cbProxy.counts }, customerp: { ...cpProxy.counts } };
      const report = { seed, faults, crashes, runErrors, conflictsLoggedTwice: twice, passed: { chargebee: cbProxy.passed(), customerp: cpProxy.passed() } };
      console.log(`faults: ${JSON.stringify(report)}`);
      assert.ok(cbProxy.total() > 0 && cpProxy.total() > 0, "faults were injected");
      assert.ok(Object.values(crashes).reduce((a, b) => a + b, 0) > 0, "the host was killed");
    } finally {
      await host?.store.close();
      await cbProxy.close();
      await cpProxy.close();
      await t.servers.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("a kill after a conflict is logged and before its pair is stored: the rerun does not log it again", async () => {
  const dir = mkdtempSync(join(tmpdir(), "host-example-faults-"));
  const db = (await testDb(dir));
  const t = await setup({
    db,
    hooks: {
      afterChargebeeWrite: crashOnce(({ plan }) => plan.conflicts.length > 0),
    },
  });
  /** @type {Host | undefined} */
  let restarted;
  try {
    await assert.rejects(t.host.sync.run(), /simulated crash/);
    await t.host.store.close();
    restarted = await t.connect({ hooks: {} });
    await settleRuns(restarted, 3);
    const ref = await reference();
    assert.deepEqual(await conflicts(restarted), ref.conflicts, "every conflict logged once");
  } finally {
    await restarted?.store.close();
    await t.servers.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a kill between a new item and its item price: the rerun makes the price and settles the item", async () => {
  const t = await setup({
    hooks: {
      // POST /items done, POST /item_prices not
      afterChargebeeRequest: crashOnce(({ flow, plan, index }) => flow === "product-item" && plan.chargebee.action === "create" && index === 0),
    },
  });
  try {
    await assert.rejects(t.host.sync.run(), /simulated crash/);
    const runs = await settleRuns(t.host, 3);
    assert.equal(total(runs[runs.length - 1], "errors"), 0, JSON.stringify((await t.host.store.logEntries({ kind: "error" })).map((e) => e.message)));
    assert.equal(writes(runs[runs.length - 1]), 0);
  } finally {
    await t.close();
  }
});
