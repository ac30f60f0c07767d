// What the tenant commands need beside the store: a tenant's settings from the command line, and the
// overview of every tenant (its flows' last runs and its open inbox items) for `tenant list` and the
// console.
import { readFileSync } from "node:fs";
import { UsageError } from "../app/errors.mjs";
import { FLOWS } from "../app/flows.mjs";
import { Inbox } from "../app/inbox.mjs";
import { listTenants } from "./tenants.mjs";

/** @typedef {import("./tenants.mjs").TenantSpec} TenantSpec */
/** @typedef {import("./tenants.mjs").SecretRef} SecretRef */

/**
 * A tenant's settings from `tenant add`'s options.
 * @param {Record<string, any>} v @returns {TenantSpec}
 */
export function tenantSpecOf(v) {
  /** @param {string} what @param {string} envKey @param {string} fileKey @param {boolean} needed @returns {SecretRef | undefined} */
  const ref = (what, envKey, fileKey, needed) => {
    if (v[envKey] && v[fileKey]) throw new UsageError(`give ${what} once: --${envKey} or --${fileKey}, not both`);
    if (v[envKey]) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v[envKey])) throw new UsageError(`--${envKey} takes the name of an environment variable, not ${JSON.stringify(v[envKey])} (the secret itself is never given on the command line)`);
      return { env: v[envKey] };
    }
    if (v[fileKey]) return { file: v[fileKey] };
    if (needed) throw new UsageError(`where is ${what}? give --${envKey} NAME or --${fileKey} PATH`);
    return undefined;
  };
  if (!v["chargebee-site"]) throw new UsageError("tenant add needs --chargebee-site (a site name such as acme-test, or the API's URL)");
  const source = v["customerp-source"] ?? "rest";
  if (source !== "rest" && source !== "sesam") throw new UsageError(`--customerp-source takes rest or sesam, not ${JSON.stringify(source)}`);
  if (source === "rest" && !v["customerp-url"]) throw new UsageError("tenant add needs --customerp-url (or --customerp-source sesam)");
  /** @type {TenantSpec} */
  const spec = {
    chargebeeSite: v["chargebee-site"],
    chargebeeKey: /** @type {SecretRef} */ (ref("the Chargebee API key", "chargebee-key-env", "chargebee-key-file", true)),
    customerpSource: source,
  };
  if (source === "rest") {
    spec.customerpUrl = v["customerp-url"];
    spec.customerpToken = ref("the Customerp token", "customerp-token-env", "customerp-token-file", true);
  }
  if (v.options !== undefined) {
    try {
      spec.options = JSON.parse(v.options);
    } catch {
      throw new UsageError("--options is not JSON");
    }
    if (!spec.options || typeof spec.options !== "object" || Array.isArray(spec.options)) throw new UsageError("--options must be a JSON object of plan options");
  }
  if (v.config !== undefined) {
    let text;
    try {
      text = readFileSync(v.config, "utf8");
    } catch (e) {
      throw new UsageError(`--config ${v.config}: cannot be read (${/** @type {any} */ (e).code ?? e})`);
    }
    try {
      spec.config = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`--config ${v.config}: not JSON (${e instanceof Error ? e.message : e})`);
    }
  }
  if (v.poll !== undefined) {
    const n = Number(v.poll);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--poll takes whole seconds ≥ 1, not ${JSON.stringify(v.poll)}`);
    spec.pollSeconds = n;
  }
  const user = v["webhook-user-env"] ? { env: v["webhook-user-env"] } : undefined;
  const password = v["webhook-password-env"] ? { env: v["webhook-password-env"] } : undefined;
  const secret = v["webhook-secret-env"] ? { env: v["webhook-secret-env"] } : undefined;
  if (Boolean(user) !== Boolean(password)) throw new UsageError("Chargebee's webhooks need both --webhook-user-env and --webhook-password-env");
  if (user || secret) spec.webhooks = { chargebeeUser: user, chargebeePassword: password, customerpSecret: secret };
  return spec;
}

/** Where a tenant's secrets are, as text (names and paths only). @param {TenantSpec} spec */
export function describeRefs(spec) {
  const one = (/** @type {SecretRef | undefined} */ r) => (!r ? "-" : "env" in r ? `$${r.env}` : r.file);
  const parts = [`Chargebee key ${one(spec.chargebeeKey)}`];
  if (spec.customerpToken) parts.push(`Customerp token ${one(spec.customerpToken)}`);
  if (spec.webhooks) parts.push(`webhooks ${[spec.webhooks.chargebeeUser && `${one(spec.webhooks.chargebeeUser)}/${one(spec.webhooks.chargebeePassword)}`, spec.webhooks.customerpSecret && one(spec.webhooks.customerpSecret)].filter(Boolean).join(", ")}`);
  return parts.join(", ");
}

/**
 * Every tenant with its flows' last runs and its open inbox items.
 * @param {import("../app/store/store.mjs").Store} store
 */
export async function tenantOverview(store) {
  const out = [];
  for (const t of await listTenants(store)) {
    const mine = store.forTenant(t.id);
    const rows = await mine.from("run_flows").select(["flow", "run", "started", "finished", "outcome", "errors", "worker"]).orderBy("started", "desc").limit(200).execute();
    /** @type {Record<string, { run: number, at: string | null, outcome: string | null, errors: number | null, worker: string | null }>} */
    const flows = {};
    for (const r of rows) {
      if (flows[r.flow]) continue;
      flows[r.flow] = { run: Number(r.run), at: r.finished ? new Date(Number(r.finished)).toISOString() : null, outcome: r.outcome ?? (r.finished ? null : "running"), errors: r.errors == null ? null : Number(r.errors), worker: r.worker ?? null };
    }
    out.push({ id: t.id, chargebee: t.spec.chargebeeSite, customerp: t.spec.customerpSource === "sesam" ? "sesam" : t.spec.customerpUrl ?? null, pollSeconds: t.spec.pollSeconds ?? 600, flows, inbox: await new Inbox(mine).counts() });
  }
  return out;
}

/** @param {Awaited<ReturnType<typeof tenantOverview>>} rows @param {(line: string) => void} out */
export function printTenants(rows, out) {
  if (rows.length === 0) return void out("no tenants (tenant add <id> …); the host runs as one, configured by the environment");
  for (const t of rows) {
    const open = Object.entries(t.inbox).map(([k, n]) => `${n} ${k}`).join(", ") || "none";
    out(`${t.id}  Chargebee ${t.chargebee} · Customerp ${t.customerp} · every ${t.pollSeconds} s · open items: ${open}`);
    for (const f of FLOWS) {
      const r = t.flows[f.id];
      out(`  ${f.id.padEnd(25)} ${r ? `run ${r.run} ${r.outcome ?? "?"}${r.at ? ` at ${r.at}` : ""}${r.errors ? ` · ${r.errors} errors` : ""}` : "not run yet"}`);
    }
  }
}
