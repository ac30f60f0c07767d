// The local stand-ins (Chargebee emulator and Customerp server) in a process of their own, for
// bench/scale.mjs: seeded with scale-data.mjs straight into their tables, driven over IPC (fork):
//   {cmd: "start", n, seed, customers, latency, customerpLatency, rateLimit, concurrency, paging}  → urls, seed time,
//        heap bytes per contact and per customer, and (paging: true) the cost of a page of each list the host sends
//   {cmd: "stats"} / {cmd: "resetStats"}   the servers' counts (traffic.mjs)
//   {cmd: "edit", share, round}            edits a share of the records on both sides (scale-data.mjs editBoth)
//   {cmd: "sizes"}                         records in each table
//   {cmd: "stop"}
// Each request gets {id, ok, result | error}. Run it directly to measure the stand-ins alone (no host):
//   node --expose-gc bench/lib/stand-ins.mjs --measure 1000000 [--host-dir DIR]
// where DIR is a host-example checkout whose stand-ins to measure (default ../../host-example).
import path from "node:path";
import { pathToFileURL } from "node:url";
import { seedChargebee, seedCustomerp, editBoth } from "./scale-data.mjs";

const HERE = path.dirname(new URL(import.meta.url).pathname);
const argv = process.argv.slice(2);
const arg = (/** @type {string} */ name) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const HOST = path.resolve(arg("host-dir") ?? path.join(HERE, "..", "..", "host-example"));
const load = (/** @type {string} */ p) => import(pathToFileURL(path.join(HOST, p)).href);
const { startChargebeeEmulator } = await load("src/local/chargebee-emulator/server.mjs");
const { startCustomerpServer } = await load("src/local/customerp-server.mjs");

export const API_KEY = "test_scale_bench_key";
export const TOKEN = "scale-bench-customerp-token";

/** @type {any} */
let chargebee = null;
/** @type {any} */
let customerp = null;

const gc = () => {
  if (!global.gc) throw new Error("run with --expose-gc");
  global.gc();
  global.gc();
};
const heap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

/** Median ms of `runs` calls of fn(i). @param {(i: number) => unknown} fn @param {number} runs */
function timed(fn, runs) {
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn(i);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)];
}

/**
 * The cost of one page of each list the host sends, at 10%, 50% and 90% into the table (the median of `runs`):
 * the Customerp change feed (`since`, 100 a page) and an `ids=` lookup of 100; Chargebee customers sorted by
 * `updated_at`, a first sync's page (`offset` only) and a rerun's (`updated_at[after]` and `offset`), and an
 * `id[in]` of 100 (a host reading records by id).
 * @param {any} db @param {any} site @param {number} runs
 */
export function pagingCost(db, site, runs) {
  const maxSeq = db.seq;
  const contacts = [...db.table("contacts").keys()];
  const entries = [...site.tables.customer.values()];
  const sorted = entries.slice().sort((a, b) => a.data.updated_at - b.data.updated_at || a.seq - b.seq);
  const pos = (/** @type {number} */ i) => [0.1, 0.5, 0.9][i % 3];
  const at = (/** @type {number} */ i) => sorted[Math.floor(sorted.length * pos(i))];
  const offset = (/** @type {any} */ e) => JSON.stringify([String(e.data.updated_at * 1000), String(e.seq)]);
  const q = (/** @type {Record<string, string>} */ o) => new URLSearchParams(o);
  const opts = { sortable: ["created_at", "updated_at"], includeDeleted: true };
  const page = { "sort_by[asc]": "updated_at", include_deleted: "true", limit: "100" };
  return {
    customerpFeedMs: timed((i) => db.changes("contacts", Math.floor(maxSeq * pos(i)), 100), runs),
    customerpIdsMs: timed((i) => {
      const from = Math.floor(contacts.length * pos(i));
      const t = db.table("contacts");
      contacts.slice(from, from + 100).map((id) => t.get(id)?.record);
    }, runs),
    chargebeeFirstSyncMs: timed((i) => site.list("customer", q({ ...page, offset: offset(at(i)) }), opts), runs),
    chargebeeRerunMs: timed((i) => {
      const e = at(i);
      site.list("customer", q({ ...page, "updated_at[after]": String(e.data.updated_at - 1), offset: offset(e) }), opts);
    }, runs),
    chargebeeIdInMs: timed((i) => {
      const from = Math.floor(entries.length * pos(i));
      site.list("customer", q({ "id[in]": JSON.stringify(entries.slice(from, from + 100).map((e) => e.data.id)), include_deleted: "true", limit: "100" }), opts);
    }, runs),
  };
}

/**
 * @param {{ n: number, seed?: number, latency?: any, customerpLatency?: any, rateLimit?: any, concurrency?: any,
 *   paging?: boolean, pagingRuns?: number, customers?: boolean }} o  customers: false seeds no Chargebee customers
 */
async function start(o) {
  const h0 = heap();
  customerp = await startCustomerpServer({ token: TOKEN, latency: o.customerpLatency });
  chargebee = await startChargebeeEmulator({
    apiKey: API_KEY, rateLimit: o.rateLimit ?? { limit: 100_000_000, windowMs: 60_000 }, latency: o.latency, concurrency: o.concurrency,
  });
  const h1 = heap();
  let t0 = performance.now();
  seedCustomerp(customerp.db, o.n, { seed: o.seed });
  customerp.db.changes("contacts", 0, 100);
  const customerpSeedMs = performance.now() - t0;
  const h2 = heap();
  t0 = performance.now();
  if (o.customers !== false) seedChargebee(chargebee.site, o.n, { seed: o.seed });
  // the first list builds the updated_at index: part of what a customer costs
  chargebee.site.list("customer", new URLSearchParams({ "sort_by[asc]": "updated_at", include_deleted: "true", limit: "100" }), { sortable: ["updated_at"], includeDeleted: true });
  const chargebeeSeedMs = performance.now() - t0;
  const h3 = heap();
  const customers = chargebee.site.tables.customer.size;
  const paging = o.paging ? pagingCost(customerp.db, chargebee.site, o.pagingRuns ?? 9) : null;
  return {
    chargebee: chargebee.url, customerp: customerp.url, apiKey: API_KEY, token: TOKEN,
    contacts: o.n, customers,
    seedMs: { customerp: customerpSeedMs, chargebee: chargebeeSeedMs },
    memory: {
      bytesPerContact: o.n ? (h2 - h1) / o.n : 0, bytesPerCustomer: customers ? (h3 - h2) / customers : 0,
      serversHeap: h1 - h0, heapUsed: h3, rss: process.memoryUsage().rss,
    },
    paging,
  };
}

/** @param {{ cmd: string } & Record<string, any>} m */
async function command(m) {
  switch (m.cmd) {
    case "start": return start(/** @type {any} */ (m));
    case "stats": return { chargebee: chargebee.stats, customerp: customerp.stats, rss: process.memoryUsage().rss };
    case "resetStats":
      chargebee.resetStats();
      customerp.resetStats();
      return null;
    case "edit": return editBoth(customerp.db, chargebee.site, m.share, m.round);
    case "sizes": return { contacts: customerp.db.table("contacts").size, customers: chargebee.site.tables.customer.size, events: chargebee.site.tables.event.size };
    case "stop":
      await chargebee?.close();
      await customerp?.close();
      setImmediate(() => process.exit(0));
      return null;
    default: throw new Error(`unknown command ${m.cmd}`);
  }
}

if (process.send) {
  process.on("message", async (/** @type {any} */ m) => {
    try {
      /** @type {any} */ (process).send({ id: m.id, ok: true, result: await command(m) });
    } catch (e) {
      /** @type {any} */ (process).send({ id: m.id, ok: false, error: String(/** @type {any} */ (e)?.stack ?? e) });
    }
  });
  process.on("disconnect", () => process.exit(0));
} else if (arg("measure")) {
  const n = Number(arg("measure"));
  const r = await start({ n, paging: true, pagingRuns: Number(arg("runs") ?? 9) });
  console.log(JSON.stringify({ host: HOST, ...r }, null, 1));
  await command({ cmd: "stop" });
}
