// Shared set-up of the tests: both local servers with the demo data and a host with an in-memory store.
import { localSync, startLocalServers } from "../src/local/servers.mjs";

/**
 * @param {{ rateLimit?: { limit: number, windowMs: number }, retry?: import("../src/app/clients/retry.mjs").RetryOptions,
 *   apiKey?: string, hooks?: import("../src/app/loop.mjs").SyncOptions["hooks"], db?: string,
 *   options?: import("customerp-chargebee").Options, orders?: { delayMs?: number, unpaidStatuses?: string[] },
 *   webhooks?: import("../src/local/webhook-outbox.mjs").OutboxOptions }} [o]
 *   `orders`: the emulated site generates orders (order-generation.mjs)
 */
export async function setup(o = {}) {
  const servers = await startLocalServers({ rateLimit: o.rateLimit, orders: o.orders, webhooks: o.webhooks });
  const connect = (/** @type {typeof o} */ more = {}) =>
    localSync({ chargebeeUrl: servers.chargebee.url, customerpUrl: servers.customerp.url, retry: { baseDelayMs: 20, ...o.retry }, ...o, ...more });
  const host = connect();
  return {
    servers,
    host,
    connect,
    async close() {
      host.store.close();
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
