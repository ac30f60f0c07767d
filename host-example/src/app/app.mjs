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
import { SharedBucket } from "../tenants/bucket.mjs";

/**
 * @typedef {object} App
 * @property {import("./config.mjs").Config} config
 * @property {CustomerpClient} customerp
 * @property {ChargebeeClient} chargebee
 * @property {Store} store
 */

/**
 * Opens the app from the environment, or for one tenant (`tenant`: its settings from the store; the
 * store and its database from SYNC_DB). `systems: false` for actions that only use the store (the
 * clients are then not made, and credentials need not be set).
 * @param {{ env?: NodeJS.ProcessEnv, systems?: boolean, tenant?: string, onRetry?: import("./clients/retry.mjs").RetryOptions["onRetry"] }} [o]
 * @returns {Promise<App & { close(): Promise<void> }>}
 */
export async function openApp(o = {}) {
  const env = o.env ?? process.env;
  if (o.tenant) {
    const root = await Store.open(configFromEnv(env, { systems: false }).db);
    try {
      return { ...(await tenantApp(root, o.tenant, { ...o, env })), close: () => root.close() };
    } catch (e) {
      await root.close();
      throw e;
    }
  }
  const config = configFromEnv(env, { systems: o.systems });
  const store = await Store.open(config.db);
  try {
    return { ...clientsOf(config, store, o), close: () => store.close() };
  } catch (e) {
    await store.close();
    throw e;
  }
}

/**
 * A tenant's app on an open store (the same database for every tenant; this tenant's rows).
 * @param {Store} root @param {string} tenant
 * @param {{ env?: NodeJS.ProcessEnv, systems?: boolean, onRetry?: import("./clients/retry.mjs").RetryOptions["onRetry"] }} [o]
 * @returns {Promise<App>}
 */
export async function tenantApp(root, tenant, o = {}) {
  const { configOfTenant, tenantSpec } = await import("../tenants/tenants.mjs");
  const spec = await tenantSpec(root, tenant);
  if (!spec) throw new UsageError(`no tenant ${JSON.stringify(tenant)} in ${root.path} (see tenant list)`);
  const config = configOfTenant(tenant, spec, { db: root.path, env: o.env, secrets: o.systems !== false });
  return clientsOf(config, root.forTenant(tenant), o);
}

/**
 * The clients of a configuration, on a store. The Chargebee site's rate bucket is the process's own on
 * SQLite, and shared by every process through PostgreSQL (src/tenants/bucket.mjs).
 * @param {import("./config.mjs").Config} config @param {Store} store
 * @param {{ systems?: boolean, onRetry?: import("./clients/retry.mjs").RetryOptions["onRetry"] }} o
 * @returns {App}
 */
function clientsOf(config, store, o) {
  const systems = o.systems !== false;
  if (!systems) return { config, chargebee: /** @type {any} */ (null), customerp: /** @type {any} */ (null), store };
  const perMinute = config.chargebeeRateLimit ?? DEFAULT_RATE_LIMIT;
  let chargebee;
  try {
    chargebee = new ChargebeeClient({ site: config.chargebeeSite, apiKey: config.chargebeeApiKey, onRetry: o.onRetry, tenant: store.tenant,
      bucket: new TokenBucket({ perMinute }) });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  if (store.dialect === "postgres") chargebee.bucket = new SharedBucket({ store, name: chargebee.baseUrl, perMinute });
  const customerp = config.customerpSource === "sesam"
    ? /** @type {any} */ (new SesamCustomerpClient({ store, namespace: config.sesamNamespace }))
    : new CustomerpClient({ url: config.customerpUrl, token: config.customerpToken, onRetry: o.onRetry, tenant: store.tenant,
      concurrency: config.customerpConcurrency, pageSize: config.customerpPageSize });
  return { config, chargebee, customerp, store };
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
