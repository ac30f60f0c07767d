// The embedded defaults: both local servers with the demo data, and the host wired to them.
import { startChargebeeEmulator } from "./chargebee-emulator/server.mjs";
import { startCustomerpServer } from "./customerp-server.mjs";
import { ChargebeeClient } from "../app/clients/chargebee.mjs";
import { CustomerpClient } from "../app/clients/customerp.mjs";
import { Store } from "../app/store/store.mjs";
import { Sync } from "../app/loop.mjs";
import { GUARD_DEFAULTS } from "../app/config.mjs";
import { DEMO_ITEM_FAMILY, DEMO_OWN_COMPANY, seedChargebee, seedCustomerp } from "./demo-data.mjs";

/** Credentials of the local servers only (a real site's key comes from CHARGEBEE_API_KEY). */
export const LOCAL_API_KEY = "test_local_emulator_key";
export const LOCAL_TOKEN = "local-customerp-token";

/** Plan options for the demo data. @type {import("customerp-chargebee").Options} */
export const DEMO_OPTIONS = {
  timeZone: "Europe/Oslo", ownCompanyName: DEMO_OWN_COMPANY, itemFamilyId: DEMO_ITEM_FAMILY,
  // A contact's VAT number (Chargebee takes it through update_billing_info) and the site's custom field cf_segment.
  mappings: {
    "contact-customer": [
      { customerp: "vat_number", chargebee: "vat_number", type: "string" },
      { customerp: "segment", chargebee: "cf_segment", type: "enum", values: ["smb", "enterprise", "public"] },
    ],
  },
};

/**
 * Starts the Chargebee emulator and the Customerp server on loopback, seeded.
 * @param {{ seed?: boolean, rateLimit?: import("./traffic.mjs").RateLimitOptions, chargebeePort?: number, customerpPort?: number,
 *   webhooks?: import("./webhook-outbox.mjs").OutboxOptions, orders?: { delayMs?: number, unpaidStatuses?: string[] },
 *   latency?: import("./traffic.mjs").LatencyOptions, concurrency?: import("./traffic.mjs").ConcurrencyOptions | number,
 *   customerpLatency?: import("./traffic.mjs").LatencyOptions,
 *   productCatalogVersion?: "v1" | "v2", currencies?: import("./chargebee-emulator/site.mjs").SiteCurrencies }} [o]
 *   `webhooks`: retry delays and timeout of both servers' outgoing webhooks; `orders`: the emulated site
 *   generates orders for paid invoices with shippable items; `latency`, `concurrency`: the emulator's delay per
 *   request and limit of requests in flight; `customerpLatency`: the Customerp server's delay per request;
 *   `productCatalogVersion`, `currencies`: the site's settings
 */
export async function startLocalServers(o = {}) {
  const seed = o.seed ?? true;
  const chargebee = await startChargebeeEmulator({
    apiKey: LOCAL_API_KEY, seed: seed ? seedChargebee : undefined, rateLimit: o.rateLimit, port: o.chargebeePort, webhooks: o.webhooks,
    orders: o.orders, latency: o.latency, concurrency: o.concurrency, productCatalogVersion: o.productCatalogVersion, currencies: o.currencies,
  });
  const customerp = await startCustomerpServer({
    token: LOCAL_TOKEN, seed: seed ? seedCustomerp : undefined, port: o.customerpPort, webhooks: o.webhooks, latency: o.customerpLatency,
  });
  return {
    chargebee,
    customerp,
    async close() {
      await chargebee.close();
      await customerp.close();
    },
  };
}

/** @typedef {Awaited<ReturnType<typeof startLocalServers>>} LocalServers */

/**
 * A Sync against the local servers (or any URLs), with its own store.
 * @param {{ chargebeeUrl: string, customerpUrl: string, db?: string, apiKey?: string, token?: string,
 *   options?: import("customerp-chargebee").Options, flowOptions?: Record<string, import("customerp-chargebee").Options>,
 *   guard?: { max: number, percent: number }, out?: (line: string) => void,
 *   retry?: import("../app/clients/retry.mjs").RetryOptions, hooks?: import("../app/loop.mjs").SyncOptions["hooks"], tenant?: string,
 *   bucket?: import("../app/clients/rate.mjs").Bucket, concurrency?: number, pageSize?: number }} o bucket: the Chargebee site's rate
 *   bucket (default: none); concurrency: pairs in flight at once; pageSize: pairs planned at once
 */
export async function localSync(o) {
  const chargebee = new ChargebeeClient({ site: o.chargebeeUrl, apiKey: o.apiKey ?? LOCAL_API_KEY, bucket: o.bucket, ...o.retry });
  const customerp = new CustomerpClient({ url: o.customerpUrl, token: o.token ?? LOCAL_TOKEN, ...o.retry });
  const store = await Store.open(o.db ?? ":memory:", { tenant: o.tenant });
  /** @type {import("../app/config.mjs").Config} */
  const config = {
    chargebeeSite: o.chargebeeUrl, chargebeeApiKey: "", customerpUrl: o.customerpUrl, customerpToken: "", db: store.path,
    options: o.options ?? DEMO_OPTIONS, flowOptions: o.flowOptions ?? {}, flows: null, guard: o.guard ?? { ...GUARD_DEFAULTS }, file: null,
    concurrency: o.concurrency ?? (process.env.SYNC_TEST_CONCURRENCY ? Number(process.env.SYNC_TEST_CONCURRENCY) : undefined),
    pageSize: o.pageSize ?? (process.env.SYNC_TEST_PAGE_SIZE ? Number(process.env.SYNC_TEST_PAGE_SIZE) : undefined),
  };
  const sync = new Sync({ customerp, chargebee, store, options: config.options, flowOptions: config.flowOptions, guard: config.guard, out: o.out, hooks: o.hooks,
    concurrency: config.concurrency, pageSize: config.pageSize });
  return { sync, store, chargebee, customerp, config };
}
