// The operations side's part of SYNC_CONFIG: three top-level keys beside `defaults`, `flows` and `guard`,
// checked as strictly as the rest of the file (a bad key is a UsageError naming the file, the key's path
// and what is allowed). Times are in seconds, as everywhere else in the host's configuration.
//
//   "metrics": { "port": 9484, "host": "127.0.0.1" }
//   "health":  { "interval": 600, "intervals": 3, "grace": 60, "storeTimeout": 5 }
//   "alerts":  { "interval": 3600, "runFailed": true, "guard": true, "unreachableAfter": 900,
//                "inbox": { "error": 1, "guard": 1 }, "retries": 3, "timeout": 10 }
//
// Secrets are never in this file: METRICS_TOKEN and ALERT_WEBHOOK_URL come from the environment or from
// credentials (src/ops/credentials.mjs).
import { UsageError } from "../app/errors.mjs";
import { KINDS } from "../app/inbox.mjs";

export const OPS_KEYS = /** @type {const} */ (["metrics", "health", "alerts"]);

/**
 * @typedef {object} OpsConfig
 * @property {{ port?: number, host?: string }} metrics
 * @property {{ intervalMs?: number, intervals?: number, graceMs?: number, storeTimeoutMs?: number }} health
 * @property {{ intervalMs?: number, runFailed?: boolean, guard?: boolean, unreachableMs?: number, inbox?: Record<string, number>,
 *   retries?: number, timeoutMs?: number }} alerts
 */

/** @param {unknown} v @returns {v is Record<string, any>} */
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * The ops keys of a parsed SYNC_CONFIG, checked; absent keys are empty (their defaults apply).
 * @param {Record<string, unknown>} json the whole file
 * @param {string} path the file's name, for messages
 * @returns {OpsConfig}
 */
export function opsConfigOf(json, path) {
  const bad = (/** @type {string} */ key, /** @type {string} */ why) => new UsageError(`SYNC_CONFIG ${path}: ${key}: ${why}`);
  /**
   * @param {string} key
   * @param {Record<string, (v: unknown, at: string) => [string, unknown]>} fields name → checks the value and gives [option, value]
   */
  const section = (key, fields) => {
    const v = json[key];
    if (v === undefined) return {};
    if (!isObject(v)) throw bad(key, `expected an object with ${Object.keys(fields).join(", ")}`);
    /** @type {Record<string, unknown>} */
    const out = {};
    for (const [k, x] of Object.entries(v)) {
      const check = fields[k];
      if (!check) {
        if (key === "alerts" && /url|webhook/i.test(k)) throw bad(`${key}.${k}`, "the webhook URL is a credential: set ALERT_WEBHOOK_URL (or the credential of that name), not SYNC_CONFIG");
        if (key === "metrics" && /token/i.test(k)) throw bad(`${key}.${k}`, "the token is a credential: set METRICS_TOKEN (or the credential of that name), not SYNC_CONFIG");
        throw bad(`${key}.${k}`, `unknown key; allowed: ${Object.keys(fields).join(", ")}`);
      }
      const [name, value] = check(x, `${key}.${k}`);
      out[name] = value;
    }
    return out;
  };
  const seconds = (/** @type {string} */ name, min = 0, what = "seconds") => (/** @type {unknown} */ v, /** @type {string} */ at) => {
    if (typeof v !== "number" || !Number.isFinite(v) || v < min) throw bad(at, `expected ${what} (a number ≥ ${min})`);
    return /** @type {[string, unknown]} */ ([name, v * 1000]);
  };
  const whole = (/** @type {string} */ name, /** @type {number} */ min, /** @type {number} */ max, /** @type {string} */ what) => (/** @type {unknown} */ v, /** @type {string} */ at) => {
    if (!Number.isInteger(v) || /** @type {number} */ (v) < min || /** @type {number} */ (v) > max) throw bad(at, `expected ${what} (a whole number from ${min} to ${max})`);
    return /** @type {[string, unknown]} */ ([name, v]);
  };
  const flag = (/** @type {string} */ name) => (/** @type {unknown} */ v, /** @type {string} */ at) => {
    if (typeof v !== "boolean") throw bad(at, "expected true or false");
    return /** @type {[string, unknown]} */ ([name, v]);
  };
  return {
    metrics: section("metrics", {
      port: whole("port", 0, 65535, "a port"),
      host: (v, at) => {
        if (typeof v !== "string" || !v) throw bad(at, "expected an address to listen on (127.0.0.1 unless METRICS_TOKEN is set)");
        return ["host", v];
      },
    }),
    health: section("health", {
      interval: seconds("intervalMs", 1, "seconds between polls: both systems must have answered within it"),
      intervals: whole("intervals", 1, 1000, "how many intervals a flow's last ok run may be old"),
      grace: seconds("graceMs", 0, "seconds added to both windows, for the time a run takes"),
      storeTimeout: seconds("storeTimeoutMs", 0.001, "seconds the store check may take"),
    }),
    alerts: section("alerts", {
      interval: seconds("intervalMs", 1, "seconds: at most one alert per cause within it"),
      runFailed: flag("runFailed"),
      guard: flag("guard"),
      unreachableAfter: seconds("unreachableMs", 0, "seconds a system may not answer before an alert (0: never)"),
      inbox: (v, at) => {
        if (!isObject(v)) throw bad(at, `expected an object of inbox kind → count (kinds: ${KINDS.join(", ")})`);
        for (const [kind, n] of Object.entries(v)) {
          if (!KINDS.includes(/** @type {any} */ (kind))) throw bad(`${at}.${kind}`, `unknown inbox kind; kinds: ${KINDS.join(", ")}`);
          if (!Number.isInteger(n) || n < 1) throw bad(`${at}.${kind}`, "expected the open items that make an alert (a whole number ≥ 1)");
        }
        return ["inbox", { ...v }];
      },
      retries: whole("retries", 0, 10, "retries of a failed POST"),
      timeout: seconds("timeoutMs", 0.001, "seconds one POST may take"),
    }),
  };
}

/**
 * The ops keys of the SYNC_CONFIG file at `path` (the rest of the file is config.mjs's), or empty sections
 * when there is no file.
 * @param {string | null | undefined} path
 * @param {(p: string) => string} read
 * @returns {OpsConfig}
 */
export function readOpsConfig(path, read) {
  if (!path) return { metrics: {}, health: {}, alerts: {} };
  let json;
  try {
    json = JSON.parse(read(path));
  } catch (e) {
    throw new UsageError(`SYNC_CONFIG ${path}: ${e instanceof SyntaxError ? `not JSON (${e.message})` : `cannot be read (${/** @type {any} */ (e).code ?? e})`}`);
  }
  if (!isObject(json)) throw new UsageError(`SYNC_CONFIG ${path}: (top level): expected an object`);
  return opsConfigOf(json, path);
}
