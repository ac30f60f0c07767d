// Workers: any number of `sync.mjs worker` processes, on any machine that reaches the PostgreSQL store,
// run every tenant's flows. The queue is pg-boss (jobs in PostgreSQL, taken with SKIP LOCKED, so one job
// goes to one worker); each worker also schedules: every tenant gets a job once per its poll interval
// (pg-boss's singleton slots make the jobs of many schedulers one). A job takes the leases of the
// tenant's flows (lock.mjs: one holder per tenant and flow, a heartbeat, fencing tokens checked in every
// store write); a job whose tenant is already running elsewhere ends at once. Webhooks, one receiver
// for every tenant (`/webhooks/<tenant>/chargebee|customerp`, each tenant's own secrets), put the
// records they name on the tenant's list of records to read again and queue a run of it.
//
// Fair: a worker runs `concurrency` jobs at once, oldest first; a tenant with a million records holds
// one of them for as long as its run takes, and every other tenant's jobs go to the other slots and
// to the other workers.
import http from "node:http";
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import PgBoss from "pg-boss";
import { sql } from "kysely";
import { tenantApp, syncOf } from "../app/app.mjs";
import { acquireLock } from "../app/lock.mjs";
import { LockedError, UsageError } from "../app/errors.mjs";
import { WebhookReceiver } from "../app/webhooks.mjs";
import { listTenants, readSecret, enabledFlows } from "./tenants.mjs";
import { redact } from "../app/redact.mjs";
import { close, listen } from "../lib/http.mjs";

export const QUEUE = "sync";

/**
 * @typedef {object} WorkerOptions
 * @property {import("../app/store/store.mjs").Store} root the store (PostgreSQL), tenant ''
 * @property {string} url SYNC_DB
 * @property {number} [concurrency] jobs at once (default 2)
 * @property {number} [leaseSeconds] a lease not renewed for this long is free (default 60; heartbeat every sixth)
 * @property {number} [scheduleMs] how often this worker queues what is due (default 1000)
 * @property {number} [pollSeconds] how often it asks the queue for work (default 1)
 * @property {NodeJS.ProcessEnv} [env] where the tenants' secrets are
 * @property {(line: string) => void} [out]
 * @property {() => boolean} [shouldStop]
 * @property {string} [name]
 */

/** The queue's schema in the database: beside the store's own (a store in a schema of its own gets a queue of its own). @param {import("../app/store/store.mjs").Store} root */
export async function queueSchema(root) {
  const s = String(/** @type {any} */ ((await sql`SELECT current_schema() AS s`.execute(root.k)).rows[0])?.s ?? "public");
  return s === "public" ? "pgboss" : `${s}_pgboss`;
}

/**
 * pg-boss on the store's database. Its errors (a lost connection, a failed fetch of jobs) are printed, through
 * the redactor, at most once a minute per message: a worker whose queue fails must not sit idle without a word.
 * @param {string} url @param {string} schema @param {(line: string) => void} [out]
 */
export async function startQueue(url, schema, out = () => {}) {
  const boss = new PgBoss({ connectionString: url, schema, max: 4, application_name: "customerp-chargebee" });
  /** @type {Map<string, number>} */
  const told = new Map();
  boss.on("error", (/** @type {unknown} */ e) => {
    const msg = redact(e instanceof Error ? e.message : String(e));
    const now = Date.now();
    if ((told.get(msg) ?? -Infinity) > now - 60_000) return;
    told.set(msg, now);
    out(`queue error (pg-boss): ${msg}`);
  });
  await boss.start();
  await boss.createQueue(QUEUE, { name: QUEUE, policy: "standard" });
  return boss;
}

export class Worker {
  /** @param {WorkerOptions} o */
  constructor(o) {
    if (o.root.dialect !== "postgres") throw new UsageError("workers share their work through PostgreSQL: set SYNC_DB to a postgres:// URL");
    this.o = o;
    this.root = o.root;
    this.concurrency = Math.max(1, o.concurrency ?? 2);
    this.leaseMs = (o.leaseSeconds ?? 60) * 1000;
    this.name = o.name ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.out = o.out ?? (() => {});
    this.shouldStop = o.shouldStop ?? (() => false);
    /** @type {PgBoss | null} */
    this.boss = null;
    /** @type {NodeJS.Timeout | null} */
    this.scheduler = null;
    /** Jobs under way. @type {Set<Promise<unknown>>} */
    this.running = new Set();
    /** Each tenant's app, made once (its clients, its rate bucket). @type {Map<string, Promise<import("../app/app.mjs").App>>} */
    this.apps = new Map();
    this.stats = { jobs: 0, runs: 0, busy: 0, failed: 0 };
  }

  async start() {
    this.boss = await startQueue(this.o.url, await queueSchema(this.root), this.out);
    for (let i = 0; i < this.concurrency; i++) {
      await this.boss.work(QUEUE, { batchSize: 1, pollingIntervalSeconds: this.o.pollSeconds ?? 1 }, async ([job]) => {
        const p = this.job(/** @type {any} */ (job.data));
        this.running.add(p);
        try {
          return await p;
        } finally {
          this.running.delete(p);
        }
      });
    }
    await this.schedule();
    this.scheduler = setInterval(() => void this.schedule().catch(() => {}), this.o.scheduleMs ?? 1000);
    this.scheduler.unref();
  }

  /** Queues a run of every tenant that is due (one job per tenant and poll interval, whoever queues it). */
  async schedule() {
    if (this.shouldStop() || !this.boss) return;
    for (const t of await listTenants(this.root)) {
      const every = Math.max(1, Math.round(t.spec.pollSeconds ?? 600));
      await this.boss.send(QUEUE, { tenant: t.id }, { singletonKey: `run:${t.id}`, singletonSeconds: every, expireInHours: 23, retryLimit: 0 });
    }
  }

  /** @param {string} tenant */
  app(tenant) {
    let a = this.apps.get(tenant);
    if (!a) {
      a = tenantApp(this.root, tenant, { env: this.o.env });
      a.catch(() => this.apps.delete(tenant));
      this.apps.set(tenant, a);
    }
    return a;
  }

  /**
   * One job: a run of a tenant's enabled flows, under their leases.
   * @param {{ tenant: string }} data
   */
  async job(data) {
    this.stats.jobs++;
    if (this.shouldStop()) return { skipped: "stopping" };
    const app = await this.app(data.tenant);
    const flows = enabledFlows(app.config);
    let release;
    try {
      release = await acquireLock(app.store, { flows, holder: this.name, staleMs: this.leaseMs, heartbeatMs: Math.max(250, this.leaseMs / 6) });
    } catch (e) {
      if (!(e instanceof LockedError)) throw e;
      this.stats.busy++;
      return { busy: `tenant ${data.tenant} runs on another worker` };
    }
    try {
      const summary = await syncOf(app, { worker: this.name, shouldStop: this.shouldStop }).run();
      this.stats.runs++;
      const errors = Object.values(summary.flows).reduce((n, f) => n + (/** @type {any} */ (f).errors ?? 0), 0);
      this.out(`  ${data.tenant}: run ${summary.run} · ${summary.requests.chargebee.writes + summary.requests.customerp.writes} writes · ${errors} errors`);
      return { run: summary.run, errors };
    } catch (e) {
      this.stats.failed++;
      this.out(`  ${data.tenant}: the run failed: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    } finally {
      await release();
    }
  }

  /** Stops taking jobs, waits (at most `ms`) for the ones under way, and stops the queue. @param {number} ms */
  async stop(ms) {
    if (this.scheduler) clearInterval(this.scheduler);
    this.scheduler = null;
    await Promise.race([Promise.allSettled([...this.running]), new Promise((r) => setTimeout(r, ms).unref())]);
    await this.boss?.stop({ graceful: true, timeout: Math.max(1000, ms), wait: true }).catch(() => {});
    this.boss = null;
  }
}

/**
 * One webhook receiver for every tenant: `POST /webhooks/<tenant>/chargebee` and `/webhooks/<tenant>/customerp`,
 * each checked with that tenant's own secrets (from its spec's references). What an event names goes on the
 * tenant's list of records to read again, and a run of the tenant is queued at once.
 * @param {{ root: import("../app/store/store.mjs").Store, url: string, port: number, host?: string, env?: NodeJS.ProcessEnv,
 *   out?: (line: string) => void }} o
 */
export async function startTenantWebhooks(o) {
  const boss = await startQueue(o.url, await queueSchema(o.root), o.out);
  /** @type {Map<string, Promise<WebhookReceiver | null>>} */
  const receivers = new Map();
  const receiverOf = (/** @type {string} */ tenant) => {
    let r = receivers.get(tenant);
    if (!r) {
      r = (async () => {
        const t = (await listTenants(o.root)).find((x) => x.id === tenant);
        if (!t) return null;
        const hooks = t.spec.webhooks ?? {};
        const app = await tenantApp(o.root, tenant, { env: o.env });
        const chargebee = hooks.chargebeeUser && hooks.chargebeePassword
          ? { username: readSecret(tenant, "the Chargebee webhook user", hooks.chargebeeUser, o.env), password: readSecret(tenant, "the Chargebee webhook password", hooks.chargebeePassword, o.env) }
          : undefined;
        const customerp = hooks.customerpSecret ? { secret: readSecret(tenant, "the Customerp webhook secret", hooks.customerpSecret, o.env) } : undefined;
        return new WebhookReceiver({
          sync: syncOf(app), chargebee, customerp, reconcileMs: 0, out: o.out,
          deliver: async (touched) => {
            for (const [flow, ids] of Object.entries(touched)) {
              for (const id of ids.customerp) await app.store.readAgain(flow, "customerp", id, "named by a webhook");
              for (const id of ids.chargebee) await app.store.readAgain(flow, "chargebee", id, "named by a webhook");
            }
            await boss.send(QUEUE, { tenant }, { singletonKey: `hook:${tenant}`, singletonSeconds: 1, expireInHours: 23, retryLimit: 0 });
          },
        });
      })();
      receivers.set(tenant, r);
    }
    return r;
  };
  const server = http.createServer(async (req, res) => {
    const m = /^\/webhooks\/([a-z0-9][a-z0-9_-]{0,62})\/(chargebee|customerp)$/.exec(new URL(req.url ?? "/", "http://localhost").pathname);
    const receiver = m ? await receiverOf(m[1]).catch(() => null) : null;
    if (!m || !receiver) {
      req.resume();
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not_found" }));
      return;
    }
    await receiver.handle(req, res, `/webhooks/${m[2]}`);
  });
  const { origin, port } = await listen(server, o.port, o.host ?? "127.0.0.1");
  return {
    url: origin, port,
    async close() {
      await close(server);
      for (const r of receivers.values()) await (await r.catch(() => null))?.idle();
      await boss.stop({ graceful: true, timeout: 5000, wait: true }).catch(() => {});
    },
  };
}
