// Latency of the two-way sync, from an edit to the other side written: host-example's host against its
// Chargebee emulator and Customerp server on loopback, 200 contacts linked to 200 Chargebee customers,
// then N edits on each side (a phone number: Customerp contacts 1..N over its REST API, Chargebee
// customers of contacts N+1..2N over the API), one edit every `--every` ms, alternating sides:
//   webhooks  the emulator's webhooks and Customerp's change notifications reach the host's receiver
//             (src/app/webhooks.mjs), which syncs the records they name; no poll runs
//   polling   the host runs a full incremental sync every `--poll-seconds` (the loop of `--watch`)
// For each mode: median and p95 of edit → other side written, reads and writes the host sent per edit,
// and echo writes (writes beyond the one per edit that the change needs). Everything shares one Node
// process, so the figures include the servers' own work. Goal with webhooks: median ≤ 1 s, p95 ≤ 2 s,
// no echo writes.
//
//   node bench/latency.mjs [--edits 100] [--every 100] [--poll-seconds 10]
import path from "node:path";
import fs from "node:fs";
import { contact } from "./lib/gen.mjs";
import { fmt, log, writeRows } from "./lib/stats.mjs";

const HERE = path.dirname(new URL(import.meta.url).pathname);
const HOST = path.join(HERE, "..", "host-example");
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const N = Number(args.edits ?? 100);
const EVERY = Number(args.every ?? 100);
const POLL_S = Number(args["poll-seconds"] ?? 10);

if (!fs.existsSync(path.join(HOST, "node_modules", "customerp-chargebee"))) {
  log("latency: host-example (with its node_modules) is not there: skipped");
  writeRows("latency", [{ area: "latency", what: "edit → other side", value: "skipped", spread: "host-example/ not installed", ratio: "", goal: "", met: null }]);
  process.exit(0);
}
const { startLocalServers, localSync, LOCAL_API_KEY, LOCAL_TOKEN } = await import(path.join(HOST, "src", "local", "servers.mjs"));
const { WebhookReceiver, subscribeCustomerp } = await import(path.join(HOST, "src", "app", "webhooks.mjs"));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const HOOK = { username: "bench-hooks", password: "bench-hook-password" };
const SECRET = "bench-customerp-secret-0123456789";
const CB_AUTH = "Basic " + Buffer.from(`${LOCAL_API_KEY}:`).toString("base64");

function quantile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * p;
  const lo = Math.floor(i);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
}

/** One mode: set up, first sync, then the edits; returns the figures. @param {"webhooks" | "polling"} mode */
async function measure(mode) {
  const servers = await startLocalServers({ seed: false, rateLimit: { limit: 1_000_000, windowMs: 60_000 }, webhooks: { retryDelaysMs: [200, 500, 1000, 2000], timeoutMs: 5000 } });
  for (let i = 0; i < 2 * N; i++) servers.customerp.db.put("contacts", { ...contact(i), id: String(i + 1), customer_id: null });
  const host = await localSync({ chargebeeUrl: servers.chargebee.url, customerpUrl: servers.customerp.url, options: { timeZone: "Europe/Oslo" } });
  const receiver = new WebhookReceiver({ sync: host.sync, chargebee: HOOK, customerp: { secret: SECRET }, reconcileMs: 0 });
  const quiet = async () => {
    for (let i = 0; i < 3; i++) {
      await servers.chargebee.webhooks.idle();
      await servers.customerp.notifications.idle();
      await receiver.idle();
      await sleep(50);
    }
  };
  if (mode === "webhooks") {
    const { url } = await receiver.start();
    servers.chargebee.webhooks.addEndpoint({ url: `${url}/webhooks/chargebee`, ...HOOK });
    await subscribeCustomerp({ customerpUrl: servers.customerp.url, token: LOCAL_TOKEN, url: `${url}/webhooks/customerp`, secret: SECRET });
  }
  const t0 = Date.now();
  await (mode === "webhooks" ? receiver.poll() : host.sync.run());
  await quiet();
  log(`latency ${mode}: first sync of ${2 * N} contacts in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const cbOf = (cpId) => host.store.linkByCustomerp("contact-customer", cpId)?.chargebee_id;
  const before = { ...host.chargebee.counters, cpReads: host.customerp.counters.reads, cpWrites: host.customerp.counters.writes };

  /** @type {{ side: string, t0: number, done: () => boolean, ms?: number }[]} */
  const edits = [];
  let stop = false;
  const checker = (async () => {
    while (!stop) {
      const t = performance.now();
      for (const e of edits) if (e.ms === undefined && e.done()) e.ms = t - e.t0;
      await sleep(2);
    }
  })();
  let polls = 0;
  const poller = mode === "polling" ? (async () => {
    while (!stop) {
      const next = Date.now() + POLL_S * 1000;
      while (!stop && Date.now() < next) await sleep(20);
      if (!stop) {
        await host.sync.run();
        polls++;
      }
    }
  })() : Promise.resolve();

  for (let k = 0; k < N; k++) {
    const cpId = String(k + 1);
    const phone = `+47 41 ${String(k).padStart(3, "0")} 001`;
    const e1 = { side: "Customerp → Chargebee", t0: performance.now(), done: () => servers.chargebee.site.tables.customer.get(cbOf(cpId))?.data.phone === phone };
    edits.push(e1);
    const r1 = await fetch(`${servers.customerp.url}/api/contacts/${cpId}`, {
      method: "PATCH", body: JSON.stringify({ phone }), headers: { authorization: `Bearer ${LOCAL_TOKEN}`, "content-type": "application/json" },
    });
    if (!r1.ok) throw new Error(`Customerp edit: ${r1.status}`);
    await sleep(EVERY / 2);
    const other = String(N + k + 1);
    const phone2 = `+47 42 ${String(k).padStart(3, "0")} 002`;
    const e2 = { side: "Chargebee → Customerp", t0: performance.now(), done: () => servers.customerp.db.tables.get("contacts").get(other)?.record.phone === phone2 };
    edits.push(e2);
    const r2 = await fetch(`${servers.chargebee.url}/api/v2/customers/${cbOf(other)}`, {
      method: "POST", body: new URLSearchParams({ phone: phone2 }).toString(), headers: { authorization: CB_AUTH, "content-type": "application/x-www-form-urlencoded" },
    });
    if (!r2.ok) throw new Error(`Chargebee edit: ${r2.status}`);
    await sleep(EVERY / 2);
  }
  const deadline = Date.now() + (mode === "polling" ? 3 * POLL_S * 1000 + 60_000 : 60_000);
  while (edits.some((e) => e.ms === undefined) && Date.now() < deadline) await sleep(20);
  stop = true;
  await checker;
  await poller;
  await quiet();
  if (mode === "polling") await host.sync.run(); // a last run: what it writes is echo too
  const missing = edits.filter((e) => e.ms === undefined).length;
  const reads = host.chargebee.counters.reads - before.reads + host.customerp.counters.reads - before.cpReads;
  const writes = host.chargebee.counters.writes - before.writes + host.customerp.counters.writes - before.cpWrites;
  await receiver.close();
  await host.store.close();
  await servers.close();
  const ms = edits.filter((e) => e.ms !== undefined).map((e) => /** @type {number} */ (e.ms));
  const bySide = (side) => edits.filter((e) => e.side === side && e.ms !== undefined).map((e) => /** @type {number} */ (e.ms));
  return {
    mode, n: edits.length, missing, median: quantile(ms, 0.5), p95: quantile(ms, 0.95), max: Math.max(...ms),
    sides: ["Customerp → Chargebee", "Chargebee → Customerp"].map((s) => ({ side: s, median: quantile(bySide(s), 0.5), p95: quantile(bySide(s), 0.95) })),
    readsPerEdit: reads / edits.length, writesPerEdit: writes / edits.length, echo: writes - (edits.length - missing), polls,
    batches: receiver.stats.batches, duplicates: receiver.stats.duplicates,
  };
}

const results = [];
for (const mode of /** @type {const} */ (["webhooks", "polling"])) {
  const r = await measure(mode);
  log(`latency ${mode}: ${JSON.stringify(r)}`);
  results.push(r);
}

const s = (x) => `${fmt(x / 1000)} s`;
console.log(`Edits: ${N} on each side, one every ${EVERY} ms alternating sides; polling every ${POLL_S} s.\n`);
console.log("| mode | edits (arrived) | median | p95 | max | Customerp → Chargebee median / p95 | Chargebee → Customerp median / p95 | reads per edit | writes per edit | echo writes |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of results) {
  console.log(`| ${r.mode}${r.mode === "polling" ? ` (${POLL_S} s)` : ""} | ${r.n} (${r.n - r.missing}) | ${s(r.median)} | ${s(r.p95)} | ${s(r.max)} | ` +
    `${s(r.sides[0].median)} / ${s(r.sides[0].p95)} | ${s(r.sides[1].median)} / ${s(r.sides[1].p95)} | ${fmt(r.readsPerEdit)} | ${fmt(r.writesPerEdit)} | ${r.echo} |`);
}
const hooks = results[0];
const poll = results[1];
writeRows("latency", [
  { area: "latency", what: `webhooks: edit → other side written, median (${hooks.n} edits)`, value: s(hooks.median), spread: `p95 ${s(hooks.p95)}, max ${s(hooks.max)}`,
    ratio: `${fmt(poll.median / hooks.median)}× faster than polling every ${POLL_S} s (${s(poll.median)})`, goal: "median ≤ 1 s, p95 ≤ 2 s",
    met: hooks.missing === 0 && hooks.median <= 1000 && hooks.p95 <= 2000 },
  { area: "latency", what: "webhooks: echo writes, reads / writes per edit", value: String(hooks.echo), spread: `${fmt(hooks.readsPerEdit)} reads, ${fmt(hooks.writesPerEdit)} writes per edit`,
    ratio: `polling: ${fmt(poll.readsPerEdit)} reads, ${fmt(poll.writesPerEdit)} writes per edit, ${poll.echo} echo`, goal: "0 echo writes", met: hooks.echo === 0 },
]);
