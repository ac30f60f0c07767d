// The app's context, which every action takes: the configuration, both clients and the store.
// The CLI (bin/sync.mjs) and the operator console open it the same way.
import { ChargebeeClient } from "./clients/chargebee.mjs";
import { CustomerpClient } from "./clients/customerp.mjs";
import { SesamCustomerpClient } from "./clients/sesam-customerp.mjs";
import { configFromEnv } from "./config.mjs";
import { Store } from "./store/store.mjs";
import { Sync } from "./loop.mjs";
import { FLOWS } from "./flows.mjs";
import { chargebeeResources } from "./clients/chargebee-resources.mjs";
import { UsageError } from "./errors.mjs";
import { DEFAULT_RATE_LIMIT, TokenBucket } from "./clients/rate.mjs";

/**
 * @typedef {object} App
 * @property {import("./config.mjs").Config} config
 * @property {CustomerpClient} customerp
 * @property {ChargebeeClient} chargebee
 * @property {Store} store
 */

/**
 * Opens the app from the environment. `systems: false` for actions that only use the store (the
 * clients are then not made, and credentials need not be set).
 * @param {{ env?: NodeJS.ProcessEnv, systems?: boolean, onRetry?: import("./clients/retry.mjs").RetryOptions["onRetry"] }} [o]
 * @returns {Promise<App & { close(): Promise<void> }>}
 */
export async function openApp(o = {}) {
  const config = configFromEnv(o.env ?? process.env, { systems: o.systems });
  const systems = o.systems !== false;
  let chargebee;
  try {
    chargebee = systems ? new ChargebeeClient({ site: config.chargebeeSite, apiKey: config.chargebeeApiKey, onRetry: o.onRetry,
      bucket: new TokenBucket({ perMinute: config.chargebeeRateLimit ?? DEFAULT_RATE_LIMIT }) }) : /** @type {any} */ (null);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const store = await Store.open(config.db);
  let customerp = /** @type {any} */ (null);
  try {
    if (systems && config.customerpSource === "sesam") customerp = new SesamCustomerpClient({ store, namespace: config.sesamNamespace });
    else if (systems) {
      customerp = new CustomerpClient({ url: config.customerpUrl, token: config.customerpToken, onRetry: o.onRetry,
        concurrency: config.customerpConcurrency, pageSize: config.customerpPageSize });
    }
  } catch (e) {
    await store.close();
    throw e;
  }
  return { config, chargebee, customerp, store, close: () => store.close() };
}

/**
 * A Sync over the app with the app's configuration, and `o` over it.
 * @param {App} app @param {Partial<import("./loop.mjs").SyncOptions>} [o]
 */
export function syncOf(app, o = {}) {
  // Through Sesam, Customerp's records are in the store: the Sync's store (a dry run's copy) is read.
  const customerp = /** @type {unknown} */ (app.customerp) instanceof SesamCustomerpClient ? /** @type {any} */ (app.customerp).forStore(app.store) : app.customerp;
  return new Sync({
    customerp, chargebee: app.chargebee, store: app.store,
    options: app.config.options, flowOptions: app.config.flowOptions, guard: app.config.guard,
    only: app.config.flows ?? undefined, concurrency: app.config.concurrency, pageSize: app.config.pageSize, journalDays: app.config.journalDays,
    ...o,
  });
}

/** A flow id given by a person, checked. @param {string | undefined} flow */
export function flowSpec(flow) {
  const f = FLOWS.find((x) => x.id === flow);
  if (!f) throw new UsageError(`unknown flow ${JSON.stringify(flow ?? "")}; valid flows: ${FLOWS.map((x) => x.id).join(", ")}`);
  return f;
}

/** `customerp:17` or `chargebee:AzZ…` → side and id. @param {string | undefined} ref */
export function recordRef(ref) {
  const m = /^(customerp|chargebee):(.+)$/.exec(ref ?? "");
  if (!m) throw new UsageError(`expected customerp:<id> or chargebee:<id>, got ${JSON.stringify(ref ?? "")}`);
  return { side: /** @type {"customerp" | "chargebee"} */ (m[1]), id: m[2] };
}

/** The current record on one side, or null when missing or deleted. @param {App} app @param {import("./flows.mjs").FlowSpec} f @param {"customerp" | "chargebee"} side @param {string} id */
export async function readRecord(app, f, side, id) {
  if (side === "customerp") return (await app.customerp.get(f.customerp, id))?.record ?? null;
  return chargebeeResources(app.chargebee, app.store)[f.chargebee].get(id);
}
