// Tenants: one Customerp connector and one Chargebee site each, with their options, mappings and
// SYNC_CONFIG settings, kept in the store (table `tenants`). The store holds where each secret is —
// the name of an environment variable, or a file — never the secret: a worker on another machine
// reads it from its own environment or files. With no tenant defined the host is what it always was:
// one tenant, '' , configured by the environment.
import { readFileSync } from "node:fs";
import { configFromEnv } from "../app/config.mjs";
import { UsageError } from "../app/errors.mjs";
import { FLOWS } from "../app/flows.mjs";

/** @typedef {{ env: string } | { file: string }} SecretRef where a secret is: an environment variable's name, or a file's path */

/**
 * @typedef {object} TenantSpec
 * @property {string} chargebeeSite a site name (acme-test) or the API's URL
 * @property {SecretRef} chargebeeKey
 * @property {string} [customerpUrl]
 * @property {SecretRef} [customerpToken]
 * @property {"rest" | "sesam"} [customerpSource]
 * @property {Record<string, unknown>} [options] plan options (over SYNC_CONFIG's defaults)
 * @property {Record<string, unknown>} [config] a SYNC_CONFIG (defaults, flows, guard, pace, ops), checked when added
 * @property {number} [pollSeconds] how often workers run this tenant (default 600)
 * @property {{ chargebeeUser?: SecretRef, chargebeePassword?: SecretRef, customerpSecret?: SecretRef }} [webhooks]
 */

export const ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const DEFAULT_POLL_SECONDS = 600;

/** @param {string} id */
export function checkTenantId(id) {
  if (!ID.test(id ?? "")) throw new UsageError(`a tenant id is 1–63 lower-case letters, digits, - and _, starting with a letter or digit; not ${JSON.stringify(id ?? "")}`);
  return id;
}

/** @param {import("../app/store/store.mjs").Store} store */
export async function listTenants(store) {
  const rows = await store.k.selectFrom("tenants").selectAll().orderBy("id").execute();
  return rows.map((r) => ({ id: String(r.id), spec: /** @type {TenantSpec} */ (JSON.parse(r.spec)), createdAt: r.created_at, updatedAt: r.updated_at }));
}

/** @param {import("../app/store/store.mjs").Store} store @param {string} id @returns {Promise<TenantSpec | null>} */
export async function tenantSpec(store, id) {
  const r = await store.k.selectFrom("tenants").select("spec").where("id", "=", id).executeTakeFirst();
  return r ? JSON.parse(r.spec) : null;
}

/**
 * Adds (or replaces) a tenant, after checking its configuration as a run would read it (secrets are not
 * read here: the process that adds a tenant need not hold them).
 * @param {import("../app/store/store.mjs").Store} store @param {string} id @param {TenantSpec} spec
 */
export async function addTenant(store, id, spec) {
  checkTenantId(id);
  configOfTenant(id, spec, { secrets: false });
  const now = new Date().toISOString();
  await store.k.insertInto("tenants").values({ id, spec: JSON.stringify(spec), created_at: now, updated_at: now })
    .onConflict((oc) => oc.column("id").doUpdateSet({ spec: JSON.stringify(spec), updated_at: now })).execute();
}

/**
 * Removes a tenant and everything the store holds of it (links, bases, cursors, inbox, journal…).
 * @param {import("../app/store/store.mjs").Store} store @param {string} id @returns {Promise<boolean>} whether it existed
 */
export async function removeTenant(store, id) {
  const { TENANT_TABLES } = await import("../app/store/schema.mjs");
  return store.k.transaction().execute(async (k) => {
    const r = await k.deleteFrom("tenants").where("id", "=", id).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) return false;
    for (const t of TENANT_TABLES) if (t !== "tenants") await k.deleteFrom(t).where("tenant", "=", id).execute();
    return true;
  });
}

/**
 * Reads a secret where the tenant says it is. @param {string} tenant @param {string} what @param {SecretRef | undefined} ref
 * @param {NodeJS.ProcessEnv} env
 */
export function readSecret(tenant, what, ref, env = process.env) {
  if (!ref) return "";
  if ("env" in ref) {
    const v = env[ref.env];
    if (!v) throw new UsageError(`tenant ${tenant}: ${what} comes from the environment variable ${ref.env}, which is not set in this process`);
    return v;
  }
  try {
    return readFileSync(ref.file, "utf8").trim();
  } catch (e) {
    throw new UsageError(`tenant ${tenant}: ${what} comes from the file ${ref.file}, which cannot be read (${/** @type {any} */ (e).code ?? e})`);
  }
}

/**
 * The configuration of a tenant, as configFromEnv makes it from the environment: the tenant's
 * settings in the place of CHARGEBEE_SITE, CHARGEBEE_API_KEY, CUSTOMERP_URL, CUSTOMERP_TOKEN, SYNC_OPTIONS
 * and SYNC_CONFIG; the store is the one given (SYNC_DB).
 * @param {string} id @param {TenantSpec} spec @param {{ db?: string, secrets?: boolean, env?: NodeJS.ProcessEnv }} [o]
 * @returns {import("../app/config.mjs").Config & { tenant: string, pollSeconds: number }}
 */
export function configOfTenant(id, spec, o = {}) {
  const env = o.env ?? process.env;
  const secrets = o.secrets !== false;
  const source = spec.customerpSource ?? "rest";
  /** @type {NodeJS.ProcessEnv} */
  const tenantEnv = {
    CHARGEBEE_SITE: spec.chargebeeSite,
    CHARGEBEE_API_KEY: secrets ? readSecret(id, "the Chargebee API key", spec.chargebeeKey, env) : "(not read)",
    CUSTOMERP_SOURCE: source,
    CUSTOMERP_URL: spec.customerpUrl ?? "",
    CUSTOMERP_TOKEN: source === "rest" ? (secrets ? readSecret(id, "the Customerp token", spec.customerpToken, env) : "(not read)") : "",
    SYNC_DB: o.db ?? env.SYNC_DB ?? "",
    SYNC_OPTIONS: spec.options ? JSON.stringify(spec.options) : undefined,
    SESAM_TOKEN: env.SESAM_TOKEN,
  };
  if (spec.config) tenantEnv.SYNC_CONFIG_JSON = JSON.stringify(spec.config);
  for (const k of ["CHARGEBEE_RATE_LIMIT", "SYNC_CONCURRENCY", "SYNC_PAGE_SIZE", "CUSTOMERP_CONCURRENCY", "CUSTOMERP_PAGE_SIZE"]) {
    if (env[k] !== undefined) tenantEnv[k] = env[k];
  }
  const config = configFromEnv(tenantEnv, { systems: true, source: `tenant ${id}` });
  return { ...config, tenant: id, pollSeconds: spec.pollSeconds ?? DEFAULT_POLL_SECONDS };
}

/** The flows a tenant's configuration enables. @param {import("../app/config.mjs").Config} config */
export const enabledFlows = (config) => config.flows ?? FLOWS.map((f) => f.id);
