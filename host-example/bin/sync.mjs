#!/usr/bin/env node
// One sync against the endpoints in the environment, or a watch loop. See README.md.
//   node bin/sync.mjs [--watch [seconds]] [--runs N] [--full] [--flows a,b]
import { parseArgs } from "node:util";
import { ChargebeeClient } from "../src/app/clients/chargebee.mjs";
import { CustomerpClient } from "../src/app/clients/customerp.mjs";
import { configFromEnv, describeConfig } from "../src/app/config.mjs";
import { printSummary } from "../src/app/report.mjs";
import { Store } from "../src/app/store.mjs";
import { Sync } from "../src/app/loop.mjs";
import { sleep } from "../src/lib/http.mjs";
import { redactOutput } from "../src/app/redact.mjs";

redactOutput();

const USAGE = `usage: node bin/sync.mjs [--watch [seconds]] [--runs N] [--full] [--flows flow,flow]
  env: CHARGEBEE_SITE, CHARGEBEE_API_KEY, CUSTOMERP_URL, CUSTOMERP_TOKEN, SYNC_DB, SYNC_OPTIONS (JSON),
       SYNC_TIME_ZONE, SYNC_OWN_COMPANY_NAME, SYNC_ITEM_FAMILY_ID, SYNC_CONFLICTS, SYNC_DELETES`;

async function main() {
  const { values } = parseArgs({
    options: {
      watch: { type: "string" }, runs: { type: "string" }, full: { type: "boolean" }, flows: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: false,
    strict: true,
    args: normaliseWatch(process.argv.slice(2)),
  });
  if (values.help) return void console.log(USAGE);
  const config = configFromEnv();
  const chargebee = new ChargebeeClient({ site: config.chargebeeSite, apiKey: config.chargebeeApiKey,
    onRetry: (i) => console.log(`  (Chargebee ${i.status ?? "network error"}: retrying in ${Math.round(i.delayMs)} ms)`) });
  const customerp = new CustomerpClient({ url: config.customerpUrl, token: config.customerpToken });
  const store = new Store(config.db);
  const only = values.flows?.split(",").map((s) => s.trim()).filter(Boolean);
  const sync = new Sync({ customerp, chargebee, store, options: config.options, out: console.log, full: values.full, only });
  describeConfig(config, chargebee.baseUrl).forEach((l) => console.log(l));
  const every = values.watch === undefined ? null : Number(values.watch || "60");
  const runs = values.runs ? Number(values.runs) : every === null ? 1 : Infinity;
  let stop = false;
  process.once("SIGINT", () => {
    stop = true;
    console.log("stopping after this run");
  });
  try {
    for (let i = 0; i < runs && !stop; i++) {
      console.log(`\nsync ${new Date().toISOString()}`);
      printSummary(await sync.run(), console.log);
      if (every !== null && i + 1 < runs) for (let t = 0; t < every * 10 && !stop; t++) await sleep(100);
    }
  } finally {
    store.close();
  }
}

/** `--watch` may come without a value. @param {string[]} args */
function normaliseWatch(args) {
  return args.flatMap((a, i) => (a === "--watch" && (args[i + 1] === undefined || args[i + 1].startsWith("--")) ? ["--watch", ""] : [a]));
}

main().catch((e) => {
  console.error(`sync failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
