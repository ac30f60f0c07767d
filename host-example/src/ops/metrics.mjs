// Prometheus metrics of the host, fed by the host's events (src/app/events.mjs) into a registry of
// their own (never prom-client's global one), with the default process metrics beside them. The
// counters of every known flow, system and outcome start at 0 for each tenant as soon as the tenant is
// seen (the tenants given at attach: '' unless told), so that `increase()` sees a first failure too.
import client from "prom-client";
import { FLOWS } from "../app/flows.mjs";
import { KINDS } from "../app/inbox.mjs";
import { listen } from "./listen.mjs";

/** @typedef {import("../app/events.mjs").HostEvents} HostEvents */

export const PREFIX = "customerp_chargebee_";
/** Request durations: 50 ms – 60 s, the range of both APIs (a Chargebee list page, a slow ERP export). */
export const DURATION_BUCKETS = Object.freeze([0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60]);
export const SYSTEMS = /** @type {const} */ (["customerp", "chargebee"]);
export const RUN_OUTCOMES = /** @type {const} */ (["ok", "failed", "guard", "fenced"]);
export const WRITE_OUTCOMES = /** @type {const} */ (["ok", "failed", "replanned"]);
export const WEBHOOK_OUTCOMES = /** @type {const} */ (["accepted", "duplicate", "ignored", "refused", "error"]);

/**
 * Every metric of the host, with its labels and what it counts (the README's table is this list).
 * @type {ReadonlyArray<{ name: string, type: "counter" | "gauge" | "histogram", labels: string[], help: string }>}
 */
export const METRICS = Object.freeze([
  { name: "runs_total", type: "counter", labels: ["tenant", "flow", "outcome"],
    help: "Flow runs ended, by outcome: ok, failed (records failed or the flow stopped on an error), guard (the guard stopped the flow), fenced (another worker took the flow's lease)" },
  { name: "writes_total", type: "counter", labels: ["tenant", "system", "flow", "outcome"],
    help: "Writes through the write path: ok (sent, answered 2xx), failed (failed for good in this run), replanned (not sent: the target moved)" },
  { name: "requests_total", type: "counter", labels: ["tenant", "system", "status"],
    help: "HTTP requests sent to each system, every attempt, by answer status (0: network error or timeout)" },
  { name: "request_duration_seconds", type: "histogram", labels: ["tenant", "system"],
    help: "Time from sending a request to its answer (or its failure), every attempt" },
  { name: "rate_limited_total", type: "counter", labels: ["tenant", "system"],
    help: "Answers 429 (rate limited) from each system" },
  { name: "inbox_open", type: "gauge", labels: ["tenant", "kind"],
    help: "Open inbox items by kind, as of the last run" },
  { name: "last_success_timestamp_seconds", type: "gauge", labels: ["tenant", "flow"],
    help: "When a flow's run last ended ok (Unix time, seconds)" },
  { name: "webhook_events_total", type: "counter", labels: ["tenant", "source", "outcome"],
    help: "Webhook notifications received, by outcome: accepted, duplicate, ignored, refused (authentication or shape), error" },
  { name: "system_reachable", type: "gauge", labels: ["tenant", "system"],
    help: "1 when the last request to a system got an HTTP answer, 0 when it was refused, timed out or its host was unknown" },
  { name: "last_answer_timestamp_seconds", type: "gauge", labels: ["tenant", "system"],
    help: "When a system last answered a request (any HTTP status; Unix time, seconds)" },
]);

/**
 * @typedef {object} MetricsOptions
 * @property {string[]} [tenants] tenants whose series start at 0 at once (default ['']); others start when first seen
 * @property {string[]} [flows] flow ids whose counters start at 0 (default: the six flows)
 * @property {boolean} [defaultMetrics] prom-client's process and Node.js metrics (default true)
 * @property {client.Registry} [registry] a registry to fill (default: a new one)
 * @property {(where: string, e: unknown) => void} [onError] a handler that threw (default: a line on stderr); the host never sees it
 */

/**
 * Listens to the host's events and keeps the metrics in a registry of their own.
 * @param {HostEvents} events
 * @param {MetricsOptions} [o]
 * @returns {{ registry: client.Registry, detach(): void }}
 */
export function attachMetrics(events, o = {}) {
  const registry = o.registry ?? new client.Registry();
  const flows = o.flows ?? FLOWS.map((f) => f.id);
  if (o.defaultMetrics !== false) client.collectDefaultMetrics({ register: registry });

  const def = (/** @type {string} */ name) => {
    const m = /** @type {(typeof METRICS)[number]} */ (METRICS.find((x) => x.name === name));
    return { name: PREFIX + m.name, help: m.help, labelNames: m.labels, registers: [registry] };
  };
  const runs = new client.Counter(def("runs_total"));
  const writes = new client.Counter(def("writes_total"));
  const requests = new client.Counter(def("requests_total"));
  const duration = new client.Histogram({ ...def("request_duration_seconds"), buckets: [...DURATION_BUCKETS] });
  const rateLimited = new client.Counter(def("rate_limited_total"));
  const inboxOpen = new client.Gauge(def("inbox_open"));
  const lastSuccess = new client.Gauge(def("last_success_timestamp_seconds"));
  const webhooks = new client.Counter(def("webhook_events_total"));
  const reachable = new client.Gauge(def("system_reachable"));
  const lastAnswer = new client.Gauge(def("last_answer_timestamp_seconds"));

  /** @type {Set<string>} */
  const seen = new Set();
  /** Starts a tenant's counters at 0 (once). @param {string} tenant */
  const see = (tenant) => {
    if (seen.has(tenant)) return;
    seen.add(tenant);
    for (const flow of flows) {
      for (const outcome of RUN_OUTCOMES) runs.inc({ tenant, flow, outcome }, 0);
      for (const system of SYSTEMS) for (const outcome of WRITE_OUTCOMES) writes.inc({ tenant, system, flow, outcome }, 0);
    }
    for (const system of SYSTEMS) {
      rateLimited.inc({ tenant, system }, 0);
      duration.zero({ tenant, system });
      for (const outcome of WEBHOOK_OUTCOMES) webhooks.inc({ tenant, source: system, outcome }, 0);
    }
  };
  for (const t of o.tenants ?? [""]) see(t);

  /** The kinds a tenant's gauge was last set for, so that a kind no longer reported goes back to 0. @type {Map<string, Set<string>>} */
  const inboxKinds = new Map();

  /** @type {Record<string, (e: any) => void>} */
  const on = {
    request(/** @type {import("../app/events.mjs").RequestEvent} */ e) {
      const tenant = tenantOf(e);
      see(tenant);
      requests.inc({ tenant, system: e.system, status: statusLabel(e.status) });
      if (Number.isFinite(e.ms) && e.ms >= 0) duration.observe({ tenant, system: e.system }, e.ms / 1000);
    },
    reach(/** @type {import("../app/events.mjs").ReachEvent} */ e) {
      const tenant = tenantOf(e);
      see(tenant);
      reachable.set({ tenant, system: e.system }, e.ok ? 1 : 0);
      if (e.ok) lastAnswer.set({ tenant, system: e.system }, seconds(e.at));
    },
    rateLimited(/** @type {import("../app/events.mjs").RateLimitedEvent} */ e) {
      const tenant = tenantOf(e);
      see(tenant);
      rateLimited.inc({ tenant, system: e.system });
    },
    write(/** @type {import("../app/events.mjs").WriteEvent} */ e) {
      const tenant = tenantOf(e);
      see(tenant);
      writes.inc({ tenant, system: e.system, flow: e.flow, outcome: e.outcome });
    },
    run(/** @type {import("../app/events.mjs").RunEvent} */ e) {
      const tenant = tenantOf(e);
      see(tenant);
      runs.inc({ tenant, flow: e.flow, outcome: e.outcome });
      if (e.outcome === "ok") lastSuccess.set({ tenant, flow: e.flow }, seconds(e.at));
    },
    webhook(/** @type {import("../app/events.mjs").WebhookEvent} */ e) {
      const tenant = tenantOf(e);
      see(tenant);
      webhooks.inc({ tenant, source: e.source, outcome: e.outcome });
    },
    inbox(/** @type {import("../app/events.mjs").InboxEvent} */ e) {
      const tenant = tenantOf(e);
      see(tenant);
      const before = inboxKinds.get(tenant) ?? new Set(KINDS);
      const now = new Set([...before, ...Object.keys(e.counts ?? {})]);
      for (const kind of now) {
        const n = Number(e.counts?.[kind] ?? 0);
        inboxOpen.set({ tenant, kind }, Number.isFinite(n) ? n : 0);
      }
      inboxKinds.set(tenant, now);
    },
  };
  return { registry, detach: listen(events, "metrics", on, o.onError) };
}

/** @param {{ tenant?: string }} e */
const tenantOf = (e) => (typeof e.tenant === "string" ? e.tenant : "");
/** An HTTP status as a label: its code, or "0" (no answer: a network error or a timeout). @param {unknown} s */
const statusLabel = (s) => (Number.isInteger(s) && /** @type {number} */ (s) >= 100 && /** @type {number} */ (s) <= 599 ? String(s) : "0");
/** ms → s; now when missing. @param {unknown} at */
const seconds = (at) => (typeof at === "number" && Number.isFinite(at) ? at : Date.now()) / 1000;
