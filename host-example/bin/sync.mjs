#!/usr/bin/env node
// One sync against the endpoints in the environment, or a watch loop. See README.md.
//   node bin/sync.mjs [--watch [seconds]] [--webhooks [port]] [--runs N] [--full] [--flows a,b]
import { parseArgs } from "node:util";
import { ChargebeeClient } from "../src/app/clients/chargebee.mjs";
import { CustomerpClient } from "../src/app/clients/customerp.mjs";
import { configFromEnv, describeConfig } from "../src/app/config.mjs";
import { printSummary } from "../src/app/report.mjs";
import { Store } from "../src/app/store.mjs";
import { Sync } from "../src/app/loop.mjs";
import { sleep } from "../src/lib/http.mjs";
import { WebhookReceiver, subscribeCustomerp, webhookSecretsFromEnv } from "../src/app/webhooks.mjs";

const USAGE = `usage: node bin/sync.mjs [--watch [seconds]] [--webhooks [port]] [--runs N] [--full] [--flows flow,flow]
  --webhooks: serve POST /webhooks/chargebee and /webhooks/customerp (default port 8484) and sync what they
       name; --watch is then the reconciling poll (default 600 s). env: CHARGEBEE_WEBHOOK_USER,
       CHARGEBEE_WEBHOOK_PASSWORD, CUSTOMERP_WEBHOOK_SECRET, CUSTOMERP_WEBHOOK_URL (subscribes it), SYNC_WEBHOOKS_HOST
  env: CHARGEBEE_SITE, CHARGEBEE_API_KEY, CUSTOMERP_URL, CUSTOMERP_TOKEN, SYNC_DB, SYNC_OPTIONS (JSON),
       SYNC_TIME_ZONE, SYNC_OWN_COMPANY_NAME, SYNC_ITEM_FAMILY_ID, SYNC_CONFLICTS, SYNC_DELETES`;

async function main() {
  const { values } = parseArgs({
    options: {
      watch: { type: "string" }, webhooks: { type: "string" }, runs: { type: "string" }, full: { type: "boolean" }, flows: { type: "string" },
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
  if (values.webhooks !== undefined) return void (await serveWebhooks(sync, store, config, Number(values.webhooks || "8484"), Number(values.watch || "600")));
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

/**
 * `run --watch --webhooks`: a first full sync, then what webhooks name, and a reconciling poll every `every` s.
 * @param {Sync} sync @param {Store} store @param {import("../src/app/config.mjs").Config} config @param {number} port @param {number} every
 */
async function serveWebhooks(sync, store, config, port, every) {
  const receiver = new WebhookReceiver({ sync, ...webhookSecretsFromEnv(), port, host: process.env.SYNC_WEBHOOKS_HOST, reconcileMs: every * 1000, out: console.log });
  const { url } = await receiver.start();
  console.log(`  webhooks   ${url}/webhooks/chargebee, ${url}/webhooks/customerp  (reconciling poll every ${every} s)`);
  const secret = process.env.CUSTOMERP_WEBHOOK_SECRET;
  if (process.env.CUSTOMERP_WEBHOOK_URL && secret) {
    await subscribeCustomerp({ customerpUrl: config.customerpUrl, token: config.customerpToken, url: process.env.CUSTOMERP_WEBHOOK_URL, secret });
  }
  try {
    console.log(`\nsync ${new Date().toISOString()}`);
    printSummary(await receiver.poll(), console.log);
    await new Promise((resolve) => process.once("SIGINT", resolve));
    console.log("stopping");
  } finally {
    await receiver.close();
    store.close();
  }
}

/** `--watch` and `--webhooks` may come without a value. @param {string[]} args */
function normaliseWatch(args) {
  const bare = (/** @type {string} */ a, /** @type {number} */ i) => (a === "--watch" || a === "--webhooks") && (args[i + 1] === undefined || args[i + 1].startsWith("--"));
  return args.flatMap((a, i) => (bare(a, i) ? [a, ""] : [a]));
}

main().catch((e) => {
  console.error(`sync failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
