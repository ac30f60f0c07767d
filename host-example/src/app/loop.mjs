// The host's loop: per flow, in dependency order, read what changed on both sides, match unlinked
// records, plan the pairs in pages with planBatch, let the guard look at the destructive actions
// planned, execute the plans (pairs in flight at once, each pair's requests in order, every write
// through the write path of pair.mjs), and store link and base together. What needs a person goes to
// the inbox; a dry run does all of it but the writes, on a copy of the store.
//
// A run streams: what it reads goes to its spool on disk (spool.mjs), a resource two flows share is
// read once, and matching keeps only keys (the plugin's Matcher). Memory is bounded by the page
// (SYNC_PAGE_SIZE pairs planned at once) and the pairs in flight (SYNC_CONCURRENCY), not by the
// number of records. A record read again at the version its link remembers has not changed since the
// last sync (the host's own writes come back that way): it is not planned.
import { Matcher, plan as planOne, planBatch } from "customerp-chargebee";
import { FLOWS, flowAvailable } from "./flows.mjs";
import { chargebeeResources } from "./clients/chargebee-resources.mjs";
import { settle, waitForOrder } from "./pair.mjs";
import { progressLine } from "./report.mjs";
import { Inbox, SELF_CLOSING, causeOf, idsIn } from "./inbox.mjs";
import { destructiveActions, shortHash } from "./plans.mjs";
import { optionsFor, GUARD_DEFAULTS } from "./config.mjs";
import { UnreachableError } from "./errors.mjs";
import { FencedError } from "./store/store.mjs";
import { applyOverrides, droppedByReadOnly } from "./decisions.mjs";
import { events } from "./events.mjs";
import { Spool } from "./spool.mjs";
import { DEFAULT_RETENTION_DAYS, Journal } from "./journal.mjs";
import { chargebeeVersion, customerpVersion } from "./versions.mjs";

/** @typedef {Record<string, any>} Json */
/** @typedef {import("customerp-chargebee").Plan} Plan */
/** @typedef {import("customerp-chargebee").Options} Options */
/** @typedef {import("./flows.mjs").FlowSpec} FlowSpec */
/** @typedef {import("./store/store.mjs").Link} Link */
/** @typedef {import("./store/store.mjs").LinkRow} LinkRow */
/** @typedef {{ customerp: Json | null, chargebee: Json | null, base: Json | null, links: Json }} Input */
/** @typedef {{ stored: Link, input: Input, options: Options, keep?: string, overrides: { item: number, property: string, side: string, value: unknown }[] }} Work */
/** @typedef {{ work: Work, result: { ok: true, plan: Plan } | { ok: false, error: any }, drift: import("customerp-chargebee").Conflict[], dropped: { side: string, properties: string[] } | null }} Planned */

export const PAGE_SIZE = 200; // pairs planned at once (one planBatch)
export const CONCURRENCY = 16; // pairs in flight at once
const SCAN = 500; // records looked up in the store at once

export function newStats() {
  return {
    read: { customerp: 0, chargebee: 0 }, unchanged: 0, matched: 0, ambiguous: 0,
    created: { customerp: 0, chargebee: 0 }, updated: { customerp: 0, chargebee: 0 }, deleted: { customerp: 0, chargebee: 0 },
    conflicts: 0, warnings: 0, waiting: 0, manual: 0, held: 0, replanned: 0, rechecked: 0, errors: 0, drift: 0, planned: 0, written: 0,
    /** @type {null | { counts: Record<string, number>, linked: number, item: number }} the guard stopped this flow */
    guard: null,
  };
}
/** @typedef {ReturnType<typeof newStats>} FlowStats */

/**
 * A write a run plans, as a dry run lists it and `explain` shows it.
 * @typedef {object} PlannedWrite
 * @property {string} flow
 * @property {"customerp" | "chargebee"} side
 * @property {string} action create, update, delete, manual, or follow-up
 * @property {string | null} customerpId
 * @property {string | null} chargebeeId
 * @property {string | null} method
 * @property {string | null} path
 * @property {Json | null} params
 * @property {{ property: string, from: unknown, to: unknown }[]} changes
 * @property {import("customerp-chargebee").Conflict[]} conflicts
 * @property {import("customerp-chargebee").PlanWarning[]} warnings
 * @property {string | null} reason
 * @property {boolean} followUp a write a create leaves to a second plan, made from the create's answer
 */

/**
 * Progress of a flow, for progress lines.
 * @typedef {{ flow: string, phase: "read" | "plan" | "write", read: number, planned: number, written: number, total: number | null }} Progress
 */

/**
 * @typedef {object} SyncOptions
 * @property {import("./clients/customerp.mjs").CustomerpClient} customerp
 * @property {import("./clients/chargebee.mjs").ChargebeeClient} chargebee
 * @property {import("./store/store.mjs").Store} store
 * @property {Options} [options] passed to match / plan / planBatch, for every flow
 * @property {Record<string, Options>} [flowOptions] per flow, over `options`
 * @property {(line: string) => void} [out] one line per flow as it ends
 * @property {(p: Progress) => void} [onProgress] called often; the caller decides how often to show it
 * @property {boolean} [full] ignore the cursors: read everything, plan every pair, and report drift
 * @property {boolean} [repair] with full: plan drifted pairs as at a first sync for the differing properties
 * @property {boolean} [dryRun] plan, send no write (the store should be a snapshot: see Store.snapshot)
 * @property {string[]} [only] run only these flows
 * @property {{ max: number, percent: number }} [guard]
 * @property {import("./flows.mjs").FlowSpec[]} [flows] the flows in dependency order (default FLOWS)
 * @property {import("./events.mjs").HostEvents} [events] where writes and runs are reported (default: the process's)
 * @property {number} [maxWaits] waits for an answer a pair's writes may take in one run (default: the Chargebee client's maxAttempts, 8)
 * @property {(ms: number) => Promise<void>} [sleep]
 * @property {number} [pageSize] pairs planned at once (default PAGE_SIZE)
 * @property {number} [concurrency] pairs in flight at once (default CONCURRENCY; 1: one after the other)
 * @property {number} [plannedLimit] planned writes a dry run keeps in its summary (default 10,000; the rest go to `onPlanned`)
 * @property {(w: import("./loop.mjs").PlannedWrite) => void} [onPlanned] every planned write of a dry run, as it is planned
 * @property {string} [worker] who runs (a worker's name), for the run table
 * @property {() => boolean} [shouldStop] asked between pairs: true stops the run cleanly (the pairs in flight finish,
 *   no new one starts, the flow's cursors stay where they were so the next run does the rest)
 * @property {number} [journalDays] the journal keeps a write this many days: older rows are pruned at the end of each
 *   real run (default DEFAULT_RETENTION_DAYS)
 * @property {{ afterChargebeeRequest?: (e: { flow: string, plan: Plan, index: number }) => void | Promise<void>,
 *   afterChargebeeWrite?: (e: { flow: string, plan: Plan }) => void | Promise<void>,
 *   beforeExecute?: (e: { flow: string, plan: Plan, round: number }) => void | Promise<void> }} [hooks] test seams: a hook
 *   that throws an error with `fatal: true` stops the run there, as a crash would
 */

/** What one run carries from flow to flow. */
export class RunContext {
  /** @param {number} run @param {{ limit?: number, onPlanned?: (w: PlannedWrite) => void }} [o] */
  constructor(run, o = {}) {
    this.run = run;
    /** The run an undo takes back (its writes are journaled as undos of that run). @type {number | null} */
    this.undoOf = null;
    /** The first `limit` writes a dry run plans (all of them go to onPlanned). @type {PlannedWrite[]} */
    this.planned = [];
    this.plannedTotal = 0;
    this.plannedLimit = o.limit ?? 10_000;
    this.onPlanned = o.onPlanned;
    /** @type {Set<string>} inbox causes seen in this run */
    this.seen = new Set();
    /** @type {Set<string>} flows whose end this run has reported */
    this.reported = new Set();
  }

  /** @param {PlannedWrite[]} ws */
  plan(ws) {
    for (const w of ws) {
      this.plannedTotal++;
      if (this.planned.length < this.plannedLimit) this.planned.push(w);
      this.onPlanned?.(w);
    }
  }
}

/**
 * A flow's records of one run, as the scan sorts them: held records (why), and the unlinked records
 * that wait for matching (in the spool's sets).
 * @typedef {{ stats: FlowStats, held: { customerp: Map<string, string>, chargebee: Map<string, string> }, waits: Map<string, string>,
 *   cursors: { system: string, type: string, value: string | null }[], pending: { side: string, id: string, reason: string, attempts: number }[],
 *   sets: { customerp: string, chargebee: string }, unlinked: { customerp: string, chargebee: string } }} Batch
 */

export class Sync {
  /** @param {SyncOptions} o */
  constructor(o) {
    this.cp = o.customerp;
    this.cb = o.chargebee;
    this.store = o.store;
    this.options = o.options ?? {};
    this.flowOptions = o.flowOptions ?? {};
    this.out = o.out ?? (() => {});
    this.onProgress = o.onProgress ?? (() => {});
    this.full = o.full ?? false;
    this.repair = o.repair ?? false;
    this.dryRun = o.dryRun ?? false;
    this.only = o.only;
    this.guard = o.guard ?? GUARD_DEFAULTS;
    this.flows = o.flows ?? FLOWS;
    this.hooks = o.hooks ?? {};
    this.events = o.events ?? events;
    this.pageSize = Math.max(1, o.pageSize ?? PAGE_SIZE);
    this.concurrency = Math.max(1, o.concurrency ?? CONCURRENCY);
    this.plannedLimit = o.plannedLimit;
    this.onPlanned = o.onPlanned;
    this.worker = o.worker;
    this.shouldStop = o.shouldStop ?? (() => false);
    /** Waits for an answer a pair's writes may take in one run (429, 5xx, a lost answer), each followed by a new check. */
    this.maxWaits = o.maxWaits ?? this.cb.retry?.maxAttempts ?? 8;
    this.sleep = o.sleep ?? ((/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms)));
    /** How long each write left after the last answer about its pair, ms: the measured side of CHECK_BOUND_MS. @type {number[]} */
    this.writeGaps = [];
    /** Over the process's life (a watch loop's every run): writes measured, and the longest gap, ms. */
    this.writeGapsSeen = { writes: 0, longestMs: 0 };
    this.readers = chargebeeResources(this.cb, this.store);
    /** Chargebee records whose link a plan ended in this process (a delete released them): what was read of
     * them before is stale, so they are not planned as new records in the same run. @type {Set<string>} */
    this.released = new Set();
    /** The orders of an invoice, read once a run (an invoice's generated twin is looked for by every order flow). @type {Map<string, Promise<Json[]>>} */
    this.invoiceOrders = new Map();
    this.inbox = new Inbox(this.store);
    this.journal = new Journal(this.store);
    this.journalDays = o.journalDays ?? DEFAULT_RETENTION_DAYS;
    /** @type {Map<string, Options>} */
    this.optionCache = new Map();
    /** The run's spool, while a run is under way. @type {Spool | null} */
    this.spool = null;
    /** The reads of this run (resource and cursors → the cursors after them): each is made once a run. @type {Map<string, Record<string, string | null>>} */
    this.readCursors = new Map();
  }

  /**
   * The plan options of a flow, one object per flow (pages of pairs with the flow's options are planned
   * together), with `changes`: each plan lists what it writes, for the journal.
   * @param {string} flow @returns {Options}
   */
  optionsOf(flow) {
    let o = this.optionCache.get(flow);
    if (!o) {
      o = /** @type {Options} */ ({ ...optionsFor({ options: this.options, flowOptions: this.flowOptions }, flow), changes: true });
      this.optionCache.set(flow, o);
    }
    return o;
  }

  /** @returns {Promise<RunContext>} */
  async begin() {
    this.readCursors = new Map();
    this.released.clear();
    this.invoiceOrders.clear();
    this.writeGaps.length = 0;
    return new RunContext(await this.store.beginRun({ dryRun: this.dryRun, worker: this.worker }), { limit: this.plannedLimit, onPlanned: this.onPlanned });
  }

  /** One full pass over every flow. Returns the run's summary. */
  async run() {
    const ctx = await this.begin();
    const before = this.requestCounts();
    /** @type {Record<string, FlowStats | { skipped: string }>} */
    const flows = {};
    const active = [];
    for (const f of this.flows) {
      if (this.only && !this.only.includes(f.id)) continue;
      if (flowAvailable(f.id)) active.push(f);
      else {
        flows[f.id] = { skipped: "not in this build of customerp-chargebee (plan throws unknown_flow)" };
        this.out(`  ${f.id.padEnd(25)} skipped: this build of customerp-chargebee does not plan it yet`);
      }
    }
    const spool = (this.spool = new Spool());
    try {
      await this.runFlows(active, ctx, flows, spool);
    } catch (e) {
      // A run that stops on an error (a system that cannot be reached, a lost lease): every flow it did not
      // finish has failed, for the metrics, /readyz and the alerts.
      if (!this.dryRun) {
        const outcome = e instanceof FencedError ? "fenced" : "failed";
        for (const f of active) if (!(f.id in flows) && !ctx.reported.has(f.id)) this.events.run({ flow: f.id, outcome, run: ctx.run, tenant: this.store.tenant, at: Date.now(), counts: { error: e instanceof Error ? e.message : String(e) } });
        await this.store.finishRun(ctx.run, { run: ctx.run, flows, error: e instanceof Error ? e.message : String(e) }, outcome).catch(() => {});
      }
      throw e;
    } finally {
      spool.close();
      this.spool = null;
    }
    return await this.finish(ctx, flows, before);
  }

  /**
   * The flows of a run, in phases: every flow's changes are read before any flow writes, each resource
   * and cursor once (a flow never reads what an earlier flow of this run wrote); every flow matches
   * before any flow plans; then each flow plans and writes, parents first.
   * @param {FlowSpec[]} active @param {RunContext} ctx @param {Record<string, FlowStats | { skipped: string }>} flows @param {Spool} spool
   */
  async runFlows(active, ctx, flows, spool) {
    {
      // Every flow's changes are read before any flow writes, each resource and cursor once: a flow never
      // reads what an earlier flow of this run wrote.
      const batches = new Map();
      for (const f of active) if (!this.shouldStop()) batches.set(f.id, await this.readChanges(f, ctx, spool));
      // …and every flow matches before any flow plans: a record another flow of its resource matches (an
      // employee's Chargebee customer) is that flow's, never copied by this one.
      for (const f of active) if (!this.shouldStop()) await this.sortPairs(f, /** @type {Batch} */ (batches.get(f.id)), ctx, {});
      for (const f of active) {
        if (this.shouldStop()) {
          flows[f.id] = { skipped: "stopped before this flow (the next run syncs it)" };
          continue;
        }
        const started = Date.now();
        const stats = await this.syncFlow(f, /** @type {Batch} */ (batches.get(f.id)), ctx, { saveCursors: true });
        flows[f.id] = stats;
        this.out(progressLine(f.id, stats, Date.now() - started));
      }
    }
  }

  /**
   * Syncs the given records of one flow now: reads them (and their partners), plans their pairs and
   * writes them, without touching the flow's cursors. For `retry`, and for a host that learns of
   * changed records another way (webhooks). `create` lets held records (ambiguous, unlinked by hand)
   * be copied across.
   * @param {string} flowId @param {{ customerp?: string[], chargebee?: string[] }} ids @param {{ create?: boolean }} [o]
   */
  async syncRecords(flowId, ids, o = {}) {
    const f = this.flows.find((x) => x.id === flowId);
    if (!f) throw new Error(`unknown flow ${flowId}`);
    const ctx = await this.begin();
    const before = this.requestCounts();
    if (o.create && !this.dryRun) {
      for (const side of /** @type {const} */ (["customerp", "chargebee"])) {
        for (const id of ids[side] ?? []) {
          await this.store.releaseHold(f.id, side, id);
          await this.store.bringTogether(f.id, side, id);
        }
      }
    }
    const spool = (this.spool = new Spool());
    try {
      const batch = await this.readGiven(f, ids, spool);
      await this.sortPairs(f, batch, ctx, { given: ids });
      const stats = await this.syncFlow(f, batch, ctx, { saveCursors: false, given: ids });
      return await this.finish(ctx, { [f.id]: stats }, before);
    } finally {
      spool.close();
      this.spool = null;
    }
  }

  /**
   * Syncs the records events named, several flows in one run, parents first (the flows' order), with the
   * same plans and store as a polling run; the cursors are left to the polls.
   * @param {Record<string, { customerp?: string[], chargebee?: string[] }>} touched flow → ids per side
   */
  async syncTouched(touched) {
    const ctx = await this.begin();
    const before = this.requestCounts();
    /** @type {Record<string, FlowStats | { skipped: string }>} */
    const flows = {};
    const spool = (this.spool = new Spool());
    try {
      for (const f of this.flows) {
        const ids = touched[f.id];
        if (!ids || (this.only && !this.only.includes(f.id)) || !flowAvailable(f.id)) continue;
        const batch = await this.readGiven(f, ids, spool);
        await this.sortPairs(f, batch, ctx, { given: ids });
        flows[f.id] = await this.syncFlow(f, batch, ctx, { saveCursors: false, given: ids });
      }
      return await this.finish(ctx, flows, before);
    } finally {
      spool.close();
      this.spool = null;
    }
  }

  /** @param {RunContext} ctx @param {Record<string, FlowStats | { skipped: string }>} flows @param {ReturnType<Sync["requestCounts"]>} before */
  async finish(ctx, flows, before) {
    const after = this.requestCounts();
    const summary = {
      run: ctx.run,
      dryRun: this.dryRun,
      flows,
      requests: {
        customerp: diff(after.customerp, before.customerp),
        chargebee: diff(after.chargebee, before.chargebee),
      },
      planned: ctx.planned,
      plannedTotal: ctx.plannedTotal,
      // The journal's rows past the retention go at the end of each real run; an undo names the run it took back.
      journal: this.dryRun ? null : { pruned: await this.journal.prune(this.journalDays), days: this.journalDays },
      ...(ctx.undoOf ? { undoOf: ctx.undoOf } : {}),
    };
    const outcome = Object.values(flows).some((f) => "guard" in f && f.guard) ? "guard" : Object.values(flows).some((f) => "errors" in f && f.errors > 0) ? "errors" : "ok";
    await this.store.finishRun(ctx.run, { ...summary, planned: undefined }, outcome);
    if (!this.dryRun) this.events.inbox({ tenant: this.store.tenant, counts: await this.inbox.counts() });
    return summary;
  }

  requestCounts() {
    return { customerp: { ...this.cp.counters }, chargebee: { ...this.cb.counters } };
  }

  /**
   * A cause for a person: into the run log and the inbox.
   * @param {RunContext} ctx @param {import("./inbox.mjs").Sighting} s
   */
  see(ctx, s) {
    ctx.seen.add(causeOf(s));
    return this.inbox.see(s);
  }

  // ---- reading -----------------------------------------------------------------------------

  /**
   * Reads what changed for a flow since its cursors (everything with `full`) into the spool, a page at
   * a time, each resource and cursor once a run; then the records that wait for a retry.
   * @param {FlowSpec} f @param {RunContext} ctx @param {Spool} spool @returns {Promise<Batch>}
   */
  async readChanges(f, ctx, spool) {
    const stats = newStats();
    const reader = this.readers[f.chargebee];
    const cpCursor = this.full ? null : await this.store.cursor(f.id, "customerp", f.customerp);
    /** @type {Record<string, string | null>} */
    const cbCursors = {};
    for (const t of reader.cursorTypes) cbCursors[t] = this.full ? null : await this.store.cursor(f.id, "chargebee", t);
    const cpSet = `read customerp ${f.customerp} ${cpCursor}`;
    const cbSet = `read chargebee ${f.chargebee} ${JSON.stringify(cbCursors)}`;
    if (!this.readCursors.has(cpSet)) {
      let cursor = cpCursor;
      let n = 0;
      for await (const page of this.cp.changePages(f.customerp, cpCursor)) {
        spool.put("customerp", f.customerp, cpSet, page.records);
        cursor = page.cursor;
        n += page.records.length;
        this.onProgress({ flow: f.id, phase: "read", read: n, planned: 0, written: 0, total: null });
      }
      this.readCursors.set(cpSet, { customerp: cursor });
    }
    if (!this.readCursors.has(cbSet)) {
      let cursors = cbCursors;
      let n = 0;
      for await (const page of reader.changedPages(cbCursors)) {
        spool.put("chargebee", f.chargebee, cbSet, page.records);
        cursors = page.cursors;
        n += page.records.length;
        this.onProgress({ flow: f.id, phase: "read", read: n, planned: 0, written: 0, total: null });
      }
      this.readCursors.set(cbSet, cursors);
    }
    const cpAfter = /** @type {Record<string, string | null>} */ (this.readCursors.get(cpSet));
    const cbAfter = /** @type {Record<string, string | null>} */ (this.readCursors.get(cbSet));
    const cursors = [
      { system: "customerp", type: f.customerp, value: cpAfter.customerp },
      ...reader.cursorTypes.map((t) => ({ system: "chargebee", type: t, value: cbAfter[t] })),
    ];
    // The flow's own sets: what its reads found, and what waits for a retry.
    const sets = { customerp: `flow ${f.id} customerp`, chargebee: `flow ${f.id} chargebee` };
    spool.copySet(cpSet, sets.customerp);
    spool.copySet(cbSet, sets.chargebee);
    const pending = await this.store.pending(f.id);
    await this.readInto(f, spool, sets, {
      customerp: pending.filter((p) => p.side === "customerp").map((p) => p.id),
      chargebee: pending.filter((p) => p.side === "chargebee").map((p) => p.id),
    });
    stats.read = { customerp: spool.setCount(sets.customerp), chargebee: spool.setCount(sets.chargebee) };
    return { stats, held: { customerp: new Map(), chargebee: new Map() }, waits: new Map(), cursors, pending, sets, unlinked: unlinkedSets(f) };
  }

  /**
   * The given records of a flow, read by id into the spool (retry, webhooks).
   * @param {FlowSpec} f @param {{ customerp?: string[], chargebee?: string[] }} ids @param {Spool} spool @returns {Promise<Batch>}
   */
  async readGiven(f, ids, spool) {
    const stats = newStats();
    const sets = { customerp: `given ${f.id} customerp`, chargebee: `given ${f.id} chargebee` };
    await this.readInto(f, spool, sets, { customerp: ids.customerp ?? [], chargebee: ids.chargebee ?? [] }, true);
    stats.read = { customerp: spool.setCount(sets.customerp), chargebee: spool.setCount(sets.chargebee) };
    return { stats, held: { customerp: new Map(), chargebee: new Map() }, waits: new Map(), cursors: [], pending: [], sets, unlinked: unlinkedSets(f) };
  }

  /**
   * Puts records named by id into a flow's sets, reading those the spool does not hold (or all, `fresh`).
   * @param {FlowSpec} f @param {Spool} spool @param {{ customerp: string, chargebee: string }} sets
   * @param {{ customerp: string[], chargebee: string[] }} ids @param {boolean} [fresh]
   */
  async readInto(f, spool, sets, ids, fresh = false) {
    const cpNeed = fresh ? ids.customerp : ids.customerp.filter((id) => !spool.has("customerp", f.customerp, id));
    const cbNeed = fresh ? ids.chargebee : ids.chargebee.filter((id) => !spool.has("chargebee", f.chargebee, id));
    if (cpNeed.length) spool.put("customerp", f.customerp, null, await this.cp.getMany(f.customerp, cpNeed));
    if (cbNeed.length) spool.put("chargebee", f.chargebee, null, await this.readers[f.chargebee].byIds(cbNeed));
    // Only what exists: an id neither system has is not a record of this run.
    spool.addToSet(sets.customerp, "customerp", f.customerp, ids.customerp.filter((id) => spool.has("customerp", f.customerp, id)));
    spool.addToSet(sets.chargebee, "chargebee", f.chargebee, ids.chargebee.filter((id) => spool.has("chargebee", f.chargebee, id)));
  }

  // ---- sorting the records into pairs ---------------------------------------------------------

  /**
   * Phase 1 of a flow: every record read is looked up (a page at a time): a linked record whose version
   * is the one its link remembers is left out; a linked one that changed becomes a pair; an unlinked
   * one goes to matching (its keys only), unless a person's decision holds it. Then the matches are
   * stored, and every unlinked record becomes a pair (linked now, a create, or waiting).
   * @param {FlowSpec} f @param {Batch} batch @param {RunContext} ctx @param {{ given?: { customerp?: string[], chargebee?: string[] } }} o
   */
  async sortPairs(f, batch, ctx, o) {
    const spool = /** @type {Spool} */ (this.spool);
    const { stats, held } = batch;
    const run = ctx.run;
    const options = this.optionsOf(f.id);
    const retrying = new Set(batch.pending.map((p) => `${p.side}:${p.id}`));
    for (const id of o.given?.customerp ?? []) retrying.add(`customerp:${id}`);
    for (const id of o.given?.chargebee ?? []) retrying.add(`chargebee:${id}`);
    const holds = new Map((await this.store.holdsOf(f.id)).map((h) => [`${h.side}:${h.id}`, h.reason]));
    const { unlinked } = batch;
    /** @type {Matcher | null} */
    let matcher = new Matcher(/** @type {any} */ (f.id), options);
    const counts = { customerp: 0, chargebee: 0 };
    /** Records that could not be matched (a bad record): not copied, reported. @type {{ side: "customerp" | "chargebee", id: string | null, error: any }[]} */
    const refused = [];
    try {
      for (const ids of spool.setIds(batch.sets.customerp, SCAN)) {
        const links = await this.store.linksBy(f.id, "customerp", ids);
        /** @type {Json[]} */
        const loose = [];
        for (const id of ids) {
          const rec = /** @type {Json} */ (spool.get("customerp", f.customerp, id));
          const l = links.get(id);
          if (l) {
            if (this.unchanged(l, "customerp", rec, retrying.has(`customerp:${id}`))) stats.unchanged++;
            else spool.addPair(f.id, `cp:${id}`, { customerp: id, chargebee: l.chargebee_id }, l.base);
            continue;
          }
          const hold = holds.get(`customerp:${id}`);
          if (hold) held.customerp.set(id, hold);
          else loose.push(rec);
        }
        spool.addToSet(unlinked.customerp, "customerp", f.customerp, loose.map((r) => String(r.id)));
        this.feed(matcher, "customerp", loose, counts.customerp, refused);
        counts.customerp += loose.length;
      }
      for (const ids of spool.setIds(batch.sets.chargebee, SCAN)) {
        const links = await this.store.linksBy(f.id, "chargebee", ids);
        const elsewhere = await this.linkedInResourceIds(f, ids.filter((id) => !links.has(id)));
        /** @type {Json[]} */
        const loose = [];
        for (const id of ids) {
          const rec = /** @type {Json} */ (spool.get("chargebee", f.chargebee, id));
          const l = links.get(id);
          if (l) {
            if (this.unchanged(l, "chargebee", rec, retrying.has(`chargebee:${id}`), f)) stats.unchanged++;
            else spool.addPair(f.id, `cp:${l.customerp_id}`, { customerp: l.customerp_id, chargebee: id }, l.base);
            continue;
          }
          if (elsewhere.has(id)) continue; // another flow of this resource links it
          const hold = holds.get(`chargebee:${id}`);
          if (hold) held.chargebee.set(id, hold);
          else loose.push(rec);
        }
        spool.addToSet(unlinked.chargebee, "chargebee", f.chargebee, loose.map((r) => String(r.id)));
        this.feed(matcher, "chargebee", loose, counts.chargebee, refused);
        counts.chargebee += loose.length;
      }
      for (const r of refused) {
        stats.errors++;
        held[r.side].set(String(r.id), "match failed");
        await this.logError(ctx, f.id, r.side === "customerp" ? r.id : null, r.side === "chargebee" ? r.id : null, r.error, "not matched (fix the record; it is matched again when it changes)");
      }
      if (counts.customerp > 0 && counts.chargebee > 0) {
        const m = matcher.finish();
        matcher = null;
        // A pair a person unlinked is never matched again.
        const links = [];
        for (const l of m.links) {
          if (await this.store.keptApart(f.id, l.customerp, l.chargebee)) {
            held.customerp.set(l.customerp, `kept apart from ${l.chargebee}`);
            held.chargebee.set(l.chargebee, `kept apart from Customerp ${l.customerp}`);
          } else links.push(l);
        }
        await this.store.saveMatches(f.id, links);
        stats.matched = links.length;
        for (const a of m.ambiguous) {
          stats.ambiguous++;
          const message = `ambiguous match by ${a.by}: Customerp ${a.customerp.join(", ")} and Chargebee ${a.chargebee.join(", ")}; not linked and not copied until a person links them (or dismisses this)`;
          const item = await this.see(ctx, { run, kind: "ambiguous", flow: f.id, customerp: a.customerp.join(","), chargebee: a.chargebee.join(","), message, detail: a });
          await this.store.logOnce({ run, flow: f.id, kind: "ambiguous", customerp: a.customerp.join(","), chargebee: a.chargebee.join(","), message, detail: a });
          if (item.state === "dismissed") continue; // a person said: not the same records; each is synced on its own
          a.customerp.forEach((id) => held.customerp.set(id, `ambiguous match (inbox item ${item.id})`));
          a.chargebee.forEach((id) => held.chargebee.set(id, `ambiguous match (inbox item ${item.id})`));
        }
      }
    } finally {
      matcher?.free();
    }
  }

  /**
   * Whether a linked record is as its link remembers it: not planned (own echoes, records read again).
   * Never with `full`, for a record that waits for a retry, or a link without a base or a version.
   * @param {LinkRow} l @param {"customerp" | "chargebee"} side @param {Json} rec @param {boolean} retrying @param {FlowSpec} [f]
   */
  unchanged(l, side, rec, retrying, f) {
    if (this.full || retrying || !l.base) return false;
    const known = side === "customerp" ? l.customerp_version : l.chargebee_version;
    if (!known) return false;
    return known === (side === "customerp" ? customerpVersion(rec) : chargebeeVersion(/** @type {FlowSpec} */ (f).chargebee, rec));
  }

  /**
   * Adds records to matching; those it refuses (a bad record) are kept for a report.
   * @param {Matcher | null} m @param {"customerp" | "chargebee"} side @param {Json[]} records @param {number} start records of this side added before
   * @param {{ side: "customerp" | "chargebee", id: string | null, error: any }[]} refused
   */
  feed(m, side, records, start, refused) {
    if (!m || records.length === 0) return;
    const errors = side === "customerp" ? m.addCustomerp(/** @type {any} */ (records)) : m.addChargebee(/** @type {any} */ (records));
    for (const e of errors) {
      const index = Number(/^\/(?:customerp|chargebee)\/(\d+)/.exec(String(e.path))?.[1] ?? -1) - start;
      const rec = records[index];
      refused.push({ side, id: rec?.id != null ? String(rec.id) : e.recordId ?? null, error: e });
    }
  }

  /**
   * The pairs of the unlinked records: linked by matching now, a create on the other side, or for orders
   * the order Chargebee generates (adopted, or waited for) and its twins (held).
   * @param {FlowSpec} f @param {Batch} batch
   */
  async pairUnlinked(f, batch) {
    const spool = /** @type {Spool} */ (this.spool);
    const { held, unlinked } = batch;
    const orders = this.readers[f.chargebee].ofInvoice;
    for (const ids of spool.setIds(unlinked.customerp, SCAN)) {
      const links = await this.store.linksBy(f.id, "customerp", ids);
      for (const id of ids) {
        if (held.customerp.has(id)) continue;
        const l = links.get(id);
        if (l) {
          spool.addPair(f.id, `cp:${id}`, { customerp: id, chargebee: l.chargebee_id }, l.base);
          continue;
        }
        const rec = /** @type {Json} */ (spool.get("customerp", f.customerp, id));
        const from = f.takesOver ? rec[f.takesOver.field] : null;
        const fromWait = from != null && f.takesOver ? await this.store.orderWait(f.takesOver.flow, String(from)) : undefined;
        if (fromWait) {
          held.customerp.set(id, `waiting: ${f.takesOver?.flow} ${from} waits for the order Chargebee generates for its invoice, which this record takes over`);
          continue;
        }
        const wait = orders ? await this.store.orderWait(f.id, id) : undefined;
        if (wait?.invoice_id) {
          // Its invoice is made: the order Chargebee generated for it, adopted with the create's base.
          const listed = await /** @type {NonNullable<typeof orders>} */ (orders)(wait.invoice_id);
          const taken = await this.linkedInResourceIds(f, listed.map((o) => o.id));
          const order = listed.find((o) => !taken.has(o.id));
          if (order) {
            spool.put("chargebee", f.chargebee, null, [order]);
            spool.addPair(f.id, `cp:${id}`, { customerp: id, chargebee: order.id }, wait.base);
          } else batch.waits.set(id, wait.invoice_id);
          continue;
        }
        spool.addPair(f.id, `cp:${id}`, { customerp: id, chargebee: null }, null);
      }
    }
    for (const ids of spool.setIds(unlinked.chargebee, SCAN)) {
      const links = await this.store.linksBy(f.id, "chargebee", ids);
      for (const id of ids) {
        if (held.chargebee.has(id)) continue;
        const l = links.get(id);
        if (l) {
          spool.addPair(f.id, `cp:${l.customerp_id}`, { customerp: l.customerp_id, chargebee: id }, l.base);
          continue;
        }
        if (this.released.has(id) || (await this.linkedInResource(f, id))) continue;
        const rec = /** @type {Json} */ (spool.get("chargebee", f.chargebee, id));
        const wait = orders && rec.invoice_id != null ? await this.store.orderWaitForInvoice(String(rec.invoice_id)) : undefined;
        if (wait) {
          // The order Chargebee generated for a quote's or order's new invoice: adopted by that record's
          // flow, never copied to Customerp as a record of its own.
          if (wait.flow === f.id) {
            batch.waits.delete(wait.customerp_id);
            spool.addPair(f.id, `cp:${wait.customerp_id}`, { customerp: wait.customerp_id, chargebee: id }, wait.base);
          }
          continue;
        }
        const why = orders ? await this.generatedTwin(f, rec) : undefined;
        if (why) held.chargebee.set(id, why);
        else spool.addPair(f.id, `cb:${id}`, { customerp: null, chargebee: id }, null);
      }
    }
  }

  /**
   * Why an unlinked order Chargebee generated is not copied to Customerp, if it is not: while a create's
   * invoice request has not answered (a crash after it), any generated order may be that invoice's, so
   * it waits a run; and an order generated for an invoice whose other order is linked (the sync made it
   * with `POST /orders`, option orders: "create", on a site that generates orders) is a second order for
   * one Customerp record: reported for a person, never copied.
   * @param {FlowSpec} f @param {Json} order @returns {Promise<string | undefined>}
   */
  async generatedTwin(f, order) {
    if (order.order_type !== "system_generated" || order.invoice_id == null) return undefined;
    const same = FLOWS.filter((g) => g.chargebee === f.chargebee).map((g) => g.id);
    if ((await this.store.unresolvedOrderWaits()).some((w) => same.includes(/** @type {any} */ (w.flow)))) {
      return "waiting: a create's invoice request has not answered yet, and this generated order may be its invoice's";
    }
    const invoice = String(order.invoice_id);
    if (!this.invoiceOrders.has(invoice)) this.invoiceOrders.set(invoice, /** @type {any} */ (this.readers[f.chargebee]).ofInvoice(invoice));
    const orders = await /** @type {Promise<Json[]>} */ (this.invoiceOrders.get(invoice));
    const linkedIds = await this.linkedInResourceIds(f, orders.map((o) => o.id));
    const linked = orders.find((/** @type {Json} */ o) => o.id !== order.id && linkedIds.has(o.id));
    if (!linked) return undefined;
    const parts = [];
    for (const fl of await this.store.flowsLinkingChargebee(linked.id)) parts.push(`${fl} ${(await this.store.linkByChargebee(fl, linked.id))?.customerp_id}`);
    const pair = parts.join(", ");
    return `Chargebee generated order ${order.id} for invoice ${invoice}, whose order ${linked.id} the sync made and links (${pair}): a second order for one Customerp record, not copied. This site generates orders: set the plan option orders: "chargebee", and cancel one of the two orders in Chargebee`;
  }

  /** Whether a Chargebee record is linked in this flow or in another flow of the same resource. @param {FlowSpec} f @param {string} id */
  async linkedInResource(f, id) {
    return (await this.linkedInResourceIds(f, [id])).has(id);
  }

  /** The Chargebee records of these that are linked in this flow or another flow of the same resource. @param {FlowSpec} f @param {string[]} ids */
  async linkedInResourceIds(f, ids) {
    const same = FLOWS.filter((g) => g.chargebee === f.chargebee).map((g) => g.id);
    const byId = await this.store.flowsLinkingChargebeeIds(ids);
    return new Set(ids.filter((id) => (byId.get(id) ?? []).some((fl) => same.includes(/** @type {any} */ (fl)))));
  }

  // ---- planning ----------------------------------------------------------------------------

  /**
   * The work of a page of pairs: both records (partners the run has not read are read now, by id, a
   * batch a page), the parent flows' links the page's records name, the options of each pair.
   * @param {FlowSpec} f @param {{ key: string, link: Link, base: string | null }[]} page @returns {Promise<Work[]>}
   */
  async workOf(f, page) {
    const spool = /** @type {Spool} */ (this.spool);
    const needCp = page.map((p) => p.link.customerp).filter((id) => id !== null && !id.startsWith("(new:") && !spool.has("customerp", f.customerp, id));
    const needCb = page.map((p) => p.link.chargebee).filter((id) => id !== null && !spool.has("chargebee", f.chargebee, id));
    if (needCp.length) spool.put("customerp", f.customerp, null, await this.cp.getMany(f.customerp, /** @type {string[]} */ (needCp)));
    if (needCb.length) spool.put("chargebee", f.chargebee, null, await this.readers[f.chargebee].byIds(/** @type {string[]} */ (needCb)));
    const records = page.map((p) => ({
      customerp: p.link.customerp ? spool.get("customerp", f.customerp, p.link.customerp) ?? null : null,
      chargebee: p.link.chargebee ? spool.get("chargebee", f.chargebee, p.link.chargebee) ?? null : null,
    }));
    const links = await this.parentLinks(f, records);
    const overrides = await this.store.anyOverrides();
    const out = [];
    for (const [i, p] of page.entries()) out.push(await this.work(f, p.link, p.base, records[i], links, overrides));
    return out;
  }

  /**
   * The links of the parent flows that a page's records name (Customerp ids on one side, Chargebee ids on
   * the other), as `PlanInput.links`.
   * @param {FlowSpec} f @param {{ customerp: Json | null, chargebee: Json | null }[]} records @returns {Promise<Json>}
   */
  async parentLinks(f, records) {
    /** @type {Json} */
    const links = {};
    for (const ref of f.refs ?? []) {
      const ids = { customerp: /** @type {string[]} */ ([]), chargebee: /** @type {string[]} */ ([]) };
      for (const r of records) {
        if (r.customerp) for (const v of ref.customerp?.(r.customerp) ?? []) if (v != null && v !== "") ids.customerp.push(String(v));
        if (r.chargebee) for (const v of ref.chargebee?.(r.chargebee) ?? []) if (v != null && v !== "") ids.chargebee.push(String(v));
      }
      links[ref.flow] = { ...links[ref.flow], ...(await this.store.linksNamed(ref.flow, ids)) };
    }
    for (const p of f.parents) links[p] ??= {};
    return links;
  }

  /**
   * One pair to plan, with the options a run plans it with: a first sync linked by hand with a side
   * to keep plans with `conflicts` of that side; a conflict a person overrode is applied after planning.
   * @param {FlowSpec} f @param {Link} link @param {string | null} base @param {{ customerp: Json | null, chargebee: Json | null }} records @param {Json} links
   * @param {boolean} [overrides] whether any override waits (else none is looked up)
   * @returns {Promise<Work>}
   */
  async work(f, link, base, records, links, overrides = true) {
    const linked = Boolean(link.customerp && link.chargebee);
    let options = this.optionsOf(f.id);
    const keep = linked && !base ? await this.store.firstSyncKeep(f.id, /** @type {string} */ (link.customerp)) : undefined;
    if (keep) options = { ...options, conflicts: keep, propertyWinners: undefined };
    return {
      // the link as stored: both ids, or none for a record without a partner yet
      stored: linked ? link : { customerp: null, chargebee: null },
      input: { ...records, base: base ? JSON.parse(base) : null, links },
      options,
      keep,
      overrides: linked && overrides ? await this.store.overridesOf(f.id, /** @type {string} */ (link.customerp)) : [],
    };
  }

  /**
   * Plans pairs as a run does: pages of planBatch for the flow's options, one by one for pairs with
   * options of their own; overrides applied; with `full`, drift found (and with `repair`, planned).
   * @param {FlowSpec} f @param {Work[]} work @param {(done: number) => void} [progress]
   * @returns {Planned[]}
   */
  planAll(f, work, progress = () => {}) {
    const options = this.optionsOf(f.id);
    const plain = work.filter((w) => w.options === options);
    /** @type {Map<Work, any>} */
    const results = new Map();
    for (let i = 0; i < plain.length; i += this.pageSize) {
      const page = plain.slice(i, i + this.pageSize);
      planBatch(/** @type {any} */ (f.id), page.map((w) => w.input), options).forEach((r, j) => results.set(page[j], r));
      progress(results.size);
    }
    for (const w of work.filter((x) => x.options !== options)) {
      try {
        results.set(w, { ok: true, plan: planOne(/** @type {any} */ (f.id), w.input, w.options) });
      } catch (e) {
        results.set(w, { ok: false, error: e });
      }
    }
    const probeDrift = this.full;
    return work.map((w) => {
      let result = results.get(w);
      /** @type {import("customerp-chargebee").Conflict[]} */
      let drift = [];
      let dropped = null;
      if (result.ok) {
        if (probeDrift && w.input.base && w.input.customerp && w.input.chargebee) {
          const repaired = planOne(/** @type {any} */ (f.id), w.input, { ...w.options, repair: true });
          drift = repaired.conflicts.filter((c) => c.rule.startsWith("repair"));
          if (this.repair && drift.length) result = { ok: true, plan: repaired };
        }
        if (w.overrides.length) result = applyOverrides(f, w, result.plan);
        dropped = droppedByReadOnly(f, w, result.plan);
      }
      return { work: w, result, drift, dropped };
    });
  }

  /**
   * The planned pairs of a flow, a page at a time.
   * @param {FlowSpec} f @param {(n: number) => void} progress @returns {AsyncGenerator<Planned[]>}
   */
  async *plannedPages(f, progress) {
    const spool = /** @type {Spool} */ (this.spool);
    let n = 0;
    for (const page of spool.pairs(f.id, this.pageSize)) {
      const planned = this.planAll(f, await this.workOf(f, page));
      n += planned.length;
      progress(n);
      yield planned;
    }
  }

  // ---- a flow ------------------------------------------------------------------------------

  /**
   * A flow's run: sort its records into pairs, plan them (a first pass counts the destructive actions for
   * the guard when the flow has more than a page), then execute the plans with pairs in flight at once.
   * @param {FlowSpec} f @param {Batch} batch @param {RunContext} ctx
   * @param {{ saveCursors: boolean, given?: { customerp?: string[], chargebee?: string[] } }} o
   */
  async syncFlow(f, batch, ctx, o) {
    const { stats, held } = batch;
    const run = ctx.run;
    if (!this.dryRun) await this.store.beginRunFlow(run, f.id, this.worker);
    let outcome = "ok";
    try {
      await this.pairUnlinked(f, batch);
      const spool = /** @type {Spool} */ (this.spool);
      const total = spool.pairCount(f.id);
      const read = stats.read.customerp + stats.read.chargebee;
      const progress = (/** @type {"plan" | "write"} */ phase) =>
        this.onProgress({ flow: f.id, phase, read, planned: stats.planned, written: stats.written, total });

      /** @type {Map<string, { side: string, id: string, reason: string, attempts: number }>} */
      const retry = new Map();
      const attempts = new Map(batch.pending.map((p) => [`${p.side}:${p.id}`, p.attempts]));
      const later = (/** @type {Link} */ link, /** @type {string} */ reason) => {
        for (const side of /** @type {const} */ (["customerp", "chargebee"])) {
          const id = link[side];
          if (id) retry.set(`${side}:${id}`, { side, id, reason, attempts: (attempts.get(`${side}:${id}`) ?? 0) + 1 });
        }
      };
      // Ambiguous records are read again every run (a person may fix an e-mail); records held by a
      // person's decision (unlinked by hand, left over from a link) wait for the next decision.
      for (const [id, why] of held.customerp) if (why.startsWith("ambiguous") || why === "match failed" || why.startsWith("waiting")) later({ customerp: id, chargebee: null }, why);
      for (const [id, why] of held.chargebee) {
        if (why.startsWith("ambiguous") || why === "match failed" || why.startsWith("waiting")) later({ customerp: null, chargebee: id }, why);
        else if (why.startsWith("Chargebee generated order")) {
          const item = { run, kind: /** @type {const} */ ("manual"), flow: f.id, customerp: null, chargebee: id, message: why };
          await this.see(ctx, item);
          await this.store.logOnce({ ...item, kind: "warning" });
        }
      }
      stats.held += held.customerp.size + held.chargebee.size;
      for (const [id, invoice] of batch.waits) later({ customerp: id, chargebee: null }, await waitForOrder(this, f, stats, ctx, id, invoice));

      // The guard counts the whole flow before any of it is written. A flow of one page is planned once.
      /** @type {Planned[] | null} */
      let kept = null;
      let stop = false;
      if (total <= this.pageSize) {
        kept = total === 0 ? [] : this.planAll(f, await this.workOf(f, [...spool.pairs(f.id, this.pageSize)].flat()));
        stats.planned = kept.length;
        progress("plan");
        stop = await this.guardCheck(f, [kept], stats, ctx);
      } else {
        stop = await this.guardCheck(f, this.plannedPages(f, (n) => {
          stats.planned = n;
          progress("plan");
        }), stats, ctx);
      }

      if (!stop) {
        const pages = kept ? (async function* () { yield /** @type {Planned[]} */ (kept); })() : this.plannedPages(f, () => {});
        await this.executeAll(f, pages, ctx, stats, later, () => progress("write"));
        if (this.shouldStop() && stats.written < total) {
          // Stopped between pairs: what was written is stored; the cursors stay, so the next run reads the rest again.
          outcome = "stopped";
          /** @type {any} */ (stats).stopped = true;
          return stats;
        }
      } else {
        // Nothing of this flow is written: read again next run, from the same cursors.
        outcome = "guard";
        for await (const page of kept ? [kept] : this.plannedPages(f, () => {})) {
          for (const { work: w } of page) later({ customerp: w.input.customerp ? String(w.input.customerp.id) : null, chargebee: w.input.chargebee?.id ?? null }, "stopped by the guard");
        }
      }
      // Ambiguous items close when all their records were read and none is ambiguous any more.
      if (!stop) await this.closeAmbiguous(f, batch, ctx);
      if (o.saveCursors && !stop) await this.store.finishFlow(f.id, batch.cursors, [...retry.values()]);
      else if (o.saveCursors) await this.store.finishFlow(f.id, [], [...batch.pending, ...retry.values()]);
      else await this.store.settlePending(f.id, [...(o.given?.customerp ?? []).map((id) => `customerp:${id}`), ...(o.given?.chargebee ?? []).map((id) => `chargebee:${id}`)], [...retry.values()]);
      if (stats.errors > 0 && outcome === "ok") outcome = "failed";
      return stats;
    } catch (e) {
      outcome = e instanceof FencedError ? "fenced" : "failed";
      throw e;
    } finally {
      if (!this.dryRun) {
        if (outcome !== "fenced") await this.store.finishRunFlow(run, f.id, outcome, stats.errors).catch(() => {});
        ctx.reported.add(f.id);
        this.events.run({ flow: f.id, outcome: /** @type {any} */ (outcome), run, tenant: this.store.tenant, at: Date.now(), counts: { ...stats, guard: undefined } });
      }
    }
  }

  /**
   * Executes planned pages with up to `concurrency` pairs in flight (each pair's own requests in order,
   * through the write path); a page is planned when the one before is handed out. Pairs planned cleanly
   * close the inbox items their cause is gone from, a page at a time.
   * @param {FlowSpec} f @param {AsyncIterable<Planned[]>} pages @param {RunContext} ctx @param {FlowStats} stats
   * @param {(link: Link, reason: string) => void} later @param {() => void} progress
   */
  async executeAll(f, pages, ctx, stats, later, progress) {
    const iterator = pages[Symbol.asyncIterator]();
    /** @type {Planned[]} */
    let queue = [];
    let exhausted = false;
    /** Pages planned so far and the pairs of each that planned cleanly, to close inbox items a page at a time. */
    /** @type {{ ids: { customerp: Set<string>, chargebee: Set<string> }, clean: { customerp: Set<string>, chargebee: Set<string> }, left: number }[]} */
    const open = [];
    /** @type {Error | null} */
    let fatal = null;
    const next = async () => {
      while (queue.length === 0 && !exhausted) {
        const r = await iterator.next();
        if (r.done) exhausted = true;
        else if (r.value.length) {
          queue = [...r.value];
          const page = { ids: { customerp: new Set(), chargebee: new Set() }, clean: { customerp: new Set(), chargebee: new Set() }, left: r.value.length };
          for (const p of r.value) {
            const w = p.work;
            if (w.input.customerp?.id != null) page.ids.customerp.add(String(w.input.customerp.id));
            if (w.input.chargebee?.id) page.ids.chargebee.add(w.input.chargebee.id);
            /** @type {any} */ (p).page = page;
          }
          open.push(page);
        }
      }
      return queue.shift();
    };
    let pulling = Promise.resolve();
    const take = () => {
      const got = pulling.then(next);
      pulling = got.then(() => {}, () => {});
      return got;
    };
    const worker = async () => {
      for (;;) {
        if (fatal || this.shouldStop()) return;
        const p = await take();
        if (!p) return;
        const page = /** @type {any} */ (p).page;
        try {
          const clean = await this.executeOne(f, p, ctx, stats, later);
          if (clean) {
            if (clean.customerp) page.clean.customerp.add(clean.customerp);
            if (clean.chargebee) page.clean.chargebee.add(clean.chargebee);
          }
        } catch (e) {
          fatal = /** @type {Error} */ (e);
          return;
        }
        stats.written++;
        progress();
        if (--page.left === 0) await this.inbox.closeGone(f.id, ctx.run, page.clean, ctx.seen, SELF_CLOSING);
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, worker));
    if (fatal) throw fatal;
  }

  /**
   * One planned pair: an error is logged; otherwise its plan goes through the write path. Returns the
   * pair's ids when it was planned cleanly (nothing waits, nothing failed).
   * @param {FlowSpec} f @param {Planned} p @param {RunContext} ctx @param {FlowStats} stats @param {(link: Link, reason: string) => void} later
   * @returns {Promise<Link | null>}
   */
  async executeOne(f, p, ctx, stats, later) {
    const { work: w, result: r, drift, dropped } = p;
    const { input, stored } = w;
    const ids = { customerp: input.customerp?.id != null ? String(input.customerp.id) : null, chargebee: input.chargebee?.id ?? null };
    if (!r.ok) {
      stats.errors++;
      await this.logError(ctx, f.id, ids.customerp, ids.chargebee, r.error, "not planned (fix the record; it is planned again when it changes)");
      return null;
    }
    await this.reportDrift(ctx, f, ids, drift, dropped, stats);
    try {
      const why = await settle(this, f, input, stored, r.plan, stats, ctx, w.options);
      // A record whose Chargebee side a person makes by hand is read again every run, so the run after
      // the person acted matches it with what they made.
      const byHand = r.plan.chargebee.action === "manual" && !r.plan.link.chargebee ? "a manual step in Chargebee" : undefined;
      if (!this.dryRun && !why) for (const ov of w.overrides) await this.overrideWritten(ctx, ov);
      if (why || byHand) {
        later(ids, why ?? /** @type {string} */ (byHand));
        return null;
      }
      return ids;
    } catch (e) {
      if (/** @type {any} */ (e)?.fatal || e instanceof UnreachableError || e instanceof FencedError) throw e;
      stats.errors++;
      await this.logError(ctx, f.id, ids.customerp, ids.chargebee, e, "failed; retried next run");
      later(ids, e instanceof Error ? e.message : String(e));
      return null;
    }
  }

  /**
   * Closes the open ambiguous items of a flow whose records this run read again (all of them) and no
   * longer found ambiguous.
   * @param {FlowSpec} f @param {Batch} batch @param {RunContext} ctx
   */
  async closeAmbiguous(f, batch, ctx) {
    const spool = /** @type {Spool} */ (this.spool);
    const items = await this.inbox.list({ kind: "ambiguous", flow: f.id, state: "open" });
    if (items.length === 0) return;
    const read = { customerp: new Set(), chargebee: new Set() };
    for (const i of items) {
      for (const id of idsIn(i.customerpId)) if (spool.inSet(batch.sets.customerp, id)) read.customerp.add(id);
      for (const id of idsIn(i.chargebeeId)) if (spool.inSet(batch.sets.chargebee, id)) read.chargebee.add(id);
    }
    await this.inbox.closeGone(f.id, ctx.run, read, ctx.seen, ["ambiguous"]);
  }

  /**
   * The guard: above `max` destructive actions *and* above `percent` of the flow's linked pairs, the
   * flow writes nothing and an inbox item holds the counts and ten examples, unless a person
   * confirmed that item (then this run goes through, once).
   * @param {FlowSpec} f @param {AsyncIterable<Planned[]> | Iterable<Planned[]>} pages the flow's planned pairs, a page at a time
   * @param {FlowStats} stats @param {RunContext} ctx
   */
  async guardCheck(f, pages, stats, ctx) {
    /** @type {Record<string, number>} */
    const counts = {};
    /** @type {{ customerpId: string | null, chargebeeId: string | null, what: string }[]} */
    const examples = [];
    for await (const planned of pages) {
      for (const { work: w, result: r } of planned) {
        if (!r.ok) continue;
        for (const d of destructiveActions(r.plan, w.stored)) {
          counts[d.system] = (counts[d.system] ?? 0) + 1;
          if (examples.length < 10) examples.push({ customerpId: r.plan.link.customerp ?? w.stored.customerp, chargebeeId: r.plan.link.chargebee ?? w.stored.chargebee, what: `${d.system}: ${d.what}` });
        }
      }
    }
    const linked = await this.store.linkCount(f.id);
    const worst = Math.max(0, ...Object.values(counts));
    const { max, percent } = this.guard;
    if (!(worst > max && worst > (percent / 100) * linked)) return false;
    const cause = { kind: /** @type {const} */ ("guard"), flow: f.id, customerp: null, chargebee: null };
    const existing = await this.inbox.byCause(`guard|${f.id}|||`);
    if (existing?.state === "resolved" && existing.resolution?.startsWith("confirmed") && !existing.resolution.includes("used")) {
      if (!this.dryRun) await this.inbox.settle(existing.id, "resolved", `${existing.resolution}; used in run ${ctx.run}`);
      return false;
    }
    const what = Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(", ");
    const message = `the guard stopped ${f.id}: it planned ${what} destructive actions, above guard.max ${max} and ${percent}% of its ${linked} linked pairs; nothing of this flow was written. Check the examples, then \`confirm\` this item to let the next run go through once.`;
    const item = await this.see(ctx, { ...cause, run: ctx.run, message, detail: { counts, linked, max, percent, examples } });
    if (existing && existing.state !== "open") await this.inbox.settle(item.id, "open", "");
    await this.store.log({ run: ctx.run, flow: f.id, kind: "guard", message, detail: { counts, linked, examples } });
    stats.guard = { counts, linked, item: item.id };
    return true;
  }

  /**
   * @param {RunContext} ctx @param {FlowSpec} f @param {Link} ids @param {import("customerp-chargebee").Conflict[]} drift
   * @param {{ side: string, properties: string[] } | null} dropped @param {FlowStats} stats
   */
  async reportDrift(ctx, f, ids, drift, dropped, stats) {
    // One item per pair and property whose sides differ with no plan to bring them together: first
    // seen as a change a read-only side dropped, later (with --full) as drift.
    for (const c of drift) {
      stats.drift++;
      const ro = /** @type {string[] | undefined} */ (this.optionsOf(f.id).readOnly)?.length;
      const fix = ro ? "a side is read-only for this flow" : this.repair ? `repaired: ${c.winner} wins (${c.rule})` : "run with --full --repair to bring them together";
      await this.see(ctx, { run: ctx.run, kind: "drift", flow: f.id, ...ids, property: c.property, key: c.property,
        message: `${c.property} differs: Customerp ${JSON.stringify(c.customerp)}, Chargebee ${JSON.stringify(c.chargebee)}, and neither changed since the last sync, so no plan brings them together; ${fix}`, detail: c });
    }
    for (const property of dropped?.properties ?? []) {
      const side = /** @type {{ side: string }} */ (dropped).side;
      const other = side === "customerp" ? "Chargebee" : "Customerp";
      const ro = side === "customerp" ? "Customerp" : "Chargebee";
      const message = `${property} changed in ${other}, but ${ro} is read-only for this flow: not copied (the last synced state takes ${other}'s value; run --full --repair when the flow is two-way again)`;
      if ((await this.see(ctx, { run: ctx.run, kind: "drift", flow: f.id, ...ids, property, key: property, message, detail: { readOnly: side, property } })).fresh) {
        await this.store.log({ run: ctx.run, flow: f.id, kind: "warning", ...ids, property, message: `read_only: ${message}`, detail: { readOnly: side, property } });
      }
    }
  }

  /** A conflict override was written: the item and the run log say so, and the override goes. @param {RunContext} ctx @param {{ item: number, property: string, side: string }} ov */
  async overrideWritten(ctx, ov) {
    await this.store.dropOverride(ov.item);
    const item = await this.inbox.get(ov.item);
    if (!item) return;
    await this.inbox.settle(ov.item, "resolved", `overridden: ${ov.side}'s value kept, written in run ${ctx.run}`);
    await this.store.log({ run: ctx.run, flow: item.flow ?? undefined, kind: "override", customerp: item.customerpId, chargebee: item.chargebeeId, property: ov.property,
      message: `${ov.property}: a person kept ${ov.side}'s value (inbox item ${ov.item}); written to both sides`, detail: ov });
  }

  /** @param {RunContext} ctx @param {string} flow @param {string | null} cp @param {string | null} cb @param {unknown} e @param {string} what */
  async logError(ctx, flow, cp, cb, e, what) {
    const err = /** @type {any} */ (e);
    const code = err?.code ?? err?.apiErrorCode;
    const message = `${what}: ${err?.name ?? "Error"}${code ? ` ${code}` : ""}${err?.path ? ` at ${err.path}` : ""}: ${err?.message ?? String(e)}`;
    const detail = { code, path: err?.path, recordId: err?.recordId };
    await this.store.log({ run: ctx.run, flow, kind: "error", customerp: cp, chargebee: cb, message, detail });
    await this.see(ctx, { run: ctx.run, kind: "error", flow, customerp: cp, chargebee: cb, key: cp || cb ? "" : shortHash(what), message, detail });
  }
}

/** The spool's sets of a flow's unlinked records, waiting for matching. @param {FlowSpec} f */
const unlinkedSets = (f) => ({ customerp: `unlinked ${f.id} customerp`, chargebee: `unlinked ${f.id} chargebee` });

/** @template {Record<string, number>} T @param {T} a @param {T} b @returns {T} */
function diff(a, b) {
  return /** @type {T} */ (Object.fromEntries(Object.keys(a).map((k) => [k, a[k] - (b[k] ?? 0)])));
}
