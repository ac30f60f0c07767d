// The operations side in one call, for the command that runs the host as a service
// (`run --watch --webhooks --metrics`): metrics on the host's events, readiness, the HTTP endpoint,
// alerts and (with JSON logs) the events as log lines, from the environment, SYNC_CONFIG's ops keys and
// the command's flags; and one close() within a known bound, for a clean stop.
//
// How bin/sync.mjs uses it:
//   - first of all, before the configuration is read: loadCredentials(process.env) (./credentials.mjs);
//   - a logger: loggerFromEnv() (./log.mjs), its line() for the report, info/warn/error for the rest;
//   - `run --watch`: const ops = await startOps({ metricsPort: --metrics given ? its port (9484 bare) : null,
//     metricsHost: --metrics-host, watchSeconds: the poll interval, flows: the enabled flows,
//     store: () => app.store.schemaVersion(), config: SYNC_CONFIG's ops keys (./config.mjs), log }),
//     print ops.lines, and on SIGTERM/SIGINT stop starting work, wait for the run under way up to
//     SHUTDOWN_MS.sync, then `await ops.close()`.
import { events as hostEvents } from "../app/events.mjs";
import { attachMetrics } from "./metrics.mjs";
import { attachHealth } from "./health.mjs";
import { startOpsServer, DEFAULT_PORT } from "./server.mjs";
import { attachAlerts } from "./alerts.mjs";
import { ago } from "./health.mjs";
import { logEvents } from "./log.mjs";

/**
 * How long each part of a clean stop may take, in ms. A service manager's stop timeout must cover the
 * sum (deploy/customerp-chargebee.service: TimeoutStopSec=90): the run under way finishes its flow
 * (`sync`: the host stops starting work and waits this long; a run cut short later is safe to run
 * again), the endpoint answers what it has (`server`), queued alerts are sent (`alerts`).
 */
export const SHUTDOWN_MS = Object.freeze({ sync: 60_000, server: 5_000, alerts: 10_000 });
export const shutdownBoundMs = () => SHUTDOWN_MS.sync + SHUTDOWN_MS.server + SHUTDOWN_MS.alerts;

/**
 * @typedef {object} OpsOptions
 * @property {import("../app/events.mjs").HostEvents} [events] default: the process's emitter
 * @property {NodeJS.ProcessEnv} [env] METRICS_TOKEN, ALERT_WEBHOOK_URL (default process.env)
 * @property {import("./config.mjs").OpsConfig} [config] SYNC_CONFIG's ops keys (src/ops/config.mjs)
 * @property {number | null} [metricsPort] `--metrics [P]`: the endpoint's port (undefined: SYNC_CONFIG's metrics.port or 9484);
 *   null: no endpoint (metrics and readiness are still kept, for a later start)
 * @property {string} [metricsHost] `--metrics-host H` (default: SYNC_CONFIG's metrics.host, else 127.0.0.1)
 * @property {number} [watchSeconds] the poll interval, readiness's interval unless health.interval says otherwise (default 600)
 * @property {string[]} [flows] the enabled flows (default all)
 * @property {string[]} [tenants] default ['']
 * @property {() => unknown} [store] the store check, e.g. `() => app.store.schemaVersion()`
 * @property {import("./log.mjs").Logger} [log] for the alerts' delivery problems; a JSON logger also gets the
 *   host's events as lines (logEvents: a flow's end with its counts, the inbox, a system going and coming back, …)
 */

/**
 * Starts what the options ask for. Refuses (UsageError) a metrics host beyond loopback without
 * METRICS_TOKEN and a bad ALERT_WEBHOOK_URL, before anything listens.
 * @param {OpsOptions} [o]
 */
export async function startOps(o = {}) {
  const env = o.env ?? process.env;
  const events = o.events ?? hostEvents;
  const config = o.config ?? { metrics: {}, health: {}, alerts: {} };
  const alertsOn = Boolean(env.ALERT_WEBHOOK_URL);
  // the alerts first: a bad URL stops the start before a port is taken
  const alerts = alertsOn ? attachAlerts(events, { url: /** @type {string} */ (env.ALERT_WEBHOOK_URL), ...config.alerts, log: o.log }) : null;
  const metrics = attachMetrics(events, { flows: o.flows, tenants: o.tenants });
  const stopLog = o.log?.json ? logEvents(events, o.log) : () => {};
  const health = attachHealth(events, {
    intervalMs: (o.watchSeconds ?? 600) * 1000, ...config.health, store: o.store, flows: o.flows, tenants: o.tenants,
  });
  /** @type {Awaited<ReturnType<typeof startOpsServer>> | null} */
  let server = null;
  try {
    if (o.metricsPort !== null) {
      server = await startOpsServer({
        registry: metrics.registry, health, token: env.METRICS_TOKEN || null,
        port: o.metricsPort ?? config.metrics.port ?? DEFAULT_PORT, host: o.metricsHost ?? config.metrics.host ?? "127.0.0.1",
        closeTimeoutMs: SHUTDOWN_MS.server,
      });
    }
  } catch (e) {
    alerts?.detach();
    metrics.detach();
    health.detach();
    stopLog();
    throw e;
  }

  /** What to print at start: where, and what is on (never a secret's value). */
  const lines = [];
  if (server) lines.push(`  metrics    ${server.url}/metrics, /healthz, /readyz  (${env.METRICS_TOKEN ? "METRICS_TOKEN: set, not shown; /metrics and /readyz want it" : "no token: this machine only"})`);
  if (alerts) {
    const a = alerts.o;
    const on = [a.runFailed && "a failed run", a.guard && "a guard stop", a.unreachableMs > 0 && `a system not answering for ${ago(a.unreachableMs)}`,
      ...Object.entries(alerts.inbox).map(([k, n]) => `${n}+ open ${k} items`)].filter(Boolean);
    lines.push(`  alerts     ALERT_WEBHOOK_URL: set, not shown; on ${on.join(", ") || "nothing"}; at most one per cause every ${ago(a.intervalMs)}`);
  }

  /** @type {Promise<void> | null} */
  let closing = null;
  return {
    registry: metrics.registry, health, alerts, server, url: server?.url ?? null, lines,
    /** Stops listening, answers what is under way and sends queued alerts, within SHUTDOWN_MS.server and .alerts. */
    close() {
      closing ??= (async () => {
        metrics.detach();
        health.detach();
        stopLog();
        await Promise.all([server?.close(), alerts?.close(SHUTDOWN_MS.alerts)]);
      })();
      return closing;
    },
  };
}
