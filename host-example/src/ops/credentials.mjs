// Secrets from files rather than the environment, as a service manager hands them over:
//   - systemd's LoadCredential=NAME:/path: the file $CREDENTIALS_DIRECTORY/NAME (readable by the service
//     alone, on a memory file system, never in `systemctl show` or /proc/<pid>/environ);
//   - NAME_FILE=/path, as container runtimes mount secrets (/run/secrets/NAME).
// Each is read into process.env[NAME] before the configuration is read, with one trailing newline
// removed, and registered with the redactor. A secret given both in the environment and as a file is
// refused: which one is meant would be a guess. Only names are ever printed, never values.
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../app/errors.mjs";
import { addSecret } from "../app/redact.mjs";

/** Every secret the host reads, by its variable's name. */
export const CREDENTIALS = Object.freeze([
  "CHARGEBEE_API_KEY", "CUSTOMERP_TOKEN", "CHARGEBEE_WEBHOOK_PASSWORD", "CUSTOMERP_WEBHOOK_SECRET",
  "CONSOLE_TOKEN", "METRICS_TOKEN", "ALERT_WEBHOOK_URL", "TRANSFORM_TOKEN",
  "SYNC_DB", // a PostgreSQL URL with its password
]);

/**
 * Reads the credentials that are files into `env`.
 * @param {NodeJS.ProcessEnv} [env] changed in place (default process.env)
 * @param {{ names?: readonly string[], read?: (path: string) => string }} [o]
 * @returns {Array<{ name: string, from: "credential" | "file" }>} what was read, by name
 */
export function loadCredentials(env = process.env, o = {}) {
  const read = o.read ?? ((/** @type {string} */ p) => readFileSync(p, "utf8"));
  const dir = env.CREDENTIALS_DIRECTORY || null;
  /** @type {Array<{ name: string, from: "credential" | "file" }>} */
  const loaded = [];
  for (const name of o.names ?? CREDENTIALS) {
    const fromDir = dir && existsSync(join(dir, name)) ? join(dir, name) : null;
    const fromFile = env[`${name}_FILE`] || null;
    if (!fromDir && !fromFile) continue;
    if (fromDir && fromFile) throw new UsageError(`${name} is given twice, as the credential ${name} and in ${name}_FILE: keep one`);
    if (env[name]) throw new UsageError(`${name} is given twice, in the environment and ${fromDir ? `as the credential ${name}` : `in ${name}_FILE`}: keep one`);
    const path = /** @type {string} */ (fromDir ?? fromFile);
    let value;
    try {
      value = read(path).replace(/\r?\n$/, "");
    } catch (e) {
      throw new UsageError(`${name}: ${fromDir ? `the credential ${name}` : `${name}_FILE ${path}`} cannot be read (${/** @type {any} */ (e).code ?? e})`);
    }
    if (!value) throw new UsageError(`${name}: ${fromDir ? `the credential ${name}` : `${name}_FILE ${path}`} is empty`);
    if (name === "SYNC_DB") addSecret(passwordOf(value)); // a file path is no secret; a URL's password is
    else addSecret(value);
    env[name] = value;
    loaded.push({ name, from: fromDir ? "credential" : "file" });
  }
  return loaded;
}

/** The password in a URL, or null. @param {string} v */
function passwordOf(v) {
  try {
    return decodeURIComponent(new URL(v).password) || null;
  } catch {
    return null;
  }
}
