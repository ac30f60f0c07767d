// `check-connector`: the Customerp REST contract (docs/customerp-rest.md) as checks against a connector, before
// the first sync. Needs no store and no Chargebee: only the connector's URL and its token.
import { RECORD_TYPES, runConnectorChecks } from "../connector-check.mjs";
import { UsageError } from "../errors.mjs";
import { addSecret } from "../redact.mjs";

/**
 * @param {{ url: string | undefined, token: string | undefined, tokenEnv?: string, write?: boolean, type?: string,
 *   sample?: string | number, fetch?: typeof fetch }} a
 * @returns {Promise<{ report: import("../connector-check.mjs").CheckReport, exitCode: number }>}
 *   exit code 0 when every check passed (or was skipped), 1 when one failed
 */
export async function checkConnector(a) {
  const tokenEnv = a.tokenEnv ?? "CUSTOMERP_TOKEN";
  let url;
  try {
    url = new URL(a.url ?? "");
  } catch {
    throw new UsageError(`check-connector takes the connector's base URL (as CUSTOMERP_URL, e.g. https://erp.example.com), not ${JSON.stringify(a.url ?? "")}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`the connector's URL must be http(s), not ${url.protocol}`);
  if (/\/api\/?$/.test(url.pathname)) throw new UsageError(`give the connector's base URL without /api, as CUSTOMERP_URL (the paths start with /api): ${url.origin}${url.pathname.replace(/\/api\/?$/, "")}`);
  // Credentials written into the URL are secrets too, as for CUSTOMERP_URL.
  addSecret(decodeURIComponent(url.password));
  addSecret(decodeURIComponent(url.username));
  if (!a.token) throw new UsageError(`set ${tokenEnv} to the connector's bearer token (--token-env names another variable)`);
  addSecret(a.token);
  if (a.type !== undefined && !a.write) throw new UsageError("--type chooses the record type of --write");
  const type = a.type ?? "contacts";
  if (!RECORD_TYPES.includes(/** @type {any} */ (type))) throw new UsageError(`unknown record type ${JSON.stringify(type)}; types: ${RECORD_TYPES.join(", ")}`);
  const sample = a.sample === undefined ? 100 : Number(a.sample);
  if (!Number.isInteger(sample) || sample < 1 || sample > 10_000) throw new UsageError(`--sample takes a count of records, 1 to 10000, not ${JSON.stringify(a.sample)}`);
  const report = await runConnectorChecks({
    url: url.toString(), token: a.token, write: Boolean(a.write), writeType: /** @type {import("../connector-check.mjs").RecordType} */ (type),
    sample, fetch: a.fetch,
  });
  return { report, exitCode: report.summary.failed > 0 ? 1 : 0 };
}
