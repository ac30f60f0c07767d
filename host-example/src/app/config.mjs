// Configuration from the environment, for a sync against real endpoints. Secrets are never printed:
// `describeConfig` says only whether they are set, and every secret is registered with the redactor.
import { addSecret, safeUrl } from "./redact.mjs";

/**
 * @typedef {object} Config
 * @property {string} chargebeeSite CHARGEBEE_SITE: a site name (acme-test) or a full URL
 * @property {string} chargebeeApiKey CHARGEBEE_API_KEY
 * @property {string} customerpUrl CUSTOMERP_URL, e.g. https://erp.example.com
 * @property {string} customerpToken CUSTOMERP_TOKEN (bearer token)
 * @property {string} db SYNC_DB, default ./customerp-chargebee.sqlite
 * @property {import("customerp-chargebee").Options} options SYNC_OPTIONS (JSON) and the SYNC_* variables
 */

/** @param {NodeJS.ProcessEnv} [env] @returns {Config} */
export function configFromEnv(env = process.env) {
  const missing = ["CHARGEBEE_SITE", "CHARGEBEE_API_KEY", "CUSTOMERP_URL", "CUSTOMERP_TOKEN"].filter((k) => !env[k]);
  if (missing.length) throw new Error(`set ${missing.join(", ")} (see host-example/README.md)`);
  /** @type {Record<string, unknown>} */
  let options = {};
  if (env.SYNC_OPTIONS) {
    try {
      options = JSON.parse(env.SYNC_OPTIONS);
    } catch {
      throw new Error("SYNC_OPTIONS is not JSON");
    }
  }
  const pick = /** @type {const} */ ([
    ["SYNC_TIME_ZONE", "timeZone"], ["SYNC_OWN_COMPANY_NAME", "ownCompanyName"], ["SYNC_ITEM_FAMILY_ID", "itemFamilyId"],
    ["SYNC_CONFLICTS", "conflicts"], ["SYNC_DELETES", "deletes"], ["SYNC_ID_PREFIX", "idPrefix"], ["SYNC_CREATED_AFTER", "createdAfter"],
  ]);
  for (const [k, o] of pick) if (env[k]) options[o] = env[k];
  addSecret(env.CHARGEBEE_API_KEY);
  addSecret(env.CUSTOMERP_TOKEN);
  for (const url of [env.CUSTOMERP_URL, env.CHARGEBEE_SITE]) {
    try {
      const u = new URL(/** @type {string} */ (url));
      addSecret(decodeURIComponent(u.password));
      addSecret(decodeURIComponent(u.username));
    } catch {
      // not a URL: nothing in it to hide
    }
  }
  return {
    chargebeeSite: /** @type {string} */ (env.CHARGEBEE_SITE),
    chargebeeApiKey: /** @type {string} */ (env.CHARGEBEE_API_KEY),
    customerpUrl: /** @type {string} */ (env.CUSTOMERP_URL),
    customerpToken: /** @type {string} */ (env.CUSTOMERP_TOKEN),
    db: env.SYNC_DB ?? "customerp-chargebee.sqlite",
    options: /** @type {any} */ (options),
  };
}

/** Lines that describe the configuration, with secrets left out. @param {Config} c @param {string} base */
export function describeConfig(c, base) {
  return [
    `  Chargebee  ${safeUrl(base)}  (API key: set, not shown)`,
    `  Customerp  ${safeUrl(c.customerpUrl)}  (token: set, not shown)`,
    `  store      ${c.db}`,
    `  options    ${JSON.stringify(c.options)}`,
  ];
}
