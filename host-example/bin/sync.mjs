#!/usr/bin/env node
// The sync app's command line: each command calls one action of src/app/actions/ and prints what it
// returns. See README.md, or `node bin/sync.mjs <command> --help`.
import { parseArgs } from "node:util";
import { existsSync, writeFileSync } from "node:fs";
import { openApp, syncOf } from "../src/app/app.mjs";
import { configFromEnv, describeConfig } from "../src/app/config.mjs";
import { EXIT, UsageError, exitCodeOf } from "../src/app/errors.mjs";
import { ProgressReporter, printExplain, printHistory, printInbox, printItem, printPlanned, printSummary, printUndo } from "../src/app/report.mjs";
import { checkFlows, runOnce } from "../src/app/actions/run.mjs";
import { listInbox } from "../src/app/actions/inbox.mjs";
import { linkPair, unlinkPair } from "../src/app/actions/link.mjs";
import { confirmItem, resolveItem } from "../src/app/actions/resolve.mjs";
import { retryRecord } from "../src/app/actions/retry.mjs";
import { explainPair } from "../src/app/actions/explain.mjs";
import { pairHistory } from "../src/app/actions/history.mjs";
import { undoRun } from "../src/app/actions/undo.mjs";
import { checkConnector } from "../src/app/actions/check-connector.mjs";
import { formatDoctorReport, runDoctor } from "../src/app/actions/doctor.mjs";
import { formatCheckReport } from "../src/app/connector-check.mjs";
import { KINDS } from "../src/app/inbox.mjs";
import { FLOWS } from "../src/app/flows.mjs";
import { sleep } from "../src/lib/http.mjs";
import { addSecret, redactOutput } from "../src/app/redact.mjs";
import { startConsole } from "../src/console/server.mjs";
import { format } from "node:util";
import { loadCredentials } from "../src/ops/credentials.mjs";
import { loggerFromEnv } from "../src/ops/log.mjs";
import { startOps } from "../src/ops/ops.mjs";
import { Shutdown, SHUTDOWN_MS } from "../src/app/shutdown.mjs";
import { backupStore } from "../src/app/actions/backup.mjs";
import { addTenant, listTenants, removeTenant } from "../src/tenants/tenants.mjs";
import { tenantOverview, tenantSpecOf, describeRefs, printTenants } from "../src/tenants/commands.mjs";
import { Worker, startTenantWebhooks } from "../src/tenants/worker.mjs";
import { withoutCredentials } from "../src/app/clients/chargebee.mjs";
import { WebhookReceiver, subscribeCustomerp, webhookSecretsFromEnv } from "../src/app/webhooks.mjs";
import { serveSesam } from "../src/sesam/command.mjs";

redactOutput();

const ENV = `environment: CHARGEBEE_SITE, CHARGEBEE_API_KEY, CUSTOMERP_URL, CUSTOMERP_TOKEN, SYNC_DB, SYNC_CONFIG (JSON file),
  SYNC_OPTIONS (JSON); single plan options SYNC_TIME_ZONE, SYNC_OWN_COMPANY_NAME, SYNC_ITEM_FAMILY_ID, SYNC_CONFLICTS,
  SYNC_DELETES, SYNC_ID_PREFIX, SYNC_CREATED_AFTER, SYNC_ORDERS; the pace SYNC_CONCURRENCY, SYNC_PAGE_SIZE,
  CHARGEBEE_RATE_LIMIT, CUSTOMERP_CONCURRENCY, CUSTOMERP_PAGE_SIZE; the store SYNC_JOURNAL_DAYS, SYNC_DB_POOL
  (PostgreSQL connections), SYNC_SPOOL_DIR (where a run's spool file goes);
  webhooks (run --webhooks): CHARGEBEE_WEBHOOK_USER, CHARGEBEE_WEBHOOK_PASSWORD, CUSTOMERP_WEBHOOK_SECRET,
  CUSTOMERP_WEBHOOK_URL, SYNC_WEBHOOKS_HOST;
  the console: CONSOLE_TOKEN (≥ 16 characters), CONSOLE_PORT, CONSOLE_HOST (for run --console);
  operations: METRICS_TOKEN, ALERT_WEBHOOK_URL, LOG_FORMAT, LOG_LEVEL; secrets as files: CREDENTIALS_DIRECTORY, NAME_FILE;
  through Sesam: CUSTOMERP_SOURCE=sesam (instead of CUSTOMERP_URL, CUSTOMERP_TOKEN), SESAM_TOKEN (≥ 16 characters),
  SESAM_NAMESPACE (default customerp-{type}:), SESAM_PORT
exit codes: 0 all written · 1 some records failed (see the inbox) · 2 usage or configuration error ·
  3 stopped by the guard · 4 the store is locked by another run · 5 a system could not be reached or refused the credentials`;
const FLOW_LIST = `flows: ${FLOWS.map((f) => f.id).join(", ")}`;

/** @type {Record<string, { usage: string, about: string, options: Record<string, { type: "string" | "boolean" }>, positionals: number | number[], systems: boolean, app?: false, main: (app: any, v: any, pos: string[], tenant?: string) => Promise<number> }>} */
const COMMANDS = {
  run: {
    usage: "run [--watch [s]] [--webhooks [P]] [--console [P]] [--metrics [P]] [--metrics-host H] [--exit-on-error] [--runs N] [--full [--repair]] [--flows a,b] [--dry-run] [--json FILE] [--wait S]",
    about: `One sync of every flow (the default command). --dry-run reads, matches and plans from the store's state and
  lists every planned write, sending none and changing nothing in the store; --json FILE writes that list (or, for
  a real run, its summary) as JSON. --full reads everything and reports drift; --repair brings drifted pairs
  together. --watch syncs every s seconds (default 60) until Ctrl-C; --wait S waits up to S seconds for another
  run's lock. --webhooks serves POST /webhooks/chargebee and /webhooks/customerp on 127.0.0.1:P (default 8484;
  SYNC_WEBHOOKS_HOST to listen elsewhere) and syncs what they name within a second; --watch is then the
  reconciling poll (default 600 s). Env: CHARGEBEE_WEBHOOK_USER, CHARGEBEE_WEBHOOK_PASSWORD,
  CUSTOMERP_WEBHOOK_SECRET, CUSTOMERP_WEBHOOK_URL (subscribed at start). --console serves the operator console
  beside --watch (see \`console --help\`; default port CONSOLE_PORT or 8484, the webhooks' port + 1 when --webhooks
  takes 8484). --metrics serves /metrics (Prometheus), /healthz and /readyz on 127.0.0.1:P (default 9484; --metrics-host to
  listen elsewhere, which needs METRICS_TOKEN) beside --watch or --webhooks. --runs N ends a --watch after N runs.
  In --watch a run that fails is in the metrics, /readyz, the log and the inbox, and the loop goes on; --exit-on-error
  ends it with that run's exit code instead. SIGTERM or Ctrl-C stops cleanly: the pairs in flight finish, no new one
  starts, the leases are released and the exit code is 0; a second signal exits at once.\n  ${FLOW_LIST}`,
    options: { watch: { type: "string" }, webhooks: { type: "string" }, console: { type: "string" }, metrics: { type: "string" }, "metrics-host": { type: "string" },
      "exit-on-error": { type: "boolean" }, runs: { type: "string" }, full: { type: "boolean" }, repair: { type: "boolean" }, flows: { type: "string" },
      "dry-run": { type: "boolean" }, json: { type: "string" }, wait: { type: "string" } },
    positionals: 0, systems: true, main: runCommand,
  },
  inbox: {
    usage: "inbox [--json] [--all] [--kind K] [--flow F] [--state S]",
    about: `What needs a person: open and decided items (--all: resolved and dismissed too).\n  kinds: ${KINDS.join(", ")}`,
    options: { json: { type: "boolean" }, all: { type: "boolean" }, kind: { type: "string" }, flow: { type: "string" }, state: { type: "string" } },
    positionals: 0, systems: false,
    async main(app, v) {
      const items = await listInbox(app, { all: v.all, kind: v.kind, flow: v.flow, state: v.state });
      if (v.json) console.log(JSON.stringify(items, null, 2));
      else printInbox(items, console.log);
      return EXIT.ok;
    },
  },
  link: {
    usage: "link <flow> <customerpId> <chargebeeId> [--keep customerp|chargebee] [--wait S]",
    about: "Links two unlinked records by hand; the next run merges them as at a first sync (--keep: differing values go that side's way).",
    options: { keep: { type: "string" }, wait: { type: "string" } }, positionals: 3, systems: true,
    async main(app, v, [flow, customerpId, chargebeeId]) {
      const r = await linkPair(app, { flow, customerpId, chargebeeId, keep: v.keep, waitSeconds: seconds(v.wait) });
      console.log(`linked in ${r.flow}: Customerp ${r.customerpId} ⇄ Chargebee ${r.chargebeeId}${r.keep ? ` (differing values: ${r.keep}'s)` : ""}; the next run merges them`);
      if (r.resolved.length) console.log(`resolved inbox item${r.resolved.length > 1 ? "s" : ""} ${r.resolved.join(", ")}`);
      for (const h of r.held) console.log(`still held: ${h.side} ${h.id} (inbox item ${h.item}: link it, or dismiss the item to sync it on its own)`);
      return EXIT.ok;
    },
  },
  unlink: {
    usage: "unlink <flow> <customerpId> [--wait S]",
    about: "Ends a link without changing either system and keeps the pair apart: never matched again, neither copied across until linked again or `retry … --create`.",
    options: { wait: { type: "string" } }, positionals: 2, systems: false,
    async main(app, v, [flow, customerpId]) {
      const r = await unlinkPair(app, { flow, customerpId, waitSeconds: seconds(v.wait) });
      console.log(`unlinked in ${r.flow}: Customerp ${r.customerpId} and Chargebee ${r.chargebeeId} are kept apart; neither is copied across until linked again or retried with --create`);
      return EXIT.ok;
    },
  },
  resolve: {
    usage: "resolve <itemId> (--keep customerp|chargebee | --done | --dismiss)",
    about: "Answers an inbox item: --keep overrides a conflict (the next run writes the kept value to the other side), --done closes a manual step, --dismiss closes anything without acting.",
    options: { keep: { type: "string" }, done: { type: "boolean" }, dismiss: { type: "boolean" } }, positionals: 1, systems: false,
    async main(app, v, [id]) {
      printItem(await resolveItem(app, { id, keep: v.keep, done: v.done, dismiss: v.dismiss }), console.log);
      return EXIT.ok;
    },
  },
  retry: {
    usage: "retry <flow> customerp:<id>|chargebee:<id> [--create] [--json] [--wait S]",
    about: "Reads that record now, plans its pair and writes it; for failed, waiting and held records (--create: a held record is copied across).",
    options: { create: { type: "boolean" }, json: { type: "boolean" }, wait: { type: "string" } }, positionals: 2, systems: true,
    async main(app, v, [flow, record]) {
      const r = await retryRecord(app, { flow, record, create: v.create, waitSeconds: seconds(v.wait) });
      if (v.json) {
        console.log(JSON.stringify({ ...r, summary: { ...r.summary, planned: undefined } }, null, 2));
        return r.exitCode;
      }
      const st = /** @type {any} */ (r.summary.flows[r.flow]);
      const { customerp: cp, chargebee: cb } = r.summary.requests;
      if (!r.found) console.log(`${r.side} ${r.id} was not found in ${r.flow}`);
      console.log(`${r.flow} ${r.side}:${r.id}: created ${st.created.customerp}/${st.created.chargebee} · updated ${st.updated.customerp}/${st.updated.chargebee} · deleted ${st.deleted.customerp}/${st.deleted.chargebee} · conflicts ${st.conflicts} · waiting ${st.waiting} · errors ${st.errors}`);
      console.log(r.link ? `  linked: Customerp ${r.link.customerp} ⇄ Chargebee ${r.link.chargebee}` : `  not linked${r.held ? `: ${r.held}` : ""}`);
      console.log(`  requests sent: Customerp ${cp.reads} reads, ${cp.writes} writes · Chargebee ${cb.reads} reads, ${cb.writes} writes`);
      const open = r.items.filter((i) => i.state === "open");
      if (open.length) printInbox(open, console.log);
      return r.exitCode;
    },
  },
  explain: {
    usage: "explain <flow> customerp:<id>|chargebee:<id> [--json]",
    about: "Reads the pair and its last synced state, plans it, writes nothing: one row per property, then the requests the next run would send.",
    options: { json: { type: "boolean" } }, positionals: 2, systems: true,
    async main(app, v, [flow, record]) {
      const r = await explainPair(app, { flow, record });
      if (v.json) console.log(JSON.stringify(r, null, 2));
      else printExplain(r, console.log);
      return EXIT.ok;
    },
  },
  history: {
    usage: "history <flow> customerp:<id>|chargebee:<id> [--json]",
    about: `A pair's history, newest first: every write the journal holds for it (by either id, and the ids it had before
  a relink), each with the values it changed (from → to) and why, its run, time and outcome; and what the run log
  says of the pair (conflicts, warnings, errors, what an undo could not put back). Reads the store only; --json
  prints the full rows (requests, idempotency keys, versions, details).`,
    options: { json: { type: "boolean" } }, positionals: 2, systems: false,
    async main(app, v, [flow, record]) {
      const h = await pairHistory(app, { flow, record });
      if (v.json) console.log(JSON.stringify(h, null, 2));
      else printHistory(h, console.log);
      return EXIT.ok;
    },
  },
  undo: {
    usage: "undo --run <runId> [--flow F] [--dry-run] [--json] [--wait S]  |  undo <flow> customerp:<id>|chargebee:<id> --run <runId> [--dry-run] [--json]",
    about: `Takes back what a run wrote (its writes in the journal): each value goes back on the side the run wrote it, where
  that side still holds what the run wrote; a value changed since is left as it is and becomes an inbox item (kind undo)
  with both values. Records the run created are released as a safe delete releases them (tagged, deactivated,
  cancelled, archived; never deleted), and their pairs held so the next sync copies neither again. The guard's limits
  apply (exit 3: confirm its item, then run the undo again). The undo is a run of its own, journaled as the undo of
  that run; running it again writes nothing. --flow: only that flow; <flow> <record>: only that pair. --dry-run plans
  from a copy of the store and lists the requests the undo would send, writing nothing.`,
    options: { run: { type: "string" }, flow: { type: "string" }, "dry-run": { type: "boolean" }, json: { type: "boolean" }, wait: { type: "string" } },
    positionals: [0, 2], systems: true,
    async main(app, v, pos) {
      if (pos.length === 2 && v.flow !== undefined) throw new UsageError("give the pair's flow once: undo <flow> customerp:<id>|chargebee:<id> --run <runId>");
      const [flow, record] = pos.length === 2 ? pos : [v.flow, undefined];
      const u = await undoRun(app, { run: v.run, flow, record, dryRun: v["dry-run"], waitSeconds: seconds(v.wait) });
      if (v.json) {
        const { summary: s, report } = u;
        console.log(JSON.stringify({ ...report, run: s.dryRun ? null : s.run, dryRun: s.dryRun, flows: s.flows, requests: s.requests, planned: s.dryRun ? s.planned : undefined, exitCode: u.exitCode }, null, 2));
      } else printUndo(u, console.log);
      return u.exitCode;
    },
  },
  console: {
    usage: "console [--port P] [--host H] [--metrics [P]] [--metrics-host H]",
    about: `Serves the operator console for the store in SYNC_DB until Ctrl-C: the runs, the inbox with its actions,
  explain. Listens on 127.0.0.1:8484 (--port or CONSOLE_PORT; --host to listen elsewhere). Log in with CONSOLE_TOKEN,
  or with the login link printed at start (a token made for this start, printed once). On a store with tenants
  it serves every tenant: an overview of all of them and a tenant selector on every page (each tenant's systems
  with the secrets this process can read where its settings say); --tenant <id> serves that one tenant alone.`,
    options: { port: { type: "string" }, host: { type: "string" }, metrics: { type: "string" }, "metrics-host": { type: "string" } }, positionals: 0, systems: true, app: false,
    async main(_, v, _pos, tenant) {
      const onRetry = (/** @type {any} */ i) => console.log(`  (${i.status ?? "network error"}: retrying in ${Math.round(i.delayMs)} ms)`);
      // The store's tenants decide what the console serves; without any, the store's one tenant as always
      // (configured by the environment, whose errors stop the command as before).
      const { app, tenants } = tenant ? { app: await openApp({ systems: true, tenant, onRetry }), tenants: [] } : await consoleApp(onRetry);
      try {
        const stop = new Shutdown();
        const ops = await opsOf(app, v, null, undefined, tenants.length ? tenants : undefined);
        const port = portOf("--port", v.port ?? process.env.CONSOLE_PORT, 8484);
        const served = await serveConsole(tenants.length ? { tenants: { store: app.store } } : { app }, port, v.host);
        if (tenants.length) console.log(`  console    ${tenants.length} tenants (${tenants.join(", ")}): the overview at /, each tenant's pages at /t/<id>/`);
        await stop.stopped;
        await served.close();
        await ops.close();
        stop.close();
        return EXIT.ok;
      } finally {
        await app.close();
      }
    },
  },
  doctor: {
    usage: "doctor [--json]",
    about: `Before the first sync: read-only checks of both systems and the configuration, each with a status (ok, warn,
  fail, skip) and what to do. Chargebee: the key, Product Catalog 2.0 (GET /configurations), the currencies
  Customerp's products, quotes and orders use against the site's (GET /currencies/list), the item family, each cf_*
  field a mapping names (by a record with a value for it, or a warning that it cannot be checked), business entities
  for Customerp's customers (at most 30 on a site; a customer without one becomes a manual item), whether the site
  generates orders against the orders option, the 429s seen. Customerp: the token, and check-connector's read-only
  checks. The store: schema version, lock, size. Sends only GET requests and writes nothing to either system.
  --json prints the report as JSON. Exit 0 when no check fails, 1 when one does (they are named).`,
    options: { json: { type: "boolean" } }, positionals: 0, systems: true,
    async main(app, v) {
      const { report, exitCode } = await runDoctor(app);
      if (v.json) console.log(JSON.stringify(report, null, 2));
      else {
        describeConfig(app.config, app.chargebee.baseUrl).forEach((l) => console.log(l));
        console.log("");
        formatDoctorReport(report).forEach((l) => console.log(l));
      }
      if (v.json && exitCode) console.error(`failed: ${report.summary.failed.join(", ")}`);
      return exitCode;
    },
  },
  "check-connector": {
    usage: "check-connector <url> [--token-env NAME] [--write [--type T]] [--sample N] [--json]",
    about: `Checks a Customerp connector against the REST contract (docs/customerp-rest.md) before a first sync: auth,
  the change feed's paging and cursors, ids=, GET by id with an ETag and one representation, 404 and limit errors.
  --write also creates one record of --type T (default contacts; made inactive or a draft), replays and conflicts
  its Idempotency-Key, edits it with the current and a stale ETag, and deletes it (its tombstone stays). <url> is
  the base URL, as CUSTOMERP_URL; the token comes from the variable --token-env names (default CUSTOMERP_TOKEN);
  --sample N pages at most N records per type one by one (default 100). Needs no store and no Chargebee.
  Exit 0 when every check passes, 1 when one fails (they are named), 2 for usage, 5 when the URL cannot be reached.`,
    options: { "token-env": { type: "string" }, write: { type: "boolean" }, type: { type: "string" }, sample: { type: "string" }, json: { type: "boolean" } },
    positionals: 1, systems: false, app: false,
    async main(_app, v, [url]) {
      const tokenEnv = v["token-env"] ?? "CUSTOMERP_TOKEN";
      const token = process.env[tokenEnv];
      addSecret(token);
      const { report, exitCode } = await checkConnector({ url, token, tokenEnv, write: v.write, type: v.type, sample: v.sample });
      if (v.json) console.log(JSON.stringify(report, null, 2));
      else formatCheckReport(report, { tokenEnv }).forEach((l) => console.log(l));
      if (v.json && exitCode) console.error(`failed: ${report.summary.failedIds.join(", ")}`);
      return exitCode;
    },
  },
  sesam: {
    usage: "sesam [--port P] [--host H]",
    about: `Serves Sesam's endpoints for the store in SYNC_DB until Ctrl-C: POST /receivers/customerp-<type>/entities
  (JSON push: the ERP's records, from a json sink) and GET /datasets/customerp-<type>-changes/entities (JSON pull: the
  changes the sync wants made in the ERP, for a json source). Listens on 127.0.0.1:8686 (--port or SESAM_PORT; --host
  to listen elsewhere); every request needs Authorization: Bearer <SESAM_TOKEN>. Sync beside it with
  CUSTOMERP_SOURCE=sesam (run --watch). See docs/sesam.md.`,
    options: { port: { type: "string" }, host: { type: "string" } }, positionals: 0, systems: false,
    async main(app, v) {
      const served = await serveSesam(app, { port: portOf("--port", v.port ?? process.env.SESAM_PORT, 8686), host: v.host, out: console.log });
      await untilStopped();
      console.log("stopping");
      await served.close();
      return EXIT.ok;
    },
  },
  "tenant add": {
    usage: "tenant add <id> --chargebee-site URL (--chargebee-key-env NAME | --chargebee-key-file PATH) (--customerp-url URL (--customerp-token-env NAME | --customerp-token-file PATH) | --customerp-source sesam) [--options JSON] [--config FILE] [--poll S] [--webhook-user-env NAME --webhook-password-env NAME] [--webhook-secret-env NAME]",
    about: `Adds a tenant (or replaces its settings): one Chargebee site and one Customerp connector, with their plan options
  (--options, a JSON object) and SYNC_CONFIG settings (--config, a file: its content is kept in the store). The store
  keeps where each secret is — the name of an environment variable (--…-env) or a file (--…-file) — never the
  secret: a worker reads it where it runs. --poll: how often workers run the tenant (seconds, default 600).
  Every other command takes --tenant <id>; \`worker\` runs every tenant (PostgreSQL).`,
    options: { "chargebee-site": { type: "string" }, "chargebee-key-env": { type: "string" }, "chargebee-key-file": { type: "string" },
      "customerp-url": { type: "string" }, "customerp-token-env": { type: "string" }, "customerp-token-file": { type: "string" },
      "customerp-source": { type: "string" }, options: { type: "string" }, config: { type: "string" }, poll: { type: "string" },
      "webhook-user-env": { type: "string" }, "webhook-password-env": { type: "string" }, "webhook-secret-env": { type: "string" } },
    positionals: 1, systems: false,
    async main(app, v, [id]) {
      const spec = tenantSpecOf(v);
      await addTenant(app.store, id, spec);
      console.log(`tenant ${id}: Chargebee ${withoutCredentials(spec.chargebeeSite)}, Customerp ${spec.customerpSource === "sesam" ? "through Sesam" : withoutCredentials(spec.customerpUrl ?? "")}, every ${spec.pollSeconds ?? 600} s; secrets: ${describeRefs(spec)}`);
      return EXIT.ok;
    },
  },
  "tenant list": {
    usage: "tenant list [--json]",
    about: "The tenants, each with its flows' last run (time, outcome, errors) and its open inbox items by kind.",
    options: { json: { type: "boolean" } }, positionals: 0, systems: false,
    async main(app, v) {
      const rows = await tenantOverview(app.store);
      if (v.json) console.log(JSON.stringify(rows, null, 2));
      else printTenants(rows, console.log);
      return EXIT.ok;
    },
  },
  "tenant remove": {
    usage: "tenant remove <id>",
    about: "Removes a tenant and everything the store holds of it (links, bases, cursors, inbox, journal). Neither system is changed.",
    options: {}, positionals: 1, systems: false,
    async main(app, _v, [id]) {
      if (!(await removeTenant(app.store, id))) throw new UsageError(`no tenant ${JSON.stringify(id)} (see tenant list)`);
      console.log(`tenant ${id} removed, with everything the store held of it`);
      return EXIT.ok;
    },
  },
  worker: {
    usage: "worker [--concurrency N] [--webhooks [P]] [--metrics [P]] [--metrics-host H] [--lease S]",
    about: `Runs every tenant's flows, with any number of other workers on any machine that reaches the store (SYNC_DB, a
  postgres:// URL): jobs from a queue in PostgreSQL (pg-boss), each tenant once per its poll interval, at most one run
  of a tenant's flow at a time (leases with a heartbeat; --lease S: a lease not renewed for S seconds, default 60, is
  free, and the worker that lost it writes nothing more), one rate bucket per Chargebee site for all workers.
  --concurrency: jobs at once (default 2). --webhooks serves POST /webhooks/<tenant>/chargebee and /customerp on
  127.0.0.1:P (default 8484), each checked with the tenant's own secrets. --metrics as for run. SIGTERM finishes
  the pairs in hand, releases the leases and exits 0.`,
    options: { concurrency: { type: "string" }, webhooks: { type: "string" }, metrics: { type: "string" }, "metrics-host": { type: "string" }, lease: { type: "string" } },
    positionals: 0, systems: false,
    async main(app, v) {
      return runWorker(app, v);
    },
  },
  backup: {
    usage: "backup <file>",
    about: `An online, consistent copy of the store in SYNC_DB, while runs go on: SQLite's backup API into <file> (a
  store file of its own: restore by stopping the host and putting it in SYNC_DB's place), or for PostgreSQL pg_dump's
  custom format into <file> (restore with pg_restore --clean --if-exists -d <database> <file>). The store's schema
  version goes with it; a host refuses a store newer than itself.`,
    options: {}, positionals: 1, systems: false,
    async main(app, _v, [file]) {
      const r = await backupStore(app.store, file);
      console.log(`backup of ${app.store.path} (schema version ${r.version}) written to ${r.file}: ${r.bytes} bytes${r.tool ? ` (${r.tool})` : ""}`);
      return EXIT.ok;
    },
  },
  confirm: {
    usage: "confirm <itemId>",
    about: "Lets the next run of a flow the guard stopped go through, once.",
    options: {}, positionals: 1, systems: false,
    async main(app, _v, [id]) {
      printItem(await confirmItem(app, { id }), console.log);
      console.log("  the next run of this flow goes through the guard once");
      return EXIT.ok;
    },
  },
};

const USAGE = `usage: node bin/sync.mjs [command] [options]   (no command: one run)
commands:
${Object.values(COMMANDS).map((c) => `  ${c.usage}`).join("\n")}
\`node bin/sync.mjs <command> --help\` says more.
${ENV}`;

/** @param {string | undefined} v */
function seconds(v) {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--wait takes seconds (a number ≥ 0), not ${JSON.stringify(v)}`);
  return n;
}

/** A port given by a person (or its default), checked. @param {string} what @param {string | undefined} v @param {number} fallback */
function portOf(what, v, fallback) {
  const n = v === undefined || v === "" ? fallback : Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${what} takes a port (0–65535), not ${JSON.stringify(v)}`);
  return n;
}

/** Resolves on Ctrl-C or SIGTERM. */
const untilStopped = () => new Promise((resolve) => {
  process.once("SIGINT", resolve);
  process.once("SIGTERM", resolve);
});

/** The process's logger (LOG_FORMAT, LOG_LEVEL): with LOG_FORMAT=json every line this command prints is a JSON object. */
const log = loggerFromEnv();
if (log.json) {
  console.log = (/** @type {unknown[]} */ ...a) => log.line(format(...a));
  console.error = (/** @type {unknown[]} */ ...a) => log.error(format(...a));
}

/**
 * Starts the operator console on the app and prints where; a token made at start is printed once, as
 * the login link, and from then on redacted like every secret.
 * @param {{ app?: import("../src/app/app.mjs").App, tenants?: { store: import("../src/app/store/store.mjs").Store } }} what
 *   one app, or a store with tenants (every tenant's pages)
 * @param {number} port @param {string | undefined} host
 */
async function serveConsole(what, port, host) {
  const configured = process.env.CONSOLE_TOKEN || null;
  if (configured !== null && configured.length < 16) throw new UsageError("CONSOLE_TOKEN must be at least 16 characters");
  addSecret(configured);
  const served = await startConsole({ ...what, port, host, token: configured }).catch((e) => {
    throw e?.code === "EADDRINUSE" ? new UsageError(`the console's port ${port} is in use on ${host ?? "127.0.0.1"}: pick another (--port, --console P or CONSOLE_PORT)`) : e;
  });
  console.log(`  console    ${served.url}  (${served.generated ? `log in: ${served.loginUrl}` : `log in: ${served.url}/login?token=<CONSOLE_TOKEN>`})`);
  addSecret(served.token);
  if (host && !["127.0.0.1", "localhost", "::1"].includes(host)) console.log(`  console    listening on ${host}, beyond this machine: put a TLS proxy in front of it`);
  return served;
}

/**
 * The app `console` serves without --tenant, and the store's tenants: the environment's app (its systems
 * configured); or, when the environment configures no systems (no CHARGEBEE_SITE…), the store alone if it
 * has tenants — else the environment's error, before any store file is made.
 * @param {import("../src/app/clients/retry.mjs").RetryOptions["onRetry"]} onRetry
 * @returns {Promise<{ app: Awaited<ReturnType<typeof openApp>>, tenants: string[] }>}
 */
async function consoleApp(onRetry) {
  /** @type {Awaited<ReturnType<typeof openApp>>} */
  let app;
  try {
    app = await openApp({ systems: true, onRetry });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const db = configFromEnv(process.env, { systems: false }).db;
    if (!/^postgres(ql)?:\/\//i.test(db) && (db === ":memory:" || !existsSync(db))) throw e;
    app = await openApp({ systems: false });
    if ((await listTenants(app.store)).length === 0) {
      await app.close();
      throw e;
    }
  }
  try {
    return { app, tenants: (await listTenants(app.store)).map((t) => t.id) };
  } catch (e) {
    await app.close();
    throw e;
  }
}

/** @param {import("../src/app/app.mjs").App} app @param {Record<string, any>} v */
async function runCommand(app, v) {
  if (v.console === undefined) return runLoop(app, v);
  if (v.watch === undefined && v.webhooks === undefined) throw new UsageError("--console serves the console beside a loop: add --watch [s] (or use the console command)");
  if (v["dry-run"]) throw new UsageError("--console serves beside real runs: it does not take --dry-run");
  const hooks = v.webhooks === undefined ? null : portOf("--webhooks", v.webhooks, 8484);
  const fallback = portOf("CONSOLE_PORT", process.env.CONSOLE_PORT, hooks === 8484 ? 8485 : 8484);
  const port = portOf("--console", v.console, fallback);
  if (hooks !== null && hooks !== 0 && port === hooks) throw new UsageError(`--console and --webhooks both ask for port ${port}: give them different ports`);
  const served = await serveConsole({ app }, port, process.env.CONSOLE_HOST);
  try {
    return await runLoop(app, v);
  } finally {
    await served.close();
  }
}

/**
 * The operations side beside a long-running command: metrics, readiness and their endpoint (with
 * --metrics), alerts (ALERT_WEBHOOK_URL), JSON log lines of the host's events (LOG_FORMAT=json).
 * @param {import("../src/app/app.mjs").App} app @param {Record<string, any>} v @param {number | null} every the poll interval (s)
 * @param {string[] | undefined} flows @param {string[]} [tenants] whose metrics and readiness (default the app's)
 */
async function opsOf(app, v, every, flows, tenants) {
  const ops = await startOps({
    metricsPort: v.metrics === undefined ? null : portOf("--metrics", v.metrics, 9484), metricsHost: v["metrics-host"],
    watchSeconds: every ?? 600, flows: flows ?? app.config.flows ?? undefined, tenants: tenants ?? [app.store.tenant],
    store: () => app.store.schemaVersion(), config: app.config.ops, log,
  });
  ops.lines.forEach((/** @type {string} */ l) => console.log(l));
  return ops;
}

/** @param {import("../src/app/app.mjs").App} app @param {Record<string, any>} v */
async function runLoop(app, v) {
  const every = v.watch === undefined ? null : Number(v.watch || "60");
  if (every !== null && !(every > 0)) throw new UsageError(`--watch takes seconds (> 0), not ${JSON.stringify(v.watch)}`);
  const runs = v.runs ? Number(v.runs) : every === null ? 1 : Infinity;
  if (!(runs >= 1)) throw new UsageError(`--runs takes a count ≥ 1, not ${JSON.stringify(v.runs)}`);
  if (v.repair && !v.full) throw new UsageError("--repair needs --full");
  if (v.metrics !== undefined && every === null && v.webhooks === undefined) throw new UsageError("--metrics serves beside a loop: add --watch [s] or --webhooks");
  const flows = checkFlows(v.flows?.split(",").map((/** @type {string} */ s) => s.trim()).filter(Boolean));
  const dryRun = Boolean(v["dry-run"]);
  describeConfig(app.config, app.chargebee.baseUrl).forEach((l) => console.log(l));
  if (v.webhooks !== undefined) {
    if (dryRun) throw new UsageError("--webhooks syncs as events arrive: it does not take --dry-run");
    return serveWebhooks(app, v, flows, portOf("--webhooks", v.webhooks, 8484), every ?? 600);
  }
  const stop = new Shutdown();
  const ops = every === null ? null : await opsOf(app, v, every, flows);
  const progress = new ProgressReporter({ tty: Boolean(process.stdout.isTTY), write: (t) => process.stdout.write(t) });
  const tick = setInterval(() => progress.current && progress.update(progress.current), 1000);
  tick.unref();
  /** @type {number} */
  let code = EXIT.ok;
  try {
    for (let i = 0; i < runs && !stop.requested; i++) {
      console.log(`\n${dryRun ? "dry run (no write is sent, the store is not changed)" : "sync"} ${new Date().toISOString()}`);
      const out = (/** @type {string} */ l) => {
        progress.clear();
        console.log(l);
      };
      /** @type {Awaited<ReturnType<typeof runOnce>>} */
      let result;
      try {
        result = await runOnce(app, { full: v.full, repair: v.repair, dryRun, flows, waitSeconds: seconds(v.wait), out, onProgress: (p) => progress.update(p), shouldStop: stop.shouldStop });
      } catch (e) {
        // In a loop a failed run is reported (metrics, /readyz, the log, the inbox) and the next one tries again.
        if (every === null || v["exit-on-error"]) throw e;
        progress.clear();
        log.error(/** @type {any} */ (e), `the run failed (the next one tries again in ${every} s)`);
        code = Math.max(code, exitCodeOf(e));
        for (let t = 0; t < every * 10 && !stop.requested; t++) await sleep(100);
        continue;
      }
      const { summary, exitCode } = result;
      progress.clear();
      console.log("");
      printSummary(summary, console.log);
      for (const [flow, st] of Object.entries(summary.flows)) {
        const g = /** @type {any} */ (st).guard;
        if (g) console.log(`  GUARD ${flow}: ${Object.entries(g.counts).map(([k, n]) => `${n} ${k}`).join(", ")} destructive actions planned for ${g.linked} linked pairs: nothing of this flow was written (inbox item ${g.item}; \`confirm ${g.item}\` lets the next run through)`);
      }
      if (dryRun) {
        console.log("");
        printPlanned(summary.planned, console.log);
        if (summary.plannedTotal > summary.planned.length) console.log(`  … and ${summary.plannedTotal - summary.planned.length} more planned writes (all of them with --json FILE)`);
      }
      if (v.json) writeFileSync(v.json, JSON.stringify(dryRun ? summary.planned : { ...summary, planned: undefined }, null, 2) + "\n");
      const open = (await listInbox(app, { state: "open" })).length;
      if (!dryRun && open > 0) console.log(`  inbox: ${open} open items (node bin/sync.mjs inbox)`);
      if (every !== null && exitCode !== EXIT.ok && v["exit-on-error"]) return exitCode;
      // One run: its exit code. A loop: 0 unless asked to end on an error (the failure is in the metrics, /readyz, the log, the inbox).
      if (every === null) code = Math.max(code, exitCode);
      if (every !== null && i + 1 < runs) for (let t = 0; t < every * 10 && !stop.requested; t++) await sleep(100);
    }
  } finally {
    clearInterval(tick);
    await ops?.close();
    stop.close();
  }
  return every === null ? code : EXIT.ok;
}

/**
 * `run --watch --webhooks`: a first sync, then what webhooks name, and a reconciling poll every `every` s.
 * @param {import("../src/app/app.mjs").App} app @param {Record<string, any>} v @param {string[] | undefined} flows @param {number} port @param {number} every
 */
async function serveWebhooks(app, v, flows, port, every) {
  const stop = new Shutdown();
  const sync = syncOf(app, { only: flows, out: console.log, shouldStop: stop.shouldStop });
  const ops = await opsOf(app, v, every, flows);
  const receiver = new WebhookReceiver({ sync, ...webhookSecretsFromEnv(), port, host: process.env.SYNC_WEBHOOKS_HOST, reconcileMs: every * 1000, out: console.log,
    onFailed: v["exit-on-error"] ? (/** @type {unknown} */ e) => stop.fail(e) : undefined });
  const { url } = await receiver.start();
  console.log(`  webhooks   ${url}/webhooks/chargebee, ${url}/webhooks/customerp  (reconciling poll every ${every} s)`);
  const secret = process.env.CUSTOMERP_WEBHOOK_SECRET;
  if (process.env.CUSTOMERP_WEBHOOK_URL && secret) {
    await subscribeCustomerp({ customerpUrl: app.config.customerpUrl, token: app.config.customerpToken, url: process.env.CUSTOMERP_WEBHOOK_URL, secret });
  }
  try {
    console.log(`\nsync ${new Date().toISOString()}`);
    try {
      printSummary(await receiver.poll(), console.log);
    } catch (e) {
      if (v["exit-on-error"]) throw e;
      log.error(/** @type {any} */ (e), "the first sync failed (the reconciling poll tries again)");
    }
    await stop.stopped;
    if (stop.failure) throw stop.failure;
  } finally {
    await withinBound(receiver.close(), SHUTDOWN_MS.sync);
    await ops.close();
    stop.close();
  }
  return EXIT.ok;
}

/**
 * `worker`: runs every tenant until SIGTERM.
 * @param {import("../src/app/app.mjs").App} app @param {Record<string, any>} v
 */
async function runWorker(app, v) {
  if (app.store.dialect !== "postgres") throw new UsageError("worker needs the store on PostgreSQL: set SYNC_DB to a postgres:// URL (see README.md, Many tenants)");
  const concurrency = v.concurrency === undefined ? 2 : Number(v.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError(`--concurrency takes 1–64 jobs, not ${JSON.stringify(v.concurrency)}`);
  const lease = v.lease === undefined ? 60 : Number(v.lease);
  if (!(lease >= 2)) throw new UsageError(`--lease takes seconds (≥ 2), not ${JSON.stringify(v.lease)}`);
  const stop = new Shutdown();
  const url = /** @type {string} */ (app.store.db.url);
  const tenants = (await tenantOverview(app.store)).map((t) => t.id);
  const ops = await opsOf(app, v, 600, undefined, tenants);
  const worker = new Worker({ root: app.store, url, concurrency, leaseSeconds: lease, out: console.log, shouldStop: stop.shouldStop });
  await worker.start();
  console.log(`worker ${worker.name}: ${concurrency} jobs at once, ${tenants.length} tenants (${tenants.join(", ") || "none yet"})`);
  const hooks = v.webhooks === undefined ? null : await startTenantWebhooks({ root: app.store, url, port: portOf("--webhooks", v.webhooks, 8484), host: process.env.SYNC_WEBHOOKS_HOST, out: console.log });
  if (hooks) console.log(`  webhooks   ${hooks.url}/webhooks/<tenant>/chargebee, /webhooks/<tenant>/customerp`);
  try {
    await stop.stopped;
  } finally {
    await hooks?.close();
    await worker.stop(SHUTDOWN_MS.sync);
    await ops.close();
    stop.close();
  }
  console.log(`worker ${worker.name} stopped: ${worker.stats.jobs} jobs, ${worker.stats.runs} runs, ${worker.stats.busy} found their tenant running elsewhere, ${worker.stats.failed} failed`);
  return EXIT.ok;
}

/** Waits for a promise, at most `ms`. @param {Promise<unknown>} p @param {number} ms */
function withinBound(p, ms) {
  return Promise.race([p, new Promise((r) => setTimeout(r, ms).unref())]);
}

/** @param {string[]} args */
async function main(args) {
  // Secrets from a service manager's credentials ($CREDENTIALS_DIRECTORY) or NAME_FILE, before anything reads the environment.
  loadCredentials(process.env);
  // --tenant <id> goes with every command: the tenant's settings from the store instead of the environment's.
  let tenant;
  const at = args.indexOf("--tenant");
  if (at >= 0) {
    tenant = args[at + 1];
    if (!tenant || tenant.startsWith("-")) throw new UsageError("--tenant takes a tenant's id (see tenant list)");
    args = [...args.slice(0, at), ...args.slice(at + 2)];
  }
  if (args[0] === "tenant" && args[1] && !args[1].startsWith("-")) args = [`tenant ${args[1]}`, ...args.slice(2)];
  const first = args[0];
  const name = first === undefined || first.startsWith("-") ? "run" : first;
  if (first === "help" || ((name === "run" && first !== "run") && (args.includes("--help") || args.includes("-h")) && args.length === 1)) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const cmd = COMMANDS[name];
  if (!cmd) throw new UsageError(`unknown command ${JSON.stringify(name)}\n${USAGE}`);
  const rest = name === first ? args.slice(1) : args;
  let parsed;
  try {
    parsed = parseArgs({ options: { ...cmd.options, help: { type: "boolean", short: "h" } }, allowPositionals: Math.max(...[cmd.positionals].flat()) > 0, strict: true, args: normaliseWatch(rest) });
  } catch (e) {
    throw new UsageError(`${e instanceof Error ? e.message : e}\nusage: node bin/sync.mjs ${cmd.usage}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(`usage: node bin/sync.mjs ${cmd.usage}\n  ${cmd.about}\n${ENV}`);
    return EXIT.ok;
  }
  if (![cmd.positionals].flat().includes(positionals.length)) throw new UsageError(`usage: node bin/sync.mjs ${cmd.usage}`);
  if (tenant && (name.startsWith("tenant ") || name === "worker")) throw new UsageError(`${name} is not a command of one tenant: it does not take --tenant`);
  if (cmd.app === false) return await cmd.main(null, values, positionals, tenant);
  // A command printing JSON (--json without a file) keeps stdout for it: the retry notes go to stderr.
  const note = /** @type {Record<string, unknown>} */ (values).json === true ? console.error : console.log;
  const app = await openApp({ systems: cmd.systems, tenant, onRetry: (i) => note(`  (${i.status ?? "network error"}: retrying in ${Math.round(i.delayMs)} ms)`) });
  try {
    return await cmd.main(app, values, positionals);
  } finally {
    await app.close();
  }
}

/** `--watch`, `--webhooks`, `--console` and `--metrics` may come without a value. @param {string[]} args */
function normaliseWatch(args) {
  const bare = (/** @type {string} */ a, /** @type {number} */ i) => (a === "--watch" || a === "--webhooks" || a === "--console" || a === "--metrics") && (args[i + 1] === undefined || args[i + 1].startsWith("--"));
  return args.flatMap((a, i) => (bare(a, i) ? [a, ""] : [a]));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    const code = exitCodeOf(e);
    const err = /** @type {any} */ (e);
    let message = err instanceof Error ? err.message : String(e);
    if (code === EXIT.unreachable && (err?.name === "ChargebeeError" || err?.name === "CustomerpError")) {
      message = `${err.name === "ChargebeeError" ? "Chargebee" : "Customerp"} refused the credentials at ${err.url ?? "its URL"}: ${message}`;
    }
    console.error(code === EXIT.usage ? `error: ${message}` : `sync failed: ${message}`);
    process.exitCode = code;
  },
);
