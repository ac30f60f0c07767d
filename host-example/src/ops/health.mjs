// Liveness and readiness of the host, from its events (src/app/events.mjs):
//   /healthz  the process is alive and answers: always {"ok": true}.
//   /readyz   the sync works: the store opens, both systems answered within the last interval (a system
//             not contacted since start is "not yet checked"), and the last run of every enabled flow
//             ended ok within N intervals. Each check is named in the answer, with why when it failed.
// Per tenant: the checks of every tenant given (default: the one tenant '').
import { FLOWS } from "../app/flows.mjs";
import { redact } from "../app/redact.mjs";
import { listen } from "./listen.mjs";

/** @typedef {import("../app/events.mjs").HostEvents} HostEvents */
/** @typedef {"customerp" | "chargebee"} System */

const SYSTEMS = /** @type {const} */ (["customerp", "chargebee"]);
const NAMES = { customerp: "Customerp", chargebee: "Chargebee" };

/**
 * @typedef {object} HealthOptions
 * @property {() => unknown} [store] opens the store (or proves it is open), e.g. `() => store.schemaVersion()`;
 *   a throw or a rejection fails the check. Without one there is no store check.
 * @property {number} intervalMs the poll interval: both systems must have answered within it (plus graceMs)
 * @property {number} [intervals] N: the last run of each flow must have ended ok within N intervals (default 3)
 * @property {number} [graceMs] added to both windows, for the time a run takes (default 60 s)
 * @property {number} [storeTimeoutMs] the store check fails when it takes longer (default 5 s)
 * @property {string[]} [flows] the enabled flows (default: all six)
 * @property {string[]} [tenants] whose systems and flows are checked (default [''])
 * @property {() => number} [now] the clock (ms), for tests
 * @property {(where: string, e: unknown) => void} [onError] a listener that threw (default: a line on stderr)
 */

/**
 * @typedef {object} Check
 * @property {string} name `store`, `reach:chargebee`, `run:contact-customer`; `…@tenant` for a named tenant
 * @property {boolean} ok
 * @property {string} [why] when not ok: what failed and when; when ok: what was seen
 * @property {string} [tenant]
 */

export class Health {
  /** @param {HealthOptions} o */
  constructor(o) {
    if (!(Number.isFinite(o.intervalMs) && o.intervalMs > 0)) throw new RangeError("health: intervalMs must be a number > 0");
    const intervals = o.intervals ?? 3;
    if (!(Number.isFinite(intervals) && intervals >= 1)) throw new RangeError("health: intervals must be a number ≥ 1");
    this.o = o;
    this.intervals = intervals;
    this.graceMs = o.graceMs ?? 60_000;
    this.storeTimeoutMs = o.storeTimeoutMs ?? 5_000;
    this.flows = o.flows ?? FLOWS.map((f) => f.id);
    this.tenants = o.tenants ?? [""];
    this.now = o.now ?? Date.now;
    this.started = this.now();
    /** tenant → system → what the last reach said, and when a system last answered @type {Map<string, Map<System, { last: import("../app/events.mjs").ReachEvent, okAt: number | null }>>} */
    this.reach = new Map();
    /** tenant → flow → the last run, and the last ok run @type {Map<string, Map<string, { last: import("../app/events.mjs").RunEvent, okAt: number | null }>>} */
    this.runs = new Map();
    /** @type {() => void} */
    this.detach = () => {};
  }

  /** Starts listening to the host's events (detach() stops). @param {HostEvents} events */
  attach(events) {
    this.detach();
    this.detach = listen(events, "health", { reach: (e) => this.onReach(e), run: (e) => this.onRun(e) }, this.o.onError);
    return this;
  }

  /** @param {import("../app/events.mjs").ReachEvent} e */
  onReach(e) {
    const tenant = e.tenant ?? "";
    const at = typeof e.at === "number" ? e.at : this.now();
    const bySystem = this.reach.get(tenant) ?? new Map();
    const before = bySystem.get(e.system);
    bySystem.set(e.system, { last: { ...e, at }, okAt: e.ok ? at : before?.okAt ?? null });
    this.reach.set(tenant, bySystem);
  }

  /** @param {import("../app/events.mjs").RunEvent} e */
  onRun(e) {
    const tenant = e.tenant ?? "";
    const at = typeof e.at === "number" ? e.at : this.now();
    const byFlow = this.runs.get(tenant) ?? new Map();
    const before = byFlow.get(e.flow);
    byFlow.set(e.flow, { last: { ...e, at }, okAt: e.outcome === "ok" ? at : before?.okAt ?? null });
    this.runs.set(tenant, byFlow);
  }

  /** `/healthz`: the process is alive. */
  live() {
    return { ok: true };
  }

  /**
   * `/readyz`: every check, and whether all passed.
   * @returns {Promise<{ ok: boolean, checks: Check[], failed: string[] }>}
   */
  async ready() {
    /** @type {Check[]} */
    const checks = [];
    if (this.o.store) checks.push(await this.checkStore());
    const now = this.now();
    const reachWindow = this.o.intervalMs + this.graceMs;
    const runWindow = this.intervals * this.o.intervalMs + this.graceMs;
    for (const tenant of this.tenants) {
      const at = tenant ? `@${tenant}` : "";
      const extra = tenant ? { tenant } : {};
      for (const system of SYSTEMS) {
        const r = this.reach.get(tenant)?.get(system);
        const name = `reach:${system}${at}`;
        if (!r) {
          checks.push({ name, ok: false, why: `not yet checked: ${NAMES[system]} has not been contacted since the start (${iso(this.started)})`, ...extra });
        } else if (r.okAt !== null && now - r.okAt <= reachWindow) {
          const since = r.last.ok ? "" : `; the last attempt at ${iso(r.last.at)} got no answer${r.last.error ? `: ${r.last.error}` : ""}`;
          checks.push({ name, ok: true, why: `answered ${ago(now - r.okAt)} ago${since}`, ...extra });
        } else {
          const last = r.okAt === null ? "never answered since the start" : `last answered ${ago(now - r.okAt)} ago (${iso(r.okAt)})`;
          const failing = r.last.ok ? "" : `; the last attempt at ${iso(r.last.at)} got no answer${r.last.error ? `: ${r.last.error}` : ""}`;
          checks.push({ name, ok: false, why: `${NAMES[system]} ${last}, more than ${ago(reachWindow)}${failing}`, ...extra });
        }
      }
      for (const flow of this.flows) {
        const r = this.runs.get(tenant)?.get(flow);
        const name = `run:${flow}${at}`;
        if (!r) {
          checks.push({ name, ok: false, why: `not yet run since the start (${iso(this.started)})`, ...extra });
        } else if (r.last.outcome !== "ok") {
          checks.push({ name, ok: false, why: `the last run (${r.last.run}) ended ${outcomeText(r.last.outcome)} at ${iso(r.last.at)}`, ...extra });
        } else if (r.okAt !== null && now - r.okAt > runWindow) {
          checks.push({ name, ok: false, why: `the last run ended ok ${ago(now - r.okAt)} ago (${iso(r.okAt)}), more than ${this.intervals} intervals (${ago(runWindow)})`, ...extra });
        } else {
          checks.push({ name, ok: true, why: `run ${r.last.run} ended ok ${ago(now - r.last.at)} ago`, ...extra });
        }
      }
    }
    for (const c of checks) if (c.why) c.why = redact(c.why);
    const failed = checks.filter((c) => !c.ok).map((c) => c.name);
    return { ok: failed.length === 0, checks, failed };
  }

  /** @returns {Promise<Check>} */
  async checkStore() {
    const open = /** @type {() => unknown} */ (this.o.store);
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ago(this.storeTimeoutMs)}`)), this.storeTimeoutMs);
    });
    try {
      const v = await Promise.race([Promise.resolve().then(open), timeout]);
      return { name: "store", ok: true, why: typeof v === "number" ? `schema version ${v}` : "opens" };
    } catch (e) {
      return { name: "store", ok: false, why: `the store does not open: ${e instanceof Error ? e.message : String(e)}` };
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * A Health listening to `events`.
 * @param {HostEvents} events @param {HealthOptions} o
 */
export function attachHealth(events, o) {
  return new Health(o).attach(events);
}

/** @param {string} outcome */
const outcomeText = (outcome) =>
  outcome === "failed" ? "failed (see the inbox's error items)"
  : outcome === "guard" ? "stopped by the guard (confirm its inbox item to let the next run through)"
  : outcome === "fenced" ? "fenced (another worker took the flow's lease)"
  : outcome;

/** @param {number} ms */
const iso = (ms) => new Date(ms).toISOString();

/** A duration for people: 50 ms, 45 s, 12 min, 3 h. @param {number} ms */
export function ago(ms) {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 360) / 10} h`;
}
