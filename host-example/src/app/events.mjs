// What the host tells whoever watches it: one event emitter per process, fed by the clients, the
// loop, the webhook receiver and the workers, read by the metrics, the logs, the alerts and the
// health checks (src/ops/). Emitting costs nothing when nobody listens.
import { EventEmitter } from "node:events";

/**
 * @typedef {"chargebee" | "customerp"} System
 * @typedef {{ system: System, method: string, status: number, ms: number, tenant: string }} RequestEvent
 *   one HTTP request as sent (each attempt); status 0 for a network error or a timeout
 * @typedef {{ system: System, tenant: string, retryAfterMs: number | null }} RateLimitedEvent a 429
 * @typedef {{ system: System, flow: string, outcome: "ok" | "failed" | "replanned", tenant: string }} WriteEvent
 *   a write through the write path: sent and answered 2xx, failed for good in this run, or not sent because its target moved
 * @typedef {{ flow: string, outcome: "ok" | "failed" | "guard" | "fenced", run: number, tenant: string, at: number,
 *   counts: Record<string, unknown> }} RunEvent one flow's part of a run ended (`at` in ms)
 * @typedef {{ source: System, outcome: "accepted" | "duplicate" | "ignored" | "refused" | "error", tenant: string }} WebhookEvent
 * @typedef {{ tenant: string, counts: Record<string, number> }} InboxEvent open items by kind, after a run
 * @typedef {{ system: System, tenant: string, ok: boolean, at: number, error?: string }} ReachEvent
 *   whether a system answered (any HTTP answer is "ok"; refused, timed out or unknown host is not)
 */

export class HostEvents extends EventEmitter {
  /** @param {RequestEvent} e */
  request(e) {
    this.emit("request", e);
    this.emit("reach", { system: e.system, tenant: e.tenant, ok: e.status > 0, at: Date.now() });
  }

  /** @param {RateLimitedEvent} e */
  rateLimited(e) {
    this.emit("rateLimited", e);
  }

  /** @param {WriteEvent} e */
  write(e) {
    this.emit("write", e);
  }

  /** @param {RunEvent} e */
  run(e) {
    this.emit("run", e);
  }

  /** @param {WebhookEvent} e */
  webhook(e) {
    this.emit("webhook", e);
  }

  /** @param {InboxEvent} e */
  inbox(e) {
    this.emit("inbox", e);
  }
}

/** The process's emitter. */
export const events = new HostEvents();
events.setMaxListeners(50);
