// Alerts: a JSON POST to ALERT_WEBHOOK_URL (a Slack incoming webhook, or anything that takes Slack's
// `text`), with the structured cause beside the text, when
//   - a flow's run failed                                     (cause run_failed:<tenant>:<flow>)
//   - the guard stopped a flow                                (cause guard:<tenant>:<flow>)
//   - a system has not answered for more than unreachableAfter (cause unreachable:<tenant>:<system>),
//     and once more when it answers again                     (cause reachable:<tenant>:<system>)
//   - open inbox items of a kind reach a threshold            (cause inbox:<tenant>:<kind>)
// At most one alert per cause per interval (later ones are counted, and the next alert says how many
// were held back). A POST that fails is retried a bounded number of times with back-off, then dropped
// with a line in the log; nothing here ever throws into the host. The URL is a credential (a Slack
// webhook URL lets anyone post): it is registered with the redactor and never printed.
import { hostname } from "node:os";
import { UsageError } from "../app/errors.mjs";
import { addSecret, redact, redactValue } from "../app/redact.mjs";
import { createLogger } from "./log.mjs";
import { ago } from "./health.mjs";
import { listen } from "./listen.mjs";

/** @typedef {import("../app/events.mjs").HostEvents} HostEvents */

export const ALERT_DEFAULTS = Object.freeze({
  intervalMs: 60 * 60_000,
  unreachableMs: 15 * 60_000,
  inbox: Object.freeze({ error: 1, guard: 1 }),
  runFailed: true,
  guard: true,
  retries: 3,
  timeoutMs: 10_000,
  backoffMs: 1_000,
  maxQueue: 100,
  checkEveryMs: 60_000,
});
/** The longest a POST may wait, in all its attempts: what close() needs at most to deliver one alert. */
export const deliveryBoundMs = (/** @type {{ retries?: number, timeoutMs?: number, backoffMs?: number }} */ o = {}) => {
  const retries = o.retries ?? ALERT_DEFAULTS.retries;
  const timeout = o.timeoutMs ?? ALERT_DEFAULTS.timeoutMs;
  const backoff = o.backoffMs ?? ALERT_DEFAULTS.backoffMs;
  let total = (retries + 1) * timeout;
  for (let i = 0; i < retries; i++) total += Math.min(backoff * 4 ** i, MAX_BACKOFF_MS);
  return total;
};
const MAX_BACKOFF_MS = 30_000;
const NAMES = { customerp: "Customerp", chargebee: "Chargebee" };
const BIN = "customerp-chargebee-sync";

/**
 * @typedef {object} AlertOptions
 * @property {string} url ALERT_WEBHOOK_URL (a credential)
 * @property {number} [intervalMs] at most one alert per cause in this time (default 1 h)
 * @property {number} [unreachableMs] a system not answering for longer is an alert; 0 turns it off (default 15 min)
 * @property {Record<string, number>} [inbox] open items of a kind at or above the number are an alert (default {error: 1, guard: 1}; {} turns it off)
 * @property {boolean} [runFailed] alert on a failed run (default true)
 * @property {boolean} [guard] alert when the guard stops a flow (default true)
 * @property {number} [retries] after a failed POST (default 3; back-off 1 s, 4 s, 16 s, at most 30 s; a 429's Retry-After up to 30 s)
 * @property {number} [timeoutMs] of one POST (default 10 s)
 * @property {number} [backoffMs] the first back-off (default 1 s)
 * @property {number} [maxQueue] alerts waiting to be sent; past it the oldest is dropped (default 100)
 * @property {number} [checkEveryMs] how often an unanswered system is looked at between events; 0: only on events (default 60 s)
 * @property {string} [host] the name alerts give the machine (default os.hostname())
 * @property {typeof fetch} [fetch]
 * @property {() => number} [now] the clock (ms)
 * @property {Pick<import("./log.mjs").Logger, "warn" | "info" | "debug">} [log] where delivery problems are told (default: text on stderr)
 */

/**
 * @typedef {object} Alert
 * @property {string} text Slack's field: one line a person reads
 * @property {{ cause: string, key: string, tenant: string, flow?: string, system?: string, kind?: string, run?: number,
 *   count?: number, threshold?: number, since?: string, error?: string, counts?: Record<string, number>, at: string, host: string,
 *   heldBack: number }} alert
 */

/**
 * Listens to the host's events and posts alerts.
 * @param {HostEvents} events
 * @param {AlertOptions} o
 */
export function attachAlerts(events, o) {
  return new Alerts(o).attach(events);
}

export class Alerts {
  /** @param {AlertOptions} o */
  constructor(o) {
    let u;
    try {
      u = new URL(o.url);
    } catch {
      throw new UsageError("ALERT_WEBHOOK_URL is not a URL (its value is not shown: it is a credential)");
    }
    if (u.protocol !== "https:" && u.protocol !== "http:") throw new UsageError("ALERT_WEBHOOK_URL must be an https:// (or http://) URL (its value is not shown)");
    addSecret(o.url);
    const path = `${u.pathname}${u.search}`;
    if (path.length >= 12) addSecret(path);
    addSecret(decodeURIComponent(u.password));
    this.url = o.url;
    this.o = { ...ALERT_DEFAULTS, ...defined(o) };
    this.inbox = o.inbox ?? { ...ALERT_DEFAULTS.inbox };
    this.fetch = o.fetch ?? globalThis.fetch;
    this.now = o.now ?? Date.now;
    this.host = o.host ?? hostname();
    this.log = o.log ?? createLogger();
    /** cause key → when its last alert was queued, and how many were held back since @type {Map<string, { at: number, heldBack: number }>} */
    this.last = new Map();
    /** tenant:system → since when it has not answered @type {Map<string, { tenant: string, system: "customerp" | "chargebee", since: number, error?: string, alerted: boolean }>} */
    this.down = new Map();
    /** @type {Alert[]} */
    this.queue = [];
    this.stats = { queued: 0, sent: 0, failed: 0, heldBack: 0, dropped: 0, attempts: 0 };
    /** @type {Promise<void> | null} */
    this.pumping = null;
    /** @type {ReturnType<typeof setInterval> | null} */
    this.timer = null;
    /** @type {() => void} */
    this.detach = () => {};
  }

  /** @param {HostEvents} events */
  attach(events) {
    this.detach();
    const off = listen(events, "alerts", {
      run: (e) => this.onRun(e),
      reach: (e) => this.onReach(e),
      inbox: (e) => this.onInbox(e),
    });
    if (this.o.unreachableMs > 0 && this.o.checkEveryMs > 0) {
      this.timer = setInterval(() => this.safely(() => this.check()), this.o.checkEveryMs);
      this.timer.unref();
    }
    this.detach = () => {
      off();
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
    };
    return this;
  }

  /** @param {() => void} fn */
  safely(fn) {
    try {
      fn();
    } catch (e) {
      this.log.warn({ err: e }, "alerts: ignored a failure");
    }
  }

  /** @param {import("../app/events.mjs").RunEvent} e */
  onRun(e) {
    const tenant = e.tenant ?? "";
    const counts = numbers(e.counts);
    if (e.outcome === "failed" && this.o.runFailed) {
      const errors = counts.errors;
      this.fire({ cause: "run_failed", tenant, flow: e.flow, run: e.run, counts },
        `${e.flow} failed in run ${e.run}${errors ? ` (${errors} record${errors === 1 ? "" : "s"} failed)` : ""}: the failed records are error items in the inbox (${BIN} inbox --kind error).`);
    } else if (e.outcome === "guard" && this.o.guard) {
      this.fire({ cause: "guard", tenant, flow: e.flow, run: e.run, counts },
        `the guard stopped ${e.flow} in run ${e.run}: it planned more destructive actions than the guard allows, and wrote nothing. Check the guard item (${BIN} inbox --kind guard), then confirm it to let the next run through.`);
    }
  }

  /** @param {import("../app/events.mjs").ReachEvent} e */
  onReach(e) {
    if (!(this.o.unreachableMs > 0)) return;
    const tenant = e.tenant ?? "";
    const key = `${tenant}:${e.system}`;
    const at = typeof e.at === "number" ? e.at : this.now();
    const d = this.down.get(key);
    if (e.ok) {
      if (d) {
        this.down.delete(key);
        if (d.alerted) this.fire({ cause: "reachable", tenant, system: e.system, since: new Date(d.since).toISOString() },
          `${NAMES[e.system]} answers again (it had not answered for ${ago(at - d.since)}).`);
      }
      return;
    }
    if (d) d.error = e.error ?? d.error;
    else this.down.set(key, { tenant, system: e.system, since: at, error: e.error, alerted: false });
    this.check();
  }

  /** Alerts for every system that has not answered for longer than unreachableAfter (also run by a timer). */
  check() {
    const now = this.now();
    for (const d of this.down.values()) {
      if (now - d.since < this.o.unreachableMs) continue;
      d.alerted = true;
      this.fire({ cause: "unreachable", tenant: d.tenant, system: d.system, since: new Date(d.since).toISOString(), ...(d.error ? { error: d.error } : {}) },
        `${NAMES[d.system]} has not answered for ${ago(now - d.since)} (since ${new Date(d.since).toISOString()})${d.error ? `: ${d.error}` : ""}. Nothing is synced with it until it answers.`);
    }
  }

  /** @param {import("../app/events.mjs").InboxEvent} e */
  onInbox(e) {
    const tenant = e.tenant ?? "";
    for (const [kind, threshold] of Object.entries(this.inbox)) {
      const n = Number(e.counts?.[kind] ?? 0);
      if (!(Number.isFinite(n) && n >= threshold)) continue;
      this.fire({ cause: "inbox", tenant, kind, count: n, threshold },
        `${n} open ${kind} item${n === 1 ? "" : "s"} in the inbox (the alert is set at ${threshold}): ${BIN} inbox --kind ${kind}.`);
    }
  }

  /**
   * Queues an alert unless its cause had one within the interval.
   * @param {{ cause: string, tenant: string, flow?: string, system?: string, kind?: string, run?: number, count?: number,
   *   threshold?: number, since?: string, error?: string, counts?: Record<string, number> }} what
   * @param {string} says
   */
  fire(what, says) {
    const key = [what.cause, what.tenant, what.flow ?? what.system ?? what.kind ?? ""].join(":");
    const now = this.now();
    const prev = this.last.get(key);
    if (prev && now - prev.at < this.o.intervalMs) {
      prev.heldBack++;
      this.stats.heldBack++;
      return;
    }
    this.last.set(key, { at: now, heldBack: 0 });
    const heldBack = prev?.heldBack ?? 0;
    const where = `customerp-chargebee on ${this.host}${what.tenant ? ` (tenant ${what.tenant})` : ""}`;
    const more = heldBack ? ` (${heldBack} more of this since the last alert, held back)` : "";
    /** @type {Alert} */
    const alert = { text: `${where}: ${says}${more}`, alert: { ...what, key, at: new Date(now).toISOString(), host: this.host, heldBack } };
    if (this.queue.length >= this.o.maxQueue) {
      const dropped = this.queue.shift();
      this.stats.dropped++;
      this.log.warn({ alert: dropped?.alert.key }, `alerts: more than ${this.o.maxQueue} waiting to be sent; dropped the oldest (${dropped?.alert.key})`);
    }
    this.queue.push(/** @type {Alert} */ (redactValue(alert)));
    this.stats.queued++;
    this.pumping ??= this.pump().finally(() => {
      this.pumping = null;
    });
  }

  async pump() {
    for (let a = this.queue.shift(); a; a = this.queue.shift()) {
      try {
        if (await this.deliver(a)) this.stats.sent++;
        else this.stats.failed++;
      } catch (e) {
        this.stats.failed++;
        this.log.warn({ err: e }, "alerts: a delivery failed");
      }
    }
  }

  /** One alert, with its retries. @param {Alert} a @returns {Promise<boolean>} */
  async deliver(a) {
    const body = JSON.stringify(a);
    const attempts = this.o.retries + 1;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      this.stats.attempts++;
      let why;
      let wait = Math.min(this.o.backoffMs * 4 ** (attempt - 1), MAX_BACKOFF_MS);
      try {
        const res = await this.fetch(this.url, {
          method: "POST", headers: { "content-type": "application/json" }, body, redirect: "error", signal: AbortSignal.timeout(this.o.timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.log.debug({ alert: a.alert.key, attempt }, `alerts: sent ${a.alert.key}`);
          return true;
        }
        why = `HTTP ${res.status}`;
        if (res.status === 429) {
          const s = Number(res.headers.get("retry-after"));
          if (Number.isFinite(s) && s > 0) wait = Math.min(s * 1000, MAX_BACKOFF_MS);
        } else if (res.status < 500 && res.status !== 408) {
          this.log.warn({ alert: a.alert.key, status: res.status }, `alerts: the webhook refused ${a.alert.key} (${why}); not retried: check ALERT_WEBHOOK_URL`);
          return false;
        }
      } catch (e) {
        const err = /** @type {any} */ (e);
        why = redact(`${err?.name === "TimeoutError" ? `no answer within ${ago(this.o.timeoutMs)}` : err?.message ?? String(e)}${err?.cause?.message ? ` (${err.cause.message})` : ""}`);
      }
      if (attempt === attempts) {
        this.log.warn({ alert: a.alert.key, attempts }, `alerts: ${a.alert.key} not delivered after ${attempts} attempts (${why}); dropped`);
        return false;
      }
      this.log.warn({ alert: a.alert.key, attempt }, `alerts: ${a.alert.key} not delivered (${why}); retrying in ${ago(wait)}`);
      await new Promise((r) => setTimeout(r, wait).unref());
    }
    return false;
  }

  /**
   * Waits until every queued alert is sent or dropped, at most `ms`; true when nothing is left.
   * @param {number} [ms]
   */
  async flush(ms = deliveryBoundMs(this.o)) {
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let t;
    // not unref'd: a process shutting down waits for its alerts, up to `ms`
    const timeout = new Promise((r) => {
      t = setTimeout(r, ms);
    });
    while (this.pumping) {
      const done = await Promise.race([this.pumping.then(() => true), timeout.then(() => false)]);
      if (!done) break;
    }
    clearTimeout(t);
    return this.pumping === null && this.queue.length === 0;
  }

  /** Stops listening and sends what is queued, within `ms`. @param {number} [ms] */
  async close(ms) {
    this.detach();
    return this.flush(ms);
  }
}

/** `o` without its undefined keys, so that they leave the defaults alone. @template {object} T @param {T} o @returns {Partial<T>} */
function defined(o) {
  return /** @type {Partial<T>} */ (Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)));
}

/** The numeric entries of a run's counts. @param {Record<string, unknown> | undefined} c @returns {Record<string, number>} */
function numbers(c) {
  /** @type {Record<string, number>} */
  const out = {};
  for (const [k, v] of Object.entries(c ?? {})) if (typeof v === "number" && Number.isFinite(v)) out[k] = v;
  return out;
}
