// Configuration: the endpoints and credentials from the environment, and from SYNC_CONFIG (a JSON
// file) the plan options per flow, which flows run and the guard's limits. Secrets are never printed:
// `describeConfig` says only whether they are set, and every secret is registered with the redactor. A bad file is a UsageError naming the file, the
// key's path and what is allowed; plan options are checked by the plugin itself (one validation).
import { readFileSync } from "node:fs";
import { plan } from "customerp-chargebee";
import { FLOWS } from "./flows.mjs";
import { UsageError } from "./errors.mjs";

/** @typedef {import("customerp-chargebee").Options} Options */
/** @typedef {{ max: number, percent: number }} GuardLimits */
import { addSecret } from "./redact.mjs";
import { OPS_KEYS, opsConfigOf } from "../ops/config.mjs";
import { DEFAULT_RETENTION_DAYS } from "./journal.mjs";
import { withoutCredentials } from "./clients/chargebee.mjs";

/**
 * @typedef {object} Config
 * @property {string} chargebeeSite CHARGEBEE_SITE: a site name (acme-test) or a full URL
 * @property {string} chargebeeApiKey CHARGEBEE_API_KEY
 * @property {string} customerpUrl CUSTOMERP_URL, e.g. https://erp.example.com
 * @property {string} customerpToken CUSTOMERP_TOKEN (bearer token)
 * @property {string} db SYNC_DB, default ./customerp-chargebee.sqlite
 * @property {Options} options defaults of every flow: SYNC_CONFIG's `defaults`, then SYNC_OPTIONS and the SYNC_* variables
 * @property {Record<string, Options>} flowOptions per flow, over the defaults (SYNC_CONFIG's `flows.<id>.options`)
 * @property {string[] | null} flows the flows that run (null: all)
 * @property {GuardLimits} guard
 * @property {string | null} file the SYNC_CONFIG file
 * @property {import("../ops/config.mjs").OpsConfig} [ops] SYNC_CONFIG's metrics, health and alerts
 * @property {number} [concurrency] SYNC_CONCURRENCY (or SYNC_CONFIG's `concurrency`): pairs in flight at once (default 16)
 * @property {number} [pageSize] SYNC_PAGE_SIZE (or `pageSize`): pairs planned at once (default 200)
 * @property {number} [chargebeeRateLimit] CHARGEBEE_RATE_LIMIT (or `chargebeeRateLimit`): requests a minute the site allows
 *   (default 150, what a test site and the Starter plan allow)
 * @property {number} [customerpConcurrency] CUSTOMERP_CONCURRENCY (or `customerpConcurrency`): Customerp requests in flight at once (default 8)
 * @property {number} [customerpPageSize] CUSTOMERP_PAGE_SIZE (or `customerpPageSize`): records a change-feed page asks for (default 100)
 * @property {"rest" | "sesam"} [customerpSource] CUSTOMERP_SOURCE: the REST connector (CUSTOMERP_URL), or Sesam (the replica
 *   Sesam pushes into the store, and the changes it pulls: docs/sesam.md); default rest
 * @property {string} [sesamNamespace] SESAM_NAMESPACE: the namespace of the ERP's entities in Sesam, `{type}` the
 *   datatype (default customerp-{type}:)
 * @property {number} [journalDays] SYNC_JOURNAL_DAYS (or `journalDays`): days the journal keeps a write; older rows are
 *   pruned at the end of each run (default DEFAULT_RETENTION_DAYS, 90)
 */

export const GUARD_DEFAULTS = Object.freeze({ max: 10, percent: 5 });
const FLOW_IDS = FLOWS.map((f) => f.id);
const TOP_KEYS = ["defaults", "flows", "guard", ...OPS_KEYS, ...Object.keys(/** @type {any} */ ({ concurrency: 0, pageSize: 0, chargebeeRateLimit: 0, customerpConcurrency: 0, customerpPageSize: 0 })), "journalDays"];
/** The journal's retention: the days a write stays (SYNC_JOURNAL_DAYS or `journalDays`), whole days from 1 to 100 years. */
const JOURNAL_DAYS = /** @type {const} */ ({ env: "SYNC_JOURNAL_DAYS", min: 1, max: 36_500, what: "days the journal keeps a write" });
/**
 * The host's pace: key in SYNC_CONFIG, environment variable (over the file), allowed range, default.
 * @type {[key: "concurrency" | "pageSize" | "chargebeeRateLimit" | "customerpConcurrency" | "customerpPageSize", env: string, min: number, max: number, dflt: number, what: string][]}
 */
export const PACE = [
  ["concurrency", "SYNC_CONCURRENCY", 1, 256, 16, "pairs in flight at once"],
  ["pageSize", "SYNC_PAGE_SIZE", 1, 10_000, 200, "pairs planned at once"],
  ["chargebeeRateLimit", "CHARGEBEE_RATE_LIMIT", 1, 1_000_000, 150, "Chargebee requests a minute"],
  ["customerpConcurrency", "CUSTOMERP_CONCURRENCY", 1, 256, 8, "Customerp requests in flight at once"],
  ["customerpPageSize", "CUSTOMERP_PAGE_SIZE", 1, 500, 100, "records a Customerp change-feed page asks for"],
];
const FLOW_KEYS = ["enabled", "options"];

/**
 * @param {NodeJS.ProcessEnv} [env]
 * @param {{ systems?: boolean, source?: string }} [o] systems: false for commands that only use the store (inbox, resolve, confirm);
 *   source: where the environment came from, for messages (a tenant)
 * @returns {Config}
 */
export function configFromEnv(env = process.env, o = {}) {
  const source = env.CUSTOMERP_SOURCE || "rest";
  if (source !== "rest" && source !== "sesam") throw new UsageError(`CUSTOMERP_SOURCE must be rest (CUSTOMERP_URL, CUSTOMERP_TOKEN) or sesam (through Sesam, see docs/sesam.md), not ${JSON.stringify(source)}`);
  if (o.systems !== false) {
    const needed = ["CHARGEBEE_SITE", "CHARGEBEE_API_KEY", ...(source === "sesam" ? [] : ["CUSTOMERP_URL", "CUSTOMERP_TOKEN"])];
    const missing = needed.filter((k) => !env[k]);
    if (missing.length) throw new UsageError(`set ${missing.join(", ")} (see host-example/README.md)`);
  }
  // A tenant's configuration comes from the store (SYNC_CONFIG_JSON, src/tenants/tenants.mjs), a process's from its file.
  const file = env.SYNC_CONFIG ? readConfigFile(env.SYNC_CONFIG) : env.SYNC_CONFIG_JSON ? configOfJson(JSON.parse(env.SYNC_CONFIG_JSON), o.source ?? "the tenant's configuration") : null;
  /** @type {Record<string, unknown>} */
  let envOptions = {};
  if (env.SYNC_OPTIONS) {
    try {
      envOptions = JSON.parse(env.SYNC_OPTIONS);
    } catch {
      throw new UsageError("SYNC_OPTIONS is not JSON");
    }
    if (!isObject(envOptions)) throw new UsageError("SYNC_OPTIONS must be a JSON object of plan options");
  }
  const pick = /** @type {const} */ ([
    ["SYNC_TIME_ZONE", "timeZone"], ["SYNC_OWN_COMPANY_NAME", "ownCompanyName"], ["SYNC_ITEM_FAMILY_ID", "itemFamilyId"],
    ["SYNC_CONFLICTS", "conflicts"], ["SYNC_DELETES", "deletes"], ["SYNC_ID_PREFIX", "idPrefix"], ["SYNC_CREATED_AFTER", "createdAfter"],
    ["SYNC_ORDERS", "orders"],
  ]);
  for (const [k, opt] of pick) if (env[k]) envOptions[opt] = env[k];
  addSecret(env.CHARGEBEE_API_KEY);
  addSecret(env.CUSTOMERP_TOKEN);
  // A database URL's password is a secret (its user name is not: often a plain word such as "sync").
  try {
    if (env.SYNC_DB && /^postgres/i.test(env.SYNC_DB)) addSecret(decodeURIComponent(new URL(env.SYNC_DB).password));
  } catch {
    // not a URL
  }
  for (const url of [env.CUSTOMERP_URL, env.CHARGEBEE_SITE]) {
    try {
      const u = new URL(/** @type {string} */ (url));
      addSecret(decodeURIComponent(u.password));
      addSecret(decodeURIComponent(u.username));
    } catch {
      // not a URL: nothing in it to hide
    }
  }
  const options = /** @type {Options} */ ({ ...(file?.defaults ?? {}), ...envOptions });
  /** @type {Config} */
  const config = {
    chargebeeSite: env.CHARGEBEE_SITE ?? "",
    chargebeeApiKey: env.CHARGEBEE_API_KEY ?? "",
    customerpUrl: env.CUSTOMERP_URL ?? "",
    customerpToken: env.CUSTOMERP_TOKEN ?? "",
    db: env.SYNC_DB ?? "customerp-chargebee.sqlite",
    options,
    flowOptions: file?.flowOptions ?? {},
    flows: file?.flows ?? null,
    guard: file?.guard ?? { ...GUARD_DEFAULTS },
    file: env.SYNC_CONFIG ?? null,
    ops: file?.ops ?? { metrics: {}, health: {}, alerts: {} },
    customerpSource: /** @type {"rest" | "sesam"} */ (source),
    sesamNamespace: env.SESAM_NAMESPACE ?? "customerp-{type}:",
  };
  for (const [key, name, min, max, dflt, what] of PACE) {
    const raw = env[name];
    if (raw !== undefined && raw !== "") {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be a whole number from ${min} to ${max} (${what}), not ${JSON.stringify(raw)}`);
      config[key] = n;
    } else config[key] = file?.pace[key] ?? dflt;
  }
  const days = env[JOURNAL_DAYS.env];
  if (days !== undefined && days !== "") {
    const n = Number(days);
    if (!Number.isInteger(n) || n < JOURNAL_DAYS.min || n > JOURNAL_DAYS.max) {
      throw new UsageError(`${JOURNAL_DAYS.env} must be a whole number from ${JOURNAL_DAYS.min} to ${JOURNAL_DAYS.max} (${JOURNAL_DAYS.what}), not ${JSON.stringify(days)}`);
    }
    config.journalDays = n;
  } else config.journalDays = file?.journalDays ?? DEFAULT_RETENTION_DAYS;
  for (const flow of FLOW_IDS) {
    const where = config.flowOptions[flow] ? `flows.${flow}.options` : file ? "defaults (or SYNC_OPTIONS)" : "SYNC_OPTIONS";
    checkOptions(flow, optionsFor(config, flow), env.SYNC_CONFIG ?? o.source ?? "the environment", where);
  }
  return config;
}

/** The plan options of one flow: the defaults with the flow's overrides. @param {Pick<Config, "options" | "flowOptions">} c @param {string} flow @returns {Options} */
export function optionsFor(c, flow) {
  const own = c.flowOptions[flow];
  return own ? /** @type {Options} */ ({ ...c.options, ...own }) : c.options;
}

/** @param {unknown} v @returns {v is Record<string, any>} */
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** @param {string} path @returns {{ defaults: Options, flowOptions: Record<string, Options>, flows: string[] | null, guard: GuardLimits, pace: Record<string, number>, ops: import("../ops/config.mjs").OpsConfig, journalDays?: number }} */
function readConfigFile(path) {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`SYNC_CONFIG ${path}: cannot be read (${/** @type {any} */ (e).code ?? e})`);
  }
  let json;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`SYNC_CONFIG ${path}: not JSON (${e instanceof Error ? e.message : e})`);
  }
  return configOfJson(json, path);
}

/**
 * A SYNC_CONFIG's content, checked. @param {any} json @param {string} path where it came from, for messages
 * @returns {ReturnType<typeof readConfigFile>}
 */
export function configOfJson(json, path) {
  const bad = (/** @type {string} */ key, /** @type {string} */ why) => new UsageError(`SYNC_CONFIG ${path}: ${key}: ${why}`);
  if (!isObject(json)) throw bad("(top level)", `expected an object with ${TOP_KEYS.join(", ")}`);
  for (const k of Object.keys(json)) if (!TOP_KEYS.includes(k)) throw bad(k, `unknown key; allowed: ${TOP_KEYS.join(", ")}`);
  if (json.defaults !== undefined && !isObject(json.defaults)) throw bad("defaults", "expected an object of plan options");
  /** @type {Record<string, Options>} */
  const flowOptions = {};
  /** @type {string[] | null} */
  let flows = null;
  if (json.flows !== undefined) {
    if (!isObject(json.flows)) throw bad("flows", `expected an object keyed by flow id (${FLOW_IDS.join(", ")})`);
    /** @type {string[]} */
    const off = [];
    for (const [id, f] of Object.entries(json.flows)) {
      if (!FLOW_IDS.includes(/** @type {any} */ (id))) throw bad(`flows.${id}`, `unknown flow; valid: ${FLOW_IDS.join(", ")}`);
      if (!isObject(f)) throw bad(`flows.${id}`, `expected an object with ${FLOW_KEYS.join(", ")}`);
      for (const k of Object.keys(f)) if (!FLOW_KEYS.includes(k)) throw bad(`flows.${id}.${k}`, `unknown key; allowed: ${FLOW_KEYS.join(", ")}`);
      if (f.enabled !== undefined && typeof f.enabled !== "boolean") throw bad(`flows.${id}.enabled`, "expected true or false");
      if (f.enabled === false) off.push(id);
      if (f.options !== undefined) {
        if (!isObject(f.options)) throw bad(`flows.${id}.options`, "expected an object of plan options");
        flowOptions[id] = /** @type {Options} */ (f.options);
      }
    }
    if (off.length) flows = FLOW_IDS.filter((id) => !off.includes(id));
  }
  /** @type {GuardLimits} */
  const guard = { ...GUARD_DEFAULTS };
  if (json.guard !== undefined) {
    if (!isObject(json.guard)) throw bad("guard", "expected an object with max, percent");
    for (const [k, v] of Object.entries(json.guard)) {
      if (k === "max") {
        if (!Number.isInteger(v) || v < 0) throw bad("guard.max", "expected a whole number ≥ 0 (destructive actions a flow may plan)");
        guard.max = v;
      } else if (k === "percent") {
        if (typeof v !== "number" || !(v >= 0 && v <= 100)) throw bad("guard.percent", "expected a number from 0 to 100 (percent of the flow's linked pairs)");
        guard.percent = v;
      } else throw bad(`guard.${k}`, "unknown key; allowed: max, percent");
    }
  }
  /** @type {Record<string, number>} */
  const pace = {};
  for (const [key, , min, max, , what] of PACE) {
    if (json[key] === undefined) continue;
    if (!Number.isInteger(json[key]) || json[key] < min || json[key] > max) throw bad(key, `expected a whole number from ${min} to ${max} (${what})`);
    pace[key] = json[key];
  }
  const days = json.journalDays;
  if (days !== undefined && (!Number.isInteger(days) || days < JOURNAL_DAYS.min || days > JOURNAL_DAYS.max)) {
    throw bad("journalDays", `expected a whole number from ${JOURNAL_DAYS.min} to ${JOURNAL_DAYS.max} (${JOURNAL_DAYS.what})`);
  }
  return { defaults: /** @type {Options} */ (json.defaults ?? {}), flowOptions, flows, guard, pace, ops: opsConfigOf(json, path), journalDays: days };
}

/**
 * Checks a flow's plan options with the plugin (an empty pair is planned): a SyncError invalid_options
 * becomes a UsageError naming where the key came from.
 * @param {string} flow @param {Options} options @param {string} source @param {string} where
 */
function checkOptions(flow, options, source, where) {
  try {
    plan(/** @type {any} */ (flow), { customerp: null, chargebee: null, base: null }, options);
  } catch (e) {
    const err = /** @type {any} */ (e);
    if (err?.code !== "invalid_options") return; // unknown_flow: a build without this flow; reported when it runs
    const key = String(err.path ?? "").replace(/^\/options\/?/, "").split("/").filter(Boolean).join(".");
    const msg = String(err.message).replace(/^\/options\S*: /, "");
    throw new UsageError(`${source}: ${where}${key ? `.${key}` : ""} (flow ${flow}): ${msg}`);
  }
}

/** Lines that describe the configuration, with secrets left out. @param {Config} c @param {string} base */
export function describeConfig(c, base) {
  const lines = [
    `  Chargebee  ${withoutCredentials(base)}  (API key: set, not shown)`,
    c.customerpSource === "sesam"
      ? `  Customerp  through Sesam: the replica in the store (CUSTOMERP_SOURCE=sesam, namespace ${JSON.stringify(c.sesamNamespace ?? "")})`
      : `  Customerp  ${withoutCredentials(c.customerpUrl)}  (token: set, not shown)`,
    `  store      ${c.db}`,
    `  options    ${JSON.stringify(c.options)}`,
  ];
  for (const [flow, o] of Object.entries(c.flowOptions)) lines.push(`             ${flow}: ${JSON.stringify(o)}`);
  if (c.file) lines.push(`  config     ${c.file} (guard: more than ${c.guard.max} and ${c.guard.percent}% of a flow's pairs)`);
  return lines;
}
