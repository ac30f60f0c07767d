// Shared set-up of the tests: both local servers with the demo data and a host with a store of its own.
// The store's back end is SQLite, or PostgreSQL when SYNC_TEST_PG holds a server's URL
// (scripts/test.sh runs every suite on both): then each store is a schema of its own.
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { sql } from "kysely";
import { localSync, startLocalServers } from "../src/local/servers.mjs";
import { TENANT_TABLES } from "../src/app/store/schema.mjs";

export const PG = process.env.SYNC_TEST_PG || null;

/**
 * A new, empty store for a test: an SQLite file in `dir` (":memory:" without one), or with SYNC_TEST_PG
 * a new schema on that server (the URL selects it through search_path).
 * @param {string} [dir] @param {string} [name]
 */
export async function testDb(dir, name = "sync.sqlite") {
  if (!PG) return dir ? join(dir, name) : ":memory:";
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: PG });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await client.end();
  }
  const u = new URL(PG);
  u.searchParams.set("options", `-c search_path=${schema}`);
  return u.toString();
}

/** Every row of every table of a store, in a stable order (to compare a store before and after). @param {import("../src/app/store/store.mjs").Store} store */
export async function dumpStore(store) {
  /** @type {Record<string, unknown[]>} */
  const out = {};
  for (const t of TENANT_TABLES) {
    const rows = /** @type {any[]} */ ((await sql.raw(`SELECT * FROM "${t}"`).execute(store.k)).rows);
    out[t] = rows.map((r) => JSON.stringify(r)).sort();
  }
  return out;
}

/** Rows of a query in SQL both back ends read alike. @param {import("../src/app/store/store.mjs").Store} store @param {string} text */
export async function rows(store, text) {
  return /** @type {any[]} */ ((await sql.raw(text).execute(store.k)).rows);
}

/**
 * @param {{ rateLimit?: { limit: number, windowMs: number }, retry?: import("../src/app/clients/retry.mjs").RetryOptions,
 *   apiKey?: string, hooks?: import("../src/app/loop.mjs").SyncOptions["hooks"], db?: string, chargebeeUrl?: string, customerpUrl?: string,
 *   bucket?: import("../src/app/clients/rate.mjs").Bucket, concurrency?: number, pageSize?: number,
 *   options?: import("customerp-chargebee").Options, orders?: { delayMs?: number, unpaidStatuses?: string[] },
 *   webhooks?: import("../src/local/webhook-outbox.mjs").OutboxOptions }} [o]
 *   `orders`: the emulated site generates orders (order-generation.mjs)
 */
export async function setup(o = {}) {
  const servers = await startLocalServers({ rateLimit: o.rateLimit, orders: o.orders, webhooks: o.webhooks });
  const connect = async (/** @type {typeof o} */ more = {}) =>
    localSync({ chargebeeUrl: servers.chargebee.url, customerpUrl: servers.customerp.url, retry: { baseDelayMs: 20, ...o.retry }, ...o, db: more.db ?? o.db ?? (await testDb()), ...more });
  const host = await connect();
  return {
    servers,
    host,
    connect,
    async close() {
      await host.store.close();
      await servers.close();
    },
  };
}

/** Writes a run sent to both systems. @param {{ requests: { customerp: { writes: number }, chargebee: { writes: number } } }} s */
export const writes = (s) => s.requests.customerp.writes + s.requests.chargebee.writes;

/** The flows' stats of a run, skipped flows left out. @param {{ flows: Record<string, any> }} s */
export const stats = (s) => /** @type {Record<string, import("../src/app/loop.mjs").FlowStats>} */ (
  Object.fromEntries(Object.entries(s.flows).filter(([, v]) => !("skipped" in v)))
);

/** Sum of one counter over all flows. @param {{ flows: Record<string, any> }} s @param {"errors" | "conflicts" | "warnings" | "waiting" | "manual"} k */
export const total = (s, k) => Object.values(stats(s)).reduce((n, f) => n + f[k], 0);

/** Live (not deleted) records of an emulator table. @param {import("../src/local/chargebee-emulator/site.mjs").Site} site @param {string} table */
export const live = (site, table) => [...site.tables[table].values()].map((e) => e.data).filter((d) => !d.deleted);

/**
 * A hook that kills the host (a fatal "simulated crash") the first time `when` holds for its event.
 * @template E @param {(e: E) => boolean} when @returns {(e: E) => void}
 */
export function crashOnce(when) {
  let crashed = false;
  return (e) => {
    if (crashed || !when(e)) return;
    crashed = true;
    throw Object.assign(new Error("simulated crash"), { fatal: true });
  };
}
